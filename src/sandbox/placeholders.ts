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
import { dirname, join } from 'node:path';
import { bubbleDirs } from '../config/paths.ts';
import { releaseLock, takeLock } from './file-lock.ts';
import { hidePlaceholders, unhidePlaceholders } from './git-hide.ts';
import { isUnder } from '../policy/paths.ts';
import {
  createFileBelow,
  existsBelow,
  mkdirBelow,
  removeBelow,
  removeBelowAsync,
} from './nofollow.ts';
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
 * `paths` and each of their directories below their anchor, outermost first: what must
 * exist for the plan's mounts (a directory another session created may be gone).
 */
function withAncestors(paths: Placeholder[]): Placeholder[] {
  const all = new Map<string, Placeholder>();
  for (const p of paths) {
    if (p.anchor !== undefined)
      for (const dir of ancestorsBelow(p.anchor, p.path))
        if (!all.has(dir)) all.set(dir, { path: dir, type: 'dir', anchor: p.anchor });
    all.set(p.path, p);
  }
  return [...all.values()].sort((a, b) => a.path.split('/').length - b.path.split('/').length);
}

function ancestorsBelow(anchor: string, path: string): string[] {
  const out: string[] = [];
  for (let d = dirname(path); d !== anchor && isUnder(d, anchor); d = dirname(d)) out.push(d);
  return out;
}

function existsNow(p: Placeholder): boolean {
  if (p.anchor !== undefined) return existsBelow(p.anchor, p.path);
  return fs.lstatSync(p.path, { throwIfNoEntry: false }) !== undefined;
}

function createPlaceholder(p: Placeholder): void {
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

/**
 * Make sure what the plan's mounts need exists, and claim it. The plan was made from a look
 * at the host before the lock: since then another session may have created a placeholder
 * we meant to create (it is shared), or ended and removed one we saw (it is created again,
 * as ours). Placeholders of any session, a dead one's too, are claimed, so that nobody
 * removes them while we use them: removing a mount point detaches the mount.
 */
export function claimPlaceholders(
  dir: string,
  /** Placeholders the plan creates (missing when it looked). */
  create: Placeholder[],
  /** Protected paths that existed when the plan looked (maybe another session's placeholders). */
  existing: Placeholder[],
  /** The project: its placeholder files are kept out of host git's sight (git-hide.ts). */
  hideIn?: string,
): Claim {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const journal = join(dir, `${process.pid}.json`);
  return withLock(dir, () => {
    const othersCreated = new Map<string, Placeholder>();
    for (const { file, journal: j } of readJournals(dir))
      if (file !== journal) for (const p of j.paths) othersCreated.set(p.path, p);
    const planned = new Set(create.map((p) => p.path));
    const mine: Placeholder[] = [];
    const shared: Placeholder[] = [];
    for (const p of withAncestors([...create, ...existing])) {
      if (!existsNow(p)) {
        mine.push(p);
        continue;
      }
      const theirs = othersCreated.get(p.path);
      if (theirs !== undefined) shared.push(theirs);
      else if (planned.has(p.path))
        // Not a placeholder and not there when the plan looked: someone made it meanwhile.
        throw Object.assign(new Error(`${p.path} appeared while bubble started`), {
          code: 'EEXIST',
          path: p.path,
        });
    }
    const paths = [...mine, ...shared];
    const record: Journal = { pid: process.pid, start: procStart(process.pid) ?? '', paths };
    fs.writeFileSync(journal, JSON.stringify(record), { mode: 0o600 });
    for (const p of mine) createPlaceholder(p);
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
  if (!someJournalDead(dir)) return;
  withLock(dir, () => sweepDead(dir));
}

/**
 * Whether a sweep is needed: a journal of a dead session, or one that does not parse (a
 * writer killed mid-write, or one writing now: the sweep under the lock tells which).
 * Read without the lock, so that starting beside live sessions does not wait for it.
 */
function someJournalDead(dir: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return false;
  }
  return names.some((name) => {
    try {
      return !isAlive(JSON.parse(fs.readFileSync(join(dir, name), 'utf8')) as Journal);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'ENOENT'; // gone: its session ended
    }
  });
}
