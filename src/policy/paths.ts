// Pure path arithmetic on absolute, normalized paths.

import { dirname, isAbsolute, normalize, resolve } from 'node:path';

/** True when `path` is `root` or lies below it. */
export function isUnder(path: string, root: string): boolean {
  if (root === '/') return true;
  return path === root || path.startsWith(root + '/');
}

/** Proper ancestors of an absolute path, nearest first, excluding '/'. */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = dirname(path); p !== '/'; p = dirname(p)) out.push(p);
  return out;
}

/** Expand a user-given path: `~` and `~/x` against home, relative against cwd. */
export function expandUserPath(raw: string, home: string, cwd: string): string {
  if (raw === '~') return home;
  if (raw.startsWith('~/')) return normalize(home + raw.slice(1));
  return isAbsolute(raw) ? normalize(raw) : resolve(cwd, raw);
}
