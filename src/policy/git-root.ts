// Started in a subdirectory of a git repository, the project is the repository's top level
// (as Claude Code does): with only the subdirectory mounted, git inside finds no repository.
// Pure: reads the host through facts.fs.

import { dirname, join } from 'node:path';
import type { HostFacts } from '../sandbox/facts.ts';
import { refuseCwd } from './refuse.ts';

/**
 * The nearest directory at or above `cwd` (a realpath, so every ancestor is a real
 * directory) holding a `.git` directory or file. A `.git` that is a symbolic link stops the
 * search: the project controls it, and following it could only widen the mount.
 */
export function gitTopLevel(facts: HostFacts, cwd: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const type = facts.fs.lstat(join(dir, '.git'))?.type;
    if (type === 'dir' || type === 'file') return dir;
    if (type !== undefined) return undefined;
    if (dir === '/') return undefined;
  }
}

/**
 * Facts with the project widened to the repository's top level, or unchanged: not in a
 * repository, already at its top, or a top level bubble refuses (your home as a dotfiles
 * repository, a system directory): then the working directory alone stays the project.
 */
export function withGitRoot(facts: HostFacts): HostFacts {
  const top = gitTopLevel(facts, facts.cwd);
  if (top === undefined || top === facts.cwd) return facts;
  try {
    refuseCwd(top, facts.fs.realpath(facts.home) ?? facts.home);
  } catch {
    return facts;
  }
  return { ...facts, cwd: top, workdir: facts.cwd };
}
