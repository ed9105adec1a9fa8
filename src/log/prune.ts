// Session logs are kept for a while, not forever: at the start of each session the
// oldest go. BUBBLE_LOG_KEEP says how many: `30d` (days since a log was last written),
// `500` (the newest sessions), both as `30d,500` (a log goes when either says so), or
// `all`. Default 30d,1000. Deciding is pure; pruneSessionLogs() does the deleting.
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface Keep {
  /** Logs last written longer ago than this many days go; null: no age limit. */
  readonly days: number | null;
  /** Only this many of the newest logs stay; null: no count limit. */
  readonly sessions: number | null;
}

export const DEFAULT_KEEP: Keep = { days: 30, sessions: 1000 };

/** `30d`, `500`, `30d,500`, `all`; null when the value is not one of those. */
export function parseKeep(value: string | undefined): Keep | null {
  if (value === undefined || value.trim() === '') return DEFAULT_KEEP;
  if (value.trim() === 'all') return { days: null, sessions: null };
  let days: number | null = null;
  let sessions: number | null = null;
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = /^([1-9]\d{0,5})(d?)$/.exec(part);
    if (!m) return null;
    if (m[2] === 'd') {
      if (days !== null) return null;
      days = Number(m[1]);
    } else {
      if (sessions !== null) return null;
      sessions = Number(m[1]);
    }
  }
  return { days, sessions };
}

export interface LogFile {
  readonly name: string;
  readonly mtimeMs: number;
}

/** The names to delete: beyond the newest `sessions` (by name: ids sort by start time), or too old. */
export function expiredLogs(files: readonly LogFile[], keep: Keep, nowMs: number): string[] {
  const newestFirst = [...files].sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  return newestFirst
    .filter(
      (f, i) =>
        (keep.sessions !== null && i >= keep.sessions) ||
        (keep.days !== null && nowMs - f.mtimeMs > keep.days * 86_400_000),
    )
    .map((f) => f.name);
}

const LOG_NAME = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]+\.jsonl$/;

/**
 * Deletes expired session logs in `dir`, never `current`. Only regular files named like
 * a session log; anything else is left alone. Best effort: a log that cannot be removed
 * stays. Returns how many went.
 */
export function pruneSessionLogs(dir: string, keep: Keep, nowMs: number, current: string): number {
  const files: LogFile[] = [];
  for (const name of readdirSync(dir)) {
    if (!LOG_NAME.test(name) || name === current) continue;
    const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (st?.isFile()) files.push({ name, mtimeMs: st.mtimeMs });
  }
  // The current session counts among the newest.
  const expired = expiredLogs([...files, { name: current, mtimeMs: nowMs }], keep, nowMs).filter(
    (n) => n !== current,
  );
  let removed = 0;
  for (const name of expired) {
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // another session removed it, or it is not ours to remove
    }
  }
  return removed;
}
