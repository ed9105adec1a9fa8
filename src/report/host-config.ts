// Host config files the user let the sandbox write (`--gitconfig rw`): their text before
// the session, and after it a diff of what the agent changed. Host git reads these files on
// every command (core.fsmonitor, aliases, core.sshCommand, credential helpers run programs),
// so the change is shown line by line, not just named.
//
// After the session the files were last written by the agent: read without following a
// final symlink, never a FIFO or device, never more than MAX_BYTES. Never throws.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { displayText } from '../sandbox/escape.ts';
import { lineDiff } from './line-diff.ts';

/** A host file or directory to watch, and how to name it to the user (`~/.gitconfig`). */
export interface WatchedConfig {
  hostPath: string;
  display: string;
}

const MAX_BYTES = 256 * 1024;
const MAX_FILES = 200;
const MAX_DEPTH = 4;
const MAX_DIFF_LINES = 40;

/** File text by display path; a string starting with NUL stands for what is not text. */
type Texts = Map<string, string>;

function readHostile(path: string): string {
  let fd: number;
  try {
    fd = fs.openSync(
      path,
      fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
    );
  } catch (e) {
    return `\0unreadable (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return '\0not a regular file';
    if (st.size > MAX_BYTES) return `\0${st.size} bytes, mtime ${st.mtimeMs}`;
    const text = fs.readFileSync(fd, 'utf8');
    return text.includes('\0') ? `\0binary, ${text.length} bytes` : text;
  } catch (e) {
    return `\0unreadable (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  } finally {
    fs.closeSync(fd);
  }
}

function collect(path: string, display: string, out: Texts, depth: number): void {
  if (out.size >= MAX_FILES) return;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) {
    out.set(display, `\0symlink to ${safeReadlink(path)}`);
    return;
  }
  if (!st.isDirectory()) {
    out.set(display, readHostile(path));
    return;
  }
  if (depth >= MAX_DEPTH) return;
  let names: string[];
  try {
    names = fs.readdirSync(path).sort();
  } catch {
    return;
  }
  for (const name of names) collect(join(path, name), `${display}/${name}`, out, depth + 1);
}

function safeReadlink(path: string): string {
  try {
    return fs.readlinkSync(path);
  } catch {
    return '?';
  }
}

function snapshot(watched: readonly WatchedConfig[]): Texts {
  const out: Texts = new Map();
  for (const w of watched) collect(w.hostPath, w.display, out, 0);
  return out;
}

/** The report block for two snapshots: empty when nothing changed. Pure. */
export function renderConfigDiff(before: Texts, after: Texts, heading: string): string {
  const lines: string[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const was = before.get(path);
    const now = after.get(path);
    if (was === now) continue;
    const letter = was === undefined ? 'A' : now === undefined ? 'D' : 'M';
    lines.push(`  ${letter} ${displayText(path)}`);
    if (now?.startsWith('\0') || was?.startsWith('\0')) {
      lines.push(`      (${displayText((now ?? was!).slice(1))})`);
      continue;
    }
    const diff = lineDiff(was ?? '', now ?? '');
    if (diff === undefined) {
      lines.push('      (too large to compare line by line)');
      continue;
    }
    for (const d of diff.slice(0, MAX_DIFF_LINES))
      lines.push(`    ${d.sign} ${displayText(d.text)}`);
    if (diff.length > MAX_DIFF_LINES)
      lines.push(`    ... and ${diff.length - MAX_DIFF_LINES} more lines`);
  }
  return lines.length === 0 ? '' : `bubble: ${heading}\n${lines.join('\n')}\n`;
}

/** Reads the watched files now; the returned function reads them again and renders the diff. */
export function hostConfigReporter(
  watched: readonly WatchedConfig[],
  heading: string,
): () => string {
  const before = snapshot(watched);
  return () => {
    try {
      return renderConfigDiff(before, snapshot(watched), heading);
    } catch (e) {
      return `bubble: could not compare ${watched.map((w) => w.display).join(', ')}: ${(e as Error).message}\n`;
    }
  };
}
