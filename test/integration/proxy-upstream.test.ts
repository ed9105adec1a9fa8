// Chaining through an upstream (corporate) proxy with CONNECT, honouring NO_PROXY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapResolver } from '../../src/net/resolve.ts';
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
  waitFor,
} from '../fixtures/net-helpers.ts';
import { startTinyConnectProxy } from '../fixtures/net-tiny-connect-proxy.ts';

test('CONNECT and SOCKS go through the upstream, which is asked for the checked address; the log keeps the name', async (t) => {
  const echo = await startEcho();
  const upstream = await startTinyConnectProxy(
    `Basic ${Buffer.from('me:s3cret').toString('base64')}`,
  );
  const env = {
    HTTPS_PROXY: `http://me:s3cret@127.0.0.1:${upstream.port}`,
    NO_PROXY: 'direct.test',
  };
  const { proxy, port, records } = await startTestProxy({
    publishedPorts: [echo.port],
    resolver: mapResolver({ 'echo.test': ['127.0.0.1'], 'direct.test': ['127.0.0.1'] }),
    upstream: upstreamFromEnv(env),
  });
  t.after(async () => {
    await proxy.close();
    await upstream.close();
    await echo.close();
  });

  const viaConnect = await rawConnect(port, `echo.test:${echo.port}`);
  assert.equal(viaConnect.head, 'HTTP/1.1 200 Connection Established');
  assert.equal(await echoRoundTrip(viaConnect.socket, 'chained'), 'chained');
  viaConnect.socket.end();

  const viaSocks = await socksConnect(port, 'echo.test', echo.port);
  assert.equal(viaSocks.reply, Reply.succeeded);
  assert.equal(await echoRoundTrip(viaSocks.socket, 'socks-chained'), 'socks-chained');
  viaSocks.socket.end();

  const direct = await rawConnect(port, `direct.test:${echo.port}`);
  assert.equal(direct.head, 'HTTP/1.1 200 Connection Established');
  assert.equal(await echoRoundTrip(direct.socket, 'direct'), 'direct');
  direct.socket.end();

  assert.deepEqual(
    upstream.targets,
    [`127.0.0.1:${echo.port}`, `127.0.0.1:${echo.port}`],
    'NO_PROXY host went direct',
  );
  await waitFor(() => records.length === 3);
  const [r1, r2, r3] = records;
  assert.equal(r1?.host, 'echo.test');
  assert.equal(r1?.via, `http://127.0.0.1:${upstream.port}`);
  assert.equal(r1?.bytesUp, 7, 'handshake with the upstream is not counted');
  assert.equal(r1?.bytesDown, 7);
  assert.equal(r2?.protocol, 'socks');
  assert.equal(r2?.via, `http://127.0.0.1:${upstream.port}`);
  assert.equal(r3?.via, undefined);
  assert.ok(!JSON.stringify(records).includes('s3cret'), 'no credentials in records');
});

test('plain HTTP is forwarded through the HTTP_PROXY upstream as a CONNECT tunnel', async (t) => {
  const origin = await startOrigin();
  const upstream = await startTinyConnectProxy();
  const { proxy, port, records } = await startTestProxy({
    publishedPorts: [origin.port],
    upstream: upstreamFromEnv({ http_proxy: `127.0.0.1:${upstream.port}` }),
  });
  t.after(async () => {
    await proxy.close();
    await upstream.close();
    await origin.close();
  });
  const socket = await connectTo(port);
  socket.write(`GET http://127.0.0.1:${origin.port}/through HTTP/1.1\r\n\r\n`);
  assert.match(await readAll(socket), /hello \/through$/);
  assert.deepEqual(upstream.targets, [`127.0.0.1:${origin.port}`]);
  await waitFor(() => records.length === 1);
});

test('an upstream that refuses gives 502 and a record naming the upstream answer', async (t) => {
  const echo = await startEcho();
  const upstream = await startTinyConnectProxy('Basic bm9wZQ==');
  const { proxy, port, records } = await startTestProxy({
    publishedPorts: [echo.port],
    upstream: upstreamFromEnv({ HTTPS_PROXY: `http://127.0.0.1:${upstream.port}` }),
  });
  t.after(async () => {
    await proxy.close();
    await upstream.close();
    await echo.close();
  });
  const res = await rawConnect(port, `127.0.0.1:${echo.port}`);
  assert.equal(res.head.split('\r\n')[0], 'HTTP/1.1 502 Bad Gateway');
  res.socket.destroy();
  await waitFor(() => records.length === 1);
  assert.match(records[0]?.error ?? '', /answered 407/);
  assert.equal(records[0]?.decision, 'allow');
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
