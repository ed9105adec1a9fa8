// Timing helpers for benchmarks: medians of repeated runs, measured round-robin so that a
// noisy moment on a shared machine hits every contender alike.

import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export interface Contender {
  name: string;
  cmd: string;
  args: string[];
  opts?: SpawnSyncOptions;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export const median = (xs: number[]): number => percentile(xs, 50);

/** Wall time of each contender, `rounds` times, interleaved. Fails loudly if a run fails. */
export function timeAll(contenders: Contender[], rounds: number): Map<string, number[]> {
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < rounds + 2; i++) {
    for (const c of contenders) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(c.cmd, c.args, { stdio: ['ignore', 'ignore', 'pipe'], ...c.opts });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0)
        throw new Error(`${c.name} failed (${r.status}): ${r.stderr?.toString()}`);
      if (i >= 2) times.get(c.name)!.push(ms); // two warm-up rounds
    }
  }
  return times;
}
