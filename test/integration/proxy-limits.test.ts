// Timeouts, size limits, concurrency and file-descriptor hygiene.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectTo,
  echoRoundTrip,
  fdCount,
  rawConnect,
  readAll,
  startEcho,
  startTestProxy,
} from '../fixtures/net-helpers.ts';
import { waitFor } from '../support/wait.ts';

test('header timeout: a slow request head gets 408 and is closed; a silent client is dropped', async (t) => {
  const { proxy, port, records } = await startTestProxy({ timeouts: { headerMs: 200 } });
  t.after(() => proxy.close());
  const slow = await connectTo(port);
  slow.write('CONNECT example.com:443 HTTP/1.1\r\n');
  // The 408 and the record's reason are the header timeout's own doing (no wall clock).
  const response = await readAll(slow);
  assert.equal(response.split('\r\n')[0], 'HTTP/1.1 408 Request Timeout');
  const silent = await connectTo(port);
  assert.equal(await readAll(silent), '');
  await waitFor(() => records.length === 2);
  assert.ok(
    records.every(
      (r) => r.decision === 'deny' && /not complete within 200 ms/.test(r.reason ?? ''),
    ),
  );
});

test('a slow client does not hold up others', async (t) => {
  const echo = await startEcho();
  const { proxy, port } = await startTestProxy({
    publishedPorts: [echo.port],
    timeouts: { headerMs: 2000 },
  });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const slow = await connectTo(port);
  slow.write('CONNECT 127.0.0.1:');
  const { socket, head } = await rawConnect(port, `127.0.0.1:${echo.port}`);
  assert.equal(head, 'HTTP/1.1 200 Connection Established');
  socket.destroy();
  slow.destroy();
});

test('oversized request head gets 431', async (t) => {
  const { proxy, port, records } = await startTestProxy({ maxHeadBytes: 16 * 1024 });
  t.after(() => proxy.close());
  const socket = await connectTo(port);
  socket.on('error', () => {});
  socket.write(`GET http://example.com/ HTTP/1.1\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
  const response = await readAll(socket);
  assert.equal(response.split('\r\n')[0], 'HTTP/1.1 431 Request Header Fields Too Large');
  await waitFor(() => records.length === 1);
  assert.match(records[0]?.reason ?? '', /larger than 16384 bytes/);
});

test('idle tunnels are closed after the idle timeout', async (t) => {
  const echo = await startEcho();
  const { proxy, port, records } = await startTestProxy({
    publishedPorts: [echo.port],
    timeouts: { idleMs: 200 },
  });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const { socket } = await rawConnect(port, `127.0.0.1:${echo.port}`);
  assert.equal(await readAll(socket), '');
  await waitFor(() => records.length === 1);
  assert.match(records[0]?.error ?? '', /ERR_IDLE_TIMEOUT/);
});

test('1000 concurrent tunnels', async (t) => {
  const echo = await startEcho();
  const { proxy, port, records } = await startTestProxy({ publishedPorts: [echo.port] });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const tunnels = await Promise.all(
    Array.from({ length: 1000 }, () => rawConnect(port, `127.0.0.1:${echo.port}`)),
  );
  assert.ok(tunnels.every((x) => x.head === 'HTTP/1.1 200 Connection Established'));
  assert.equal(proxy.activeConnections, 1000);
  const echoes = await Promise.all(tunnels.map((x, i) => echoRoundTrip(x.socket, `tunnel-${i}`)));
  assert.deepEqual(
    echoes,
    tunnels.map((_, i) => `tunnel-${i}`),
  );
  for (const x of tunnels) x.socket.end();
  await waitFor(() => records.length === 1000);
  assert.equal(proxy.activeConnections, 0);
});

test('10,000 sequential connections leave no file descriptors behind', async (t) => {
  const echo = await startEcho();
  const { proxy, port, records } = await startTestProxy({ publishedPorts: [echo.port] });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const warm = await rawConnect(port, `127.0.0.1:${echo.port}`);
  warm.socket.destroy();
  await waitFor(() => records.length === 1);
  const before = fdCount();
  for (let i = 0; i < 10_000; i++) {
    const kind = i % 4;
    if (kind === 3) {
      // a denied one and a malformed one now and then
      const denied = await rawConnect(port, '10.0.0.1:443');
      denied.socket.destroy();
      continue;
    }
    const { socket } = await rawConnect(port, `127.0.0.1:${echo.port}`);
    await echoRoundTrip(socket, 'x');
    if (kind === 0) socket.end();
    else socket.destroy();
  }
  await waitFor(() => records.length === 10_001 && proxy.activeConnections === 0);
  // Closed sockets give their descriptors back as the event loop turns: wait for that
  // (bounded), then judge.
  await waitFor(() => fdCount() - before <= 5).catch(() => {});
  const after = fdCount();
  assert.ok(after - before <= 5, `fds before ${before}, after ${after}`);
});
