// Waiting on a condition, never on time: poll until it holds; the deadline only turns a
// condition that never comes into a clear failure instead of a hung test.

import { setTimeout as tick } from 'node:timers/promises';

export async function waitFor(
  condition: () => boolean,
  what: string,
  deadlineMs = 60_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`gave up waiting (${deadlineMs} ms) for: ${what}`);
    await tick(10);
  }
}
