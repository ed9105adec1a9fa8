// Resource limits: so a runaway or hostile agent cannot take the machine down. tmpfs sizes
// bound what /tmp, /dev/shm and the hidden home can hold in memory; a cgroup bounds all of
// the sandbox's memory; rlimits bound processes (counted per user namespace on Linux >= 5.14,
// so the sandbox's own), file size and open files. Every limit is tighter when lower.

import { BubbleError } from '../errors.ts';

export interface Limits {
  tmpBytes: number;
  homeBytes: number;
  /** RLIMIT_NPROC: tasks (processes and threads) in the sandbox. */
  nproc: number | 'unlimited';
  /** RLIMIT_FSIZE: the largest file the sandbox can write. */
  fsizeBytes: number | 'unlimited';
  /** RLIMIT_NOFILE, or inherited from bubble when undefined. */
  nofile?: number | undefined;
  /** All memory of the sandbox, swap included; half of the host's RAM when undefined. */
  memBytes?: number | 'unlimited' | undefined;
}

const GiB = 1024 ** 3;

export const DEFAULT_LIMITS: Limits = {
  tmpBytes: GiB,
  homeBytes: GiB,
  nproc: 2048,
  fsizeBytes: 8 * GiB,
};

const SIZE = /^(\d+)([kmgt]?)(i?b)?$/i;
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: GiB, t: 1024 ** 4 };
const MiB = 1024 ** 2;

/** The smallest value that leaves a working sandbox: below it, a value is a typo (`tmp=2`). */
const MIN_SIZE: Record<string, number> = { tmp: MiB, home: MiB, fsize: MiB, mem: 64 * MiB };

function parseSize(name: string, text: string): number {
  const m = SIZE.exec(text.trim());
  if (!m)
    throw new BubbleError('USAGE', `--limit ${name}=${text}: expected a size like 512M or 2G`);
  const bytes = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  const min = MIN_SIZE[name] ?? 1;
  if (!Number.isSafeInteger(bytes) || bytes < min)
    throw new BubbleError(
      'USAGE',
      `--limit ${name}=${text}: ${bytes < min ? `less than the ${min / MiB} MiB a sandbox needs` : 'too large'}`,
      { hint: 'a size is a number with a unit: 512M, 2G (a bare number is bytes)' },
    );
  return bytes;
}

function parseCount(name: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new BubbleError('USAGE', `--limit ${name}=${text}: expected a positive number`);
  return Number(text);
}

/** `--limit NAME=VALUE` (repeatable) over the defaults. */
export function parseLimits(specs: readonly string[], base: Limits = DEFAULT_LIMITS): Limits {
  const out: Limits = { ...base };
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    const value = eq < 0 ? '' : spec.slice(eq + 1);
    const unlimited = value === 'unlimited';
    switch (name) {
      case 'tmp':
        out.tmpBytes = parseSize(name, value);
        break;
      case 'home':
        out.homeBytes = parseSize(name, value);
        break;
      case 'nproc':
        out.nproc = unlimited ? 'unlimited' : parseCount(name, value);
        break;
      case 'fsize':
        out.fsizeBytes = unlimited ? 'unlimited' : parseSize(name, value);
        break;
      case 'nofile':
        out.nofile = parseCount(name, value);
        break;
      case 'mem':
        out.memBytes = unlimited ? 'unlimited' : parseSize(name, value);
        break;
      default:
        throw new BubbleError('USAGE', `--limit ${JSON.stringify(spec)}: unknown limit`, {
          hint: 'limits: mem, tmp, home, nproc, fsize, nofile (e.g. --limit mem=4G)',
        });
    }
  }
  return out;
}

/** The `ulimit` line the in-sandbox trampoline runs (dash: -p processes, -f 512-byte blocks). */
export function ulimitLine(l: Limits): string {
  const parts: string[] = [];
  if (l.nproc !== 'unlimited') parts.push(`-p ${l.nproc}`);
  if (l.fsizeBytes !== 'unlimited') parts.push(`-f ${Math.max(1, Math.floor(l.fsizeBytes / 512))}`);
  if (l.nofile !== undefined) parts.push(`-n ${l.nofile}`);
  // Without -H/-S both limits are set, so the agent cannot raise them again.
  return parts.map((p) => `ulimit ${p}`).join(' && ');
}
