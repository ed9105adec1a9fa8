// A model API on this machine (ANTHROPIC_BASE_URL=http://127.0.0.1:8080): in filtered
// mode the sandbox reaches the host's loopback only through published ports, so bubble
// publishes that one port, as --host-port would, and says so.

import { join } from 'node:path';
import { NET_MODE_TRAITS } from '../../net/modes.ts';
import { loopbackApis, type LoopbackApi } from '../../policy/api-endpoints.ts';
import type { HostFacts } from '../../sandbox/facts.ts';
import type { Plan } from '../../sandbox/plan.ts';

/** The `env` table of the user's own agent settings (never the project's: it could pick a port). */
function settingsEnv(
  facts: HostFacts,
  profile: string,
): { source: string; env: Record<string, unknown> }[] {
  if (profile !== 'claude') return [];
  const path = join(facts.home, '.claude', 'settings.json');
  try {
    const parsed = JSON.parse(facts.fs.readText(path, 1 << 20) ?? '{}') as { env?: unknown };
    const env = parsed.env;
    return typeof env === 'object' && env !== null
      ? [{ source: path, env: env as Record<string, unknown> }]
      : [];
  } catch {
    return []; // the agent will complain about its own file
  }
}

export interface ApiPorts {
  /** Ports to publish, not yet published. */
  publish: number[];
  /** One line each, for stderr. */
  lines: string[];
}

/** Which loopback API ports this plan needs published (filtered mode only). */
export function apiPorts(facts: HostFacts, plan: Plan, published: readonly number[]): ApiPorts {
  const out: ApiPorts = { publish: [], lines: [] };
  if (NET_MODE_TRAITS[plan.net.mode].proxy !== 'socket') return out;
  // Settings win over the environment: Claude Code applies its settings' env on top.
  const apis: LoopbackApi[] = loopbackApis([
    ...settingsEnv(facts, plan.profile),
    // The host's value, for the variables that pass into the sandbox. A base URL that
    // bubble's credential proxy took over is reached from the host, not published.
    {
      source: 'the environment',
      env: Object.fromEntries(
        Object.keys(plan.env)
          .filter((k) => !(k in plan.credentials.env))
          .map((k) => [k, facts.env[k]]),
      ),
    },
  ]);
  for (const api of apis) {
    const from = api.source === 'the environment' ? '' : ` (in ${api.source})`;
    if (api.port < 1024) {
      out.lines.push(
        `${api.variable}=${api.url}${from} is a server on this machine, but port ${api.port} cannot be opened inside the sandbox (below 1024): serve it on a port >= 1024`,
      );
      continue;
    }
    if (published.includes(api.port) || out.publish.includes(api.port)) continue;
    out.publish.push(api.port);
    out.lines.push(
      `${api.variable}=${api.url}${from} is a server on this machine: port ${api.port} published into the sandbox (as --host-port ${api.port})`,
    );
  }
  return out;
}
