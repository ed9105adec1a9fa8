// Adding allow rules to the user's own config file (never a project's): the text is
// edited in place (edit.ts), parsed back and checked to say exactly what was meant, then
// replaced atomically. A symlinked config (dotfiles) is written through its link.

import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { BubbleError, EXIT_USAGE } from '../errors.ts';
import { appendToArray } from './edit.ts';
import { parseConfig } from './load.ts';

/** The top-level allow list of the user's config as it is now ([] when there is no file). */
export function currentAllow(path: string): string[] {
  const text = readOrEmpty(path);
  return text === '' ? [] : (parseConfig(path, text).allow ?? []);
}

function readOrEmpty(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** The file's text with `patterns` added under `comment` (what addAllowRules would write). */
export function withAllowRules(path: string, text: string, patterns: string[], comment: string) {
  const before = text === '' ? [] : (parseConfig(path, text).allow ?? []);
  const after = appendToArray(text, 'allow', patterns, comment);
  const parsed = parseConfig(path, after).allow ?? [];
  const meant = [...before, ...patterns];
  if (parsed.length !== meant.length || parsed.some((p, i) => p !== meant[i]))
    throw new BubbleError('CONFIG_EDIT', `cannot add to allow = [...] in ${path} safely`, {
      exitCode: EXIT_USAGE,
      hint: `add them by hand: ${patterns.map((p) => JSON.stringify(p)).join(', ')}`,
    });
  return after;
}

/** Adds `patterns` to the user's config at `path` (created if missing). */
export function addAllowRules(path: string, patterns: string[], comment: string): void {
  const text = readOrEmpty(path);
  const after = withAllowRules(path, text, patterns, comment);
  let target: string | undefined;
  try {
    target = fs.realpathSync(path);
  } catch {
    fs.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }
  const mode = target === undefined ? 0o600 : fs.statSync(target).mode & 0o777;
  target ??= path;
  const tmp = join(dirname(target), `.config.toml.${process.pid}.tmp`);
  fs.writeFileSync(tmp, after, { mode, flag: 'w' });
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
