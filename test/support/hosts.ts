// Names of the test's own for servers on this host's loopback: `bubble ARGS` runs with an
// /etc/hosts of the test's, bound in a mount namespace of its own (for bubble's proxy and
// the sandbox alike), as the unprivileged user it is. Names, because loopback names and
// literals reach a published port (--host-port) without any allow rule.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { unmet } from './bwrap.ts';
import { bubbleBin, type Result, type World } from './world.ts';

/** False (and a skip, or a failure under BUBBLE_MUST_WORK) when mount namespaces can't be made. */
export function requireMountns(t: TestContext): boolean {
  if (spawnSync('unshare', ['-rm', 'true']).status === 0) return true;
  return unmet(t, 'unshare -rm is not available (unprivileged user and mount namespaces)');
}

/** A hosts file in the world naming 127.0.0.1 by `names`. */
export function hostsFile(w: World, names: string[]): string {
  const path = join(w.root, 'hosts');
  fs.writeFileSync(path, `127.0.0.1 localhost ${names.join(' ')}\n`, { mode: 0o644 });
  return path;
}

/** `bubble ARGS` with /etc/hosts replaced by `hosts`; `onSpawn` sees the process. */
export async function bubbleWithHosts(
  w: World,
  hosts: string,
  args: string[],
  onSpawn?: (child: ChildProcess) => void,
): Promise<Result> {
  const ids = `--map-user=${process.getuid?.()} --map-group=${process.getgid?.()}`;
  const child = spawn(
    'unshare',
    [
      '-rm',
      'sh',
      '-c',
      `mount --bind "$0" /etc/hosts && exec unshare --user ${ids} "$@"`,
      hosts,
      process.execPath,
      bubbleBin,
      ...args,
    ],
    { cwd: w.project, env: w.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

/** An HTTP server on this host's loopback answering "hello from NAME", counting requests. */
export interface Site {
  name: string;
  port: number;
  hits: () => number;
  server: Server;
}

export async function site(name: string): Promise<Site> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    res.end(`hello from ${name}\n`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { name, port: (server.address() as AddressInfo).port, hits: () => hits, server };
}

/** Shell lines that fetch each site through the proxy inside: `NAME: BODY`. */
export function fetchLines(sites: Site[]): string {
  return sites
    .map(
      (s) =>
        `echo "${s.name}: $(curl -s --noproxy '' -x http://127.0.0.1:3128 http://${s.name}:${s.port}/)"`,
    )
    .join('\n');
}
