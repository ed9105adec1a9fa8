// A lock between bubble processes on one host: a file naming its holder (pid and start
// time). It is made complete beside the lock and linked into place, so nobody ever reads a
// half-written holder; a dead holder's lock is taken over; a lock that vanishes while we
// look at it (its holder just released it) is simply tried again.

import * as fs from 'node:fs';
import { basename, dirname } from 'node:path';
import { isAliveIdentity, selfIdentity } from './process-identity.ts';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** A live holder keeps the lock for milliseconds; one stuck this long (stopped) is overruled. */
const GIVE_UP_WAITING_MS = 10_000;

function readHolder(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Take over a lock whose holder is `holder`: move it aside (only one contender can), and
 * drop it if it is still that holder's. If a live holder took the lock between our look
 * and our move, put it back.
 */
function takeOver(file: string, holder: string): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else did
    throw err;
  }
  if (readHolder(aside) !== holder) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // taken again meanwhile: the live holder's lock was already replaced
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Blocks until this process holds the lock `file`. */
export function takeLock(file: string): void {
  const mine = `${file}.${process.pid}`;
  fs.writeFileSync(mine, selfIdentity(), { mode: 0o600 });
  try {
    const since = Date.now();
    for (;;) {
      try {
        fs.linkSync(mine, file);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(file);
      if (holder === undefined) continue; // released between our link and our look
      if (!isAliveIdentity(holder) || Date.now() - since > GIVE_UP_WAITING_MS)
        takeOver(file, holder);
      else Atomics.wait(sleeper, 0, 0, 5);
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

/** Releases the lock if this process still holds it (a stuck holder may have been overruled). */
export function releaseLock(file: string): void {
  if (readHolder(file) === selfIdentity()) fs.rmSync(file, { force: true });
}

/**
 * The pids waiting for the lock `file` or about to take it (their holder file is beside it):
 * what a test holding the lock waits for before letting them all go at once.
 */
export function contenders(file: string): number[] {
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dirname(file));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)));
}
