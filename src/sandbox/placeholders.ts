// Mount points for protected paths that do not exist. bwrap can only mount on a path that
// exists, and inside a read-write bind that path is on the host, so bubble creates it,
// journals it, and removes it after the session: by itself on a normal exit, by a watchdog
// when bubble is killed, and by the next run if both died.
//
// Concurrent sessions: removing a directory that is a mount point in another session's
// namespace silently detaches that mount (Linux >= 3.18), which would make the path
// creatable there. So every session claims the placeholders it relies on in its journal,
// under a lock, before it starts bwrap; and nobody removes a path another live session claims.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { bubbleDirs } from '../config/paths.ts';
import { releaseLock, takeLock } from './file-lock.ts';
import { hidePlaceholders, unhidePlaceholders } from './git-hide.ts';
import { createFileBelow, mkdirBelow, removeBelow, removeBelowAsync } from './nofollow.ts';
import type { Placeholder } from './plan.ts';
import { procStart } from './process-identity.ts';

export function placeholderDir(env: Record<string, string | undefined>, home: string): string {
  return join(bubbleDirs(env, home).state, 'placeholders');
}

interface Journal {
  pid: number;
  /** /proc/PID/stat start time, so a reused pid is not mistaken for us. */
  start: string;
  paths: Placeholder[];
  /** The project whose .git/info/exclude holds this session's block (git-hide.ts). */
  exclude?: string;
}

/** The mark a session's bwrap carries in its argv (`--setenv BUBBLE_SESSION TAG`). */
function sessionTag(pid: number, start: string): string {
  return `${pid}-${start}`;
}

export function ourSessionTag(): string {
  return sessionTag(process.pid, procStart(process.pid) ?? '');
}

/**
 * bwrap processes of a dead session that are still running. --die-with-parent has a window
 * (bubble killed before the sandbox's pid 1 armed its death signal) in which the sandbox
 * outlives bubble: whoever sweeps the dead session finds it by its mark and kills it.
 */
function orphanedSandboxes(tag: string): number[] {
  const needle = `\0BUBBLE_SESSION\0${tag}\0`;
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(needle))
        out.push(Number(name));
    } catch {
      // exited, or not ours
    }
  }
  return out;
}

export interface Claim {
  dir: string;
  journal: string;
  /** What this session created (it removes these when done). */
  paths: Placeholder[];
  /** The project whose exclude file holds this session's block. */
  exclude?: string | undefined;
}

function isAlive(j: Journal): boolean {
  return procStart(j.pid) === j.start;
}

function readJournals(dir: string): Array<{ file: string; journal: Journal }> {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: Array<{ file: string; journal: Journal }> = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    try {
      out.push({ file, journal: JSON.parse(fs.readFileSync(file, 'utf8')) as Journal });
    } catch {
      // half-written by a session killed mid-write: it had not created anything yet
      fs.rmSync(file, { force: true });
    }
  }
  return out;
}

function withLock<T>(dir: string, fn: () => T): T {
  const file = join(dir, '.lock');
  takeLock(file);
  try {
    return fn();
  } finally {
    releaseLock(file);
  }
}

async function withLockAsync<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const file = join(dir, '.lock');
  takeLock(file);
  try {
    return await fn();
  } finally {
    releaseLock(file);
  }
}

export function hasJournals(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((n) => n.endsWith('.json'));
  } catch {
    return false;
  }
}

/** Remove placeholders nobody else claims: deepest first, and only if still empty. */
function removeUnclaimed(paths: Placeholder[], claimedElsewhere: Set<string>): void {
  for (const p of [...paths].sort((a, b) => b.path.length - a.path.length)) {
    if (claimedElsewhere.has(p.path)) continue;
    if (p.anchor !== undefined) {
      removeBelow(p.anchor, p.path, p.type);
      continue;
    }
    const st = fs.lstatSync(p.path, { throwIfNoEntry: false });
    if (st === undefined) continue;
    try {
      if (p.type === 'dir' && st.isDirectory()) fs.rmdirSync(p.path);
      else if (p.type === 'file' && st.isFile() && st.size === 0) fs.unlinkSync(p.path);
    } catch {
      // not empty any more: someone put something there on the host; keep it
    }
  }
}

async function removeIfEmpty(p: Placeholder): Promise<void> {
  if (p.anchor !== undefined) {
    await removeBelowAsync(p.anchor, p.path, p.type);
    return;
  }
  try {
    const st = await fs.promises.lstat(p.path);
    if (p.type === 'dir' && st.isDirectory()) await fs.promises.rmdir(p.path);
    else if (p.type === 'file' && st.isFile() && st.size === 0) await fs.promises.unlink(p.path);
  } catch {
    // gone, or not empty any more: someone put something there on the host; keep it
  }
}

/**
 * removeUnclaimed, one depth at a time (children before their parents), the paths of a
 * depth in parallel: removing a directory that was a mount point can take milliseconds, and
 * the user waits for it after the agent has exited.
 */
async function removeUnclaimedInParallel(
  paths: Placeholder[],
  claimedElsewhere: Set<string>,
): Promise<void> {
  const byDepth = new Map<number, Placeholder[]>();
  for (const p of paths) {
    if (claimedElsewhere.has(p.path)) continue;
    const depth = p.path.split('/').length;
    byDepth.set(depth, [...(byDepth.get(depth) ?? []), p]);
  }
  for (const depth of [...byDepth.keys()].sort((a, b) => b - a))
    await Promise.all(byDepth.get(depth)!.map(removeIfEmpty));
}

function claimsOfOthers(dir: string, except: string | undefined): Set<string> {
  const claimed = new Set<string>();
  for (const { file, journal } of readJournals(dir)) {
    if (file !== except && isAlive(journal)) for (const p of journal.paths) claimed.add(p.path);
  }
  return claimed;
}

/** Clean up after sessions that died without doing it themselves. */
function sweepDead(dir: string): void {
  const live = claimsOfOthers(dir, undefined);
  for (const { file, journal } of readJournals(dir)) {
    if (isAlive(journal)) continue;
    for (const pid of orphanedSandboxes(sessionTag(journal.pid, journal.start))) {
      try {
        process.kill(pid, 'SIGKILL'); // pid 1 of its namespace: everything inside goes
      } catch {
        // gone meanwhile
      }
    }
    removeUnclaimed(journal.paths, live);
    if (journal.exclude !== undefined)
      unhidePlaceholders(journal.exclude, sessionTag(journal.pid, journal.start));
    fs.rmSync(file, { force: true });
  }
}

/**
 * Create the placeholders a plan needs and claim the existing protected paths that other
 * live sessions created, so they outlive those sessions while we use them.
 */
export function claimPlaceholders(
  dir: string,
  create: Placeholder[],
  existing: string[],
  /** The project: its placeholder files are kept out of host git's sight (git-hide.ts). */
  hideIn?: string,
): Claim {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const journal = join(dir, `${process.pid}.json`);
  return withLock(dir, () => {
    const othersCreated = new Map<string, Placeholder>();
    for (const { journal: j } of readJournals(dir))
      if (isAlive(j)) for (const p of j.paths) othersCreated.set(p.path, p);
    // A path another live session created after we looked is shared, not ours to create.
    const mine = create.filter((p) => !othersCreated.has(p.path));
    const sharedPaths = [
      ...existing,
      ...create.filter((p) => othersCreated.has(p.path)).map((p) => p.path),
    ];
    // Their parent directories too (a project's .claude/ made by another session), or the
    // last session out would find them non-empty when it ends, and nobody would remove them.
    for (const p of [...mine.map((x) => x.path), ...sharedPaths]) {
      for (const dir of othersCreated.keys())
        if (p.startsWith(dir + '/') && !sharedPaths.includes(dir)) sharedPaths.push(dir);
    }
    const shared = sharedPaths
      .map((p) => othersCreated.get(p))
      .filter((p): p is Placeholder => p !== undefined);
    const paths = [...mine, ...shared];
    const record: Journal = { pid: process.pid, start: procStart(process.pid) ?? '', paths };
    fs.writeFileSync(journal, JSON.stringify(record), { mode: 0o600 });
    for (const p of mine) {
      if (p.anchor !== undefined) {
        if (p.type === 'dir') mkdirBelow(p.anchor, p.path, 0o700);
        else createFileBelow(p.anchor, p.path, 0o600);
      } else if (p.type === 'dir') fs.mkdirSync(p.path, { mode: 0o700 });
      else
        fs.closeSync(
          fs.openSync(
            p.path,
            fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY,
            0o600,
          ),
        );
    }
    const files = paths.filter((p) => p.type === 'file').map((p) => p.path);
    if (hideIn !== undefined && hidePlaceholders(hideIn, ourSessionTag(), files)) {
      record.exclude = hideIn;
      fs.writeFileSync(journal, JSON.stringify(record), { mode: 0o600 });
    }
    return { dir, journal, paths, ...(record.exclude === undefined ? {} : { exclude: hideIn }) };
  });
}

export function releasePlaceholders(claim: Claim): Promise<void> {
  return withLockAsync(claim.dir, async () => {
    await removeUnclaimedInParallel(claim.paths, claimsOfOthers(claim.dir, claim.journal));
    if (claim.exclude !== undefined) unhidePlaceholders(claim.exclude, ourSessionTag());
    fs.rmSync(claim.journal, { force: true });
  });
}

/**
 * A detached process that waits for bubble to die (its stdin pipe closes, however bubble
 * ends) and then runs `node reaper.js DIR`, which sweeps dead sessions' journals.
 * Killed by bubble on a normal exit, where bubble cleaned up itself.
 */
export function spawnWatchdog(dir: string, reaperScript: string): () => void {
  const child = spawn(
    '/bin/sh',
    ['-c', 'read _ ; exec "$0" "$@"', process.execPath, reaperScript, dir],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: {},
    },
  );
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  child.on('error', () => {});
  return () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
}

/**
 * Clean up after dead sessions. Runs before host facts are gathered, so that a stale
 * placeholder is not mistaken for a real protected path.
 */
export function reap(dir: string): void {
  if (!hasJournals(dir)) return;
  withLock(dir, () => sweepDead(dir));
}
