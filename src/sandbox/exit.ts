// Exit statuses, bash style: the agent's own, 128+n for signal n, 125 for our failures.

import { constants } from 'node:os';
import { EXIT_SETUP } from '../errors.ts';

export function signalExit(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * bwrap's json-status-fd writes `exit-code` only when the sandboxed command ran and exited;
 * a setup failure (a mount that failed, a namespace refused) ends bwrap without it.
 */
export function sandboxExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  agentExit: number | undefined,
  statusSupported: boolean,
): number {
  if (signal !== null) return signalExit(signal);
  if (agentExit !== undefined) return agentExit;
  if (!statusSupported) return code ?? EXIT_SETUP;
  return EXIT_SETUP;
}
