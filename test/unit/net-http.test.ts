import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  errorResponse,
  forwardHead,
  framingProblem,
  parseRequestHead,
  parseResponseHead,
  proxyTarget,
  stripHopByHop,
  type RequestHead,
} from '../../src/net/http.ts';

const head = (text: string): Buffer => Buffer.from(text, 'latin1');

test('parses a CONNECT head and reports its length', () => {
  const raw = 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nTLSBYTES';
  const r = parseRequestHead(head(raw));
  assert.equal(r.kind, 'ok');
  assert.ok(r.kind === 'ok');
  assert.equal(r.length, raw.length - 'TLSBYTES'.length);
  assert.deepEqual(r.head, {
    method: 'CONNECT',
    target: 'example.com:443',
    version: 'HTTP/1.1',
    headers: [['Host', 'example.com:443']],
  });
  assert.deepEqual(proxyTarget(r.head), {
    kind: 'connect',
    authority: { host: 'example.com', port: 443 },
  });
});

test('incomplete until the blank line', () => {
  assert.deepEqual(parseRequestHead(head('CONNECT a:1 HTTP/1.1\r\nHost: a\r\n')), {
    kind: 'incomplete',
  });
});

test('oversized head gets 431', () => {
  const big = head(`GET http://a/ HTTP/1.1\r\nX: ${'a'.repeat(20000)}`);
  const r = parseRequestHead(big, 16384);
  assert.ok(r.kind === 'error' && r.status === 431);
  const justOver = head(`GET http://a/ HTTP/1.1\r\nX: ${'a'.repeat(100)}\r\n\r\n`);
  assert.ok(parseRequestHead(justOver, 64).kind === 'error');
});

test('malformed heads get 400', () => {
  for (const raw of [
    'GET\r\n\r\n',
    'GET  http://a/ HTTP/1.1\r\n\r\n',
    'GET http://a/ HTTP/2.0\r\n\r\n',
    'G(T http://a/ HTTP/1.1\r\n\r\n',
    'GET http://a/ HTTP/1.1\r\n folded\r\n\r\n',
    'GET http://a/ HTTP/1.1\r\nBad Name: x\r\n\r\n',
    'GET http://a/ HTTP/1.1\r\nHost : a\r\n\r\n',
    'GET http://a/ HTTP/1.1\r\nX: a\x00b\r\n\r\n',
    '\x16\x03\x01\r\n\r\n',
    'GET http://a/ HTTP/1.1\r\nnocolon\r\n\r\n',
  ]) {
    const r = parseRequestHead(head(raw));
    assert.ok(r.kind === 'error' && r.status === 400, JSON.stringify(raw));
  }
});

const req = (
  method: string,
  target: string,
  headers: Array<[string, string]> = [],
): RequestHead => ({
  method,
  target,
  version: 'HTTP/1.1',
  headers,
});

test('proxy targets: absolute URI, IPv6, default port, errors', () => {
  assert.deepEqual(proxyTarget(req('GET', 'http://Example.com/a?b=1#frag')), {
    kind: 'forward',
    authority: { host: 'example.com', port: 80 },
    path: '/a?b=1',
  });
  assert.deepEqual(proxyTarget(req('GET', 'http://[::1]:8080')), {
    kind: 'forward',
    authority: { host: '::1', port: 8080 },
    path: '/',
  });
  assert.deepEqual(proxyTarget(req('GET', 'HTTP://a.test?x')), {
    kind: 'forward',
    authority: { host: 'a.test', port: 80 },
    path: '/?x',
  });
  assert.equal(proxyTarget(req('GET', '/')).kind, 'error');
  assert.equal(proxyTarget(req('GET', 'https://a.test/')).kind, 'error');
  assert.equal(proxyTarget(req('GET', 'http://user@a.test/')).kind, 'error');
  assert.equal(proxyTarget(req('CONNECT', 'a.test')).kind, 'error');
  assert.equal(proxyTarget(req('CONNECT', '::1:443')).kind, 'error');
  assert.deepEqual(proxyTarget(req('CONNECT', '[::1]:443')), {
    kind: 'connect',
    authority: { host: '::1', port: 443 },
  });
});

test('hop-by-hop headers stripped, including those named in Connection, but never framing', () => {
  const headers: Array<[string, string]> = [
    ['Host', 'a'],
    ['Connection', 'keep-alive, X-Secret, Content-Length'],
    ['Keep-Alive', 'timeout=5'],
    ['Proxy-Connection', 'keep-alive'],
    ['Proxy-Authorization', 'Basic eA=='],
    ['TE', 'trailers'],
    ['Upgrade', 'h2c'],
    ['X-Secret', '1'],
    ['Content-Length', '3'],
    ['Accept', '*/*'],
    ['Trailer', 'x'],
  ];
  assert.deepEqual(stripHopByHop(headers), [
    ['Host', 'a'],
    ['Content-Length', '3'],
    ['Accept', '*/*'],
  ]);
});

test('forwarded head: origin-form, Host from URI, Connection: close, no Via / X-Forwarded-For', () => {
  const h = req('POST', 'http://a.test:8080/p?q', [
    ['Host', 'evil.test'],
    ['Proxy-Connection', 'keep-alive'],
    ['Content-Length', '2'],
    ['User-Agent', 'curl'],
  ]);
  const text = forwardHead(h, { host: 'a.test', port: 8080 }, '/p?q').toString('latin1');
  assert.equal(
    text,
    'POST /p?q HTTP/1.1\r\nHost: a.test:8080\r\nContent-Length: 2\r\nUser-Agent: curl\r\nConnection: close\r\n\r\n',
  );
  assert.match(
    forwardHead(req('GET', 'http://[::1]/'), { host: '::1', port: 80 }, '/').toString(),
    /^GET \/ HTTP\/1.1\r\nHost: \[::1\]\r\n/,
  );
});

test('ambiguous body framing is refused', () => {
  assert.equal(framingProblem([['Content-Length', '3']]), null);
  assert.equal(framingProblem([['Transfer-Encoding', 'gzip, chunked']]), null);
  assert.notEqual(
    framingProblem([
      ['Transfer-Encoding', 'chunked'],
      ['Content-Length', '3'],
    ]),
    null,
  );
  assert.notEqual(
    framingProblem([
      ['Content-Length', '3'],
      ['Content-Length', '4'],
    ]),
    null,
  );
  assert.notEqual(framingProblem([['Content-Length', '-1']]), null);
  assert.notEqual(framingProblem([['Transfer-Encoding', 'chunked, gzip']]), null);
});

test('response heads and error responses', () => {
  const r = parseResponseHead(head('HTTP/1.1 200 Connection established\r\nX: y\r\n\r\nrest'));
  assert.ok(
    r.kind === 'ok' &&
      r.head.status === 200 &&
      r.length === 'HTTP/1.1 200 Connection established\r\nX: y\r\n\r\n'.length,
  );
  assert.equal(parseResponseHead(head('SSH-2.0-x\r\n\r\n')).kind, 'error');
  const e = errorResponse(403, 'denied\r\nInjected: yes').toString();
  assert.equal(e.split('\r\n')[0], 'HTTP/1.1 403 Forbidden');
  assert.ok(e.endsWith('\r\n\r\nbubble: denied Injected: yes\n'));
});
