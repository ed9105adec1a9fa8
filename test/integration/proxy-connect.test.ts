// CONNECT tunnels: allowed vs denied, decided on the resolved address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dial, type Dialer, type DialTarget } from '../../src/net/dial.ts';
import { mapResolver } from '../../src/net/resolve.ts';
import { parseRules } from '../../src/net/rules.ts';
import {
  echoRoundTrip,
  rawConnect,
  readAll,
  startEcho,
  startTestProxy,
} from '../fixtures/net-helpers.ts';
import { waitFor } from '../support/wait.ts';

function spyDialer(): { dialer: Dialer; calls: DialTarget[] } {
  const calls: DialTarget[] = [];
  return { calls, dialer: (t) => (calls.push(t), dial(t)) };
}

test('CONNECT to a published loopback port: 200, opaque tunnel, record with bytes', async (t) => {
  const echo = await startEcho();
  const { proxy, port, records } = await startTestProxy({ publishedPorts: [echo.port] });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const { socket, head } = await rawConnect(port, `127.0.0.1:${echo.port}`);
  assert.equal(head, 'HTTP/1.1 200 Connection Established');
  assert.equal(await echoRoundTrip(socket, 'ping through the tunnel'), 'ping through the tunnel');
  socket.end();
  await waitFor(() => records.length === 1);
  const r = records[0];
  assert.ok(r);
  assert.equal(r.protocol, 'connect');
  assert.equal(r.host, '127.0.0.1');
  assert.equal(r.port, echo.port);
  assert.equal(r.address, '127.0.0.1');
  assert.equal(r.decision, 'allow');
  assert.equal(r.rule, `host-port ${echo.port}`);
  assert.equal(r.bytesUp, 23);
  assert.equal(r.bytesDown, 23);
  assert.equal(r.error, null);
});

test('CONNECT to an unpublished loopback port: 403 with a one-line reason, nothing dialled', async (t) => {
  const echo = await startEcho();
  const spy = spyDialer();
  const { proxy, port, records } = await startTestProxy({ dialer: spy.dialer });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const { socket, head, rest } = await rawConnect(port, `127.0.0.1:${echo.port}`);
  const [statusLine] = head.split('\r\n');
  assert.equal(statusLine, 'HTTP/1.1 403 Forbidden');
  const body = (rest.toString() + (await readAll(socket))).trim();
  assert.equal(body.split('\n').length, 1);
  assert.match(
    body,
    new RegExp(
      `^bubble: refused 127\\.0\\.0\\.1:${echo.port}: .*loopback.*--host-port ${echo.port} \\(or host_ports = \\[${echo.port}\\]\\)$`,
    ),
  );
  assert.equal(spy.calls.length, 0);
  await waitFor(() => records.length === 1);
  assert.equal(records[0]?.decision, 'deny');
  assert.equal(records[0]?.address, null);
});

test('private, metadata and IPv6 loopback destinations: 403 by decision, never dialled', async (t) => {
  const spy = spyDialer();
  const { proxy, port, records } = await startTestProxy({ dialer: spy.dialer, publishedPorts: [] });
  t.after(() => proxy.close());
  for (const authority of [
    '10.0.0.1:443',
    '169.254.169.254:80',
    '[::1]:22',
    '[::ffff:192.168.1.1]:443',
    '0.0.0.0:80',
    '100.64.0.1:443',
  ]) {
    const { socket, head } = await rawConnect(port, authority);
    assert.equal(head.split('\r\n')[0], 'HTTP/1.1 403 Forbidden', authority);
    socket.destroy();
  }
  assert.equal(spy.calls.length, 0);
  await waitFor(() => records.length === 6);
  assert.ok(records.every((r) => r.decision === 'deny' && r.reason !== null));
});

test('names: test resolver maps a name; a name resolving to a private address is denied; rules are checked before resolving', async (t) => {
  const echo = await startEcho();
  const looked: string[] = [];
  const map = mapResolver({ 'echo.test': ['127.0.0.1'], 'rebind.test': ['10.1.2.3'] });
  const spy = spyDialer();
  const { proxy, port, records } = await startTestProxy({
    publishedPorts: [echo.port],
    rules: parseRules({ allow: ['echo.test', 'rebind.test'] }),
    resolver: (h) => (looked.push(h), map(h)),
    dialer: spy.dialer,
  });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const ok = await rawConnect(port, `echo.test:${echo.port}`);
  assert.equal(ok.head, 'HTTP/1.1 200 Connection Established');
  assert.equal(await echoRoundTrip(ok.socket, 'x'), 'x');
  ok.socket.destroy();

  const rebind = await rawConnect(port, `rebind.test:${echo.port}`);
  assert.equal(rebind.head.split('\r\n')[0], 'HTTP/1.1 403 Forbidden');
  assert.match(
    rebind.rest.toString() + (await readAll(rebind.socket)),
    /10\.1\.2\.3:\d+ is a private address \(rebind\.test resolved to it\)/,
  );

  const other = await rawConnect(port, `other.test:${echo.port}`);
  assert.equal(other.head.split('\r\n')[0], 'HTTP/1.1 403 Forbidden');
  assert.match(other.rest.toString() + (await readAll(other.socket)), /not in the allow list/);

  assert.deepEqual(looked, ['echo.test', 'rebind.test'], 'other.test was never resolved');
  assert.deepEqual(
    spy.calls.map((c) => c.addresses),
    [['127.0.0.1']],
    'dialled only the checked address',
  );
  await waitFor(() => records.length === 3);
  const echoRecord = records.find((r) => r.host === 'echo.test');
  assert.equal(echoRecord?.rule, `host-port ${echo.port}`);
});

test('unknown name: 502; refused connect: 502; both recorded', async (t) => {
  const echo = await startEcho();
  const deadPort = echo.port;
  await echo.close();
  const { proxy, port, records } = await startTestProxy({
    publishedPorts: [deadPort],
    resolver: mapResolver({}),
  });
  t.after(() => proxy.close());
  const missing = await rawConnect(port, 'nowhere.test:443');
  assert.equal(missing.head.split('\r\n')[0], 'HTTP/1.1 502 Bad Gateway');
  missing.socket.destroy();
  const refused = await rawConnect(port, `127.0.0.1:${deadPort}`);
  assert.equal(refused.head.split('\r\n')[0], 'HTTP/1.1 502 Bad Gateway');
  refused.socket.destroy();
  await waitFor(() => records.length === 2);
  assert.equal(records[0]?.error, 'ERR_RESOLVE_NOTFOUND');
  assert.equal(records[1]?.decision, 'allow');
  assert.match(records[1]?.error ?? '', /ERR_DIAL_REFUSED/);
});

test('TLS-looking bytes sent right after CONNECT (before the 200) reach the destination untouched', async (t) => {
  const echo = await startEcho();
  const { proxy, port } = await startTestProxy({ publishedPorts: [echo.port] });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const { connectTo, readSome } = await import('../fixtures/net-helpers.ts');
  const socket = await connectTo(port);
  const hello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]);
  socket.write(
    Buffer.concat([Buffer.from(`CONNECT localhost:${echo.port} HTTP/1.1\r\n\r\n`), hello]),
  );
  const expected = Buffer.concat([
    Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n'),
    hello,
  ]);
  const got = await readSome(socket, (b) => b.length >= expected.length);
  assert.deepEqual(got, expected);
  socket.destroy();
});

test('close() ends open tunnels and records them', async (t) => {
  const echo = await startEcho();
  const { proxy, port, records } = await startTestProxy({ publishedPorts: [echo.port] });
  t.after(() => echo.close());
  const { socket, head } = await rawConnect(port, `127.0.0.1:${echo.port}`);
  assert.equal(head, 'HTTP/1.1 200 Connection Established');
  await echoRoundTrip(socket, 'abc');
  const ended = new Promise((r) => socket.once('end', r));
  socket.resume();
  await proxy.close();
  assert.equal(records.length, 1, 'record handed over before close() resolves');
  assert.equal(records[0]?.error, 'proxy closed');
  assert.equal(records[0]?.bytesUp, 3);
  await ended;
  socket.destroy();
  assert.equal(proxy.activeConnections, 0);
});
