// Reading and validating config files. Imports zod and smol-toml, so it is loaded (with a
// dynamic import) only when a config file exists: launch time stays the same without one.

import { createHash } from 'node:crypto';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { BubbleError, EXIT_USAGE } from '../errors.ts';
import { CONFIG_OPTIONS } from './options.ts';
import { configSchema, type Config } from './schema.ts';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function configError(message: string, hint?: string): BubbleError {
  return new BubbleError('CONFIG', message, {
    exitCode: EXIT_USAGE,
    ...(hint === undefined ? {} : { hint }),
  });
}

/** A TOML key as written: bare, or quoted. */
function keyText(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

function splitKey(text: string): string[] {
  // Dotted keys with bare or double/single-quoted parts: a.b, "a.b".c
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && m[0] !== '') {
    out.push(m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : (m[2] ?? m[3]!));
    if (re.lastIndex >= text.length) break;
  }
  return out;
}

/**
 * The 1-based line and column where the key at `path` is written (array indices dropped),
 * or of its nearest ancestor that is written; 1:1 when nothing matches.
 */
export function locateKey(
  text: string,
  path: readonly (string | number)[],
): { line: number; column: number } {
  const want = path.filter((p): p is string => typeof p === 'string');
  let table: string[] = [];
  let best = { depth: 0, line: 1, column: 1 };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = /^(\s*)\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(line);
    let full: string[];
    let column: number;
    if (header) {
      table = splitKey(header[2]!);
      full = table;
      column = header[1]!.length + 1;
    } else {
      const kv = /^(\s*)([^=#[\s][^=]*?)\s*=/.exec(line);
      if (!kv) continue;
      full = [...table, ...splitKey(kv[2]!)];
      column = kv[1]!.length + 1;
    }
    let depth = 0;
    while (depth < full.length && depth < want.length && full[depth] === want[depth]) depth++;
    if (depth === full.length && depth > best.depth) best = { depth, line: i + 1, column };
    if (depth === want.length && depth === full.length) break;
  }
  return { line: best.line, column: best.column };
}

function issueMessage(issue: z.core.$ZodIssue): { path: (string | number)[]; message: string } {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const at = path
    .map((p) => (typeof p === 'number' ? `[${p}]` : keyText(p)))
    .join('.')
    .replace(/\.\[/g, '[');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return {
      path: [...path, keys[0]!],
      message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${at ? `${at}.` : ''}${k}"`).join(', ')}`,
    };
  }
  return { path, message: `${at || 'file'}: ${issue.message}` };
}

/** Parse and validate one config file's text. Errors are `file:line:column: message`, exit 2. */
export function parseConfig(file: string, text: string): Config {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const message = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw configError(`${file}:${err.line}:${err.column}: invalid TOML: ${message}`);
    }
    throw err;
  }
  const result = configSchema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const { path, message } = issueMessage(issue);
  const { line, column } = locateKey(text, path);
  const more =
    result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  throw configError(
    `${file}:${line}:${column}: ${message}${more}`,
    `keys: ${[...CONFIG_OPTIONS.map((o) => o.config.key), 'profile', 'api_key_command', 'log_keep'].join(', ')}, [profiles.NAME] (see README, Configuration)`,
  );
}
