// Plain-HTTP forwarding and malformed requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectTo, readAll, startOrigin, startTestProxy } from '../fixtures/net-helpers.ts';
import { waitFor } from '../support/wait.ts';

test('absolute-URI GET is forwarded in origin-form, hop-by-hop stripped, nothing identifying added', async (t) => {
  const origin = await startOrigin();
  const { proxy, port, records } = await startTestProxy({ publishedPorts: [origin.port] });
  t.after(async () => {
    await proxy.close();
    await origin.close();
  });
  const socket = await connectTo(port);
  socket.write(
    `GET http://127.0.0.1:${origin.port}/path?q=1 HTTP/1.1\r\n` +
      'Host: wrong.example\r\n' +
      'Proxy-Connection: keep-alive\r\n' +
      'Proxy-Authorization: Basic c2VjcmV0\r\n' +
      'Connection: keep-alive, X-Hop\r\n' +
      'Keep-Alive: timeout=5\r\n' +
      'X-Hop: should-not-pass\r\n' +
      'TE: trailers\r\n' +
      'User-Agent: test-client\r\n' +
      '\r\n',
  );
  const response = await readAll(socket);
  assert.equal(response.split('\r\n')[0], 'HTTP/1.1 200 OK');
  assert.ok(response.endsWith('hello /path?q=1'));
  assert.match(response, /\r\nX-Origin: yes\r\n/);
  assert.equal(origin.seen.length, 1);
  const seen = origin.seen[0];
  assert.ok(seen);
  assert.equal(seen.url, '/path?q=1');
  assert.equal(seen.headers.host, `127.0.0.1:${origin.port}`);
  assert.equal(seen.headers['user-agent'], 'test-client');
  assert.equal(seen.headers.connection, 'close');
  for (const h of [
    'proxy-connection',
    'proxy-authorization',
    'keep-alive',
    'x-hop',
    'te',
    'via',
    'x-forwarded-for',
    'forwarded',
  ]) {
    assert.equal(seen.headers[h], undefined, h);
  }
  await waitFor(() => records.length === 1);
  assert.equal(records[0]?.protocol, 'http');
  assert.equal(records[0]?.decision, 'allow');
  assert.ok((records[0]?.bytesDown ?? 0) > 0);
});

test('POST body (Content-Length and chunked) reaches the origin', async (t) => {
  const origin = await startOrigin();
  const { proxy, port } = await startTestProxy({ publishedPorts: [origin.port] });
  t.after(async () => {
    await proxy.close();
    await origin.close();
  });
  const a = await connectTo(port);
  a.write(`POST http://localhost:${origin.port}/a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello`);
  assert.match(await readAll(a), /^HTTP\/1\.1 200 OK/);
  const b = await connectTo(port);
  b.write(
    `POST http://localhost:${origin.port}/b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  );
  assert.match(await readAll(b), /^HTTP\/1\.1 200 OK/);
  await waitFor(() => origin.seen.length === 2);
  assert.deepEqual(
    origin.seen.map((s) => [s.url, s.body]),
    [
      ['/a', 'hello'],
      ['/b', 'abc'],
    ],
  );
});

test('forwarding to an unpublished loopback origin is denied with 403', async (t) => {
  const origin = await startOrigin();
  const { proxy, port } = await startTestProxy();
  t.after(async () => {
    await proxy.close();
    await origin.close();
  });
  const socket = await connectTo(port);
  socket.write(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
  const response = await readAll(socket);
  assert.equal(response.split('\r\n')[0], 'HTTP/1.1 403 Forbidden');
  assert.equal(origin.seen.length, 0);
});

test('malformed requests get 400 and a record; the proxy keeps serving', async (t) => {
  const origin = await startOrigin();
  const { proxy, port, records } = await startTestProxy({ publishedPorts: [origin.port] });
  t.after(async () => {
    await proxy.close();
    await origin.close();
  });
  const bad = [
    'garbage\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET https://example.com/ HTTP/1.1\r\n\r\n',
    'CONNECT example.com HTTP/1.1\r\n\r\n',
    'CONNECT ::1:443 HTTP/1.1\r\n\r\n',
    'GET http://a.test/ HTTP/1.1\r\n folded: x\r\n\r\n',
    `POST http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n`,
    '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n',
  ];
  for (const raw of bad) {
    const socket = await connectTo(port);
    socket.write(raw, 'latin1');
    const response = await readAll(socket);
    assert.equal(response.split('\r\n')[0], 'HTTP/1.1 400 Bad Request', JSON.stringify(raw));
  }
  assert.equal(origin.seen.length, 0, 'the smuggling attempt never reached the origin');
  await waitFor(() => records.length === bad.length);
  assert.ok(
    records.every((r) => r.decision === 'deny' && /^malformed request: /.test(r.reason ?? '')),
  );
  const ok = await connectTo(port);
  ok.write(`GET http://127.0.0.1:${origin.port}/still-alive HTTP/1.1\r\n\r\n`);
  assert.match(await readAll(ok), /hello \/still-alive$/);
});
