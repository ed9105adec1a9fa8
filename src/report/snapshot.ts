// A digest of the watched files (watched.ts), taken before the sandbox starts and again
// after the session. It is on the launch path, so: lstat and one read of a few small files,
// one readdir per watched directory, nothing recursive, and it never throws.
//
// After the session the files were last written by the agent, so they are read as hostile:
// never through a final symlink (O_NOFOLLOW), never a FIFO or device (O_NONBLOCK, then
// fstat), never more than the size limit.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  CLAUDE_JSON_PROJECT_KEYS,
  CLAUDE_JSON_TOP_KEYS,
  MAX_BYTES,
  PACKAGE_JSON_FIELDS,
  WATCHED,
  type Watched,
} from './watched.ts';

export interface Item {
  /** Shown to the user: relative to the project, or `~/…`. Unescaped. */
  path: string;
  reason: string;
  exists: boolean;
  /** Digest of what runs code; null when nothing does (absent, empty, no watched keys). */
  digest: string | null;
  /** For package.json and ~/.claude.json: each watched key present, and its digest. */
  parts?: Readonly<Record<string, string>>;
  /** Watched.quietWith, as a displayed path. */
  quietWith?: string;
  silent?: boolean;
}

/** Items by path. */
export type Snapshot = ReadonlyMap<string, Item>;

export interface Change {
  kind: 'added' | 'removed' | 'changed';
  path: string;
  reason: string;
  /** The watched keys that differ (`scripts.test`, `packageManager`, `projects["/p"].mcpServers`); empty for whole files. */
  keys: string[];
}

/** Above this, a watched directory is recorded by its listing only (names, sizes, mtimes). */
const MAX_DIR_ENTRIES = 200;

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** A watched key's value: short ones as themselves (most are `{}`), which saves a hash each. */
function valueDigest(value: unknown): string {
  const text = canonicalJson(value);
  return text.length <= 64 ? text : sha(text);
}

/** JSON with object keys sorted, so reformatting a file is not a change. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type Read =
  | { state: 'absent' }
  /** Not readable as a small regular file: the digest says what it is instead. */
  | { state: 'opaque'; digest: string }
  | { state: 'content'; bytes: Buffer };

const errCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';

function typeName(st: fs.Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'other';
}

function opaque(abs: string, st: fs.Stats): Read {
  if (st.isSymbolicLink()) {
    try {
      return { state: 'opaque', digest: `symlink:${fs.readlinkSync(abs)}` };
    } catch (e) {
      return { state: 'opaque', digest: `error:${errCode(e)}` };
    }
  }
  return { state: 'opaque', digest: `${typeName(st)}:${st.mode}` };
}

function readWatched(abs: string, maxBytes: number): Read {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch (e) {
    const code = errCode(e);
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? { state: 'absent' }
      : { state: 'opaque', digest: `error:${code}` };
  }
  if (!st.isFile()) return opaque(abs, st);
  if (st.size > maxBytes) return { state: 'opaque', digest: `large:${st.size}:${st.mtimeMs}` };
  let fd: number;
  try {
    fd = fs.openSync(
      abs,
      fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
    );
  } catch (e) {
    const code = errCode(e);
    return code === 'ENOENT' ? { state: 'absent' } : { state: 'opaque', digest: `error:${code}` };
  }
  try {
    // Swapped between lstat and open: judge what was opened.
    const fst = fs.fstatSync(fd);
    if (!fst.isFile()) return opaque(abs, fst);
    if (fst.size > maxBytes) return { state: 'opaque', digest: `large:${fst.size}:${fst.mtimeMs}` };
    const bytes = Buffer.alloc(fst.size);
    let n = 0;
    while (n < bytes.length) {
      const got = fs.readSync(fd, bytes, n, bytes.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return { state: 'content', bytes: bytes.subarray(0, n) };
  } catch (e) {
    return { state: 'opaque', digest: `error:${errCode(e)}` };
  } finally {
    fs.closeSync(fd);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const has = (obj: Record<string, unknown>, key: string): boolean => Object.hasOwn(obj, key);

function packageJsonParts(json: unknown): Record<string, string> | undefined {
  if (!isObject(json)) return undefined;
  const parts: Record<string, string> = {};
  for (const field of PACKAGE_JSON_FIELDS) {
    if (!has(json, field)) continue;
    const value = json[field];
    if (field === 'scripts' && isObject(value)) {
      for (const [name, script] of Object.entries(value))
        parts[`scripts.${name}`] = valueDigest(script);
    } else {
      parts[field] = valueDigest(value);
    }
  }
  return parts;
}

function claudeJsonParts(json: unknown): Record<string, string> | undefined {
  if (!isObject(json)) return undefined;
  const parts: Record<string, string> = {};
  for (const key of CLAUDE_JSON_TOP_KEYS) {
    if (has(json, key)) parts[key] = valueDigest(json[key]);
  }
  const projects = json.projects;
  if (isObject(projects)) {
    for (const [dir, settings] of Object.entries(projects)) {
      if (!isObject(settings)) continue;
      for (const key of CLAUDE_JSON_PROJECT_KEYS) {
        if (has(settings, key))
          parts[`projects[${JSON.stringify(dir)}].${key}`] = valueDigest(settings[key]);
      }
    }
  }
  return parts;
}

function itemFor(w: Watched, path: string, abs: string): Item {
  const base = { path, reason: w.reason };
  const read = readWatched(abs, w.maxBytes ?? MAX_BYTES);
  if (read.state === 'absent') return { ...base, exists: false, digest: null };
  if (read.state === 'opaque') return { ...base, exists: true, digest: read.digest };
  // An empty file runs nothing. This also keeps bubble's own empty placeholders out of the report.
  if (read.bytes.length === 0) return { ...base, exists: true, digest: null };
  if (w.kind === 'file') return { ...base, exists: true, digest: sha(read.bytes) };
  let parts: Record<string, string> | undefined;
  try {
    const json: unknown = JSON.parse(read.bytes.toString('utf8'));
    parts = w.kind === 'package-json' ? packageJsonParts(json) : claudeJsonParts(json);
  } catch {
    parts = undefined;
  }
  // Not JSON, or not an object: whatever reads it will fail or do something unexpected; watch all of it.
  if (parts === undefined) return { ...base, exists: true, digest: `unparsed:${sha(read.bytes)}` };
  const keys = Object.keys(parts).sort();
  const digest = keys.length === 0 ? null : sha(canonicalJson(parts));
  return { ...base, exists: true, digest, parts };
}

/** Above this (or Watched.maxGlob), a `*` in a watched path matches no more directories. */
const MAX_GLOB = 16;

/** A watched path with `*` components, as the existing directories it names (lstat: no links). */
function expandGlob(root: string, path: string, max = MAX_GLOB): string[] {
  let found = [''];
  for (const comp of path.split('/')) {
    const next: string[] = [];
    for (const rel of found) {
      const names =
        comp === '*'
          ? (() => {
              try {
                return fs.readdirSync(join(root, rel)).sort().slice(0, max);
              } catch {
                return [];
              }
            })()
          : [comp];
      for (const name of names) {
        const r = rel === '' ? name : `${rel}/${name}`;
        if (comp !== '*' || fs.lstatSync(join(root, r), { throwIfNoEntry: false })?.isDirectory())
          next.push(r);
      }
    }
    found = next;
  }
  return found;
}

/** Items for the matching entries of a watched directory (the directory itself only if odd). */
function dirItems(
  w: Watched,
  names: RegExp,
  display: (rel: string) => string,
  root: string,
): Item[] {
  // Walk the components with lstat: a symlinked `.github` is itself the change to report.
  const comps = w.path === '.' ? [] : w.path.split('/');
  const under = (name: string): string => (w.path === '.' ? name : `${w.path}/${name}`);
  let abs = root;
  for (let i = 0; i < comps.length; i++) {
    abs = join(abs, comps[i]!);
    const rel = comps.slice(0, i + 1).join('/');
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch (e) {
      const code = errCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      return [{ path: display(rel), reason: w.reason, exists: true, digest: `error:${code}` }];
    }
    if (!st.isDirectory()) {
      const read = opaque(abs, st);
      const digest = read.state === 'opaque' ? read.digest : null;
      return [{ path: display(rel), reason: w.reason, exists: true, digest }];
    }
  }
  let entries: string[];
  try {
    entries = fs
      .readdirSync(abs)
      .filter((n) => names.test(n))
      .sort();
  } catch (e) {
    return [
      { path: display(w.path), reason: w.reason, exists: true, digest: `error:${errCode(e)}` },
    ];
  }
  if (entries.length > MAX_DIR_ENTRIES) {
    const listing = entries.map((n) => {
      try {
        const st = fs.lstatSync(join(abs, n));
        return `${n}\0${st.size}\0${st.mtimeMs}`;
      } catch {
        return `${n}\0gone`;
      }
    });
    return [
      {
        path: display(w.path + '/'),
        reason: w.reason,
        exists: true,
        digest: `listing:${sha(listing.join('\0'))}`,
      },
    ];
  }
  const out: Item[] = [];
  for (const name of entries) {
    const abs2 = join(abs, name);
    const item = itemFor(w, display(under(name)), abs2);
    // Subdirectories (husky's `_`) are watched by their own entry, if at all.
    if (item.digest?.startsWith('directory:')) continue;
    out.push(item);
  }
  return out;
}

/** Digests of every watched file. Never throws; an unreadable file is recorded as such. */
export function takeSnapshot(projectDir: string, home: string): Snapshot {
  const snap = new Map<string, Item>();
  for (const w of WATCHED) {
    const root = w.scope === 'project' ? projectDir : home;
    if (root === '') continue;
    const display = (rel: string): string => (w.scope === 'home' ? `~/${rel}` : rel);
    try {
      const names = w.names;
      const items =
        names === undefined
          ? [itemFor(w, display(w.path), join(root, w.path))]
          : w.path.split('/').includes('*')
            ? expandGlob(root, w.path, w.maxGlob).flatMap((path) =>
                dirItems({ ...w, path }, names, display, root),
              )
            : dirItems(w, names, display, root);
      for (const item of items) {
        if (w.quietWith !== undefined) item.quietWith = display(w.quietWith);
        if (w.silent === true) item.silent = true;
        snap.set(item.path, item);
      }
    } catch (e) {
      snap.set(display(w.path), {
        path: display(w.path),
        reason: w.reason,
        exists: true,
        digest: `error:${errCode(e)}`,
      });
    }
  }
  return snap;
}

const ABSENT = { exists: false, digest: null } as const;

function partsOf(item: Item | undefined): Readonly<Record<string, string>> | undefined {
  if (item === undefined || item.digest === null) return item?.parts ?? {};
  return item.parts;
}

/** What changed between two snapshots, in path order. */
export function diffSnapshots(before: Snapshot, after: Snapshot): Change[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const differs = (path: string): boolean =>
    (before.get(path)?.digest ?? null) !== (after.get(path)?.digest ?? null) ||
    (before.get(path)?.exists ?? false) !== (after.get(path)?.exists ?? false);
  const out: Change[] = [];
  for (const path of paths) {
    const b = before.get(path);
    const a = after.get(path);
    const was = b ?? ABSENT;
    const now = a ?? ABSENT;
    if (was.digest === now.digest) continue;
    const item = (a ?? b)!;
    if (item.silent === true) continue;
    if (item.quietWith !== undefined && differs(item.quietWith)) continue;
    const reason = (a ?? b)!.reason;
    const kind = !was.exists ? 'added' : !now.exists ? 'removed' : 'changed';
    const bp = partsOf(b);
    const ap = partsOf(a);
    // Keys only when both sides were parsed; a file that stopped parsing is a whole-file change.
    const keys =
      bp === undefined || ap === undefined
        ? []
        : [...new Set([...Object.keys(bp), ...Object.keys(ap)])]
            .filter((k) => bp[k] !== ap[k])
            .sort();
    out.push({ kind, path, reason, keys });
  }
  return out;
}
