// What an agent profile says: data only. Paths are relative to $HOME.

export interface ProfilePath {
  path: string;
  type: 'file' | 'dir';
  /** A state file the agent creates on its first run: bubble creates it with this content. */
  initial?: string;
}

export interface ProtectedPath extends ProfilePath {
  /** Content shown read-only in place of a protected file that does not exist. */
  placeholder?: string;
}

/**
 * The agent's own sandbox cannot start inside bubble (it needs a user namespace, which
 * bubble's seccomp filter refuses), so every tool call would fail. bubble already confines
 * the whole agent: it switches the inner one off through the agent's own documented flag or
 * variable, never by editing the user's files, and says so in one line.
 */
export interface InnerSandbox {
  /** Shown to the user: what is switched off and how. */
  what: string;
  /** Arguments put right after the command. */
  args?: string[];
  /** Variables set inside. */
  env?: Record<string, string>;
  /**
   * Say so only when one of these settings files turns the sandbox on (`~/` the home, `./`
   * the project); without it, the agent's sandbox is on by default and it is always said.
   */
  onWhen?: { files: string[]; key: string[] };
  /** Where the flag or variable is documented. */
  source: string;
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
  innerSandbox?: InnerSandbox;
}
