// The Plan: everything the sandbox will be, as plain data. Policy builds it from host
// facts; bwrap-args renders it; explain prints it; launch executes it. Nothing here
// touches the OS.

import type { CredentialPlan } from '../creds/plan.ts';
import type { Limits } from '../policy/limits.ts';
import type { StageSpec } from '../policy/staged.ts';
import type { MemoryCgroup } from './cgroup.ts';
import type { SeccompRule } from './seccomp.ts';
import type { KeySelector } from '../ssh/keys.ts';
import type { NetMode } from '../net/modes.ts';
import type { PublishedPort } from '../net/publish.ts';

/** Why a mount exists, shown by `bubble explain`. `source` names the rule that made it. */
export interface Reason {
  why: string;
  source: string;
}

/**
 * One setup step, in bwrap order: later mounts cover earlier ones on the same path,
 * so the list is ordered from broad to specific.
 */
export type MountOp =
  | ({ kind: 'ro' | 'rw'; src: string; dest: string } & Reason)
  | ({ kind: 'tmpfs'; dest: string; sizeBytes: number; mode?: number; readOnly: boolean } & Reason)
  | ({ kind: 'symlink'; target: string; dest: string } & Reason)
  | ({ kind: 'dir'; dest: string; mode: number } & Reason)
  | ({ kind: 'proc'; dest: string } & Reason)
  /** Devices, with a size-capped /dev/shm; the rest of /dev read-only. */
  | ({ kind: 'dev'; dest: string; shmBytes: number } & Reason)
  /**
   * A writable view of `lower` whose writes go to `upper` (`work`: overlayfs's scratch dir on
   * the same file system). bwrap 0.11+ mounts it itself; older bwrap binds `at`, where
   * launch mounted it just before, in a user namespace of its own.
   */
  | ({
      kind: 'overlay';
      lower: string;
      upper: string;
      work: string;
      at: string;
      dest: string;
    } & Reason)
  /** A read-only file with fixed content (a protected file that does not exist on the host). */
  | ({ kind: 'data'; dest: string; content: string } & Reason);

/** A host path bubble creates before launch (a mount point bwrap needs) and removes after. */
export interface Placeholder {
  path: string;
  type: 'file' | 'dir';
  /**
   * The writable mount it lies in (the project, a state dir): opened as named, and no
   * link below it is followed to create or remove the placeholder (sandbox/nofollow.ts).
   */
  anchor?: string | undefined;
}

export interface ProcessPolicy {
  dieWithParent: boolean;
  /** setsid(): detaches from the terminal. Only without a TTY, else the TUI loses job control. */
  newSession: boolean;
  /**
   * On a terminal, bwrap is started ignoring SIGINT/SIGQUIT (so ^C does not kill it and,
   * with it, the sandbox); the agent gets the default dispositions back through this env.
   */
  signalEnv: string | undefined;
  /** bwrap --disable-userns: no nested user namespaces. */
  disableUserns: boolean;
  /** Running as root with --allow-root. */
  asRoot: boolean;
  /**
   * bwrap runs as root of a user namespace launch makes first (to mount overlays bwrap
   * cannot): the sandbox keeps the user's own ids through these.
   */
  outerUserns?: { uid: number; gid: number; unshare: string; mount: string } | undefined;
}

export interface Namespaces {
  user: boolean;
  pid: boolean;
  ipc: boolean;
  uts: boolean;
  cgroup: boolean;
  net: boolean;
}

export interface NetPlan {
  mode: NetMode;
  allow: string[];
  deny: string[];
  /** Host loopback ports published to the sandbox (`--host-port`). */
  hostPorts: number[];
  /** Private destinations reachable on purpose (`--allow-private`). */
  allowPrivate?: string[] | undefined;
  /** Sandbox ports reachable on the host's 127.0.0.1 (`--publish`). */
  publish?: PublishedPort[] | undefined;
  /** allowlist: only the allow list, even an empty one; ask: hold the rest for bubble watch. */
  policy?: 'allowlist' | 'ask' | undefined;
  /** How long a held connection waits for an answer (ask). */
  askTimeoutMs?: number | undefined;
  /** The host path of the proxy's socket, in the session's runtime dir (filtered: bound in). */
  socket?: string | undefined;
  /** Where rules and ports came from when not the command line: `allow:PAT`, `deny:PAT`, `host-port:P`. */
  sources?: Record<string, string> | undefined;
  /**
   * The proxy port the agent's variables name: inside the sandbox's own loopback
   * (filtered; the bridge listens there) or on the host's (logged). Undefined otherwise,
   * or in logged mode before the proxy has a port (explain).
   */
  proxyPort?: number | undefined;
}

/** A package tool's caches inside (policy/caches.ts): the project's writable one, the host's read-only one. */
export interface CachePlan {
  tool: string;
  /** Where the tool writes inside, and the project's host directory behind it. */
  paths: Array<{ inside: string; host: string; lower?: string }>;
  /** The host's cache, shown read-only where the tool reads it under its own; undefined: not layered. */
  hostCache: { host: string; inside: string } | undefined;
  why: string;
}

export interface Plan {
  profile: string;
  /** argv[0] is the resolved path of the command as seen inside the sandbox. */
  argv: string[];
  /** Run inside before argv (limits and the network bridge), or empty. */
  wrapper: string[];
  limits: Limits;
  /** The sandbox's memory limit and the cgroup that enforces it; undefined: none. */
  memory: { bytes: number; cgroup: Exclude<MemoryCgroup, { kind: 'none' }> } | undefined;
  cwd: string;
  mounts: MountOp[];
  /** The complete environment of the sandbox (nothing else passes). */
  env: Record<string, string>;
  /** Why each variable is there. */
  envWhy: Record<string, string>;
  namespaces: Namespaces;
  process: ProcessPolicy;
  net: NetPlan;
  seccomp: { rules: SeccompRule[]; allowUserns: boolean } | undefined;
  placeholders: Placeholder[];
  /** Protected paths that exist on the host inside writable mounts, as they were when looked at. */
  protectedExisting: Array<{ path: string; type: 'file' | 'dir' }>;
  /**
   * Directories shown through a stage (git dirs): filled before launch, written back by
   * their allowlist after the session (policy/staged.ts, sandbox/stage.ts).
   */
  stages: StageSpec[];
  /** Agent state dirs bubble creates on the host (kept: the agent would create them too). */
  ensureDirs: string[];
  /** Agent state files bubble creates on the host when missing (never over an existing one). */
  ensureFiles: Array<{ path: string; mode: number; content: string }>;
  /**
   * --ssh-agent: bubble's filtering agent listens on `socket` (a host path, bound inside) in
   * front of the user's agent at `upstream`, and lists and signs with the named keys only.
   */
  sshAgent?: { upstream: string; socket: string; keys: KeySelector[] } | undefined;
  /** Package caches (policy/caches.ts). */
  caches: CachePlan[];
  /** Model API credentials bubble adds outside the sandbox; no secret values. */
  credentials: CredentialPlan;
  warnings: string[];
}
