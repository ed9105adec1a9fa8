// Protection: paths the agent may see but must not change (its own settings, scripts they
// run, the project's hooks and git internals), read-only on top of the writable mounts.
// A protected path that does not exist is made uncreatable: a placeholder mount point that
// bubble creates before launch and removes after. Directories that hold a protected path
// are pinned so it cannot be renamed away. Pure: reads the host only through facts.fs and
// appends to the mount list it is given.

import { isAbsolute, join } from 'node:path';
import { BubbleError, EXIT_SETUP } from '../errors.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import type { Placeholder } from '../sandbox/plan.ts';
import { planGitDirs } from './git-dirs.ts';
import type { Mounts } from './mount-list.ts';
import { ancestors, expandUserPath, isUnder } from './paths.ts';
import type { Profile } from './profile.ts';
import { projectProtections, type Protection } from './project.ts';
import { referencedScripts } from './script-refs.ts';
import { stageMounts, type StageSpec } from './staged.ts';

/** Where the sandbox's git finds its global ignore file (environment.ts points git there). */
export const GIT_IGNORE_INSIDE = '/run/bubble-git-ignore';

/**
 * Git dirs are shown through stages (staged.ts): writable only where git's normal work
 * writes. A stage's mount point cannot be renamed away; the directories between the
 * project and a nested repository's git dir are pinned the same way.
 */
function stageGitDirs(m: Mounts, stages: StageSpec[]): void {
  for (const spec of stages) {
    const nested = stages.some((s) => s !== spec && isUnder(spec.real, s.real));
    if (!nested) {
      const cover = m.covering(spec.real);
      if (cover?.kind === 'rw') {
        for (const dir of ancestors(spec.real).reverse()) {
          if (
            !isUnder(dir, cover.dest) ||
            dir === cover.dest ||
            m.ops.some((op) => op.dest === dir)
          )
            continue;
          m.push({
            kind: 'rw',
            src: dir,
            dest: dir,
            why: 'holds a git dir: pinned in place',
            source: spec.source,
          });
        }
      } else m.parentsOf(spec.real);
    }
    for (const op of stageMounts(spec)) m.push(op);
  }
}

/** The user's global git ignore file plus the project's placeholder files, or undefined. */
function projectPlaceholderIgnore(
  facts: HostFacts,
  placeholders: Placeholder[],
  cwd: string,
): string | undefined {
  const files = placeholders.filter((p) => p.type === 'file' && isUnder(p.path, cwd));
  if (files.length === 0) return undefined;
  const home = facts.home;
  const configured = /^\s*excludesfile\s*=\s*(.+?)\s*$/im.exec(
    facts.fs.readText(join(home, '.gitconfig'), 65536) ?? '',
  )?.[1];
  const xdgConfig =
    facts.env.XDG_CONFIG_HOME && isAbsolute(facts.env.XDG_CONFIG_HOME)
      ? facts.env.XDG_CONFIG_HOME
      : join(home, '.config');
  const userFile =
    configured === undefined
      ? join(xdgConfig, 'git', 'ignore')
      : expandUserPath(configured, home, home);
  const user = facts.fs.readText(userFile, 65536) ?? '';
  const ours = files.map(
    (p) => '/' + p.path.slice(cwd.length + 1).replace(/[\\*?[\]!# ]/g, (c) => `\\${c}`),
  );
  return `${user}${user === '' || user.endsWith('\n') ? '' : '\n'}# bubble: placeholders for protected files, present only during the session\n${ours.join('\n')}\n`;
}

/** What the agent's profile protects in the home: its settings and the scripts they run. */
function agentProtections(facts: HostFacts, profile: Profile, homeReal: string): Protection[] {
  const home = facts.home;
  const agentSource = `profile ${profile.name}`;
  const protections: Protection[] = profile.protected.map((p) => ({
    path: join(home, p.path),
    type: p.type,
    why: 'shapes the agent: read-only',
    source: agentSource,
    ...(p.placeholder === undefined ? {} : { placeholder: p.placeholder }),
  }));
  for (const rel of profile.scriptRefs) {
    const text = facts.fs.readText(join(home, rel));
    if (text === undefined) continue;
    for (const path of referencedScripts(text, homeReal)) {
      protections.push({
        path: join(home, path.slice(homeReal.length)),
        type: 'file',
        placeholder: '',
        why: 'run by the agent settings',
        source: agentSource,
      });
    }
  }
  return protections;
}

export interface ProtectionPlan {
  placeholders: Placeholder[];
  /** Protected paths that exist on the host (checked for changes after the session). */
  protectedExisting: Array<{ path: string; type: 'file' | 'dir' }>;
  /** The git dirs shown through stages. */
  stages: StageSpec[];
  /** The git ignore file inside that lists the project's placeholders, when there are any. */
  gitIgnore: string | undefined;
  warnings: string[];
}

export function protectPaths(
  m: Mounts,
  facts: HostFacts,
  opts: {
    profile: Profile;
    homeReal: string;
    /** `--allow-write` as given. */
    allowWrite: string[];
    /** Directories bubble creates anyway: never placeholders. */
    ensureDirs: readonly string[];
  },
): ProtectionPlan {
  const { home, cwd } = facts;
  const placeholders: Placeholder[] = [];
  const protections = agentProtections(facts, opts.profile, opts.homeReal);
  protections.push(...projectProtections(facts, cwd));
  const allowWrite = opts.allowWrite.map((raw) => expandUserPath(raw, home, cwd));
  const git = planGitDirs(facts.fs, cwd, home, facts.env, {
    stageRoot: facts.bubble.stageRoot,
    allowWrite,
    source: 'project',
  });
  stageGitDirs(m, git.stages);
  protections.push(...git.protections);
  const seen = new Set<string>();
  const protectedExisting: ProtectionPlan['protectedExisting'] = [];
  const isPlaceholder = (p: string): boolean => placeholders.some((x) => x.path === p);
  for (const p of protections) {
    if (seen.has(p.path) || allowWrite.some((a) => isUnder(p.path, a))) continue;
    seen.add(p.path);
    const info = facts.fs.lstat(p.path);
    if (p.expose && info?.type === 'dir' && !m.persistsToHost(p.path)) {
      m.parentsOf(p.path);
      m.push({ kind: 'rw', src: p.path, dest: p.path, why: p.why, source: p.source });
      continue;
    }
    if (!m.persistsToHost(p.path)) {
      // Writes there cannot reach the host; only make it visible so the agent can use it.
      if (info !== undefined && info.type !== 'symlink' && !m.visible(p.path, facts)) {
        m.parentsOf(p.path);
        m.push({ kind: 'ro', src: p.path, dest: p.path, why: p.why, source: p.source });
      }
      continue;
    }
    if (info?.type === 'symlink') {
      throw new BubbleError(
        'PROTECTED_SYMLINK',
        `${p.path} is a symlink: a protected path must be a real ${p.type}`,
        {
          exitCode: EXIT_SETUP,
          hint: `a previous session may have planted it; inspect it, then remove it or replace it with the real ${p.type} (or pass --allow-write ${p.path})`,
        },
      );
    }
    if (info?.type === 'file' && info.nlink > 1) {
      throw new BubbleError(
        'PROTECTED_HARDLINK',
        `${p.path} has ${info.nlink} hard links: its other names would be writable`,
        {
          exitCode: EXIT_SETUP,
          hint: 'replace it with a copy (cp --remove-destination) so it has a single link',
        },
      );
    }
    // Missing: bwrap needs a mount point, which lies on the host. bubble creates it (and any
    // missing parent) before launch and removes it after (see placeholders.ts).
    if (info === undefined) {
      for (const dir of ancestors(p.path).reverse()) {
        if (
          facts.fs.lstat(dir) === undefined &&
          !opts.ensureDirs.includes(dir) &&
          !isPlaceholder(dir)
        )
          placeholders.push({ path: dir, type: 'dir' });
      }
      placeholders.push({ path: p.path, type: p.type });
    }
    // A directory holding a mount point can still be renamed away, taking the protection
    // with it: pin every directory between the writable mount and the protected path.
    const root = m.covering(p.path)!.dest;
    for (const dir of ancestors(p.path).reverse()) {
      if (!isUnder(dir, root) || dir === root || m.ops.some((op) => op.dest === dir)) continue;
      m.push({
        kind: 'rw',
        src: dir,
        dest: dir,
        why: 'holds protected paths: pinned in place',
        source: p.source,
      });
    }
    if (info !== undefined) {
      protectedExisting.push({ path: p.path, type: info.type === 'dir' ? 'dir' : 'file' });
      m.push({
        kind: p.pin ? 'rw' : 'ro',
        src: p.path,
        dest: p.path,
        why: p.pin ? p.why : `${p.why}: read-only`,
        source: p.source,
      });
    } else if (p.type === 'dir') {
      m.push({
        kind: 'tmpfs',
        dest: p.path,
        sizeBytes: 64 * 1024,
        mode: 0o555,
        readOnly: true,
        why: `${p.why}: absent, cannot be created`,
        source: p.source,
      });
    } else {
      m.push({
        kind: 'data',
        dest: p.path,
        content: p.placeholder ?? '',
        why: `${p.why}: absent, cannot be created`,
        source: p.source,
      });
    }
  }

  // Placeholder files in the project would show up in `git status` and `git add -A`: have
  // git inside ignore them, on top of the user's own global ignore file.
  const gitIgnore = projectPlaceholderIgnore(facts, placeholders, cwd);
  if (gitIgnore !== undefined) {
    m.parentsOf(GIT_IGNORE_INSIDE);
    m.push({
      kind: 'data',
      dest: GIT_IGNORE_INSIDE,
      content: gitIgnore,
      why: "git ignores bubble's placeholders (and what your global ignore file lists)",
      source: 'default',
    });
  }
  return {
    placeholders,
    protectedExisting,
    stages: git.stages,
    gitIgnore,
    warnings: git.warnings,
  };
}
