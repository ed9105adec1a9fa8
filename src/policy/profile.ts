// What an agent profile says: data only. Paths are relative to $HOME.

export interface ProfilePath {
  path: string;
  type: 'file' | 'dir';
}

export interface ProtectedPath extends ProfilePath {
  /** Content shown read-only in place of a protected file that does not exist. */
  placeholder?: string;
}

export interface Profile {
  name: string;
  summary: string;
  /** Command basenames that select this profile. */
  commands: string[];
  /** The agent's own state: read-write, created on the host when missing (dirs only). */
  state: ProfilePath[];
  /** Behaviour-shaping files inside the state: read-only on top, never creatable. */
  protected: ProtectedPath[];
  /** JSON settings files whose referenced scripts are protected too. */
  scriptRefs: string[];
  /** Environment variables the agent needs: exact names and prefixes. */
  env: { names: string[]; prefixes: string[] };
  /** Hosts the agent talks to, as `--allow` patterns (net/rules.ts); `--allow-preset NAME` allows them. */
  endpoints: string[];
}
