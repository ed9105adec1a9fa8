// Network namespaces a test makes for itself, so a network test can give "this host"
// interfaces and addresses, or a second machine on a link, that no real machine has to
// have, without touching any other network. `unshare -rn` makes the namespace as root of a
// new user namespace (no privilege needed); the setup script runs there; the command then
// runs as the calling user again in a nested user namespace, because bubble refuses root
// and bwrap must be tried as the unprivileged user it is for.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import type { TestContext } from 'node:test';
import { unmet } from './bwrap.ts';

/** False (and a skip, or a failure under BUBBLE_MUST_WORK) when namespaces can't be made. */
export function requireNetns(t: TestContext): boolean {
  const r = spawnSync('unshare', ['-rn', 'ip', 'link', 'add', 'bubble0', 'type', 'bridge'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status === 0) return true;
  return unmet(
    t,
    `cannot make a network namespace with a bridge as this user (unshare -rn, ip): ${r.error?.message ?? r.stderr.trim()}`,
  );
}

/**
 * Run `argv` in a fresh network namespace after `setup` (shell lines run as the namespace's
 * root; processes it starts in the background are killed when `argv` ends).
 */
export function inNetns(
  setup: string,
  argv: string[],
  opts: { cwd: string; timeoutMs?: number },
): SpawnSyncReturns<string> {
  const ids = `--map-user=${process.getuid?.()} --map-group=${process.getgid?.()}`;
  const script =
    `set -e\ntrap 'kill $(jobs -p) 2>/dev/null' EXIT\nip link set lo up\n${setup}\n` +
    `set +e\nunshare --user ${ids} "$@"`;
  return spawnSync('unshare', ['-rn', 'bash', '-c', script, 'bash', ...argv], {
    cwd: opts.cwd,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: process.env,
  });
}

/**
 * Setup lines for a second machine on a veth link: its own network namespace holding
 * `remote` addresses on its end, `local` addresses on this end, routes to `routes` through
 * the link, and `serve` (a command) running there. Addresses are CIDRs; IPv6 skips DAD.
 */
export function secondMachine(o: {
  local: string[];
  remote: string[];
  routes?: string[];
  serve: string;
}): string {
  const add = (dev: string, a: string): string =>
    `ip addr add ${a} dev ${dev}${a.includes(':') ? ' nodad' : ''}`;
  const there = [
    'ip link set lo up',
    ...o.remote.map((a) => add('bub1', a)),
    'ip link set bub1 up',
  ];
  // The peer makes its namespace, says so, and waits until its end of the link is moved in.
  return [
    'sync=$(mktemp -d)',
    'mkfifo "$sync/up" "$sync/go"',
    `unshare -n bash -c 'echo >"$1/up"; read -r _ <"$1/go"; ${there.join(' && ')} && exec ${o.serve}' bash "$sync" &`,
    'read -r _ <"$sync/up"',
    'ip link add bub0 type veth peer name bub1 netns $!',
    ...o.local.map((a) => add('bub0', a)),
    'ip link set bub0 up',
    ...(o.routes ?? []).map((r) => `ip route add ${r} dev bub0`),
    'echo >"$sync/go"',
    'rm -r "$sync"',
  ].join('\n');
}
