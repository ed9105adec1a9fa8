// Waiting on a condition, never on time: poll until it holds; the deadline only turns a
// condition that never comes into a clear failure instead of a hung test.

import { setTimeout as tick } from 'node:timers/promises';

export async function waitFor(
  condition: () => boolean,
  /** What is awaited (by default, the condition's source); a function to describe it late. */
  what: string | (() => string) = condition.toString(),
  deadlineMs = 60_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end)
      throw new Error(
        `gave up waiting (${deadlineMs} ms) for: ${typeof what === 'string' ? what : what()}`,
      );
    await tick(10);
  }
}

/** Poll `probe` until it gives a value (not undefined); that value. */
export async function waitForValue<T>(
  probe: () => T | undefined,
  what: string | (() => string),
  deadlineMs = 60_000,
): Promise<T> {
  let value: T | undefined;
  await waitFor(() => (value = probe()) !== undefined, what, deadlineMs);
  return value!;
}
