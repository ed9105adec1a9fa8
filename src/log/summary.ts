// Per-host summary of a session's connections, as data and as text. Pure.
// Host names in the log were chosen by the agent (possibly an attacker), so
// the text renderer escapes control characters before printing them.
import type { ConnectionRecord } from './record.ts';

export interface HostSummary {
  /** The host as the client named it; `(malformed)` for requests that could not be parsed. */
  readonly host: string;
  readonly ports: readonly number[];
  readonly connections: number;
  readonly allowed: number;
  readonly denied: number;
  /** Allowed connections that then failed (refused, timeout, reset). */
  readonly failed: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly first: string;
  readonly last: string;
}

export interface SessionSummary {
  readonly hosts: readonly HostSummary[];
  readonly connections: number;
  readonly allowed: number;
  readonly denied: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

export const MALFORMED_HOST = '(malformed)';

export function summarize(connections: readonly ConnectionRecord[]): SessionSummary {
  interface Acc {
    ports: Set<number>;
    connections: number;
    allowed: number;
    denied: number;
    failed: number;
    bytesUp: number;
    bytesDown: number;
    first: string;
    last: string;
  }
  const byHost = new Map<string, Acc>();
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
    if (c.decision === 'allow' && c.error !== null) acc.failed += 1;
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
    bytesUp: a.bytesUp,
    bytesDown: a.bytesDown,
    first: a.first,
    last: a.last,
  }));
  hosts.sort(
    (a, b) => b.connections - a.connections || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0),
  );
  const total = (f: (h: HostSummary) => number): number => hosts.reduce((n, h) => n + f(h), 0);
  return {
    hosts,
    connections: total((h) => h.connections),
    allowed: total((h) => h.allowed),
    denied: total((h) => h.denied),
    bytesUp: total((h) => h.bytesUp),
    bytesDown: total((h) => h.bytesDown),
  };
}

/** Control characters and non-ASCII shown as escapes, so a host name cannot drive the terminal. */
export function escapeForDisplay(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
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
  return escapeForDisplay(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''));
}

/** A plain-text table, one host per line. */
export function renderSummary(summary: SessionSummary): string {
  const header = ['HOST', 'PORTS', 'CONN', 'ALLOWED', 'DENIED', 'UP', 'DOWN', 'FIRST', 'LAST'];
  const rows = summary.hosts.map((h) => [
    escapeForDisplay(h.host),
    h.ports.join(','),
    String(h.connections),
    String(h.allowed),
    String(h.denied),
    formatBytes(h.bytesUp),
    formatBytes(h.bytesDown),
    shortTime(h.first),
    shortTime(h.last),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const numeric = new Set([2, 3, 4, 5, 6]);
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
    `${summary.denied} denied, ${formatBytes(summary.bytesUp)} up, ${formatBytes(summary.bytesDown)} down`;
  return [line(header), ...rows.map(line), totals].join('\n') + '\n';
}

/** The one line bubble prints to stderr when a session ends. */
export function renderSessionLine(summary: SessionSummary, logPath: string): string {
  const hosts = summary.hosts.filter((h) => h.allowed > 0).length;
  return (
    `bubble: ${hosts} host${hosts === 1 ? '' : 's'} contacted, ` +
    `${summary.denied} denied; log: ${escapeForDisplay(logPath)}`
  );
}
