// Chaining through an upstream (corporate) proxy with CONNECT, honouring NO_PROXY: the
// upstream is asked for the name (its DNS is authoritative there), bubble's rules apply to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DialError, type DialTarget } from '../../src/net/dial.ts';
import { mapResolver } from '../../src/net/resolve.ts';
import { parseRules } from '../../src/net/rules.ts';
import { Reply } from '../../src/net/socks5.ts';
import { upstreamFromEnv } from '../../src/net/upstream.ts';
import {
  connectTo,
  echoRoundTrip,
  rawConnect,
  readAll,
  socksConnect,
  startEcho,
  startOrigin,
  startTestProxy,
} from '../fixtures/net-helpers.ts';
import { waitFor } from '../support/wait.ts';
import { startTinyConnectProxy } from '../fixtures/net-tiny-connect-proxy.ts';

test('CONNECT and SOCKS ask the upstream by name, also for names only it can resolve; NO_PROXY is honoured; the log keeps the name', async (t) => {
  const echo = await startEcho();
  // The corporate proxy's DNS knows intranet.corp.test; this host's resolver does not.
  const upstream = await startTinyConnectProxy(
    `Basic ${Buffer.from('me:s3cret').toString('base64')}`,
    { 'intranet.corp.test': '127.0.0.1', 'direct.corp.test': '127.0.0.1' },
  );
  const env = {
    HTTPS_PROXY: `http://me:s3cret@127.0.0.1:${upstream.port}`,
    NO_PROXY: 'direct.corp.test',
  };
  const { proxy, port, records } = await startTestProxy({
    resolver: mapResolver({}),
    upstream: upstreamFromEnv(env),
  });
  t.after(async () => {
    await proxy.close();
    await upstream.close();
    await echo.close();
  });
  const viaSocks = await socksConnect(port, 'intranet.corp.test', echo.port);
  assert.equal(viaSocks.reply, Reply.succeeded);
  assert.equal(await echoRoundTrip(viaSocks.socket, 'socks-chained'), 'socks-chained');
  viaSocks.socket.end();

  const viaConnect = await rawConnect(port, `intranet.corp.test:${echo.port}`);
  assert.equal(viaConnect.head, 'HTTP/1.1 200 Connection Established');
  assert.equal(await echoRoundTrip(viaConnect.socket, 'chained'), 'chained');
  viaConnect.socket.end();

  // NO_PROXY: dialled here, where the name does not resolve.
  const direct = await rawConnect(port, `direct.corp.test:${echo.port}`);
  assert.match(direct.head, /^HTTP\/1\.1 502 /);
  direct.socket.destroy();

  assert.deepEqual(upstream.targets, Array(2).fill(`intranet.corp.test:${echo.port}`));
  await waitFor(() => records.length === 3);
  const r1 = records.find((r) => r.protocol === 'socks');
  const r2 = records.find((r) => r.protocol === 'connect' && r.host === 'intranet.corp.test');
  const r3 = records.find((r) => r.host === 'direct.corp.test');
  assert.equal(r2?.decision, 'allow');
  assert.equal(r2?.failure, null);
  assert.equal(r2?.via, `http://127.0.0.1:${upstream.port}`);
  assert.equal(r2?.bytesUp, 7, 'handshake with the upstream is not counted');
  assert.equal(r2?.bytesDown, 7);
  assert.equal(r1?.via, `http://127.0.0.1:${upstream.port}`);
  assert.equal(r3?.via, undefined);
  assert.equal(r3?.failure, 'not-found');
  assert.ok(!JSON.stringify(records).includes('s3cret'), 'no credentials in records');
});

test('plain HTTP is forwarded through the HTTP_PROXY upstream as a CONNECT tunnel, by name', async (t) => {
  const origin = await startOrigin();
  const upstream = await startTinyConnectProxy(undefined, { 'web.corp.test': '127.0.0.1' });
  const { proxy, port, records } = await startTestProxy({
    resolver: mapResolver({}),
    upstream: upstreamFromEnv({ http_proxy: `127.0.0.1:${upstream.port}` }),
  });
  t.after(async () => {
    await proxy.close();
    await upstream.close();
    await origin.close();
  });
  const socket = await connectTo(port);
  socket.write(`GET http://web.corp.test:${origin.port}/through HTTP/1.1\r\n\r\n`);
  assert.match(await readAll(socket), /hello \/through$/);
  assert.deepEqual(upstream.targets, [`web.corp.test:${origin.port}`]);
  await waitFor(() => records.length === 1);
});

test('an upstream that refuses gives 502 and a record naming the upstream answer', async (t) => {
  const upstream = await startTinyConnectProxy('Basic bm9wZQ==', {
    'intranet.corp.test': '127.0.0.1',
  });
  const { proxy, port, records } = await startTestProxy({
    resolver: mapResolver({}),
    upstream: upstreamFromEnv({ HTTPS_PROXY: `http://127.0.0.1:${upstream.port}` }),
  });
  t.after(async () => {
    await proxy.close();
    await upstream.close();
  });
  const res = await rawConnect(port, 'intranet.corp.test:443');
  assert.equal(res.head.split('\r\n')[0], 'HTTP/1.1 502 Bad Gateway');
  res.socket.destroy();
  await waitFor(() => records.length === 1);
  assert.match(records[0]?.error ?? '', /answered 407/);
  assert.equal(records[0]?.decision, 'allow');
});

test('through an upstream the rules still apply to the name; loopback names, names that resolve here to refused addresses and published host ports never reach it', async (t) => {
  const echo = await startEcho();
  const upstream = await startTinyConnectProxy(undefined, {
    'intranet.corp.test': '127.0.0.1',
    'secret.corp.test': '127.0.0.1',
    'other.example': '127.0.0.1',
    'lan.corp.test': '127.0.0.1',
  });
  const { proxy, port, records } = await startTestProxy({
    rules: parseRules({ allow: ['*.corp.test', '*.localhost'], deny: ['secret.corp.test'] }),
    publishedPorts: [echo.port],
    resolver: mapResolver({ 'lan.corp.test': ['10.1.2.3'] }),
    upstream: upstreamFromEnv({ HTTPS_PROXY: `http://127.0.0.1:${upstream.port}` }),
  });
  t.after(async () => {
    await proxy.close();
    await upstream.close();
    await echo.close();
  });
  for (const target of [
    `other.example:${echo.port}`,
    `secret.corp.test:${echo.port}`,
    `lan.corp.test:${echo.port}`,
    `foo.localhost:${echo.port + 1 === 65536 ? 1 : echo.port + 1}`,
  ]) {
    const res = await rawConnect(port, target);
    assert.equal(res.head.split('\r\n')[0], 'HTTP/1.1 403 Forbidden', target);
    res.socket.destroy();
  }
  // A published port of this host: dialled here (an upstream elsewhere has its own loopback).
  const published = await rawConnect(port, `localhost:${echo.port}`);
  assert.equal(published.head, 'HTTP/1.1 200 Connection Established');
  assert.equal(await echoRoundTrip(published.socket, 'here'), 'here');
  published.socket.end();
  assert.deepEqual(upstream.targets, []);
  await waitFor(() => records.length === 5);
  assert.deepEqual(
    records.slice(0, 4).map((r) => r.denial),
    ['rule', 'rule', 'address', 'address'],
  );
});

test('a name that resolves here to a public address is still asked of the upstream by name', async (t) => {
  const targets: DialTarget[] = [];
  const { proxy, port } = await startTestProxy({
    // Never dialled: the stand-in dialer only records what would be.
    resolver: mapResolver({ 'www.example.com': ['93.184.215.14'] }),
    upstream: upstreamFromEnv({ HTTPS_PROXY: 'http://127.0.0.1:9' }),
    dialer: (target) => {
      targets.push(target);
      return Promise.reject(new DialError('ERR_DIAL_REFUSED', 'stand-in'));
    },
  });
  t.after(() => proxy.close());
  const res = await rawConnect(port, 'www.example.com:443');
  res.socket.destroy();
  assert.equal(targets.length, 1);
  assert.equal(targets[0]?.host, 'www.example.com');
  assert.equal(targets[0]?.sendHostname, true);
  assert.equal(targets[0]?.upstream?.port, 9);
});

test('denied destinations are never sent to the upstream', async (t) => {
  const upstream = await startTinyConnectProxy();
  const { proxy, port } = await startTestProxy({
    upstream: upstreamFromEnv({ HTTPS_PROXY: `http://127.0.0.1:${upstream.port}` }),
  });
  t.after(async () => {
    await proxy.close();
    await upstream.close();
  });
  const res = await rawConnect(port, '10.0.0.1:443');
  assert.equal(res.head.split('\r\n')[0], 'HTTP/1.1 403 Forbidden');
  res.socket.destroy();
  assert.deepEqual(upstream.targets, []);
});
