// Per-host summary of a session's connections, as data and as text. Pure.
// Host names in the log were chosen by the agent (possibly an attacker), so
// the text renderer escapes control characters before printing them.
import { asciiText } from '../sandbox/escape.ts';
import { FAILURE_LABEL, type ConnectionRecord, type Failure } from './record.ts';

export interface HostSummary {
  /** The host as the client named it; `(malformed)` for requests that could not be parsed. */
  readonly host: string;
  readonly ports: readonly number[];
  readonly connections: number;
  /** Not refused by bubble (some of these may then have failed). */
  readonly allowed: number;
  /** Refused by bubble: a rule, the address policy, a malformed request, an unwritable log. */
  readonly denied: number;
  /** Not refused, but never connected: not found, timed out, unreachable, refused by the destination. */
  readonly failed: number;
  /** Open when bubble was killed: no closing record. */
  readonly cutShort: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly first: string;
  readonly last: string;
}

export interface SessionSummary {
  readonly hosts: readonly HostSummary[];
  readonly connections: number;
  /** Hosts with at least one connection that was made. */
  readonly contacted: number;
  readonly allowed: number;
  readonly denied: number;
  readonly failed: number;
  /** Failed connections by kind. */
  readonly failures: Partial<Record<Failure, number>>;
  readonly cutShort: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

const MALFORMED_HOST = '(malformed)';

export function summarize(connections: readonly ConnectionRecord[]): SessionSummary {
  interface Acc {
    ports: Set<number>;
    connections: number;
    allowed: number;
    denied: number;
    failed: number;
    cutShort: number;
    connected: number;
    bytesUp: number;
    bytesDown: number;
    first: string;
    last: string;
  }
  const byHost = new Map<string, Acc>();
  const failures: Partial<Record<Failure, number>> = {};
  for (const c of connections) {
    const key = c.host ?? MALFORMED_HOST;
    let acc = byHost.get(key);
    if (!acc) {
      acc = {
        ports: new Set(),
        connections: 0,
        allowed: 0,
        denied: 0,
        failed: 0,
        cutShort: 0,
        connected: 0,
        bytesUp: 0,
        bytesDown: 0,
        first: c.time,
        last: c.time,
      };
      byHost.set(key, acc);
    }
    if (c.port !== null) acc.ports.add(c.port);
    acc.connections += 1;
    if (c.decision === 'allow') acc.allowed += 1;
    else acc.denied += 1;
    const failure = c.failure ?? null;
    if (failure !== null) {
      acc.failed += 1;
      failures[failure] = (failures[failure] ?? 0) + 1;
    } else if (c.decision === 'allow') acc.connected += 1;
    if (c.cutShort) acc.cutShort += 1;
    acc.bytesUp += c.bytesUp;
    acc.bytesDown += c.bytesDown;
    // ISO 8601 UTC strings compare in time order.
    if (c.time < acc.first) acc.first = c.time;
    if (c.time > acc.last) acc.last = c.time;
  }
  const hosts: HostSummary[] = [...byHost].map(([host, a]) => ({
    host,
    ports: [...a.ports].sort((x, y) => x - y),
    connections: a.connections,
    allowed: a.allowed,
    denied: a.denied,
    failed: a.failed,
    cutShort: a.cutShort,
    bytesUp: a.bytesUp,
    bytesDown: a.bytesDown,
    first: a.first,
    last: a.last,
  }));
  hosts.sort(
    (a, b) => b.connections - a.connections || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0),
  );
  const total = (f: (h: HostSummary) => number): number => hosts.reduce((n, h) => n + f(h), 0);
  const contacted = [...byHost.values()].filter((a) => a.connected > 0).length;
  return {
    hosts,
    connections: total((h) => h.connections),
    contacted,
    allowed: total((h) => h.allowed),
    denied: total((h) => h.denied),
    failed: total((h) => h.failed),
    failures,
    cutShort: total((h) => h.cutShort),
    bytesUp: total((h) => h.bytesUp),
    bytesDown: total((h) => h.bytesDown),
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit] ?? ''}`;
}

/** `2025-01-02T03:04:05.678Z` -> `2025-01-02 03:04:05`. */
function shortTime(iso: string): string {
  return asciiText(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''));
}

/** A plain-text table, one host per line. */
export function renderSummary(summary: SessionSummary): string {
  const header = [
    'HOST',
    'PORTS',
    'CONN',
    'ALLOWED',
    'DENIED',
    'FAILED',
    'UP',
    'DOWN',
    'FIRST',
    'LAST',
  ];
  const rows = summary.hosts.map((h) => [
    asciiText(h.host),
    h.ports.join(','),
    String(h.connections),
    String(h.allowed),
    String(h.denied),
    String(h.failed),
    formatBytes(h.bytesUp),
    formatBytes(h.bytesDown),
    shortTime(h.first),
    shortTime(h.last),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) =>
        numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const totals =
    `${summary.hosts.length} host${summary.hosts.length === 1 ? '' : 's'}, ` +
    `${summary.connections} connection${summary.connections === 1 ? '' : 's'}, ` +
    `${summary.denied} denied${failedText(summary)}, ${formatBytes(summary.bytesUp)} up, ${formatBytes(summary.bytesDown)} down` +
    (summary.cutShort > 0 ? `, ${summary.cutShort} cut short (bubble was killed)` : '');
  return [line(header), ...rows.map(line), totals].join('\n') + '\n';
}

/** `, 2 failed (not found)` or `, 3 failed (2 not found, 1 timed out)`; empty when none failed. */
function failedText(summary: Pick<SessionSummary, 'failed' | 'failures'>): string {
  if (summary.failed === 0) return '';
  const kinds = (Object.entries(summary.failures) as [Failure, number][]).filter(([, n]) => n > 0);
  const detail =
    kinds.length === 1 && kinds[0]
      ? FAILURE_LABEL[kinds[0][0]]
      : kinds.map(([k, n]) => `${n} ${FAILURE_LABEL[k]}`).join(', ');
  return `, ${summary.failed} failed (${detail})`;
}

/** The one line bubble prints to stderr when a session ends. */
export function renderSessionLine(summary: SessionSummary, logPath: string): string {
  const hosts = summary.contacted;
  return (
    `bubble: ${hosts} host${hosts === 1 ? '' : 's'} contacted, ` +
    `${summary.denied} denied${failedText(summary)}; log: ${asciiText(logPath)}`
  );
}
