// The egress log cannot be hidden: a connection is on disk before a byte flows (so a
// tunnel open when bubble is killed -9 is still in the log, as cut short), and when the
// log cannot be written the proxy refuses new connections instead of serving them
// unrecorded. The host-side witness is an echo server that counts what reached it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseLog, readLog } from '../../src/log/reader.ts';
import { requireBwrap, unmet } from '../support/bwrap.ts';
import { bubbleBin, makeWorld, runBubble } from '../support/world.ts';

async function echoServer(): Promise<{ port: number; accepted: () => number; close(): void }> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    accepted += 1;
    sockets.add(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// Through the proxy inside, CONNECT to the published port, one echo round trip.
const tunnel = (port: number, then: string): string => `python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', 3128))
s.sendall(b'CONNECT 127.0.0.1:${port} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')
head = s.recv(4096)
if not head.startswith(b'HTTP/1.1 200'):
    print(head.decode(errors='replace').splitlines()[-1], flush=True); sys.exit(3)
s.sendall(b'ping'); assert s.recv(4) == b'ping'
${then}"`;

test('a tunnel open when bubble is killed -9 is in the log, as cut short', async (t) => {
  if (!(await requireBwrap(t))) return;
  const w = makeWorld();
  const echo = await echoServer();
  t.after(() => {
    echo.close();
    w.cleanup();
  });
  const child = spawn(
    process.execPath,
    [
      bubbleBin,
      'run',
      '--host-port',
      String(echo.port),
      '--',
      'sh',
      '-c',
      tunnel(echo.port, "print('tunnel-open', flush=True); sys.stdin.read()"),
    ],
    { cwd: w.project, env: w.env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('tunnel-open')) resolve();
    });
    child.once('exit', () => reject(new Error(`bubble exited before the tunnel opened: ${out}`)));
  });
  child.kill('SIGKILL');
  await once(child, 'close');
  assert.equal(echo.accepted(), 1);

  const dir = join(w.home, '.local/state/bubble/sessions');
  const log = readLog(join(dir, fs.readdirSync(dir)[0] ?? ''));
  assert.equal(log.end, null);
  assert.equal(log.cutShort, true);
  const conn = log.connections.find((c) => c.port === echo.port);
  assert.ok(conn, 'the open tunnel is not in the log');
  assert.equal(conn.cutShort, true);
  assert.equal(conn.decision, 'allow');

  const list = await runBubble(w, ['log']);
  assert.match(list.stdout, /cut short/);
  const one = await runBubble(w, ['log', '--last']);
  assert.match(one.stdout, /cut short/);
  assert.match(one.stdout, /1 cut short \(bubble was killed\)/);
  const json = JSON.parse((await runBubble(w, ['log', '--last', '--json'])).stdout) as {
    cutShort: boolean;
    summary: { cutShort: number };
  };
  assert.equal(json.cutShort, true);
  assert.equal(json.summary.cutShort, 1);
});

test('when the log cannot be written, new connections are refused, said once', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (spawnSync('unshare', ['-rm', 'true']).status !== 0) {
    unmet(t, 'unshare -rm is not available (unprivileged user and mount namespaces)');
    return;
  }
  const w = makeWorld();
  const echo = await echoServer();
  t.after(() => {
    echo.close();
    w.cleanup();
  });
  // The session log directory is a 4 KiB tmpfs of a mount namespace of our own: a few
  // records fill it. The sandbox opens tunnels until one is refused.
  const sessions = join(w.home, '.local/state/bubble/sessions');
  fs.mkdirSync(sessions, { recursive: true, mode: 0o700 });
  const copy = join(w.root, 'log-copy.jsonl');
  const script = tunnel(echo.port, '');
  const inner = [
    process.execPath,
    bubbleBin,
    'run',
    '--host-port',
    String(echo.port),
    '--',
    'sh',
    '-c',
    `for i in $(seq 1 200); do ${script.replace(/\$/g, '\\$')} || { echo "refused after $i"; exit 0; }; done; echo never refused`,
  ];
  const ids = `--map-user=${process.getuid?.()} --map-group=${process.getgid?.()}`;
  // Not spawnSync: the echo server in this process must keep answering meanwhile.
  const child = spawn(
    'unshare',
    [
      '-rm',
      'sh',
      '-c',
      `mount -t tmpfs -o size=4k,mode=0700 bubble-full "$0" && unshare --user ${ids} "$@"; rc=$?; cat "$0"/*.jsonl > ${copy}; exit $rc`,
      sessions,
      ...inner,
    ],
    { cwd: w.project, env: w.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const r = { stdout: '', stderr: '', status: null as number | null };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (r.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (r.stderr += d));
  [r.status] = (await once(child, 'close')) as [number | null];
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /refused after \d+/, r.stdout + r.stderr);
  assert.match(r.stdout, /bubble: refused 127\.0\.0\.1:\d+: the egress log cannot be written/);
  const said = r.stderr.match(/cannot write to .*new connections are refused/g) ?? [];
  assert.equal(said.length, 1, r.stderr);
  // Every connection that reached the host has its record on disk.
  const log = parseLog(fs.readFileSync(copy, 'utf8'));
  const opened = log.connections.filter((c) => c.port === echo.port && c.decision === 'allow');
  assert.ok(echo.accepted() > 0);
  assert.equal(opened.length, echo.accepted(), 'a connection reached the host unlogged');
});
