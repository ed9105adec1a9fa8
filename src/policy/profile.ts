// What an agent profile says: data only. Paths are relative to $HOME.

import type { WriteBackRule } from './staged.ts';

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

/** A top-level name (or a family of them) in an agent's state dir. */
export interface StateName {
  name: string | RegExp;
  type: 'file' | 'dir';
  /** What the agent keeps there. */
  why: string;
  /**
   * Written in place only when it exists: its mere presence changes what the agent reads
   * (Claude Code prefers ~/.claude/.config.json to ~/.claude.json), so a new one never goes back.
   */
  existingOnly?: boolean;
  /**
   * Scratch that the host already has is shown read-only instead of hidden: host code
   * imports it (opencode's plugin dependencies), so the agent may use it but not change it.
   */
  readOnlyWhenPresent?: boolean;
  /** Replaced state: why this content may not go back (staged.ts WriteBackRule.check). */
  check?: WriteBackRule['check'];
}

/**
 * An agent state dir whose write access is an allowlist (staged: policy/staged.ts): the
 * agent sees its own private copy of the top level, the names it writes in place bound
 * read-write from the host, everything else there read-only, and whatever new it makes
 * stays in bubble's stage, set aside and reported after the session.
 */
export interface StagedState {
  /** The directory, relative to $HOME. */
  dir: string;
  /** Written in place by normal work: read-write. A missing one goes back after the session. */
  write: StateName[];
  /** Replaced by rename (a temporary file beside it): a copy in the stage, back after the session. */
  replace: StateName[];
  /** Scratch the agent makes and needs only while it runs: stays in the stage, dropped after. */
  scratch: StateName[];
  /** Read as configuration or run (read-only when present, like every name not listed). */
  reads: StateName[];
  /** How the lists were found (the binaries and versions traced). */
  source: string;
}

export interface Profile {
  name: string;
  summary: string;
  /** Command basenames that select this profile. */
  commands: string[];
  /** The agent's own state: read-write, created on the host when missing (dirs only). */
  state: ProfilePath[];
  /** State dirs written by allowlist (a `state` dir named here is staged, not bound whole). */
  staged?: StagedState[];
  /** Behaviour-shaping files inside the state: read-only on top, never creatable. */
  protected: ProtectedPath[];
  /** JSON settings files whose referenced scripts are protected too. */
  scriptRefs: string[];
  /** Environment variables the agent needs: exact names and prefixes. */
  env: { names: string[]; prefixes: string[] };
  /** Hosts the agent talks to, as `--allow` patterns (net/rules.ts); `--allow-preset NAME` allows them. */
  endpoints: string[];
  innerSandbox?: InnerSandbox;
  /** How its model credentials are handled (src/creds), shown by `bubble profiles`. */
  credentials: string;
}
