// Reading session logs. Tolerant by design (like bwrap's --json-status-fd
// readers): unknown fields and record types are ignored, a truncated last line
// (bubble killed mid-write) is skipped, and a record is kept only if its known
// fields have the right types. Never throws on content.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NET_MODE, isNetMode } from '../net/modes.ts';
import type {
  ConnectionRecord,
  Denial,
  EndRecord,
  Failure,
  OpenRecord,
  Protocol,
  ChangedFile,
  ReportRecord,
  SessionRecord,
} from './record.ts';

export interface ParsedLog {
  readonly session: SessionRecord | null;
  /**
   * Closed connections, then (marked cutShort) the ones that were opened and
   * never closed: bubble was killed while they were open.
   */
  readonly connections: readonly ConnectionRecord[];
  readonly end: EndRecord | null;
  /** The change report written when the session ended; null for older logs and killed sessions. */
  readonly report: ReportRecord | null;
  /** The session has no end record: bubble was killed (or is still running). */
  readonly cutShort: boolean;
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
const DENIALS: readonly string[] = ['rule', 'address', 'malformed', 'log'];
const FAILURES: readonly string[] = [
  'not-found',
  'dns-failed',
  'timed-out',
  'refused',
  'unreachable',
  'upstream',
  'failed',
];

/** Logs written before denial/failure existed: recover them from the error code. */
function legacyFailure(decision: string, error: string | null): Failure | null {
  if (error === null) return null;
  if (error.startsWith('ERR_RESOLVE_NOTFOUND')) return 'not-found';
  if (error.startsWith('ERR_RESOLVE_TIMEOUT')) return 'timed-out';
  if (error.startsWith('ERR_RESOLVE')) return 'dns-failed';
  if (decision !== 'allow') return null;
  if (/ERR_DIAL_TIMEOUT/.test(error)) return 'timed-out';
  if (/ERR_DIAL_REFUSED/.test(error)) return 'refused';
  if (/ERR_DIAL_UNREACHABLE/.test(error)) return 'unreachable';
  if (/ERR_UPSTREAM/.test(error)) return 'upstream';
  return null;
}

function toOpen(o: Obj): OpenRecord | null {
  const id = num(o, 'id');
  const time = str(o, 'time');
  const protocol = str(o, 'protocol');
  const host = str(o, 'host');
  const port = num(o, 'port');
  const address = str(o, 'address');
  const rule = strOrNull(o, 'rule');
  if (id === null || time === null || protocol === null || !PROTOCOLS.includes(protocol))
    return null;
  if (host === null || port === null || address === null || rule === undefined) return null;
  const via = str(o, 'via');
  return {
    v: 1,
    type: 'open',
    id,
    time,
    protocol: protocol as Protocol,
    host,
    port,
    address,
    rule,
    ...(via !== null ? { via } : {}),
  };
}

/** The record a connection would have had if the session had seen it end. */
function cutShortRecord(open: OpenRecord): ConnectionRecord {
  return {
    v: 1,
    type: 'conn',
    id: open.id,
    time: open.time,
    protocol: open.protocol,
    host: open.host,
    port: open.port,
    address: open.address,
    decision: 'allow',
    denial: null,
    failure: null,
    rule: open.rule,
    reason: null,
    bytesUp: 0,
    bytesDown: 0,
    durationMs: 0,
    error: 'cut short: the session ended without closing it (bytes unknown)',
    cutShort: true,
    ...(open.via !== undefined ? { via: open.via } : {}),
  };
}

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
    netMode: netMode !== null && isNetMode(netMode) ? netMode : DEFAULT_NET_MODE,
    rules: { allow, deny },
    publishedPorts: ports,
    bubbleVersion: str(o, 'bubbleVersion') ?? 'unknown',
    ...(strings(o['allowPrivate']) ? { allowPrivate: strings(o['allowPrivate']) ?? [] } : {}),
    ...(o['netPolicy'] === 'allowlist' || o['netPolicy'] === 'ask'
      ? { netPolicy: o['netPolicy'] }
      : {}),
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
  const id = num(o, 'id');
  const hint = str(o, 'hint');
  const rawDenial = str(o, 'denial');
  const rawFailure = str(o, 'failure');
  const failure: Failure | null =
    rawFailure !== null && FAILURES.includes(rawFailure)
      ? (rawFailure as Failure)
      : o['failure'] === undefined
        ? legacyFailure(decision, error)
        : null;
  const denial: Denial | null =
    rawDenial !== null && DENIALS.includes(rawDenial)
      ? (rawDenial as Denial)
      : decision === 'deny' && failure === null
        ? rule !== null || (reason ?? '').includes('allow list')
          ? 'rule'
          : (reason ?? '').startsWith('malformed')
            ? 'malformed'
            : 'address'
        : null;
  return {
    v: 1,
    type: 'conn',
    ...(id !== null ? { id } : {}),
    time,
    protocol: protocol as Protocol,
    host,
    port,
    address,
    // An old log's "deny" for a name that did not resolve was not bubble's refusal.
    decision: failure !== null ? 'allow' : decision,
    denial,
    failure,
    rule,
    reason,
    bytesUp: num(o, 'bytesUp') ?? 0,
    bytesDown: num(o, 'bytesDown') ?? 0,
    durationMs: num(o, 'durationMs') ?? 0,
    error,
    ...(via !== null ? { via } : {}),
    ...(hint !== null ? { hint } : {}),
  };
}

function toEnd(o: Obj): EndRecord | null {
  const time = str(o, 'time');
  if (time === null) return null;
  const exitCode = numOrNull(o, 'exitCode');
  return { v: 1, type: 'end', time, exitCode: exitCode ?? null, signal: str(o, 'signal') };
}

const CHANGE_KINDS: readonly string[] = ['added', 'removed', 'changed'];

function toChangedFile(v: unknown): ChangedFile | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Obj;
  const kind = str(o, 'kind');
  const path = str(o, 'path');
  const reason = str(o, 'reason');
  if (kind === null || !CHANGE_KINDS.includes(kind) || path === null || reason === null)
    return null;
  return { kind: kind as ChangedFile['kind'], path, reason, keys: strings(o['keys']) ?? [] };
}

/** A list of strings, or of changed files: what is not one is dropped, a missing list is empty. */
function toReport(o: Obj): ReportRecord | null {
  const time = str(o, 'time');
  if (time === null) return null;
  const lines = (k: string): string[] =>
    Array.isArray(o[k]) ? o[k].filter((x): x is string => typeof x === 'string') : [];
  const changed = Array.isArray(o['changed'])
    ? o['changed'].map(toChangedFile).filter((c): c is ChangedFile => c !== null)
    : [];
  return {
    v: 1,
    type: 'report',
    time,
    changed,
    setAside: lines('setAside'),
    quarantined: lines('quarantined'),
    notes: lines('notes'),
    errors: lines('errors'),
  };
}

export function parseLog(text: string): ParsedLog {
  let session: SessionRecord | null = null;
  let report: ReportRecord | null = null;
  let end: EndRecord | null = null;
  const connections: ConnectionRecord[] = [];
  const opened = new Map<number, OpenRecord>();
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
      case 'open': {
        const r = toOpen(o);
        if (r) opened.set(r.id, r);
        else skipped += 1;
        break;
      }
      case 'conn': {
        const c = toConnection(o);
        if (c) {
          connections.push(c);
          if (c.id !== undefined) opened.delete(c.id);
        } else skipped += 1;
        break;
      }
      case 'report': {
        const r = toReport(o);
        if (r) report = r;
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
  for (const open of opened.values()) connections.push(cutShortRecord(open));
  return { session, connections, end, report, cutShort: end === null, skipped, truncated };
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
