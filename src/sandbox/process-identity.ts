// A process named by pid and start time, so that a reused pid is not mistaken for it.

import * as fs from 'node:fs';

/** Field 22 of /proc/PID/stat (start time in clock ticks), or undefined once it has exited. */
export function procStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Counted after the parenthesised command name (which may contain spaces).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
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
