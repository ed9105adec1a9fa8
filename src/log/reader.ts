// Reading session logs. Tolerant by design (like bwrap's --json-status-fd
// readers): unknown fields and record types are ignored, a truncated last line
// (bubble killed mid-write) is skipped, and a record is kept only if its known
// fields have the right types. Never throws on content.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionRecord, EndRecord, NetMode, Protocol, SessionRecord } from './record.ts';

export interface ParsedLog {
  readonly session: SessionRecord | null;
  readonly connections: readonly ConnectionRecord[];
  readonly end: EndRecord | null;
  /** Lines that were not JSON or not a valid known record (excluding a truncated last line). */
  readonly skipped: number;
  /** True when the last line had no newline and did not parse. */
  readonly truncated: boolean;
}

type Obj = Record<string, unknown>;

const str = (o: Obj, k: string): string | null => (typeof o[k] === 'string' ? o[k] : null);
const num = (o: Obj, k: string): number | null =>
  typeof o[k] === 'number' && Number.isFinite(o[k]) ? o[k] : null;
const strOrNull = (o: Obj, k: string): string | null | undefined =>
  o[k] === null || o[k] === undefined ? null : typeof o[k] === 'string' ? o[k] : undefined;
const numOrNull = (o: Obj, k: string): number | null | undefined =>
  o[k] === null || o[k] === undefined
    ? null
    : typeof o[k] === 'number' && Number.isFinite(o[k])
      ? o[k]
      : undefined;
const strings = (v: unknown): string[] | null =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;

const PROTOCOLS: readonly string[] = ['connect', 'http', 'socks'];
const MODES: readonly string[] = ['filtered', 'logged', 'host', 'none'];

function toSession(o: Obj): SessionRecord | null {
  const sessionId = str(o, 'sessionId');
  const startTime = str(o, 'startTime');
  const argv = strings(o['argv']);
  const cwd = str(o, 'cwd');
  const netMode = str(o, 'netMode');
  const rules = (typeof o['rules'] === 'object' && o['rules'] !== null ? o['rules'] : {}) as Obj;
  const allow = strings(rules['allow'] ?? []);
  const deny = strings(rules['deny'] ?? []);
  const ports = Array.isArray(o['publishedPorts'])
    ? o['publishedPorts'].filter((p): p is number => typeof p === 'number')
    : [];
  if (
    sessionId === null ||
    startTime === null ||
    argv === null ||
    cwd === null ||
    allow === null ||
    deny === null
  )
    return null;
  return {
    v: 1,
    type: 'session',
    sessionId,
    startTime,
    argv,
    cwd,
    netMode: (netMode !== null && MODES.includes(netMode) ? netMode : 'filtered') as NetMode,
    rules: { allow, deny },
    publishedPorts: ports,
    bubbleVersion: str(o, 'bubbleVersion') ?? 'unknown',
    upstream: str(o, 'upstream'),
    ...(Array.isArray(o['optIns'])
      ? { optIns: o['optIns'].filter((x): x is string => typeof x === 'string') }
      : {}),
  };
}

function toConnection(o: Obj): ConnectionRecord | null {
  const time = str(o, 'time');
  const protocol = str(o, 'protocol');
  const decision = str(o, 'decision');
  const host = strOrNull(o, 'host');
  const port = numOrNull(o, 'port');
  const address = strOrNull(o, 'address');
  const rule = strOrNull(o, 'rule');
  const reason = strOrNull(o, 'reason');
  const error = strOrNull(o, 'error');
  if (time === null || protocol === null || !PROTOCOLS.includes(protocol)) return null;
  if (decision !== 'allow' && decision !== 'deny') return null;
  if (host === undefined || port === undefined || address === undefined) return null;
  if (rule === undefined || reason === undefined || error === undefined) return null;
  const via = str(o, 'via');
  return {
    v: 1,
    type: 'conn',
    time,
    protocol: protocol as Protocol,
    host,
    port,
    address,
    decision: decision,
    rule,
    reason,
    bytesUp: num(o, 'bytesUp') ?? 0,
    bytesDown: num(o, 'bytesDown') ?? 0,
    durationMs: num(o, 'durationMs') ?? 0,
    error,
    ...(via !== null ? { via } : {}),
  };
}

function toEnd(o: Obj): EndRecord | null {
  const time = str(o, 'time');
  if (time === null) return null;
  const exitCode = numOrNull(o, 'exitCode');
  return { v: 1, type: 'end', time, exitCode: exitCode ?? null, signal: str(o, 'signal') };
}

export function parseLog(text: string): ParsedLog {
  let session: SessionRecord | null = null;
  let end: EndRecord | null = null;
  const connections: ConnectionRecord[] = [];
  let skipped = 0;
  let truncated = false;
  const lines = text.split('\n');
  const lastComplete = text.endsWith('\n');
  lines.forEach((line, i) => {
    const isLast = i === lines.length - 1;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (isLast && !lastComplete) truncated = true;
      else skipped += 1;
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      skipped += 1;
      return;
    }
    const o = value as Obj;
    // A record without a version, or from a future major version, is not ours to interpret.
    if (o['v'] !== 1) {
      skipped += 1;
      return;
    }
    switch (o['type']) {
      case 'session': {
        const s = toSession(o);
        if (s && !session) session = s;
        else skipped += 1;
        break;
      }
      case 'conn': {
        const c = toConnection(o);
        if (c) connections.push(c);
        else skipped += 1;
        break;
      }
      case 'end': {
        const e = toEnd(o);
        if (e) end = e;
        else skipped += 1;
        break;
      }
      default:
        // Unknown record types are someone else's news.
        break;
    }
  });
  return { session, connections, end, skipped, truncated };
}

export function readLog(path: string): ParsedLog {
  return parseLog(readFileSync(path, 'utf8'));
}

export interface SessionEntry {
  readonly id: string;
  readonly path: string;
  readonly mtimeMs: number;
  readonly size: number;
}

/** Session logs in `dir`, newest first. A missing directory is an empty list. */
export function listSessions(dir: string): SessionEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
  const entries: SessionEntry[] = [];
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue;
    const path = join(dir, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      entries.push({
        id: name.slice(0, -'.jsonl'.length),
        path,
        mtimeMs: st.mtimeMs,
        size: st.size,
      });
    } catch {
      // Vanished between readdir and stat.
    }
  }
  return entries.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.id < b.id ? 1 : -1));
}
