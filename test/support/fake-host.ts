// An in-memory host for policy tests: a filesystem described as data.

import { dirname, join } from 'node:path';
import type { RunRequest } from '../../src/policy/run-request.ts';
import type { HostFacts } from '../../src/sandbox/facts.ts';
import type { HostFs, PathInfo } from '../../src/sandbox/host-fs.ts';

export type FakeEntry =
  | { type: 'dir' }
  | { type: 'file'; mode?: number; nlink?: number; content?: string }
  | { type: 'symlink'; target: string };

export function fakeFs(entries: Record<string, FakeEntry>): HostFs {
  const all = new Map<string, FakeEntry>(Object.entries(entries));
  // Every ancestor of a listed path is a directory.
  for (const p of [...all.keys()])
    for (let d = dirname(p); d !== '/'; d = dirname(d))
      if (!all.has(d)) all.set(d, { type: 'dir' });
  all.set('/', { type: 'dir' });
  const realpath = (path: string, depth = 0): string | undefined => {
    if (depth > 16) return undefined;
    let out = '/';
    for (const part of path.split('/').filter(Boolean)) {
      const next = join(out, part);
      const e = all.get(next);
      if (e === undefined) return undefined;
      if (e.type === 'symlink') {
        const r = realpath(e.target.startsWith('/') ? e.target : join(out, e.target), depth + 1);
        if (r === undefined) return undefined;
        out = r;
      } else out = next;
    }
    return out;
  };
  return {
    lstat(path): PathInfo | undefined {
      const parent = realpath(dirname(path));
      const e = parent === undefined ? undefined : all.get(join(parent, path.split('/').pop()!));
      if (e === undefined) return undefined;
      return {
        type: e.type,
        mode: e.type === 'file' ? (e.mode ?? 0o644) : 0o755,
        nlink: e.type === 'file' ? (e.nlink ?? 1) : 1,
        uid: 1000,
        dev: 1,
        ino: 1,
      };
    },
    realpath,
    readlink(path) {
      const parent = realpath(dirname(path));
      const e = parent === undefined ? undefined : all.get(join(parent, path.split('/').pop()!));
      return e?.type === 'symlink' ? e.target : undefined;
    },
    readdir(path) {
      const r = realpath(path);
      if (r === undefined || all.get(r)?.type !== 'dir') return undefined;
      return [...all.keys()]
        .filter((k) => k !== r && dirname(k) === r)
        .map((k) => k.slice(r.length + 1))
        .sort();
    },
    readText(path) {
      const r = realpath(path);
      const e = r === undefined ? undefined : all.get(r);
      return e?.type === 'file' ? (e.content ?? '') : undefined;
    },
  };
}

/** A Debian-like merged-/usr host with user `u` and a project in ~/src/app. */
export const debianHost: Record<string, FakeEntry> = {
  '/usr/bin/sh': { type: 'file', mode: 0o755 },
  '/usr/bin/git': { type: 'file', mode: 0o755 },
  '/usr/bin/env': { type: 'file', mode: 0o755 },
  '/usr/bin/node': { type: 'file', mode: 0o755 },
  '/usr/lib/node_modules/bubble-claude/dist/net/bridge.js': { type: 'file' },
  '/usr/lib/x': { type: 'file' },
  '/usr/lib64/ld.so': { type: 'file' },
  '/bin': { type: 'symlink', target: 'usr/bin' },
  '/sbin': { type: 'symlink', target: 'usr/sbin' },
  '/usr/sbin/ip': { type: 'file', mode: 0o755 },
  '/lib': { type: 'symlink', target: 'usr/lib' },
  '/lib64': { type: 'symlink', target: 'usr/lib64' },
  '/etc/passwd': { type: 'file' },
  '/etc/resolv.conf': { type: 'symlink', target: '../run/systemd/resolve/stub-resolv.conf' },
  '/run/systemd/resolve/stub-resolv.conf': { type: 'file' },
  '/home/u/src/app/README': { type: 'file' },
  '/home/u/.ssh/id_ed25519': { type: 'file' },
};

export function fakeFacts(
  entries: Record<string, FakeEntry>,
  over: Partial<HostFacts> = {},
): HostFacts {
  return {
    uid: 1000,
    gid: 1000,
    home: '/home/u',
    cwd: '/home/u/src/app',
    env: {
      HOME: '/home/u',
      PATH: '/home/u/.local/bin:/usr/local/bin:/usr/bin:/bin',
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      AWS_SECRET_ACCESS_KEY: 'secret',
      SSH_AUTH_SOCK: '/run/user/1000/ssh',
      ANTHROPIC_API_KEY: 'sk-test',
    },
    stdinIsTTY: true,
    signalEnv: undefined,
    arch: 'x64',
    kernel: '6.8.0-generic',
    bwrap: {
      path: '/usr/bin/bwrap',
      version: '0.8.0',
      features: {
        disableUserns: true,
        size: true,
        perms: true,
        jsonStatusFd: true,
        seccomp: true,
        roBindData: true,
      },
    },
    memTotal: 16 * 1024 ** 3,
    memoryCgroup: { kind: 'systemd', systemdRun: '/usr/bin/systemd-run' },
    bubble: {
      node: '/usr/bin/node',
      bridge: '/usr/lib/node_modules/bubble-claude/dist/net/bridge.js',
      runtimeDir: '/run/user/1000/bubble/4242',
      stageRoot: '/home/u/.local/state/bubble/stages/4242-1',
    },
    fs: fakeFs(entries),
    ...over,
  };
}

/** A request with nothing asked beyond the command (host network), and `over` on top. */
export function runRequest(command: string[], over: Partial<RunRequest> = {}): RunRequest {
  return {
    command,
    rw: [],
    ro: [],
    hide: [],
    allowWrite: [],
    env: [],
    net: 'host',
    allow: [],
    deny: [],
    hostPorts: [],
    allowRoot: false,
    ...over,
  };
}
