// The ssh-agent filter's part of a session: started before the sandbox (its socket is
// bound in), every event written to the session log, and one line at the end.

import type { SessionLog } from '../log/writer.ts';
import { sshAgentRecord, type AgentEvent } from '../log/record.ts';
import type { Plan } from '../sandbox/plan.ts';
import { startAgentFilter, type AgentFilter } from './agent-filter.ts';
import { signedSummary } from './signed-data.ts';

export interface AgentSession {
  close(): Promise<void>;
  /** `ssh-agent: 2 signatures (git signature x1, ssh login as git x1), 1 request refused`. */
  summary(): string;
}

/**
 * Starts the filter; `log()` names the session log, which may be opened after this resolves
 * (so that a refusal to start, such as a key not in the agent, leaves no log behind).
 */
export async function startAgentSession(
  agent: NonNullable<Plan['sshAgent']>,
  log: () => SessionLog | undefined,
): Promise<AgentSession> {
  const events: AgentEvent[] = [];
  const filter: AgentFilter = await startAgentFilter({
    upstream: agent.upstream,
    listen: agent.socket,
    keys: agent.keys,
    onEvent: (e) => {
      events.push(e);
      // Throws when the log cannot be written: the filter then refuses the request.
      const to = log();
      if (to === undefined) throw new Error('no session log');
      to.write(sshAgentRecord(e));
    },
  });
  return {
    close: () => filter.close(),
    summary() {
      const signed = events.filter((e) => e.request === 'sign' && e.decision === 'allow');
      const refused = events.filter((e) => e.decision === 'deny').length;
      const kinds = new Map<string, number>();
      for (const e of signed) {
        const k = e.signed === null ? 'unrecognised data' : signedSummary(e.signed);
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
      const what = [...kinds].map(([k, n]) => `${k} x${n}`).join(', ');
      return `ssh-agent: ${signed.length} signature${signed.length === 1 ? '' : 's'}${what ? ` (${what})` : ''}, ${refused} request${refused === 1 ? '' : 's'} refused`;
    },
  };
}
