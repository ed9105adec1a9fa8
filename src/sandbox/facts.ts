// Host facts: the only module that looks at the OS before launch. Policy reads the host
// through the HostFacts it is given, so tests can hand it a fake one.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { release, totalmem } from 'node:os';
import { isatty } from 'node:tty';
import { runtimeBase } from '../net/runtime-dir.ts';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bubbleDirs } from '../config/paths.ts';
import { BubbleError } from '../errors.ts';
import { ourSessionTag } from './placeholders.ts';
import { stagesDir } from './stage-dirs.ts';
import { findOnPath, realHostFs, type HostFs } from './host-fs.ts';
import { probeMemoryCgroup, type MemoryCgroup } from './cgroup.ts';

export interface BwrapFeatures {
  disableUserns: boolean;
  size: boolean;
  perms: boolean;
  jsonStatusFd: boolean;
  seccomp: boolean;
  roBindData: boolean;
  /** --bind-fd / --ro-bind-fd (0.10; backported to some 0.8 builds), which checks what it mounted. */
  bindFd?: boolean;
  /** --overlay-src/--overlay (bwrap 0.11+). */
  overlay?: boolean;
}

export interface BwrapInfo {
  path: string;
  version: string;
  features: BwrapFeatures;
}

/** bubble's own pieces that the sandbox may need to run. */
export interface BubbleInstall {
  /** The node executable running bubble. */
  node: string;
  /** dist/net/bridge.js: the in-sandbox forwarder when socat is not there, or ports are published. */
  bridge: string;
  /** socat on PATH: the in-sandbox forwarder that starts fastest. BUBBLE_FORWARDER=node: unset. */
  socat?: string;
  /** A per-session host directory (not created yet) for the proxy socket. */
  runtimeDir: string;
  /** This session's stages (staged git dirs), outside the project; named by the session tag. */
  stageRoot: string;
}

export interface HostFacts {
  uid: number;
  gid: number;
  home: string;
  /**
   * The project: realpath of the working directory, or the top level of the git repository
   * it is in (see policy/git-root.ts).
   */
  cwd: string;
  /** Where the command starts when that is below the project (a repository's subdirectory). */
  workdir?: string | undefined;
  env: Readonly<Record<string, string>>;
  stdinIsTTY: boolean;
  /**
   * On a terminal: coreutils `env` that can ignore and restore signals (8.31+), used so that
   * ^C reaches the agent without killing bwrap (which shares the terminal's process group).
   */
  signalEnv: string | undefined;
  arch: string;
  /** uname -r */
  kernel: string;
  bwrap: BwrapInfo | undefined;
  /** Physical memory in bytes. */
  memTotal: number;
  /** Where a memory limit for the sandbox can be set. */
  memoryCgroup: MemoryCgroup;
  bubble: BubbleInstall;
  fs: HostFs;
  /**
   * findOnPath over the host's PATH, answered from the facts cache while PATH and its
   * directories are unchanged. For presence hints only (which package caches to wire up),
   * never to pick what runs. Absent: ask findOnPath.
   */
  onPath?: (name: string) => string | undefined;
}

function socatFact(hostFs: HostFs, env: Record<string, string>): { socat?: string } {
  if (env.BUBBLE_FORWARDER === 'node') return {};
  const socat = findOnPath(hostFs, 'socat', env.PATH ?? '/usr/bin:/bin');
  return socat === undefined ? {} : { socat };
}

/**
 * findOnPath for one PATH, remembered in `cacheFile` for as long as PATH and each of its
 * directories (device, inode, mtime) are the same: installing or removing a program there
 * changes its directory's mtime. A launch asks for a dozen package tools (policy/caches.ts):
 * from the cache that is a stat per PATH directory instead of a realpath and an lstat per
 * directory and name.
 */
export function cachedPathLookup(
  hostFs: HostFs,
  pathVar: string,
  cacheFile: string,
): (name: string) => string | undefined {
  const dirs = pathVar.split(delimiter).filter((d) => isAbsolute(d));
  const key = JSON.stringify([
    'path-1',
    pathVar,
    ...dirs.map((d) => {
      const st = fs.statSync(d, { throwIfNoEntry: false });
      return st === undefined ? null : [st.dev, st.ino, st.mtimeMs];
    }),
  ]);
  let found: Record<string, string | null> = {};
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as {
      key?: string;
      found?: Record<string, string | null>;
    };
    if (cached.key === key && typeof cached.found === 'object' && cached.found !== null)
      found = cached.found;
  } catch {
    // no cache yet
  }
  return (name) => {
    if (Object.hasOwn(found, name)) return found[name] ?? undefined;
    const path = findOnPath(hostFs, name, pathVar);
    found = { ...found, [name]: path ?? null };
    try {
      fs.mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
      fs.writeFileSync(cacheFile, JSON.stringify({ key, found }), { mode: 0o600 });
    } catch {
      // a read-only cache dir only costs us the lookup next time
    }
    return path;
  };
}

function parseBwrapFeatures(help: string): BwrapFeatures {
  const has = (flag: string): boolean => new RegExp(`^\\s+${flag}\\b`, 'm').test(help);
  return {
    disableUserns: has('--disable-userns'),
    size: has('--size'),
    perms: has('--perms'),
    jsonStatusFd: has('--json-status-fd'),
    seccomp: has('--seccomp'),
    roBindData: has('--ro-bind-data'),
    bindFd: has('--bind-fd') && has('--ro-bind-fd'),
    overlay: has('--overlay-src'),
  };
}

/**
 * bwrap's version and flags, read from `bwrap --version` and `--help` and cached by the
 * binary's identity, so a normal launch spends no extra process on it.
 */
function probeBwrap(
  hostFs: HostFs,
  env: Record<string, string>,
  cacheDir: string,
): BwrapInfo | undefined {
  const path = env.BUBBLE_BWRAP ?? findOnPath(hostFs, 'bwrap', env.PATH ?? '/usr/bin:/bin');
  if (path === undefined) return undefined;
  const st = fs.statSync(path, { throwIfNoEntry: false });
  if (!st) return undefined;
  // The prefix names the feature list: a cache from an older bubble is probed again.
  const key = `features-2:${path}:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  let probed: BwrapInfo | undefined;
  const info = cachedFact(join(cacheDir, 'bwrap.json'), key, () => {
    let version = 'unknown';
    try {
      version = execFileSync(path, ['--version'], { encoding: 'utf8', env: {} })
        .trim()
        .replace(/^bubblewrap\s+/, '');
      const help = execFileSync(path, ['--help'], { encoding: 'utf8', env: {} });
      return { path, version, features: parseBwrapFeatures(help) };
    } catch {
      // Not kept: the next launch probes again.
      probed = { path, version, features: parseBwrapFeatures('') };
      return undefined;
    }
  });
  return info ?? probed;
}

/**
 * What `probe` finds, kept in `file` (JSON) for as long as `key` (the identity of what it
 * looked at) stays the same: a normal launch spends no extra process on it. `probe`
 * returns undefined for a result not worth keeping.
 */
function cachedFact<T>(file: string, key: string, probe: () => T | undefined): T | undefined {
  try {
    const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as { key?: string; info?: T };
    if (cached.key === key && cached.info !== undefined) return cached.info;
  } catch {
    // no cache yet
  }
  const info = probe();
  if (info === undefined) return undefined;
  try {
    fs.mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, JSON.stringify({ key, info }), { mode: 0o600 });
  } catch {
    // a read-only cache dir only costs us the probe next time
  }
  return info;
}

/** probeSignalEnv, kept in the cache by /usr/bin/env's identity: asked at every terminal launch. */
function cachedSignalEnv(cacheDir: string): string | undefined {
  const st = fs.statSync('/usr/bin/env', { throwIfNoEntry: false });
  if (!st) return undefined;
  const key = `signal-env-1:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const found = cachedFact(join(cacheDir, 'env.json'), key, () => ({ env: probeSignalEnv() }));
  return found?.env;
}

function probeSignalEnv(): string | undefined {
  try {
    const help = execFileSync('/usr/bin/env', ['--help'], { encoding: 'utf8', env: {} });
    return /--ignore-signal/.test(help) && /--default-signal/.test(help)
      ? '/usr/bin/env'
      : undefined;
  } catch {
    return undefined;
  }
}

/** Private per-user runtime space: $XDG_RUNTIME_DIR, else a 0700 dir under /tmp. */
export function gatherHostFacts(): HostFacts {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const hostFs = realHostFs();
  // HOME as the user set it; its realpath is what policy compares against.
  const home =
    env.HOME && isAbsolute(env.HOME) ? env.HOME : `/nonexistent-home-${process.getuid?.() ?? 0}`;
  let cwd: string;
  try {
    cwd = fs.realpathSync.native(process.cwd());
  } catch {
    cwd = process.cwd();
  }
  // Node decodes paths as UTF-8: a directory name that is not valid UTF-8 comes back with
  // U+FFFD in it, a path that does not exist and could not be handed to bwrap.
  if (cwd.includes('\uFFFD')) {
    throw new BubbleError(
      'CWD_ENCODING',
      `the working directory's path is not valid UTF-8 (${JSON.stringify(cwd)})`,
      {
        hint: 'rename the directory (or one of its parents) to a UTF-8 name, or run bubble from another directory',
      },
    );
  }
  // Not process.stdin.isTTY: that builds a stream for stdin, which bubble never reads.
  const stdinIsTTY = isatty(0);
  return {
    uid: process.getuid?.() ?? -1,
    gid: process.getgid?.() ?? -1,
    home,
    cwd,
    env,
    stdinIsTTY,
    signalEnv: stdinIsTTY ? cachedSignalEnv(bubbleDirs(env, home).cache) : undefined,
    arch: process.arch,
    kernel: release(),
    bwrap: probeBwrap(hostFs, env, bubbleDirs(env, home).cache),
    memTotal: totalmem(),
    memoryCgroup: probeMemoryCgroup(env),
    bubble: {
      node: process.execPath,
      bridge: fileURLToPath(new URL('../net/bridge.js', import.meta.url)),
      ...socatFact(hostFs, env),
      runtimeDir: join(runtimeBase(env), String(process.pid)),
      stageRoot: join(stagesDir(env, home), ourSessionTag()),
    },
    fs: hostFs,
    onPath: cachedPathLookup(
      hostFs,
      env.PATH ?? '',
      join(bubbleDirs(env, home).cache, 'path.json'),
    ),
  };
}
