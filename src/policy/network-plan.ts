// The network decisions of a plan: the rules and ports (netPlan), and in filtered mode what
// the sandbox needs to reach bubble's proxy: the socket dir, the forwarder that carries
// loopback connections to it, and the programs that run it. Pure: reads the host only
// through facts.

import { dirname, join } from 'node:path';
import { NET_MODE_TRAITS } from '../net/modes.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import type { NetPlan } from '../sandbox/plan.ts';
import { commandDirs } from './command.ts';
import type { Mounts } from './mount-list.ts';
import {
  INSIDE_SOCKET_DIR,
  netPlan,
  procNetTcpPort,
  SOCKET_NAME,
  type Forwarder,
} from './network.ts';
import type { RunRequest } from './run-request.ts';

export interface NetworkPlan {
  net: NetPlan;
  /** Filtered mode: what carries connections from the sandbox's loopback to the proxy. */
  forwarder: Forwarder | undefined;
  /** The forwarder's arguments to the trampoline (see network.ts). */
  bridgeArgs: string[];
}

export function planNetwork(
  m: Mounts,
  facts: HostFacts,
  req: Pick<
    RunRequest,
    | 'net'
    | 'allow'
    | 'deny'
    | 'hostPorts'
    | 'publish'
    | 'allowPrivate'
    | 'netPolicy'
    | 'askTimeoutMs'
    | 'sources'
  >,
): NetworkPlan {
  const ruleSources = Object.fromEntries(
    Object.entries(req.sources ?? {}).filter(([k]) => /^(allow|deny|host-port):/.test(k)),
  );
  const bridged = NET_MODE_TRAITS[req.net].proxy === 'socket';
  const net: NetPlan = {
    ...netPlan({ mode: req.net, allow: req.allow, deny: req.deny, hostPorts: req.hostPorts }),
    ...(Object.keys(ruleSources).length > 0 ? { sources: ruleSources } : {}),
    ...((req.allowPrivate ?? []).length > 0 ? { allowPrivate: req.allowPrivate } : {}),
    ...((req.publish ?? []).length > 0 ? { publish: req.publish } : {}),
    ...(req.netPolicy !== undefined ? { policy: req.netPolicy } : {}),
    ...(req.askTimeoutMs !== undefined ? { askTimeoutMs: req.askTimeoutMs } : {}),
    ...(bridged ? { socket: join(facts.bubble.runtimeDir, SOCKET_NAME) } : {}),
  };
  if (!bridged) return { net, forwarder: undefined, bridgeArgs: [] };
  m.parentsOf(INSIDE_SOCKET_DIR);
  m.push({
    kind: 'ro',
    src: facts.bubble.runtimeDir,
    dest: INSIDE_SOCKET_DIR,
    why: "bubble's proxy socket: the only way out",
    source: '--net filtered',
  });
  // socat starts in a millisecond where Node takes tens; published ports need the bridge,
  // which asks the proxy for each one (decided and logged like any connection), and so do
  // the sandbox's own ports published to the host (carried over publish.sock).
  const inbound = (req.publish ?? []).map((p) => p.inside);
  const forwarder: Forwarder =
    facts.bubble.socat !== undefined && req.hostPorts.length === 0 && inbound.length === 0
      ? 'socat'
      : 'node';
  // Node and bubble's net scripts in both cases: connect.js is ssh's ProxyCommand.
  const runs = [...commandDirs(facts, facts.bubble.node), dirname(facts.bubble.bridge)];
  if (forwarder === 'socat') runs.push(...commandDirs(facts, facts.bubble.socat!));
  for (const dir of runs) {
    if (m.visible(dir, facts)) continue;
    m.parentsOf(dir);
    m.push({
      kind: 'ro',
      src: dir,
      dest: dir,
      why: "runs the network forwarder and ssh's proxy command",
      source: '--net filtered',
    });
  }
  const socket = `${INSIDE_SOCKET_DIR}/${SOCKET_NAME}`;
  const bridgeArgs =
    forwarder === 'socat'
      ? [facts.bubble.socat!, String(net.proxyPort), socket, procNetTcpPort(net.proxyPort!)]
      : [
          facts.bubble.node,
          facts.bubble.bridge,
          String(net.proxyPort),
          socket,
          req.hostPorts.join(','),
          inbound.join(','),
        ];
  return { net, forwarder, bridgeArgs };
}
