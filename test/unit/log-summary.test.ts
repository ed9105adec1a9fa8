import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionRecord, type ConnectionRecordInput } from '../../src/log/record.ts';
import { asciiText } from '../../src/sandbox/escape.ts';
import { formatBytes, renderSessionLine, renderSummary, summarize } from '../../src/log/summary.ts';

const base: ConnectionRecordInput = {
  time: '2025-01-02T03:04:05.000Z',
  protocol: 'connect',
  host: 'api.anthropic.com',
  port: 443,
  address: '1.2.3.4',
  decision: 'allow',
  rule: null,
  reason: null,
  bytesUp: 100,
  bytesDown: 2048,
  durationMs: 1,
  error: null,
};
const c = (over: Partial<ConnectionRecordInput>) => connectionRecord({ ...base, ...over });

test('per-host summary as data', () => {
  const s = summarize([
    c({}),
    c({ time: '2025-01-02T03:05:00.000Z', port: 80, bytesUp: 1, bytesDown: 1 }),
    c({
      time: '2025-01-02T03:00:00.000Z',
      host: 'evil.com',
      decision: 'deny',
      reason: 'x',
      bytesUp: 0,
      bytesDown: 0,
    }),
    c({ host: null, port: null, decision: 'deny', bytesUp: 0, bytesDown: 0 }),
    c({
      host: 'down.test',
      error: 'ERR_DIAL_REFUSED',
      failure: 'refused',
      bytesUp: 0,
      bytesDown: 0,
    }),
  ]);
  assert.equal(s.connections, 5);
  assert.equal(s.denied, 2);
  assert.equal(s.allowed, 3);
  assert.deepEqual(s.hosts[0], {
    host: 'api.anthropic.com',
    ports: [80, 443],
    connections: 2,
    allowed: 2,
    denied: 0,
    failed: 0,
    cutShort: 0,
    bytesUp: 101,
    bytesDown: 2049,
    first: '2025-01-02T03:04:05.000Z',
    last: '2025-01-02T03:05:00.000Z',
  });
  assert.deepEqual(
    s.hosts.map((h) => h.host),
    ['api.anthropic.com', '(malformed)', 'down.test', 'evil.com'],
  );
  assert.equal(s.hosts.find((h) => h.host === 'down.test')?.failed, 1);
});

test('text rendering is aligned and escapes hostile host names', () => {
  const text = renderSummary(summarize([c({}), c({ host: 'x\x1b[2Jy.com', decision: 'deny' })]));
  const lines = text.trimEnd().split('\n');
  assert.match(
    lines[0] ?? '',
    /^HOST\s+PORTS\s+CONN\s+ALLOWED\s+DENIED\s+FAILED\s+UP\s+DOWN\s+FIRST\s+LAST$/,
  );
  assert.ok(!text.includes('\x1b'));
  assert.ok(text.includes('x\\x1b[2Jy.com'));
  assert.equal(lines.at(-1), '2 hosts, 2 connections, 1 denied, 200 B up, 4.0 KiB down');
  assert.match(lines[1] ?? '', /2025-01-02 03:04:05/);
});

test('session line', () => {
  const s = summarize([c({}), c({ host: 'b.test' }), c({ host: 'evil.com', decision: 'deny' })]);
  assert.equal(
    renderSessionLine(s, '/home/u/.local/state/bubble/sessions/x.jsonl'),
    'bubble: 2 hosts contacted, 1 denied; log: /home/u/.local/state/bubble/sessions/x.jsonl',
  );
});

test('failures are not denials: the session line names them', () => {
  const s = summarize([
    c({}),
    c({ host: 'b.test' }),
    c({ host: 'c.test', port: 8443 }),
    c({ host: 'evil.com', decision: 'deny', denial: 'rule' }),
    c({ host: 'nope.test', failure: 'not-found', address: null }),
    c({ host: 'nope2.test', failure: 'not-found', address: null }),
  ]);
  assert.equal(s.denied, 1);
  assert.equal(s.failed, 2);
  assert.equal(s.contacted, 3);
  assert.equal(
    renderSessionLine(s, '/l.jsonl'),
    'bubble: 3 hosts contacted, 1 denied, 2 failed (not found); log: /l.jsonl',
  );
  const mixed = summarize([
    c({ failure: 'not-found' }),
    c({ failure: 'timed-out' }),
    c({ failure: 'timed-out' }),
  ]);
  assert.equal(
    renderSessionLine(mixed, '/l.jsonl'),
    'bubble: 0 hosts contacted, 0 denied, 3 failed (1 not found, 2 timed out); log: /l.jsonl',
  );
});

test('helpers', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(200 * 1024 * 1024), '200 MiB');
  assert.equal(asciiText('a\nb\u202ec'), 'a\\x0ab\\u{202e}c');
});
