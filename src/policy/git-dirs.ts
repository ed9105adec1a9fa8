// Every git dir the project's git work can touch, found at start through facts.fs, and
// the stages (staged.ts) that show each one inside: the project's .git, the repository a
// `.git` file names (a linked worktree's or a submodule checkout's, even outside the
// project), submodules' git dirs under modules/, linked worktrees' under worktrees/, and
// nested clones that are nobody's submodule (a folder of clones, a vendored clone, a
// package in node_modules) down to a bound. Also the paths the repositories' config names
// inside the project (hooksPath, include.path, fsmonitor...), which the host reads or runs.

import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { HostFs } from '../sandbox/host-fs.ts';
import { parseGitConfig } from './git-config.ts';
import { GIT_CREATE_DIRS, gitEntry } from './git-state.ts';
import { isUnder } from './paths.ts';
import type { Protection } from './project.ts';
import type { StageSpec } from './staged.ts';

/** How far below the project nested clones are looked for, and how many directories at most. */
const SEARCH_DEPTH = 4;
const SEARCH_DIRS = 3000;
/** Submodule names may contain slashes: modules/a/b is a git dir. */
const MODULES_DEPTH = 4;

export interface FoundGitDirs {
  /** Git dirs to stage (real paths), each not inside another. */
  roots: string[];
  /** Work trees (the directory holding `.git`), for paths their config names relative to them. */
  workTrees: string[];
  /** `.git` files inside the project: they point git at a repository, read-only. */
  pointers: string[];
  /** The search stopped at SEARCH_DIRS: deeper nested clones are not staged. */
  truncated: boolean;
}

export const isGitDir = (fs: HostFs, dir: string): boolean =>
  fs.lstat(join(dir, 'HEAD'))?.type === 'file' &&
  (fs.lstat(join(dir, 'objects'))?.type === 'dir' ||
    fs.lstat(join(dir, 'commondir')) !== undefined);

/** The git dir a `.git` file names, if it is a real directory (never through a link). */
function pointedGitDir(fs: HostFs, dotGit: string): string | undefined {
  const named = /^gitdir:\s*(.+)$/m.exec(fs.readText(dotGit, 4096) ?? '')?.[1]?.trim();
  if (named === undefined) return undefined;
  const dir = resolve(dirname(dotGit), named);
  return fs.realpath(dir) === dir && fs.lstat(dir)?.type === 'dir' ? dir : undefined;
}

/** A linked worktree's git dir names its common dir (objects, refs, config) in `commondir`. */
function commonDir(fs: HostFs, gitDir: string): string | undefined {
  const rel = fs.readText(join(gitDir, 'commondir'), 4096)?.trim();
  if (!rel) return undefined;
  const dir = resolve(gitDir, rel);
  return fs.realpath(dir) === dir && fs.lstat(dir)?.type === 'dir' ? dir : undefined;
}

export function findGitDirs(fs: HostFs, project: string): FoundGitDirs {
  const dirs = new Set<string>();
  const workTrees: string[] = [];
  const pointers: string[] = [];
  const addGitDir = (g: string): void => {
    dirs.add(g);
    const common = commonDir(fs, g);
    if (common !== undefined) dirs.add(common);
  };
  const look = (dir: string): void => {
    const dotGit = join(dir, '.git');
    const type = fs.lstat(dotGit)?.type;
    if (type === 'dir') {
      if (isGitDir(fs, dotGit)) addGitDir(dotGit);
      workTrees.push(dir);
    } else if (type === 'file') {
      pointers.push(dotGit);
      workTrees.push(dir);
      const g = pointedGitDir(fs, dotGit);
      if (g !== undefined && isGitDir(fs, g)) addGitDir(g);
    }
  };
  // Breadth first, so a bound cuts the deepest directories, not a whole subtree.
  let queue: Array<[string, number]> = [[project, 0]];
  let visited = 0;
  let truncated = false;
  while (queue.length > 0) {
    const next: Array<[string, number]> = [];
    for (const [dir, depth] of queue) {
      look(dir);
      if (depth >= SEARCH_DEPTH) continue;
      const inNodeModules = dir.split('/').includes('node_modules');
      for (const name of fs.readdir(dir) ?? []) {
        if (name === '.git') continue;
        const sub = join(dir, name);
        if (fs.lstat(sub)?.type !== 'dir') continue; // links are not followed
        // In node_modules only packages themselves (and @scope/package) can be clones.
        if (inNodeModules && !dir.endsWith('/node_modules') && !name.startsWith('@')) {
          if (!/\/node_modules\/@[^/]+$/.test(dir)) continue;
        }
        if (++visited > SEARCH_DIRS) {
          truncated = true;
          break;
        }
        next.push([sub, depth + 1]);
      }
      if (truncated) break;
    }
    queue = truncated ? [] : next;
  }
  const sorted = [...dirs].sort();
  const roots = sorted.filter((d) => !sorted.some((o) => o !== d && isUnder(d, o)));
  return { roots, workTrees, pointers, truncated };
}

/** Git dirs below modules/ (submodule names may have slashes). */
function moduleGitDirs(fs: HostFs, dir: string, depth = 0): string[] {
  if (depth > MODULES_DEPTH) return [];
  const out: string[] = [];
  for (const name of fs.readdir(dir) ?? []) {
    const sub = join(dir, name);
    if (fs.lstat(sub)?.type !== 'dir') continue;
    if (isGitDir(fs, sub)) out.push(sub);
    else out.push(...moduleGitDirs(fs, sub, depth + 1));
  }
  return out;
}

export interface StageOptions {
  /** Where this session's stages live on the host. */
  stageRoot: string;
  /** Paths the user opened on purpose (`--allow-write`): shown read-write, not staged. */
  allowWrite: string[];
  source: string;
}

/** The stages for one git dir and every git dir nested in it, parent first. */
function gitDirStages(
  fs: HostFs,
  gitDir: string,
  opts: StageOptions,
  counter: { n: number },
): StageSpec[] {
  const open = (p: string): boolean => opts.allowWrite.some((a) => isUnder(p, a));
  const entries: StageSpec['entries'] = {};
  const create: string[] = [];
  const nested: string[] = [];
  for (const name of fs.readdir(gitDir) ?? []) {
    const info = fs.lstat(join(gitDir, name));
    if (info === undefined) continue;
    const show = gitEntry(name, info.type);
    if (show === undefined) continue;
    const type = info.type === 'dir' ? 'dir' : 'file';
    entries[name] = { show: open(join(gitDir, name)) ? 'rw' : show, type };
    if (show === 'dir' && name === 'modules') nested.push(...moduleGitDirs(fs, join(gitDir, name)));
    if (show === 'dir' && name === 'worktrees')
      for (const wt of fs.readdir(join(gitDir, name)) ?? []) {
        const d = join(gitDir, name, wt);
        if (fs.lstat(d)?.type === 'dir' && isGitDir(fs, d)) nested.push(d);
      }
  }
  // A linked worktree's own git dir keeps only its reflog here; objects and refs are common.
  const wanted = fs.lstat(join(gitDir, 'commondir')) === undefined ? GIT_CREATE_DIRS : ['logs'];
  for (const name of wanted)
    if (entries[name] === undefined) {
      entries[name] = { show: 'rw', type: 'dir' };
      create.push(name);
    }
  const spec: StageSpec = {
    real: gitDir,
    stage: join(opts.stageRoot, String(counter.n++)),
    rules: 'git',
    entries,
    create,
    why: 'git dir',
    source: opts.source,
  };
  const out = [spec];
  // Always there, so that a repository made under them (git worktree add, submodule
  // update --init) is reported by its own name.
  for (const name of ['modules', 'worktrees'])
    if (entries[name] === undefined) entries[name] = { show: 'dir', type: 'dir' };
  // info/ holds configuration (exclude, attributes, sparse-checkout) beside what repack
  // writes (refs, for dumb http): staged on its own.
  const linked = fs.lstat(join(gitDir, 'commondir')) !== undefined; // info/ is the common dir's
  if (!linked && (entries.info?.show === 'ro' || entries.info === undefined)) {
    const info = join(gitDir, 'info');
    if (!open(info)) {
      const infoEntries: StageSpec['entries'] = {};
      for (const name of fs.readdir(info) ?? []) {
        const t = fs.lstat(join(info, name))?.type;
        if (t === 'dir') infoEntries[name] = { show: 'ro', type: 'dir' };
        else if (t === 'file' || t === 'symlink')
          infoEntries[name] = { show: name === 'refs' ? 'copy' : 'ro', type: 'file' };
      }
      if (fs.lstat(info) === undefined) create.push('info');
      entries.info = { show: 'ro', type: 'dir' }; // the stage below covers it
      out.push({
        real: info,
        stage: join(opts.stageRoot, String(counter.n++)),
        rules: 'git-info',
        entries: infoEntries,
        create: [],
        why: 'git info',
        source: opts.source,
      });
    }
  }
  // objects/ is written in place, but objects/info/alternates would make the host read
  // objects (and, through them, anything) from elsewhere: objects/info is staged too.
  if (entries.objects?.show === 'rw' && !open(join(gitDir, 'objects', 'info'))) {
    const info = join(gitDir, 'objects', 'info');
    const infoEntries: StageSpec['entries'] = {};
    for (const name of fs.readdir(info) ?? []) {
      const t = fs.lstat(join(info, name))?.type;
      if (t === 'dir')
        infoEntries[name] = { show: name === 'commit-graphs' ? 'rw' : 'ro', type: 'dir' };
      else if (t === 'file')
        infoEntries[name] = { show: /alternates$/.test(name) ? 'ro' : 'copy', type: 'file' };
      else if (t === 'symlink') infoEntries[name] = { show: 'copy', type: 'file' };
    }
    if (fs.lstat(info) === undefined) create.push('objects/info');
    out.push({
      real: info,
      stage: join(opts.stageRoot, String(counter.n++)),
      rules: 'git-objects-info',
      entries: infoEntries,
      create: [],
      why: 'git objects/info',
      source: opts.source,
    });
  }
  for (const d of nested) if (!open(d)) out.push(...gitDirStages(fs, d, opts, counter));
  return out;
}

// --- Paths the configuration names -------------------------------------------------------

/** Keys whose value is a path git reads or runs even when it does not exist yet. */
const PATH_KEYS = [
  /^include\.path$/,
  /^includeif\..*\.path$/,
  /^core\.hookspath$/,
  /^core\.fsmonitor$/,
  /^core\.excludesfile$/,
  /^core\.attributesfile$/,
];

export interface ConfiguredPath {
  path: string;
  /** Whether it exists (and as what); absent ones are made uncreatable. */
  type: 'file' | 'dir';
  key: string;
}

/**
 * Paths inside `project` that config values name: every word of every value (commands
 * included: `!./x`, `sh tools/x.sh`), resolved against the config file's directory and
 * against each work tree. Existing ones are returned, and absent ones for the keys git
 * reads as paths. Included config files inside the project are read too.
 */
function configuredPaths(
  fs: HostFs,
  project: string,
  home: string,
  configFiles: string[],
  workTrees: string[],
  skipUnder: string[],
): ConfiguredPath[] {
  const out = new Map<string, ConfiguredPath>();
  const queue = [...configFiles];
  const read = new Set<string>();
  const expand = (word: string): string | undefined => {
    if (word === '~') return home;
    if (word.startsWith('~/')) return join(home, word.slice(2));
    return isAbsolute(word) ? resolve(word) : undefined;
  };
  while (queue.length > 0 && read.size < 32) {
    const file = queue.shift()!;
    if (read.has(file)) continue;
    read.add(file);
    const text = fs.readText(file, 1 << 20);
    if (text === undefined) continue;
    for (const { key, value } of parseGitConfig(text) ?? []) {
      const pathKey = PATH_KEYS.some((k) => k.test(key));
      const words = new Set([value, ...value.split(/[\s'"=;&|()<>`$]+/)]);
      for (let word of words) {
        word = word.replace(/^!/, '').replace(/^:\(optional\)/, '');
        if (word === '' || word === '.' || word === '..') continue;
        const abs = expand(word);
        const bases =
          abs !== undefined ? [abs] : [dirname(file), ...workTrees].map((b) => resolve(b, word));
        for (const p of bases) {
          if (!isUnder(p, project) || p === project || skipUnder.some((s) => isUnder(p, s)))
            continue;
          const info = fs.lstat(p);
          if (info === undefined && !(pathKey && word === value)) continue;
          // A number or a boolean is a setting, not a path (core.fsmonitor = true, hook
          // versions, index tokens): never a placeholder in the user's project.
          if (info === undefined && /^(\d+|true|false|yes|no|on|off)$/i.test(word)) continue;
          // Absent: only relative to what git resolves it against.
          if (info === undefined && abs === undefined) {
            const base = /^include/.test(key) ? dirname(file) : undefined;
            if (base !== undefined && p !== resolve(base, word)) continue;
            if (base === undefined && !workTrees.some((w) => p === resolve(w, word))) continue;
          }
          const type =
            info?.type === 'dir' || (info === undefined && key === 'core.hookspath')
              ? 'dir'
              : 'file';
          if (!out.has(p)) out.set(p, { path: p, type, key });
          if (/^include/.test(key) && info?.type === 'file') queue.push(p);
        }
      }
    }
  }
  return [...out.values()];
}

export interface GitPlan {
  stages: StageSpec[];
  /** `.git` pointer files and the paths config names: read-only, or uncreatable when absent. */
  protections: Protection[];
  warnings: string[];
}

/** Everything git-related the sandbox shows differently from the plain project. */
export function planGitDirs(
  fs: HostFs,
  project: string,
  home: string,
  env: Readonly<Record<string, string>>,
  opts: StageOptions,
): GitPlan {
  const found = findGitDirs(fs, project);
  const open = (p: string): boolean => opts.allowWrite.some((a) => isUnder(p, a));
  const counter = { n: 0 };
  const stages: StageSpec[] = [];
  for (const root of found.roots)
    if (!open(root)) stages.push(...gitDirStages(fs, root, opts, counter));
  const warnings = found.truncated
    ? [
        `more than ${SEARCH_DIRS} directories in the project: git repositories nested deeper than the first ${SEARCH_DIRS} are not protected during the session (checked after it)`,
      ]
    : [];
  const protections: Protection[] = found.pointers.map((path) => ({
    path,
    type: 'file',
    why: 'points git at its repository',
    source: opts.source,
  }));
  const xdg =
    env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : join(home, '.config');
  const configFiles = [
    join(home, '.gitconfig'),
    join(xdg, 'git', 'config'),
    ...stages
      .filter((s) => s.rules === 'git')
      .flatMap((s) => [join(s.real, 'config'), join(s.real, 'config.worktree')]),
  ];
  for (const c of configuredPaths(fs, project, home, configFiles, found.workTrees, found.roots))
    protections.push({
      path: c.path,
      type: c.type,
      why: `git config ${c.key} names it: the host reads or runs it`,
      source: opts.source,
    });
  return { stages, protections, warnings };
}
