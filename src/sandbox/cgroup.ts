// The sandbox's memory limit: a cgroup holding bwrap and everything it starts, so an agent
// that fills RAM (processes, tmpfs pages, SysV shm: all charged to the cgroup) is stopped by
// the kernel's OOM killer inside the sandbox instead of pushing the host into it.
//
// An unprivileged user can have one of two kinds:
// - a delegated cgroup: a directory of the memory controller's hierarchy the user may write
//   (cgroup v2: the parent of bubble's own cgroup, with memory in its subtree_control, since
//   a v2 cgroup with processes cannot hand controllers to children; cgroup v1: bubble's own
//   memory cgroup). bubble makes a child there for each session.
// - a transient systemd scope (`systemd-run --user --scope`), where a user manager runs.

import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { findOnPath, realHostFs } from './host-fs.ts';

export type MemoryCgroup =
  | { kind: 'delegated'; version: 1 | 2; parent: string }
  | { kind: 'systemd'; systemdRun: string }
  | { kind: 'none'; why: string };

function read(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function writable(path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

interface CgroupMount {
  dir: string;
  type: 'cgroup' | 'cgroup2';
  options: string[];
}

/** cgroup mounts from /proc/self/mountinfo (`... mountpoint ... - fstype source superopts`). */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (pre === undefined || post === undefined) continue;
    const [type, , superOpts] = post.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    const dir = pre.split(' ')[4];
    if (dir === undefined) continue;
    out.push({ dir: dir.replace(/\\040/g, ' '), type, options: (superOpts ?? '').split(',') });
  }
  return out;
}

/** Lines of /proc/self/cgroup: hierarchy id, controllers, path. */
export function parseProcCgroup(text: string): { controllers: string[]; path: string }[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [, ctl = '', ...rest] = l.split(':');
      return { controllers: ctl === '' ? [] : ctl.split(','), path: rest.join(':') };
    });
}

/** Where this process can put a memory limit on what it starts (the only probing here). */
export function probeMemoryCgroup(env: Readonly<Record<string, string>>): MemoryCgroup {
  const mounts = parseCgroupMounts(read('/proc/self/mountinfo') ?? '');
  const mine = parseProcCgroup(read('/proc/self/cgroup') ?? '');
  const v1 = mounts.find((m) => m.type === 'cgroup' && m.options.includes('memory'));
  const v1Path = mine.find((c) => c.controllers.includes('memory'))?.path;
  if (v1 !== undefined && v1Path !== undefined) {
    const own = join(v1.dir, v1Path);
    if (writable(own) && writable(join(own, 'cgroup.procs')))
      return { kind: 'delegated', version: 1, parent: own };
    return {
      kind: 'none',
      why: `your memory cgroup (${own}, cgroup v1) is not delegated to you`,
    };
  }
  const v2 = mounts.find((m) => m.type === 'cgroup2');
  const v2Path = mine.find((c) => c.controllers.length === 0)?.path;
  if (v2 === undefined || v2Path === undefined)
    return { kind: 'none', why: 'no cgroup with a memory controller is mounted' };
  if (!(read(join(v2.dir, 'cgroup.controllers')) ?? '').split(/\s/).includes('memory'))
    return { kind: 'none', why: `the cgroup v2 hierarchy at ${v2.dir} has no memory controller` };
  const parent = dirname(join(v2.dir, v2Path));
  if (
    parent.startsWith(v2.dir) &&
    (read(join(parent, 'cgroup.subtree_control')) ?? '').split(/\s/).includes('memory') &&
    writable(parent) &&
    writable(join(parent, 'cgroup.procs'))
  )
    return { kind: 'delegated', version: 2, parent };
  const systemdRun = findOnPath(realHostFs(), 'systemd-run', env.PATH ?? '/usr/bin:/bin');
  const runtime = env.XDG_RUNTIME_DIR;
  if (systemdRun !== undefined && runtime !== undefined) {
    // The user manager's private socket: systemd-run --user talks to it.
    const st = fs.statSync(join(runtime, 'systemd', 'private'), { throwIfNoEntry: false });
    if (st?.isSocket()) return { kind: 'systemd', systemdRun };
  }
  return {
    kind: 'none',
    why:
      systemdRun === undefined
        ? 'no delegated cgroup and no systemd-run'
        : 'no delegated cgroup and no systemd user manager (XDG_RUNTIME_DIR/systemd/private)',
  };
}

/** `systemd-run` arguments that put the command in its own scope with this limit. */
export function systemdScopeArgs(systemdRun: string, bytes: number): string[] {
  return [
    systemdRun,
    '--user',
    '--scope',
    '--quiet',
    '--collect',
    '-p',
    `MemoryMax=${bytes}`,
    // Swap included: nothing beyond the limit may go to swap either.
    '-p',
    'MemorySwapMax=0',
    '--',
  ];
}

/**
 * A child cgroup of a delegated one, limited to `bytes` (swap included where the kernel
 * accounts swap). Returns the file a process writes its pid to in order to enter it, and a
 * function that removes the cgroup once it is empty.
 */
export function makeSessionCgroup(
  cg: Extract<MemoryCgroup, { kind: 'delegated' }>,
  bytes: number,
  name: string,
): { procs: string; remove: () => void } {
  const dir = join(cg.parent, name);
  fs.mkdirSync(dir);
  const remove = (): void => {
    try {
      fs.rmdirSync(dir);
    } catch {
      // still has (dying) processes: an empty leftover, removed by the next session
    }
  };
  try {
    const set = (file: string, value: string, optional = false): void => {
      const path = join(dir, file);
      if (optional && !fs.existsSync(path)) return;
      fs.writeFileSync(path, value);
    };
    if (cg.version === 2) {
      set('memory.max', String(bytes));
      set('memory.swap.max', '0', true);
    } else {
      set('memory.limit_in_bytes', String(bytes));
      // memsw is memory plus swap; it must not be set below the memory limit.
      set('memory.memsw.limit_in_bytes', String(bytes), true);
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { procs: join(dir, 'cgroup.procs'), remove };
}

/** Empty session cgroups of sessions that were killed before they could remove theirs. */
export function removeStaleSessionCgroups(parent: string, isLive: (pid: number) => boolean): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const n of names) {
    const pid = /^bubble-(\d+)$/.exec(n)?.[1];
    if (pid === undefined || isLive(Number(pid))) continue;
    try {
      fs.rmdirSync(join(parent, n));
    } catch {
      // not empty yet, or not ours
    }
  }
}

/**
 * The argv prefix that moves a process into the cgroup and then runs the rest: the shell
 * enters before it execs bwrap, so nothing the sandbox starts is ever outside.
 */
export function enterCgroupArgs(procs: string): string[] {
  return ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', procs];
}
