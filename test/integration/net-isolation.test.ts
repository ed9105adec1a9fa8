// No way around the proxy in filtered mode: attacks from inside the real sandbox, with the
// host's own listeners checking that nothing arrived. Everything here is loopback.

import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { readLog } from '../../src/log/reader.ts';
import { findOnPath, realHostFs } from '../../src/sandbox/host-fs.ts';
import { requireBwrap, unmet } from '../support/bwrap.ts';
import { waitFor } from '../support/wait.ts';
import { makeWorld, repoRoot, runBubble, sandboxSh, type World } from '../support/world.ts';

interface Listeners {
  tcpPort: number;
  udpPort: number;
  abstract: string;
  /** What reached the host's listeners. */
  received: string[];
  /**
   * Resolves once a datagram the host sends now has arrived, so any datagram sent from inside
   * before it (the sandbox has exited) has arrived too: nothing stray is still on its way.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

async function hostListeners(): Promise<Listeners> {
  const received: string[] = [];
  // Each TCP peer is answered with an end, so clients can wait until their bytes arrived.
  const tcp = net.createServer((s) =>
    s.on('data', (d) => received.push(`tcp:${d.toString()}`)).on('end', () => s.end()),
  );
  const tcp6 = net.createServer((s) =>
    s.on('data', (d) => received.push(`tcp6:${d.toString()}`)).on('end', () => s.end()),
  );
  const abstract = `bubble-test-${process.pid}`;
  const abs = spawn('python3', [join(repoRoot, 'test/fixtures/abstract-listen.py'), abstract], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  abs.stdout.setEncoding('utf8');
  await new Promise<void>((r) => abs.stdout.once('data', () => r()));
  abs.stdout.on('data', (d: string) => {
    for (const line of d.split('\n').filter(Boolean)) received.push(`abstract:${line}`);
  });
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m) => received.push(`udp:${m.toString()}`));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const tcpPort = (tcp.address() as net.AddressInfo).port;
  await new Promise<void>((r) => tcp6.listen(tcpPort, '::1', r)).catch(() => {});
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const udpPort = udp.address().port;
  let markers = 0;
  const settled = async (): Promise<void> => {
    const marker = `udp:settled-${++markers}`;
    const client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.send(marker.slice(4), udpPort, '127.0.0.1', () => r()));
    client.close();
    await waitFor(() => received.includes(marker), 'a datagram sent from the host arrived');
    received.splice(received.indexOf(marker), 1);
  };
  return {
    tcpPort,
    udpPort,
    abstract,
    received,
    settled,
    close: async () => {
      udp.close();
      abs.kill();
      await Promise.all([tcp, tcp6].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

function lastLog(w: World) {
  const dir = join(w.home, '.local/state/bubble/sessions');
  const newest = fs.readdirSync(dir).sort().at(-1)!;
  return readLog(join(dir, newest));
}

const forwarders = ['socat', 'node'] as const;
type Forwarder = (typeof forwarders)[number];
const forwarderEnv = (f: Forwarder): Record<string, string> =>
  f === 'node' ? { BUBBLE_FORWARDER: 'node' } : {};

/** socat is what bubble uses when the host has it; without it, that case cannot run here. */
function requireForwarder(t: TestContext, f: Forwarder): boolean {
  if (f === 'node' || findOnPath(realHostFs(), 'socat', process.env.PATH ?? '') !== undefined)
    return true;
  return unmet(t, 'socat is not installed (apt-get install socat)');
}

describe('filtered network: no bypass', () => {
  let w: World;
  let l: Listeners;
  before(async () => {
    w = makeWorld();
    fs.copyFileSync(join(repoRoot, 'test/fixtures/net-probe.py'), join(w.project, 'net-probe.py'));
    l = await hostListeners();
  });
  after(async () => {
    await l.close();
    w.cleanup();
  });

  // Both forwarders: socat (where installed, the default) and the Node bridge.
  for (const forwarder of forwarders)
    test(`direct TCP, IPv6, UDP, abstract sockets and DNS do not reach the host (${forwarder})`, async (t) => {
      if (!(await requireBwrap(t))) return;
      if (!requireForwarder(t, forwarder)) return;
      const r = await sandboxSh(
        w,
        `unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy; python3 net-probe.py ${l.tcpPort} ${l.udpPort} ${l.abstract}`,
        [],
        { env: forwarderEnv(forwarder) },
      );
      assert.equal(r.code, 0, r.stderr);
      const out = Object.fromEntries(
        r.stdout
          .trim()
          .split('\n')
          .map((line) => line.split(' ') as [string, string]),
      );
      assert.equal(out['tcp-loopback'], 'ECONNREFUSED');
      assert.notEqual(out['tcp-ipv6-loopback'], 'OK');
      assert.equal(out['abstract-unix'], 'ECONNREFUSED');
      assert.notEqual(out.dns, 'OK');
      assert.equal(out.routes, '0', 'the sandbox has a route out');
      assert.equal(out.interfaces, 'lo');
      await l.settled();
      assert.deepEqual(l.received, [], 'something reached the host');
    });

  test('the proxy refuses loopback, private and metadata destinations, and logs it', async (t) => {
    if (!(await requireBwrap(t))) return;
    const targets = [
      `127.0.0.1:${l.tcpPort}`,
      '10.0.0.1:80',
      '169.254.169.254:80',
      '[::1]:22',
      '192.168.1.1:443',
    ];
    const curls = targets
      .map(
        (d) =>
          `curl -s -o /dev/null -w "%{http_connect} " --noproxy '' -p -x http://127.0.0.1:3128 http://${d}/`,
      )
      .join('; ');
    const r = await sandboxSh(w, `${curls}; echo`);
    assert.equal(r.stdout.trim(), targets.map(() => '403').join(' '), r.stderr);
    const log = lastLog(w);
    assert.equal(log.connections.length, targets.length);
    for (const c of log.connections) {
      assert.equal(c.decision, 'deny');
      assert.equal(c.address, null, 'a denied destination was dialled');
    }
    assert.deepEqual(l.received, []);
  });

  test('a published host port is reachable, logged, and only that one', async (t) => {
    if (!(await requireBwrap(t))) return;
    l.received.length = 0;
    const r = await sandboxSh(
      w,
      `python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', ${l.tcpPort}), 2); s.sendall(b'published\\n'); s.shutdown(socket.SHUT_WR)
assert s.recv(10) == b''  # the host answered our end: the bytes arrived"`,
      ['--host-port', String(l.tcpPort)],
    );
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => l.received.length > 0, 'the published port received the bytes');
    assert.deepEqual(l.received, ['tcp:published\n']);
    const log = lastLog(w);
    assert.equal(log.session?.publishedPorts[0], l.tcpPort);
    assert.ok(log.connections.some((c) => c.port === l.tcpPort && c.decision === 'allow'));
  });

  test('the log and the proxy socket cannot be tampered with from inside', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      // The proxy starts listening while the sandbox starts: wait for its socket first.
      'until test -S /run/bubble/proxy.sock; do sleep 0.01; done; ' +
        'ls -A ~/.local/state 2>&1; rm /run/bubble/proxy.sock 2>/dev/null && echo REMOVED; ' +
        'test -S /run/bubble/proxy.sock && echo STILL-THERE; touch /run/bubble/x 2>/dev/null && echo WROTE; echo done',
    );
    assert.ok(r.stdout.includes('done'), r.stderr);
    assert.match(r.stdout, /No such file or directory/);
    assert.match(r.stdout, /STILL-THERE/);
    assert.ok(!r.stdout.includes('REMOVED') && !r.stdout.includes('WROTE'), r.stdout);
  });

  for (const forwarder of forwarders)
    test(`killing the forwarder inside fails closed (${forwarder})`, async (t) => {
      if (!(await requireBwrap(t))) return;
      if (!requireForwarder(t, forwarder)) return;
      l.received.length = 0;
      // Kill it (and any connection it forked), then try the proxy port, the host directly,
      // and a listener of our own on the proxy port: nothing reaches the host.
      const r = await sandboxSh(
        w,
        `python3 -c "
import os, signal
n = 0
for p in filter(str.isdigit, os.listdir('/proc')):
    argv = open(f'/proc/{p}/cmdline', 'rb').read().split(b'\\0')
    if os.path.basename(argv[0]) == b'socat' or any(a.endswith(b'bridge.js') for a in argv[1:2]):
        os.kill(int(p), signal.SIGKILL); n += 1
print('killed', n)"; curl -s -m 2 -o /dev/null -w "%{http_code}" http://example.com/; echo " curl=$?"; python3 net-probe.py ${l.tcpPort} ${l.udpPort} ${l.abstract}`,
        [],
        { env: forwarderEnv(forwarder) },
      );
      assert.match(r.stdout, /killed [1-9]/, r.stderr);
      assert.match(r.stdout, /000 curl=(7|5)/);
      assert.match(r.stdout, /tcp-loopback ECONNREFUSED/);
      assert.match(r.stdout, /routes 0/);
      await l.settled();
      assert.deepEqual(l.received, [], 'something reached the host');
      assert.equal(lastLog(w).connections.length, 0, 'a connection reached the proxy');
    });

  test('with --net host, abstract sockets are shared (why filtered is the default)', async (t) => {
    if (!(await requireBwrap(t))) return;
    l.received.length = 0;
    const r = await sandboxSh(w, `python3 net-probe.py ${l.tcpPort} ${l.udpPort} ${l.abstract}`, [
      '--net',
      'host',
    ]);
    assert.match(r.stdout, /abstract-unix OK/);
  });
});

describe('bubble log', () => {
  let w: World;
  before(() => {
    w = makeWorld();
  });
  after(() => w.cleanup());

  test('lists sessions and summarises one per host, for people and machines', async (t) => {
    if (!(await requireBwrap(t))) return;
    const run = await sandboxSh(
      w,
      "curl -s -o /dev/null --noproxy '' -p -x http://127.0.0.1:3128 http://10.1.2.3/; exit 3",
    );
    assert.equal(run.code, 3);
    assert.match(run.stderr, /^bubble: 0 hosts contacted, 1 denied; log: .*\.jsonl$/m);
    const list = await runBubble(w, ['log']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /filtered +0 hosts +1 denied +0 failed +exit 3 +sh -c curl/);
    const last = await runBubble(w, ['log', '--last']);
    assert.match(last.stdout, /^10\.1\.2\.3 +80 +1 +0 +1 /m);
    const json = JSON.parse((await runBubble(w, ['log', '--last', '--json'])).stdout) as {
      summary: { denied: number };
      end: { exitCode: number };
    };
    assert.equal(json.summary.denied, 1);
    assert.equal(json.end.exitCode, 3);
    const missing = await runBubble(w, ['log', 'nope']);
    assert.equal(missing.code, 2);
  });
});

describe('runtime directory', () => {
  test("a dead session's socket under our pid's name does not stop the proxy", async (t) => {
    if (!(await requireBwrap(t))) return;
    const w = makeWorld();
    t.after(() => w.cleanup());
    const runtime = join(w.root, 'xdg-runtime');
    fs.mkdirSync(runtime, { mode: 0o700 });
    // Leftovers of killed sessions: one for every pid the next bubble may get is not
    // practical, so plant them for pids that are certainly dead, and one live-looking name.
    const base = join(runtime, 'bubble');
    fs.mkdirSync(join(base, '999999999'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(join(base, '999999999', 'proxy.sock'), '');
    const r = await sandboxSh(w, 'echo ok', [], { env: { XDG_RUNTIME_DIR: runtime } });
    assert.equal(r.stdout, 'ok\n', r.stderr);
    assert.deepEqual(
      fs.readdirSync(base),
      [],
      'stale runtime dirs were not swept (or ours was left)',
    );
  });
});
