// Nested repositories (submodules) that a session created or changed. The host's next
// `git status` at the project root descends into every submodule in the index and reads
// its own config, whose core.fsmonitor runs a command: a persistence vector that no
// read-only mount of the project's own .git covers. After the session, such configs are
// set aside and replaced by their harmless keys; new active hooks are set aside too.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findGitDirs, isGitDir } from '../policy/git-dirs.ts';
import { unsafeTodo } from '../policy/git-state.ts';
import { isUnder } from '../policy/paths.ts';
import { realHostFs } from '../sandbox/host-fs.ts';

/** Keys that describe a repository and run nothing. Everything else is dropped. */
const SAFE = new Set([
  'core.repositoryformatversion',
  'core.filemode',
  'core.bare',
  'core.logallrefupdates',
  'core.worktree',
  'core.ignorecase',
  'core.precomposeunicode',
  'core.symlinks',
  'extensions.objectformat',
]);

/** The harmless part of a git config file, line by line. */
function harmlessConfig(text: string): string {
  const kept = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const sec = /^\[\s*([A-Za-z0-9.-]+)(\s+"[^"]*")?\s*\]/.exec(line);
    if (sec) {
      // Subsections ([remote "x"], [includeIf "..."]) keep nothing.
      section = sec[2] === undefined ? sec[1]!.toLowerCase() : '';
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(=\s*(.*))?$/.exec(line);
    if (!kv || section === '' || line.endsWith('\\')) continue;
    if (!SAFE.has(`${section}.${kv[1]!.toLowerCase()}`)) continue;
    kept.set(section, [...(kept.get(section) ?? []), `\t${kv[1]} = ${kv[3] ?? 'true'}`]);
  }
  return [...kept].map(([sec, lines]) => `[${sec}]\n${lines.join('\n')}\n`).join('');
}

function changedSince(path: string, since: number): fs.Stats | undefined {
  const st = fs.lstatSync(path, { throwIfNoEntry: false });
  // ctime, not mtime: it cannot be set back from inside the sandbox.
  return st?.isFile() && st.ctimeMs >= since ? st : undefined;
}

/** The repository directory of a checkout at `dir`, if it is a real one inside the project. */
function gitDirOf(dir: string, project: string): string | undefined {
  const dotGit = join(dir, '.git');
  const st = fs.lstatSync(dotGit, { throwIfNoEntry: false });
  if (st?.isDirectory()) return dotGit;
  if (!st?.isFile()) return undefined; // absent, or a symlink: never followed
  const named = /^gitdir:\s*(.+)$/m
    .exec(fs.readFileSync(dotGit, 'utf8').slice(0, 4096))?.[1]
    ?.trim();
  if (named === undefined) return undefined;
  const gitdir = resolve(dir, named);
  // Outside the project the sandbox could not write it; inside, no symlinked way out.
  let real: string;
  try {
    real = fs.realpathSync(gitdir);
  } catch {
    return undefined;
  }
  return isUnder(real, project) && real === gitdir ? gitdir : undefined;
}

/** Whether git, started in `dir` with this environment, could find a repository at all. */
function inSomeRepository(dir: string, env: NodeJS.ProcessEnv): boolean {
  if (env.GIT_DIR !== undefined) return true;
  for (let d = dir; ; d = dirname(d)) {
    // Any type: git itself decides what a .git file or link means.
    if (fs.lstatSync(join(d, '.git'), { throwIfNoEntry: false }) !== undefined) return true;
    if (d === '/') return false;
  }
}

function submodulePaths(project: string): string[] {
  // Not in a repository: no index, no gitlinks, and no git process to wait for.
  if (!inSomeRepository(project, process.env)) return [];
  // The index's gitlinks (mode 160000). fsmonitor off for this one call: the project's own
  // config was read-only in the session, but this runs unattended.
  const r = spawnSync('git', ['-c', 'core.fsmonitor=false', 'ls-files', '--stage', '-z'], {
    cwd: project,
    encoding: 'utf8',
    timeout: 10_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\0')
    .filter((e) => e.startsWith('160000 '))
    .map((e) => e.slice(e.indexOf('\t') + 1));
}

/** Every git dir in the project now: nested clones, new ones, submodules' and worktrees'. */
function gitDirsNow(project: string): string[] {
  const hostFs = realHostFs();
  const out = new Set<string>();
  const add = (g: string, depth: number): void => {
    if (depth > 6 || out.has(g)) return;
    out.add(g);
    for (const sub of ['modules', 'worktrees']) {
      const walk = (dir: string, d: number): void => {
        if (d > 4) return;
        for (const name of hostFs.readdir(dir) ?? []) {
          const p = join(dir, name);
          if (hostFs.lstat(p)?.type !== 'dir') continue; // links are not followed
          if (isGitDir(hostFs, p)) add(p, depth + 1);
          else if (sub === 'modules') walk(p, d + 1);
        }
      };
      walk(join(g, sub), 0);
    }
  };
  for (const g of findGitDirs(hostFs, project).roots) add(g, 0);
  return [...out].filter((g) => isUnder(g, project));
}

/** Files in a git dir that git reads as configuration or runs, besides `config` and hooks/. */
const REDIRECTS = [
  'config.worktree',
  'commondir',
  'objects/info/alternates',
  'objects/info/http-alternates',
];

/**
 * Neutralise what a session wrote into git dirs it could write directly (nested repositories
 * created or changed in the session, anything not staged): configs are set aside and
 * replaced by their harmless keys; new hooks, redirect files and todo lists that would run
 * a command on `--continue` are set aside. `skip`: git dirs the session could not write
 * (staged) or the user opened on purpose. Returns one line per thing set aside; a failure
 * on one file is a line too, never an exception. Never follows a symlink.
 */
export function quarantineNestedGit(project: string, since: number, skip: string[] = []): string[] {
  const lines: string[] = [];
  const stamp = new Date(since).toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const rel = (p: string): string => p.slice(project.length + 1);
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      lines.push(`${rel(what)}: could not be checked (${(e as Error).message.split('\n')[0]})`);
    }
  };
  const gitdirs = new Set<string>();
  step(join(project, '.git'), () => {
    for (const g of gitDirsNow(project)) gitdirs.add(g);
  });
  step(join(project, '.git'), () => {
    for (const r of submodulePaths(project)) {
      const dir = resolve(project, r);
      if (!isUnder(dir, project)) continue;
      const g = gitDirOf(dir, project);
      if (g !== undefined) gitdirs.add(g);
    }
  });
  for (const g of gitdirs) {
    if (skip.some((s) => isUnder(g, s))) continue;
    const config = join(g, 'config');
    step(config, () => {
      if (!changedSince(config, since)) return;
      const aside = `${config}.bubble-quarantine-${stamp}`;
      const text = fs.readFileSync(config, 'utf8');
      fs.renameSync(config, aside);
      fs.writeFileSync(config, harmlessConfig(text), { mode: 0o644 });
      lines.push(`${rel(config)} (kept as ${rel(aside)})`);
    });
    for (const name of REDIRECTS) {
      const p = join(g, name);
      step(p, () => {
        if (!changedSince(p, since)) return;
        fs.renameSync(p, `${p}.bubble-quarantine-${stamp}`);
        lines.push(`${rel(p)} (set aside)`);
      });
    }
    for (const dir of ['rebase-merge', 'sequencer']) {
      const todo = join(g, dir, dir === 'sequencer' ? 'todo' : 'git-rebase-todo');
      step(todo, () => {
        const st = changedSince(todo, since);
        if (!st || unsafeTodo(fs.readFileSync(todo, 'utf8')) === undefined) return;
        fs.renameSync(join(g, dir), `${join(g, dir)}.bubble-quarantine-${stamp}`);
        lines.push(`${rel(join(g, dir))} (set aside: its todo list runs a command)`);
      });
    }
    const hooks = join(g, 'hooks');
    step(hooks, () => {
      if (!fs.lstatSync(hooks, { throwIfNoEntry: false })?.isDirectory()) return;
      for (const name of fs.readdirSync(hooks)) {
        const hook = join(hooks, name);
        if (
          name.endsWith('.sample') ||
          name.includes('.bubble-quarantine') ||
          !changedSince(hook, since)
        )
          continue;
        step(hook, () => {
          fs.renameSync(hook, `${hook}.bubble-quarantine-${stamp}`);
          lines.push(`${rel(hook)} (set aside)`);
        });
      }
    });
  }
  return lines;
}
