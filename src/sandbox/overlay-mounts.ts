// bwrap before 0.11 cannot mount an overlay. For the package caches (policy/caches.ts)
// bubble mounts them itself, just before bwrap: in a user and mount namespace of its own
// (an unprivileged user may mount overlayfs there since Linux 5.11), where bwrap then
// binds them like any directory. The namespace is private to the session: the host sees
// no mount, and the lower layer (the user's own cache) is never written by overlayfs.
// Pure: the argv that goes before bwrap's.

import type { BwrapFeatures } from './facts.ts';
import type { Plan } from './plan.ts';

/**
 * Each overlay that fails (a file system without user xattrs, say) becomes a bind of the
 * project's cache alone, with one line saying so: the session still starts.
 */
const SCRIPT = [
  'mount=$1 n=$2',
  'shift 2',
  'while [ "$n" -gt 0 ]; do',
  '  "$mount" -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3,userxattr" "$4" 2>/dev/null ||',
  '    { echo "bubble: cannot layer $1 under the project cache (overlay): the project cache alone" >&2',
  '      "$mount" --bind "$2" "$4" || exit 125; }',
  '  shift 4',
  '  n=$((n - 1))',
  'done',
  'exec "$@"',
].join('\n');

/** `unshare ... sh -c SCRIPT ...` to run bwrap under, or nothing when bwrap mounts them itself. */
export function overlayPrefix(plan: Plan, features: BwrapFeatures): string[] {
  const outer = plan.process.outerUserns;
  if (outer === undefined || features.overlay === true) return [];
  const layers = plan.mounts.flatMap((op) =>
    op.kind === 'overlay' ? [op.lower, op.upper, op.work, op.at] : [],
  );
  if (layers.length === 0) return [];
  return [
    outer.unshare,
    '--user',
    '--map-root-user',
    '--mount',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    SCRIPT,
    'bubble-overlays',
    outer.mount,
    String(layers.length / 4),
    ...layers,
  ];
}
