import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectionRecord,
  endRecord,
  openRecord,
  serializeRecord,
  sessionRecord,
} from '../../src/log/record.ts';
import { parseLog } from '../../src/log/reader.ts';

const session = sessionRecord({
  sessionId: '20250102T030405Z-abcd',
  startTime: '2025-01-02T03:04:05.000Z',
  argv: ['claude', '--resume'],
  cwd: '/home/u/proj',
  netMode: 'filtered',
  rules: { allow: ['*.anthropic.com'], deny: [] },
  publishedPorts: [11434],
  bubbleVersion: '0.1.0',
});
const conn = connectionRecord({
  time: '2025-01-02T03:04:06.000Z',
  protocol: 'connect',
  host: 'api.anthropic.com',
  port: 443,
  address: '160.79.104.10',
  decision: 'allow',
  rule: 'allow *.anthropic.com',
  reason: null,
  bytesUp: 10,
  bytesDown: 20,
  durationMs: 5,
  error: null,
});

test('round trip: session, connections, end', () => {
  const text =
    serializeRecord(session) + serializeRecord(conn) + serializeRecord(endRecord(new Date(0), 0));
  const log = parseLog(text);
  assert.deepEqual(log.session, { ...session, upstream: null });
  assert.deepEqual(log.connections, [{ ...conn, denial: null, failure: null }]);
  assert.equal(log.end?.exitCode, 0);
  assert.equal(log.cutShort, false);
  assert.equal(log.skipped, 0);
  assert.equal(log.truncated, false);
});

test('unknown fields and record types are ignored', () => {
  const future = { ...conn, newField: { nested: true }, bytesUp: 1 };
  const text =
    [
      JSON.stringify(session),
      JSON.stringify({ v: 1, type: 'dns', host: 'x' }),
      JSON.stringify(future),
    ].join('\n') + '\n';
  const log = parseLog(text);
  assert.equal(log.connections.length, 1);
  assert.equal(log.connections[0]?.bytesUp, 1);
  assert.ok(!('newField' in (log.connections[0] ?? {})));
  assert.equal(log.skipped, 0);
});

test('a truncated last line is tolerated; garbage in the middle is counted', () => {
  const full = serializeRecord(session) + 'not json\n' + serializeRecord(conn);
  const cut = full + serializeRecord(conn).slice(0, 30);
  const log = parseLog(cut);
  assert.equal(log.connections.length, 1);
  assert.equal(log.truncated, true);
  assert.equal(log.skipped, 1);
});

test('records with wrong types or another version are skipped, never thrown', () => {
  const text = [
    JSON.stringify({ ...conn, port: 'x' }),
    JSON.stringify({ ...conn, decision: 'maybe' }),
    JSON.stringify({ ...conn, v: 2 }),
    JSON.stringify([1, 2]),
    'null',
    '',
  ].join('\n');
  const log = parseLog(text);
  assert.equal(log.connections.length, 0);
  assert.equal(log.skipped, 5);
  assert.equal(log.session, null);
});

test('an open record without its closing record is a connection cut short', () => {
  const open = openRecord({
    id: 7,
    time: '2025-01-02T03:04:05.000Z',
    protocol: 'connect',
    host: 'tunnel.example',
    port: 443,
    address: '1.2.3.4',
    rule: null,
  });
  const closedOpen = openRecord({ ...open, id: 8, host: 'done.example' });
  const closed = connectionRecord({ ...conn, id: 8, host: 'done.example' });
  const log = parseLog([session, open, closedOpen, closed].map((r) => serializeRecord(r)).join(''));
  assert.equal(log.cutShort, true);
  assert.equal(log.end, null);
  assert.deepEqual(
    log.connections.map((c) => [c.host, c.cutShort ?? false]),
    [
      ['done.example', false],
      ['tunnel.example', true],
    ],
  );
  assert.match(log.connections[1]?.error ?? '', /cut short/);
});

test('logs of older versions: a name that did not resolve was a failure, not a denial', () => {
  const old = { ...conn, decision: 'deny', error: 'ERR_RESOLVE_NOTFOUND', address: null };
  const log = parseLog(JSON.stringify(session) + '\n' + JSON.stringify(old) + '\n');
  assert.equal(log.connections[0]?.decision, 'allow');
  assert.equal(log.connections[0]?.failure, 'not-found');
  assert.equal(log.connections[0]?.denial, null);
});
