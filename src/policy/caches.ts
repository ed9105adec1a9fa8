// Package caches inside the sandbox: warm, and never a way to poison the host.
//
// Why not share the host's caches read-write: a package a sandboxed session writes there
// (a tampered wheel, a crate, a tarball under a known key) is what the host, or another
// project, installs next. Why not hide them: every build starts cold, many times slower.
// So each tool writes to a cache of this project's own (under $XDG_CACHE_HOME/bubble/caches,
// mounted where the tool looks by default), and reads the host's cache read-only where the
// tool can layer a second, read-only cache under its own (Go's file:// proxy, Gradle's
// read-only dependency cache, Maven's tail repositories), or under an overlay whose lower
// layer is the host's cache and upper layer the project's (overlay-mounts.ts); without
// either, the project's cache alone: warm from the second session on.
//
// The table below is the whole wiring, shown by `bubble explain`.

import { createHash } from 'node:crypto';
import { basename, isAbsolute, join } from 'node:path';
import { bubbleDirs } from '../config/paths.ts';
import { BubbleError, EXIT_SETUP } from '../errors.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import { findOnPath } from '../sandbox/host-fs.ts';
import type { CachePlan, MountOp } from '../sandbox/plan.ts';

/** Where the host's caches are shown read-only, one directory per tool. */
const HOST_CACHES_INSIDE = '/run/bubble-caches';

export interface CacheTool {
  tool: string;
  /** Any of these on the host's PATH turns the entry on (as does an existing host cache). */
  commands: string[];
  /** The tool's writable cache paths, relative to the home: the tool's own defaults. */
  paths: string[];
  /** The host's cache the tool can read under its own: home-relative, or from a variable. */
  host?: { path: string; env?: (env: Record<string, string>) => string | undefined };
  /** The tool itself when installed in the home (rustup): shown read-only where it is. */
  toolchain?: string[];
  /**
   * The tool's own layering needs a newer version than many machines have (Maven 3.9,
   * Gradle 6.2; Debian 12 ships 3.8 and 4.4, which ignore it): where bubble can mount an
   * overlay, the host's cache goes under the project's that way instead.
   */
  overlayFirst?: boolean;
  /** Variables inside; `{host}` is where the host's cache is shown read-only. */
  env: Record<string, string>;
  why: string;
}

/** `$GOPATH`'s first entry, as go reads it. */
function goModCache(env: Record<string, string>): string | undefined {
  if (env.GOMODCACHE !== undefined && isAbsolute(env.GOMODCACHE)) return env.GOMODCACHE;
  const first = env.GOPATH?.split(':')[0];
  return first !== undefined && isAbsolute(first) ? join(first, 'pkg', 'mod') : undefined;
}

export const CACHE_TOOLS: readonly CacheTool[] = [
  {
    tool: 'npm',
    commands: ['npm', 'npx'],
    paths: ['.npm/_cacache'],
    env: {},
    why: 'content-addressed, checked against the lockfile',
  },
  {
    tool: 'pnpm',
    commands: ['pnpm'],
    paths: ['.local/share/pnpm/store'],
    env: {},
    why: 'content-addressed store',
  },
  {
    tool: 'yarn',
    commands: ['yarn'],
    paths: ['.cache/yarn', '.yarn/berry/cache'],
    env: {},
    why: 'yarn 1 and yarn 2+ caches',
  },
  {
    tool: 'uv',
    commands: ['uv', 'uvx'],
    paths: ['.cache/uv'],
    // The cache and the project are different mounts inside: hard links fail, uv warns.
    env: { UV_LINK_MODE: 'copy' },
    why: 'copies into venvs (no hard links across mounts)',
  },
  {
    tool: 'pip',
    commands: ['pip', 'pip3'],
    paths: ['.cache/pip'],
    env: {},
    why: 'http and wheel cache',
  },
  {
    tool: 'cargo',
    commands: ['cargo'],
    paths: ['.cargo/registry', '.cargo/git'],
    toolchain: ['.rustup', '.cargo/bin'],
    env: {},
    why: 'crates checked against Cargo.lock',
  },
  {
    tool: 'go',
    commands: ['go'],
    paths: ['go/pkg/mod', '.cache/go-build'],
    host: { path: 'go/pkg/mod', env: goModCache },
    env: { GOPROXY: 'file://{host}/cache/download,https://proxy.golang.org,direct' },
    why: "modules checked against go.sum; the host's downloads read through a file:// proxy, writes to the project cache",
  },
  {
    tool: 'gradle',
    commands: ['gradle'],
    paths: ['.gradle/caches', '.gradle/wrapper'],
    host: {
      path: '.gradle/caches',
      env: (e) =>
        e.GRADLE_USER_HOME !== undefined && isAbsolute(e.GRADLE_USER_HOME)
          ? join(e.GRADLE_USER_HOME, 'caches')
          : undefined,
    },
    overlayFirst: true,
    env: { GRADLE_RO_DEP_CACHE: '{host}' },
    why: "the host's caches under the project's (overlay), else as Gradle's read-only cache (6.2+)",
  },
  {
    tool: 'maven',
    commands: ['mvn'],
    paths: ['.m2/repository'],
    host: { path: '.m2/repository' },
    // Maven 3.9+ reads MAVEN_ARGS and chains the tail repositories read-only; older ones ignore both.
    overlayFirst: true,
    env: { MAVEN_ARGS: '-Dmaven.repo.local.tail={host}' },
    why: "the host's repository under the project's (overlay), else as Maven's read-only tail (3.9+)",
  },
];

/** `$XDG_CACHE_HOME/bubble/caches/<name>-<hash of the project path>`. */
export function projectCacheDir(facts: HostFacts, project: string): string {
  const id = createHash('sha256').update(project).digest('hex').slice(0, 12);
  const name =
    basename(project)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 40) || 'root';
  return join(bubbleDirs(facts.env, facts.home).cache, 'caches', `${name}-${id}`);
}

export interface CacheMounts {
  ops: MountOp[];
  ensureDirs: string[];
  env: Record<string, string>;
  envWhy: Record<string, string>;
  caches: CachePlan[];
  /** Overlays that launch mounts in a user namespace of its own (bwrap before 0.11). */
  outerUserns: { unshare: string; mount: string } | undefined;
}

/**
 * How bubble can layer a host cache under the project's: bwrap 0.11+ mounts overlays
 * itself; with older bwrap, launch mounts them in a user namespace it makes first, which
 * an unprivileged user may do since Linux 5.11 (util-linux unshare and mount). Not as
 * root: the mapping would make the sandbox root.
 */
export function overlayMode(
  facts: HostFacts,
): 'bwrap' | { unshare: string; mount: string } | undefined {
  if (facts.bwrap?.features.overlay === true) return 'bwrap';
  const m = /^(\d+)\.(\d+)/.exec(facts.kernel);
  const kernelOk = m !== null && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 11));
  const unshare = findOnPath(facts.fs, 'unshare', '/usr/bin:/bin');
  const mount = findOnPath(facts.fs, 'mount', '/usr/bin:/bin');
  if (!kernelOk || unshare === undefined || mount === undefined || facts.uid === 0)
    return undefined;
  return { unshare, mount };
}

/**
 * The host's own cache at `rel` in the home, if it is a directory whose path overlayfs's
 * option string can carry (no comma, colon or backslash).
 */
function hostDirAt(facts: HostFacts, path: string): string | undefined {
  const real = facts.fs.realpath(path);
  if (real === undefined || facts.fs.lstat(real)?.type !== 'dir' || /[,:\\]/.test(real))
    return undefined;
  return real;
}

/**
 * The caches' mounts and variables. `taken(dest)`: a path already writable to the host
 * (the persistent home keeps its own caches there), left as it is.
 */
export function cacheMounts(
  facts: HostFacts,
  cwd: string,
  taken: (dest: string) => boolean,
): CacheMounts {
  const out: CacheMounts = {
    ops: [],
    ensureDirs: [],
    env: {},
    envWhy: {},
    caches: [],
    outerUserns: undefined,
  };
  const overlay = overlayMode(facts);
  const root = projectCacheDir(facts, cwd);
  const lookup = facts.onPath ?? ((c: string) => findOnPath(facts.fs, c, facts.env.PATH ?? ''));
  const home = facts.home;
  for (const t of CACHE_TOOLS) {
    const hostPath = t.host && (t.host.env?.(facts.env) ?? join(home, t.host.path));
    const hostReal = hostPath === undefined ? undefined : facts.fs.realpath(hostPath);
    const hostDir = hostReal !== undefined && facts.fs.lstat(hostReal)?.type === 'dir';
    const onPath = t.commands.some((c) => lookup(c) !== undefined);
    if (!onPath && !hostDir) continue;
    // Overlays where the tool has no layering of its own, or one too new for many machines.
    const overlaid = overlay !== undefined && (t.host === undefined || t.overlayFirst === true);
    let layeredByOverlay = false;
    const paths: CachePlan['paths'] = [];
    for (const rel of t.paths) {
      const dest = join(home, rel);
      if (taken(dest)) continue;
      const src = join(
        root,
        t.tool,
        rel
          .split('/')
          .map((s) => s.replace(/^\./, ''))
          .join('-'),
      );
      refuseLinks(facts, root, src);
      const lower = !overlaid
        ? undefined
        : hostDirAt(facts, rel === t.host?.path && hostPath !== undefined ? hostPath : dest);
      if (lower !== undefined && rel === t.host?.path) layeredByOverlay = true;
      const dirs = lower === undefined ? [src] : [src, `${src}.work`, `${src}.mnt`];
      for (const d of dirs) {
        if (d !== src) refuseLinks(facts, root, d);
        if (facts.fs.lstat(d) === undefined) out.ensureDirs.push(d);
      }
      if (lower === undefined)
        out.ops.push({
          kind: 'rw',
          src,
          dest,
          why: `${t.tool} cache of this project`,
          source: 'caches',
        });
      else {
        // The project's cache is the upper layer: the same directory with or without overlays.
        out.ops.push({
          kind: 'overlay',
          lower,
          upper: src,
          work: dirs[1]!,
          at: dirs[2]!,
          dest,
          why: `${t.tool}: your cache read-only, under this project's writable one`,
          source: 'caches',
        });
        if (typeof overlay === 'object') out.outerUserns = overlay;
      }
      paths.push({ inside: dest, host: src, ...(lower === undefined ? {} : { lower }) });
    }
    for (const rel of t.toolchain ?? []) {
      const p = join(home, rel);
      const real = facts.fs.realpath(p);
      if (real === undefined || taken(p)) continue;
      out.ops.push({
        kind: 'ro',
        src: real,
        dest: p,
        why: `${t.tool} toolchain, read-only`,
        source: 'caches',
      });
    }
    let layered: string | undefined;
    if (hostDir && t.host !== undefined && !layeredByOverlay) {
      layered = join(HOST_CACHES_INSIDE, t.tool);
      out.ops.push({
        kind: 'ro',
        src: hostReal,
        dest: layered,
        why: `your ${t.tool} cache, read-only: read under the project cache`,
        source: 'caches',
      });
    }
    for (const [k, v] of Object.entries(t.env)) {
      if (v.includes('{host}') && layered === undefined) continue;
      out.env[k] = v.replaceAll('{host}', layered ?? '');
      out.envWhy[k] = `${t.tool} cache (bubble explain lists the caches)`;
    }
    out.caches.push({
      tool: t.tool,
      paths,
      hostCache: layered === undefined ? undefined : { host: hostReal!, inside: layered },
      why: t.why,
    });
  }
  return out;
}

/** Bubble follows no link on the way into its own cache directory: a session may have planted one. */
function refuseLinks(facts: HostFacts, root: string, path: string): void {
  let at = root;
  for (const part of path.slice(root.length + 1).split('/')) {
    at = join(at, part);
    const info = facts.fs.lstat(at);
    if (info?.type === 'symlink')
      throw new BubbleError(
        'CACHE_LINK',
        `${at} is a symlink: bubble will not follow it out of the project's cache`,
        {
          exitCode: EXIT_SETUP,
          hint: 'a previous session may have planted it; inspect it, then remove it',
        },
      );
    if (info === undefined) break;
  }
}
