// Nested repositories (submodules) that a session created or changed. The host's next
// `git status` at the project root descends into every submodule in the index and reads
// its own config, whose core.fsmonitor runs a command: a persistence vector that no
// read-only mount of the project's own .git covers. After the session, such configs are
// set aside and replaced by their harmless keys; new active hooks are set aside too.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { isUnder } from '../policy/paths.ts';

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
export function harmlessConfig(text: string): string {
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

function submodulePaths(project: string): string[] {
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

function moduleDirs(dir: string, depth = 0): string[] {
  if (depth > 4) return [];
  const out: string[] = [];
  for (const name of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!name.isDirectory()) continue; // symlinks are not followed
    const sub = join(dir, name.name);
    if (fs.existsSync(join(sub, 'HEAD'))) out.push(sub);
    out.push(...moduleDirs(join(sub, 'modules'), depth + 1));
    if (!fs.existsSync(join(sub, 'HEAD'))) out.push(...moduleDirs(sub, depth + 1));
  }
  return out;
}

/**
 * Neutralise nested repositories' configs and hooks written since `since` (epoch ms).
 * Returns one line per file set aside. Never follows a symlink, never leaves the project.
 */
export function quarantineNestedGit(project: string, since: number): string[] {
  const top = join(project, '.git');
  if (!fs.lstatSync(top, { throwIfNoEntry: false })?.isDirectory()) return [];
  const gitdirs = new Set<string>();
  for (const rel of submodulePaths(project)) {
    const dir = resolve(project, rel);
    if (!isUnder(dir, project)) continue;
    const g = gitDirOf(dir, project);
    if (g !== undefined) gitdirs.add(g);
  }
  const modules = join(top, 'modules');
  if (fs.lstatSync(modules, { throwIfNoEntry: false })?.isDirectory())
    for (const d of moduleDirs(modules)) gitdirs.add(d);
  const lines: string[] = [];
  const stamp = new Date(since).toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  for (const g of gitdirs) {
    const config = join(g, 'config');
    if (changedSince(config, since)) {
      const aside = `${config}.bubble-quarantine-${stamp}`;
      const text = fs.readFileSync(config, 'utf8');
      fs.renameSync(config, aside);
      fs.writeFileSync(config, harmlessConfig(text), { mode: 0o644 });
      lines.push(
        `${config.slice(project.length + 1)} (kept as ${aside.slice(project.length + 1)})`,
      );
    }
    const hooks = join(g, 'hooks');
    if (!fs.lstatSync(hooks, { throwIfNoEntry: false })?.isDirectory()) continue;
    for (const name of fs.readdirSync(hooks)) {
      const hook = join(hooks, name);
      if (
        name.endsWith('.sample') ||
        name.includes('.bubble-quarantine') ||
        !changedSince(hook, since)
      )
        continue;
      fs.renameSync(hook, `${hook}.bubble-quarantine-${stamp}`);
      lines.push(`${hook.slice(project.length + 1)} (set aside)`);
    }
  }
  return lines;
}
