import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildClientGreeting,
  buildConnectRequest,
  buildReply,
  methodSelection,
  parseGreeting,
  parseRequest,
  Reply,
} from '../../src/net/socks5.ts';

test('greeting: incomplete, ok, not SOCKS5', () => {
  assert.deepEqual(parseGreeting(Buffer.from([5])), { kind: 'incomplete' });
  assert.deepEqual(parseGreeting(Buffer.from([5, 2, 0])), { kind: 'incomplete' });
  assert.deepEqual(parseGreeting(Buffer.from([5, 2, 0, 2])), {
    kind: 'ok',
    value: { methods: [0, 2] },
    length: 4,
  });
  assert.equal(parseGreeting(Buffer.from([4, 1, 0])).kind, 'error');
  assert.equal(parseGreeting(Buffer.from([5, 0])).kind, 'error');
  assert.deepEqual([...methodSelection(0)], [5, 0]);
  assert.deepEqual([...buildClientGreeting()], [5, 1, 0]);
});

test('CONNECT with IPv4, IPv6 and domain round-trips', () => {
  for (const [host, atyp] of [
    ['127.0.0.1', 1],
    ['::1', 4],
    ['2001:db8::abcd', 4],
    ['localhost', 3],
  ] as const) {
    const bytes = buildConnectRequest(host, 8080);
    assert.equal(bytes[3], atyp);
    for (let i = 0; i < bytes.length; i++)
      assert.equal(parseRequest(bytes.subarray(0, i)).kind, 'incomplete', `${host} prefix ${i}`);
    const parsed = parseRequest(Buffer.concat([bytes, Buffer.from('extra')]));
    assert.deepEqual(parsed, {
      kind: 'ok',
      value: { command: 1, addressType: atyp, host, port: 8080 },
      length: bytes.length,
    });
  }
});

test('unsupported command and address type get their reply codes', () => {
  const bind = Buffer.from([5, 2, 0, 1, 127, 0, 0, 1, 0, 80]);
  const r1 = parseRequest(bind);
  assert.ok(r1.kind === 'error' && r1.reply === Reply.commandNotSupported);
  const udp = Buffer.from([5, 3, 0, 1, 127, 0, 0, 1, 0, 80]);
  const r2 = parseRequest(udp);
  assert.ok(r2.kind === 'error' && r2.reply === 0x07);
  const badAtyp = Buffer.from([5, 1, 0, 9, 0, 0]);
  const r3 = parseRequest(badAtyp);
  assert.ok(r3.kind === 'error' && r3.reply === 0x08);
  const empty = Buffer.from([5, 1, 0, 3, 0, 0, 80]);
  assert.equal(parseRequest(empty).kind, 'error');
  const port0 = Buffer.from([5, 1, 0, 1, 1, 2, 3, 4, 0, 0]);
  assert.equal(parseRequest(port0).kind, 'error');
});

test('replies never reveal a bound address', () => {
  assert.deepEqual([...buildReply(Reply.succeeded)], [5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.equal(buildReply(Reply.notAllowed)[1], 0x02);
  assert.equal(Reply.hostUnreachable, 0x04);
  assert.equal(Reply.connectionRefused, 0x05);
});
