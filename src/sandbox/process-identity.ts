// A process named by pid and start time, so that a reused pid is not mistaken for it.

import * as fs from 'node:fs';

let ownStart: string | undefined;

/** Field 22 of /proc/PID/stat (start time in clock ticks), or undefined once it has exited. */
export function procStart(pid: number): string | undefined {
  // This process's own is asked for several times per launch and never changes.
  if (pid === process.pid && ownStart !== undefined) return ownStart;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Counted after the parenthesised command name (which may contain spaces).
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    if (pid === process.pid) ownStart = start;
    return start;
  } catch {
    return undefined;
  }
}

/** `PID START` of this process: what a lock or a journal records as its holder. */
export function selfIdentity(): string {
  return `${process.pid} ${procStart(process.pid) ?? ''}`;
}

export function isAliveIdentity(identity: string): boolean {
  const [pid, start] = identity.split(' ');
  return /^\d+$/.test(pid ?? '') && start !== undefined && procStart(Number(pid)) === start;
}
