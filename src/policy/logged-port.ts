// logged mode: the host port bubble's proxy listens on is known only once the proxy
// listens, after the plan and before the launch. This adds it to the plan. Pure: the port
// reaches plan.net, the proxy variables and the credential base URLs; nothing else in the
// plan depends on it.

import type { Plan } from '../sandbox/plan.ts';
import { proxyEnv } from './network.ts';

/** The credential base URLs were planned with port 0 (the port was not known yet). */
const UNKNOWN_PORT_ORIGIN = 'http://127.0.0.1:0/';

export function withHostProxyPort(plan: Plan, port: number): Plan {
  const origin = `http://127.0.0.1:${port}/`;
  const rebase = (s: string): string => s.split(UNKNOWN_PORT_ORIGIN).join(origin);
  const credentials = plan.credentials;
  const credentialEnv = Object.fromEntries(
    Object.entries(credentials.env).map(([k, v]) => [k, rebase(v)]),
  );
  const credentialArgv = credentials.argv.map(rebase);
  // plan.argv is [command, ...the agent's own sandbox flags, ...credentials.argv, ...args].
  const at = argvIndex(plan.argv, credentials.argv);
  const argv =
    at < 0
      ? plan.argv
      : [
          ...plan.argv.slice(0, at),
          ...credentialArgv,
          ...plan.argv.slice(at + credentials.argv.length),
        ];
  const env = { ...plan.env };
  const envWhy = { ...plan.envWhy };
  for (const [k, v] of Object.entries(credentialEnv)) if (k in env) env[k] = v;
  for (const [k, v] of Object.entries(proxyEnv(port))) {
    // As in the plan's own environment: the JVM takes the last of a repeated -D, so the
    // user's options (--env JAVA_TOOL_OPTIONS) come after ours.
    env[k] = k === 'JAVA_TOOL_OPTIONS' && k in env ? `${v} ${env[k]}` : v;
    envWhy[k] = `bubble's proxy (--net ${plan.net.mode})`;
  }
  return {
    ...plan,
    argv,
    env,
    envWhy,
    net: { ...plan.net, proxyPort: port },
    credentials: {
      ...credentials,
      env: credentialEnv,
      argv: credentialArgv,
      injected: credentials.injected.map((api) => ({ ...api, insideBase: rebase(api.insideBase) })),
    },
  };
}

function argvIndex(argv: readonly string[], part: readonly string[]): number {
  if (part.length === 0) return -1;
  for (let i = 1; i + part.length <= argv.length; i++)
    if (part.every((w, j) => argv[i + j] === w)) return i;
  return -1;
}
