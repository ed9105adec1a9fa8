// The bwrap argument vector: a pure function of the Plan. Never a shell string.

import type { BwrapFeatures } from './facts.ts';
import type { MountOp, Plan } from './plan.ts';

/** File descriptors the launched bwrap receives, beyond stdin/stdout/stderr. */
export interface FdLayout {
  status: number;
  seccomp: number | undefined;
  /** One per 'data' mount, in plan order. */
  data: number[];
  /** Plan index of a bind -> the descriptor of its source (--bind-fd), opened by launch. */
  binds: Map<number, number>;
}

/** `byFd`: the binds whose source bubble opens itself (links.ts sourceAnchor). */
export function fdLayout(plan: Plan, byFd: (op: MountOp) => boolean = () => false): FdLayout {
  let next = 3;
  const status = next++;
  const seccomp = plan.seccomp ? next++ : undefined;
  const data = plan.mounts.filter((op) => op.kind === 'data').map(() => next++);
  const binds = new Map<number, number>();
  plan.mounts.forEach((op, i) => {
    if ((op.kind === 'ro' || op.kind === 'rw') && byFd(op)) binds.set(i, next++);
  });
  return { status, seccomp, data, binds };
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

function mountArgs(
  op: MountOp,
  features: BwrapFeatures,
  dataFd: () => number,
  bindFd: number | undefined,
): string[] {
  const perms = (mode: number | undefined): string[] =>
    mode !== undefined && features.perms ? ['--perms', octal(mode)] : [];
  switch (op.kind) {
    case 'ro':
      return bindFd === undefined
        ? ['--ro-bind', op.src, op.dest]
        : ['--ro-bind-fd', String(bindFd), op.dest];
    case 'rw':
      return bindFd === undefined
        ? ['--bind', op.src, op.dest]
        : ['--bind-fd', String(bindFd), op.dest];
    case 'symlink':
      return ['--symlink', op.target, op.dest];
    case 'dir':
      return [...perms(op.mode), '--dir', op.dest];
    case 'proc':
      return ['--proc', op.dest];
    case 'dev':
      // bwrap's /dev and its /dev/shm are tmpfs of half the RAM: /dev/shm gets the cap of
      // /tmp (Chromium needs it), and the rest of /dev becomes read-only.
      return [
        '--dev',
        op.dest,
        ...perms(0o1777),
        ...(features.size ? ['--size', String(op.shmBytes)] : []),
        '--tmpfs',
        `${op.dest}/shm`,
        '--remount-ro',
        op.dest,
      ];
    case 'tmpfs':
      return [
        ...perms(op.mode),
        ...(features.size ? ['--size', String(op.sizeBytes)] : []),
        '--tmpfs',
        op.dest,
        ...(op.readOnly ? ['--remount-ro', op.dest] : []),
      ];
    case 'data':
      return [...perms(0o444), '--ro-bind-data', String(dataFd()), op.dest];
    case 'overlay':
      return features.overlay
        ? ['--overlay-src', op.lower, '--overlay', op.upper, op.work, op.dest]
        : ['--bind', op.at, op.dest];
  }
}

/**
 * `session` marks this bwrap (and the sandbox's pid 1, a copy of it) in its argv, so that
 * a sandbox orphaned by a killed bubble can be found and stopped (see placeholders.ts).
 */
export function bwrapArgs(
  plan: Plan,
  features: BwrapFeatures,
  fds: FdLayout,
  session?: string,
): string[] {
  const args: string[] = [];
  const ns = plan.namespaces;
  if (ns.user) args.push('--unshare-user');
  if (ns.pid) args.push('--unshare-pid');
  if (ns.ipc) args.push('--unshare-ipc');
  if (ns.uts) args.push('--unshare-uts', '--hostname', 'bubble');
  if (ns.cgroup) args.push('--unshare-cgroup-try');
  if (ns.net) args.push('--unshare-net');
  if (plan.process.dieWithParent) args.push('--die-with-parent');
  if (plan.process.newSession) args.push('--new-session');
  if (plan.process.disableUserns && features.disableUserns && ns.user)
    args.push('--disable-userns');
  // Only meaningful for a privileged bwrap (root with --allow-root); otherwise bwrap already
  // gives the sandbox no capabilities.
  if (plan.process.asRoot) args.push('--cap-drop', 'ALL');
  // bwrap is root of launch's user namespace (overlays, see plan.ts): the sandbox is not.
  const outer = plan.process.outerUserns;
  if (outer !== undefined && !features.overlay)
    args.push('--uid', String(outer.uid), '--gid', String(outer.gid), '--cap-drop', 'ALL');

  let d = 0;
  const dataFd = (): number => {
    const fd = fds.data[d++];
    if (fd === undefined) throw new Error('fd layout does not match the plan');
    return fd;
  };
  plan.mounts.forEach((op, i) => args.push(...mountArgs(op, features, dataFd, fds.binds.get(i))));
  // The root is a tmpfs of half the RAM: read-only once every mount point exists.
  args.push('--remount-ro', '/');

  args.push('--chdir', plan.cwd);
  if (session !== undefined) args.push('--setenv', 'BUBBLE_SESSION', session);
  if (features.jsonStatusFd) args.push('--json-status-fd', String(fds.status));
  if (fds.seccomp !== undefined) args.push('--seccomp', String(fds.seccomp));
  args.push('--', ...plan.wrapper, ...plan.argv);
  return args;
}
