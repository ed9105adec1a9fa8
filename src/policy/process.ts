// How the sandbox's processes run: the resource limits and the trampoline that applies
// them (and starts the network forwarder), the memory cgroup, the namespaces, the seccomp
// filter, and what bwrap itself is told. Pure: decides from facts, starts nothing.

import type { HostFacts } from '../sandbox/facts.ts';
import type { Namespaces, Plan, ProcessPolicy } from '../sandbox/plan.ts';
import { NET_MODE_TRAITS, type NetMode } from '../net/modes.ts';
import { seccompRules, seccompSupported } from '../sandbox/seccomp.ts';
import { ulimitLine, type Limits } from './limits.ts';
import { trampoline, type Forwarder } from './network.ts';

function kernelBefore(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  return Number(m[1]) < major || (Number(m[1]) === major && Number(m[2]) < minor);
}

/** The memory limit and its cgroup, or the one-line warning why there is none. */
function memoryPlan(limits: Limits, facts: HostFacts): Plan['memory'] | string | undefined {
  if (limits.memBytes === 'unlimited') return undefined;
  const bytes = limits.memBytes ?? Math.floor(facts.memTotal / 2);
  const cg = facts.memoryCgroup;
  if (cg.kind === 'none')
    return `no memory limit: ${cg.why}; the sandbox can use all of the RAM (bubble doctor says how to get one)`;
  return { bytes, cgroup: cg };
}

export interface ProcessPlan {
  /** The limits in force (a process limit the kernel cannot scope is dropped). */
  limits: Limits;
  memory: Plan['memory'];
  /** `sh -c TRAMPOLINE bubble ...` before the agent's argv, or nothing when not needed. */
  wrapper: string[];
  namespaces: Namespaces;
  process: ProcessPolicy;
  seccomp: Plan['seccomp'];
  warnings: string[];
}

export function processPlan(
  facts: HostFacts,
  opts: {
    limits: Limits;
    net: NetMode;
    forwarder: Forwarder | undefined;
    bridgeArgs: readonly string[];
  },
): ProcessPlan {
  const { limits } = opts;
  const warnings: string[] = [];
  // Before Linux 5.14 RLIMIT_NPROC counts all of the user's processes, not the sandbox's.
  let effective = limits;
  if (limits.nproc !== 'unlimited' && kernelBefore(facts.kernel, 5, 14)) {
    effective = { ...limits, nproc: 'unlimited' };
    warnings.push(
      `kernel ${facts.kernel} counts process limits per user, not per sandbox: no process limit`,
    );
  }
  const signalEnv = facts.stdinIsTTY ? facts.signalEnv : undefined;
  const script = trampoline(ulimitLine(effective), opts.forwarder, signalEnv !== undefined);
  const wrapper =
    script === 'exec "$@"' ? [] : ['/bin/sh', '-c', script, 'bubble', ...opts.bridgeArgs];

  const seccompOk = seccompSupported(facts.arch);
  if (!seccompOk)
    warnings.push(
      `no seccomp filter for architecture ${facts.arch}: terminal injection and kernel attack surface are not filtered`,
    );
  const features = facts.bwrap?.features;
  if (features !== undefined && !features.size)
    warnings.push(
      `bwrap ${facts.bwrap!.version} has no --size: /tmp, /dev/shm and the hidden home may fill up to half the RAM (upgrade bubblewrap to 0.8 or later)`,
    );
  const memory = memoryPlan(limits, facts);
  if (typeof memory === 'string') warnings.push(memory);

  return {
    limits: effective,
    memory: typeof memory === 'string' ? undefined : memory,
    wrapper,
    namespaces: {
      user: true,
      pid: true,
      ipc: true,
      uts: true,
      cgroup: true,
      net: NET_MODE_TRAITS[opts.net].network === 'own',
    },
    process: {
      dieWithParent: true,
      newSession: !facts.stdinIsTTY,
      signalEnv,
      disableUserns: features?.disableUserns ?? true,
      asRoot: facts.uid === 0,
    },
    seccomp: seccompOk
      ? { rules: seccompRules({ allowUserns: false }), allowUserns: false }
      : undefined,
    warnings,
  };
}
