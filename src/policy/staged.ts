// A staged directory: a host directory the sandbox sees at its own path, where only the
// entries a tool's normal work writes in place reach the host during the session.
//
// Why write access is an allowlist: a tool's directory (a git dir, an agent's state dir)
// mixes data it writes with files the host later reads as configuration or code. Naming
// the dangerous ones always misses one (git alone reads config from half a dozen files
// besides .git/config), so the sandbox gets a private copy of the directory's top level
// (the stage, outside the project), the data directories bound read-write in it, and the
// configuration bound read-only. Whatever else it writes or creates stays in the stage;
// after the session only what the rules allow, checked, goes back to the real directory,
// and the rest is set aside and reported.
//
// Pure: the shape of a stage and its mounts. Creating and writing back: sandbox/stage.ts.

import { join } from 'node:path';
import type { MountOp } from '../sandbox/plan.ts';

/** How one entry of the real directory is shown inside. */
export type StageEntry =
  /** Bound read-write from the real directory: data the tool writes in place. */
  | 'rw'
  /** Bound read-only from the real directory: configuration, or what is too big to copy. */
  | 'ro'
  /** Copied into the stage: changes stay there until written back by the rules. */
  | 'copy'
  /** An empty directory in the stage, holding other stages' mount points (git's modules/). */
  | 'dir'
  /** A mount point in the stage for an absent read-only entry: an empty dir, or `content`. */
  | 'mount';

export interface StageSpec {
  /** The real host directory, shown at the same path inside (or at `dest`). */
  real: string;
  /** Where it is shown inside, when not at `real` (a state dir that is the user's link). */
  dest?: string;
  /** This stage's directory on the host (bubble's, per session, outside the project). */
  stage: string;
  /** The write-back allowlist (a key of the rule sets in sandbox/stage.ts). */
  rules: string;
  /** Entries of `real` by name. Names not listed exist only in the stage. */
  entries: Record<string, { show: StageEntry; type: 'file' | 'dir'; content?: string }>;
  /** `rw` directories missing on the host, created there before the session. */
  create: string[];
  why: string;
  source: string;
  /** Why an entry set aside was not written back (default: git's). */
  aside?: string;
}

/** What a staged entry holds, read back from the stage or the host. */
export type StagedContent =
  | { type: 'file'; bytes: Buffer }
  /** Relative path -> content, regular files only (anything else makes the entry refused). */
  | { type: 'dir'; files: Map<string, Buffer> };

/** One thing the tool's normal work writes at the top of its directory, and may go back. */
export interface WriteBackRule {
  /** A top-level name, or a pattern for a family of them (`sharedindex.<hash>`). */
  name: string | RegExp;
  type: 'file' | 'dir';
  /** What normal work writes there. */
  why: string;
  /**
   * Why this content may not go back (shown in the report), or undefined when it may.
   * `before`: what the host holds now (the same as at the start), null when absent.
   */
  check?: (content: StagedContent, before: StagedContent | null) => string | undefined;
  /** Scratch the tool needs only while it runs: dropped after the session, never reported. */
  discard?: boolean;
}

export function ruleFor(
  rules: readonly WriteBackRule[],
  name: string,
  type: 'file' | 'dir',
): WriteBackRule | undefined {
  return rules.find(
    (r) => r.type === type && (typeof r.name === 'string' ? r.name === name : r.name.test(name)),
  );
}

/**
 * The mounts that make the view: the stage at the real path, then the named entries from
 * the real directory on top. A stage nested in another (a submodule's git dir under
 * modules/) comes after its parent in the plan.
 */
export function stageMounts(spec: StageSpec): MountOp[] {
  const at = spec.dest ?? spec.real;
  const ops: MountOp[] = [
    {
      kind: 'rw',
      src: spec.stage,
      dest: at,
      why: `${spec.why}: changes stay in bubble's stage, allowlisted state goes back`,
      source: spec.source,
    },
  ];
  for (const [name, e] of Object.entries(spec.entries)) {
    const src = join(spec.real, name);
    const path = join(at, name);
    if (e.show === 'rw')
      ops.push({
        kind: 'rw',
        src,
        dest: path,
        why: 'data written in place by normal work',
        source: spec.source,
      });
    else if (e.show === 'ro')
      ops.push({
        kind: 'ro',
        src,
        dest: path,
        why: 'read as configuration or code on the host: read-only',
        source: spec.source,
      });
    else if (e.show === 'mount' && e.type === 'dir')
      ops.push({
        kind: 'ro',
        src: join(spec.stage, name),
        dest: path,
        why: 'read as configuration or code: absent, shown empty and read-only',
        source: spec.source,
      });
    else if (e.show === 'mount')
      ops.push({
        kind: 'data',
        dest: path,
        content: e.content ?? '',
        why: 'read as configuration: absent, shown read-only with what absence means',
        source: spec.source,
      });
  }
  return ops;
}
