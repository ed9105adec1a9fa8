// bubble never follows a link that the project or the agent controls.
//
// Whatever the agent can write (the project, its state dirs, a persistent home, --rw
// directories) may hold links it planted, or that a repository ships (`.claude ->
// ../.config`). A mount whose source or mount point lies below such a directory is
// resolved by the kernel following every link on the way: on the host for the source,
// inside the new root for the destination. So one link above a protected path turns "pin
// this directory" into "mount the user's ~/.config read-write", and "make this path
// uncreatable" into a placeholder created wherever the link points.
//
// The rule, checked once over the whole plan (so it holds for mounts added anywhere):
// below a writable mount's root, no component of a mount's source or destination may be
// a link; bubble refuses to start and names the link. Links above those roots are the
// user's own (a home on another disk, a dotfiles checkout) and are followed as before.
// Races (a directory swapped for a link after this check) are the launch's concern:
// sources are handed to bwrap as descriptors opened without following links
// (sandbox/nofollow.ts), and bwrap checks what it mounted against them.

import { join } from 'node:path';
import { BubbleError, EXIT_SETUP } from '../errors.ts';
import type { HostFs } from '../sandbox/host-fs.ts';
import type { MountOp } from '../sandbox/plan.ts';
import { isUnder } from './paths.ts';

type Bind = Extract<MountOp, { kind: 'ro' | 'rw' }>;
const isBind = (op: MountOp): op is Bind => op.kind === 'ro' || op.kind === 'rw';

/** Host directories the sandbox writes to: every read-write bind's source. */
export function writableSources(ops: readonly MountOp[]): string[] {
  return ops.filter((op): op is Bind => op.kind === 'rw').map((op) => op.src);
}

/**
 * The outermost writable host directory strictly holding a bind's source (from
 * writableSources), or undefined: below it, bubble opens the source without following
 * links and hands bwrap the descriptor.
 */
export function sourceAnchor(writable: readonly string[], op: MountOp): string | undefined {
  if (!isBind(op)) return undefined;
  let top: string | undefined;
  for (const w of writable)
    if (w !== op.src && isUnder(op.src, w) && (top === undefined || w.length < top.length)) top = w;
  return top;
}

/** The components of `path` strictly below `root`, outermost first, `path` included. */
function below(root: string, path: string): string[] {
  const rest = path.slice(root === '/' ? 1 : root.length + 1).split('/');
  const out: string[] = [];
  let at = root;
  for (const part of rest) {
    at = join(at, part);
    out.push(at);
  }
  return out;
}

export interface LinkInPlan {
  /** The link, as a host path. */
  link: string;
  /** What it points to, when readable. */
  target: string | undefined;
  /** The mount whose source or mount point lies below it. */
  op: MountOp;
}

/** The first link a mount of `ops` would follow below a writable mount, or undefined. */
export function findPlannedLink(ops: readonly MountOp[], fs: HostFs): LinkInPlan | undefined {
  const linkAt = (path: string): 'link' | 'missing' | 'ok' => {
    const info = fs.lstat(path);
    return info === undefined ? 'missing' : info.type === 'symlink' ? 'link' : 'ok';
  };
  const found = (link: string, op: MountOp): LinkInPlan => ({
    link,
    target: fs.readlink(link),
    op,
  });
  const writableSrcs = writableSources(ops);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const earlier = ops.slice(0, i);
    // The mount point, inside the new root: below the outermost writable mount holding it,
    // each component is what the nearest earlier bind shows there, a host path.
    let root: Bind | undefined;
    for (const e of earlier)
      if (e.kind === 'rw' && isUnder(op.dest, e.dest) && op.dest !== e.dest)
        if (root === undefined || e.dest.length < root.dest.length) root = e;
    if (root !== undefined) {
      for (const c of below(root.dest, op.dest)) {
        let shown: MountOp | undefined;
        for (const e of earlier) if (isUnder(c, e.dest)) shown = e;
        if (shown === undefined || !isBind(shown)) break; // bubble's own tmpfs: inside only
        const host = shown.src + c.slice(shown.dest.length);
        const at = linkAt(host);
        if (at === 'link') return found(host, op);
        if (at === 'missing') break; // bubble creates the rest (placeholders), link-free
      }
    }
    // The source, on the host: below the outermost writable source holding it.
    if (isBind(op)) {
      const top = sourceAnchor(writableSrcs, op);
      if (top !== undefined)
        for (const c of below(top, op.src)) {
          const at = linkAt(c);
          if (at === 'link') return found(c, op);
          if (at === 'missing') break;
        }
    }
  }
  return undefined;
}

/** Refuse a plan that would follow a link the project or the agent controls. */
export function refusePlannedLinks(ops: readonly MountOp[], fs: HostFs): void {
  const hit = findPlannedLink(ops, fs);
  if (hit === undefined) return;
  const to = hit.target === undefined ? '' : ` (-> ${hit.target})`;
  const what = hit.op.dest === hit.link ? '' : `, on the way to ${hit.op.dest}`;
  throw new BubbleError(
    'LINK_IN_PROJECT',
    `${hit.link} is a symlink${to}${what}: bubble never follows a link the project or the agent can change`,
    {
      exitCode: EXIT_SETUP,
      hint: 'the repository or a previous session put it there; inspect it, then replace it with the real directory or file, or remove it (to mount what it points to, name that path itself)',
    },
  );
}

/**
 * The outermost writable mount holding `path` (the project, a state dir): the directory
 * below which bubble creates and removes placeholders without following links.
 */
export function writableRoot(ops: readonly MountOp[], path: string): string | undefined {
  let root: string | undefined;
  for (const op of ops)
    if (op.kind === 'rw' && isUnder(path, op.dest) && path !== op.dest)
      if (root === undefined || op.dest.length < root.length) root = op.dest;
  return root;
}

/** The one-line refusal when the project changes under bubble while it starts (a race). */
export function linkRaced(path: string): BubbleError {
  return new BubbleError(
    'LINK_IN_PROJECT',
    `${path} changed while bubble started (a symlink appeared on the way, or a path came or went): bubble never follows a link the project or the agent can change`,
    {
      exitCode: EXIT_SETUP,
      hint: 'another process (a second session?) is changing the project; inspect it and start again',
    },
  );
}
