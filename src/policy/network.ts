// The network part of the plan: how the sandbox reaches bubble's proxy in each mode.
// Pure: the host endpoint (logged mode's port) is decided by the caller beforehand.

import type { NetPlan } from '../sandbox/plan.ts';
import { NET_MODE_TRAITS, type NetMode } from '../net/modes.ts';

/** Where the proxy's Unix socket directory appears inside the sandbox. */
export const INSIDE_SOCKET_DIR = '/run/bubble';
export const SOCKET_NAME = 'proxy.sock';
const PREFERRED_INSIDE_PORT = 3128;

export interface NetRequest {
  mode: NetMode;
  allow: string[];
  deny: string[];
  hostPorts: number[];
}

/**
 * What carries the agent's connections from the sandbox's loopback to the proxy's socket:
 * socat where the host has it (starts in about a millisecond), else bubble's Node bridge,
 * which also serves published ports (--host-port).
 */
export type Forwarder = 'socat' | 'node';

/**
 * Runs inside the sandbox before the agent, as `sh -c TRAMPOLINE bubble [FORWARDER ARGS] CMD...`:
 * applies the resource limits, then (filtered mode) starts the forwarder (loopback -> proxy
 * socket) and waits until it listens, then becomes the agent.
 *   socat: `SOCAT PORT SOCKET PORT_HEX`; listening is seen in the namespace's own
 *     /proc/net/tcp (nothing else listens in a new namespace before the agent); each connection
 *     retries the socket for up to 3 s (bubble's proxy starts while the sandbox does), then
 *     is closed: fail closed.
 *   node: `NODE BRIDGE PORT SOCKET HOST_PORTS INBOUND_PORTS`; a fifo on the sandbox's own /tmp carries the
 *     bridge's "ready". Node's start-up variables are cleared for the bridge.
 */
export function trampoline(
  ulimits: string,
  forwarder: Forwarder | undefined,
  restoreSignals = false,
): string {
  const lines = ulimits === '' ? [] : [`${ulimits} || exit 125`];
  if (forwarder === 'socat') {
    lines.push(
      '[ -r /proc/net/tcp ] || exit 125',
      // -t 5: after one side ended, the other may go on for 5 s (as the Node bridge does).
      '"$1" -b 131072 -t 5 TCP-LISTEN:"$2",bind=127.0.0.1,reuseaddr,fork,backlog=1024,nodelay UNIX-CONNECT:"$3",retry=300,interval=0.01 </dev/null >/dev/null 2>&1 &',
      'fw=$! up=',
      'while [ -z "$up" ]; do',
      '  while read -r _ a _ st _; do [ "${a#*:} $st" = "$4 0A" ] && up=1 && break; done </proc/net/tcp',
      '  [ -n "$up" ] || kill -0 "$fw" 2>/dev/null || { echo "bubble: the sandbox network forwarder (socat) did not start" >&2; exit 125; }',
      'done',
      'shift 4',
    );
  } else if (forwarder === 'node') {
    lines.push(
      'f=/tmp/.bubble-net.$$',
      'mkfifo -m 600 "$f" || exit 125',
      'NODE_OPTIONS= NODE_EXTRA_CA_CERTS= "$1" "$2" "$3" "$4" 3 "$5" "$6" 3>"$f" </dev/null >/dev/null &',
      'read -r ok <"$f"; rm -f "$f"',
      '[ "$ok" = ready ] || { echo "bubble: the sandbox network bridge did not start" >&2; exit 125; }',
      'shift 6',
    );
  }
  // bwrap was started ignoring ^C and ^\ (see launch.ts); a shell cannot undo an ignored
  // signal, coreutils env can.
  lines.push(
    restoreSignals
      ? 'exec /usr/bin/env --default-signal=INT --default-signal=QUIT "$@"'
      : 'exec "$@"',
  );
  return lines.join('\n');
}

/** A port as /proc/net/tcp spells it (the address part is in host byte order: not used). */
export function procNetTcpPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** The loopback port of the in-sandbox proxy: one no published port uses. */
export function insidePort(hostPorts: readonly number[]): number {
  let port = PREFERRED_INSIDE_PORT;
  while (hostPorts.includes(port)) port++;
  return port;
}

/** Where connect.js (ssh's ProxyCommand through the proxy) is: next to bridge.js. */
export function connectScript(bridge: string): string {
  return bridge.slice(0, bridge.lastIndexOf('/') + 1) + 'connect.js';
}

// One word for sh (ssh runs ProxyCommand, git runs GIT_SSH_COMMAND, through a shell).
function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * ssh's ProxyCommand that tunnels through bubble's proxy (ALL_PROXY, SOCKS5) from
 * inside the sandbox: `ssh -o ProxyCommand="..."`, or `ProxyCommand ...` in ~/.ssh/config.
 */
export function sshProxyCommand(node: string, connect: string): string {
  // ssh expands %-tokens in ProxyCommand: a literal % in a path is %%.
  const word = (s: string): string => shellWord(s).replace(/%/g, '%%');
  return `${word(node)} ${word(connect)} %h %p`;
}

export function proxyEnv(
  port: number,
  tools?: { readonly node: string; readonly connect: string },
): Record<string, string> {
  const http = `http://127.0.0.1:${port}`;
  const socks = `socks5h://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    HTTP_PROXY: http,
    HTTPS_PROXY: http,
    ALL_PROXY: socks,
    NO_PROXY: 'localhost,127.0.0.1,::1',
  };
  for (const [k, v] of Object.entries(env)) env[k.toLowerCase()] = v;
  // Node >= 24 (and 22.21+) honour the proxy variables in fetch/http when this is set.
  env.NODE_USE_ENV_PROXY = '1';
  // The JVM ignores the variables: system properties, read by every JVM that starts
  // (java, Gradle's daemon, Maven, sbt). Loopback stays direct, as NO_PROXY has it.
  env.JAVA_TOOL_OPTIONS = [
    `-Dhttp.proxyHost=127.0.0.1`,
    `-Dhttp.proxyPort=${port}`,
    `-Dhttps.proxyHost=127.0.0.1`,
    `-Dhttps.proxyPort=${port}`,
    '-Dhttp.nonProxyHosts=localhost|127.*|[::1]',
  ].join(' ');
  // git over ssh (and `eval "$GIT_SSH_COMMAND" host cmd`) through the proxy.
  if (tools)
    env.GIT_SSH_COMMAND = `ssh -o ${shellWord(`ProxyCommand=${sshProxyCommand(tools.node, tools.connect)}`)}`;
  return env;
}

/** logged mode's port is the host's, known once the proxy listens: see logged-port.ts. */
export function netPlan(req: NetRequest): NetPlan {
  const base = { mode: req.mode, allow: req.allow, deny: req.deny, hostPorts: req.hostPorts };
  switch (NET_MODE_TRAITS[req.mode].proxy) {
    case 'socket':
      return { ...base, proxyPort: insidePort(req.hostPorts) };
    case 'port':
    case 'none':
      return base;
  }
}
