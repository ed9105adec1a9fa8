// The in-sandbox bridge: loopback TCP -> Unix socket -> host proxy. Fails closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectionRecord } from '../../src/log/record.ts';
import { startBridge } from '../../src/net/bridge.ts';
import { EgressProxy } from '../../src/net/proxy.ts';
import { Reply } from '../../src/net/socks5.ts';
import {
  closeServer,
  connectTo,
  echoRoundTrip,
  portOf,
  rawConnect,
  readAll,
  socksConnect,
  startEcho,
} from '../fixtures/net-helpers.ts';
import { waitFor } from '../support/wait.ts';

const BRIDGE = fileURLToPath(new URL('../../src/net/bridge.ts', import.meta.url));

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bubble-bridge-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = portOf(s);
  await closeServer(s);
  return port;
}

test('CONNECT and SOCKS5 through bridge -> Unix socket -> proxy', async (t) => {
  const dir = tempDir(t);
  const echo = await startEcho();
  const records: ConnectionRecord[] = [];
  const proxy = new EgressProxy({ publishedPorts: [echo.port], onRecord: (r) => records.push(r) });
  const socketPath = join(dir, 'proxy.sock');
  assert.deepEqual(await proxy.listen({ path: socketPath }), { path: socketPath });
  assert.equal(statSync(socketPath).mode & 0o777, 0o600);
  const bridge = await startBridge(0, socketPath);
  const bridgePort = portOf(bridge);
  t.after(async () => {
    await closeServer(bridge);
    await proxy.close();
    await echo.close();
  });
  const tunnel = await rawConnect(bridgePort, `127.0.0.1:${echo.port}`);
  assert.equal(tunnel.head, 'HTTP/1.1 200 Connection Established');
  assert.equal(await echoRoundTrip(tunnel.socket, 'over the bridge'), 'over the bridge');
  tunnel.socket.end();
  const socks = await socksConnect(bridgePort, 'localhost', echo.port);
  assert.equal(socks.reply, Reply.succeeded);
  assert.equal(await echoRoundTrip(socks.socket, 'socks over the bridge'), 'socks over the bridge');
  socks.socket.end();
  const denied = await rawConnect(bridgePort, '10.0.0.1:443');
  assert.equal(denied.head.split('\r\n')[0], 'HTTP/1.1 403 Forbidden');
  denied.socket.destroy();
  await waitFor(() => records.length === 3);
});

test('fails closed: with the proxy gone, client connections are closed without a byte', async (t) => {
  const dir = tempDir(t);
  const echo = await startEcho();
  const proxy = new EgressProxy({ publishedPorts: [echo.port] });
  const socketPath = join(dir, 'proxy.sock');
  await proxy.listen({ path: socketPath });
  const bridge = await startBridge(0, socketPath, { halfCloseGraceMs: 100 });
  t.after(async () => {
    await closeServer(bridge);
    await echo.close();
  });
  const open = await rawConnect(portOf(bridge), `127.0.0.1:${echo.port}`);
  assert.equal(open.head, 'HTTP/1.1 200 Connection Established');
  await proxy.close();
  assert.equal(await readAll(open.socket), '', 'open tunnel ends when the proxy goes');
  const after = await connectTo(portOf(bridge));
  after.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\n`);
  assert.equal(await readAll(after), '');
});

test('as a script: silent, signals readiness on READY_FD, forwards', async (t) => {
  const dir = tempDir(t);
  const echo = await startEcho();
  const proxy = new EgressProxy({ publishedPorts: [echo.port] });
  const socketPath = join(dir, 'proxy.sock');
  await proxy.listen({ path: socketPath });
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', BRIDGE, String(port), socketPath, '3'],
    {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    },
  );
  t.after(async () => {
    child.kill();
    await proxy.close();
    await echo.close();
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const ready = child.stdio[3] as NodeJS.ReadableStream;
  const [signal] = (await once(ready, 'data')) as [Buffer];
  assert.equal(signal.toString(), 'ready\n');
  const tunnel = await rawConnect(port, `127.0.0.1:${echo.port}`);
  assert.equal(tunnel.head, 'HTTP/1.1 200 Connection Established');
  assert.equal(await echoRoundTrip(tunnel.socket, 'hi'), 'hi');
  tunnel.socket.destroy();
  assert.equal(output, '');
});

test('as a script: bad usage exits 1 with a prefixed message', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', BRIDGE, 'notaport'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 1);
  assert.match(stderr, /^bubble-bridge: usage: bridge PORT SOCKET_PATH/);
});
