// Learn mode turns contacted destinations into exact rules; wildcards are only suggested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnRules } from '../../src/log/learn.ts';
import { connectionRecord, type ConnectionRecord } from '../../src/log/record.ts';
import { parsePattern } from '../../src/net/rules.ts';
import { parseSince } from '../../src/cli/commands/allow.ts';

function conn(host: string | null, port: number, extra: Partial<ConnectionRecord> = {}) {
  return connectionRecord({
    time: '2026-01-01T00:00:00.000Z',
    protocol: 'connect',
    host,
    port,
    address: '192.0.2.1',
    decision: 'allow',
    rule: null,
    reason: null,
    bytesUp: 1,
    bytesDown: 1,
    durationMs: 1,
    error: null,
    ...extra,
  });
}

test('exact hosts, ports only where not 443/80, sessions named', () => {
  const learned = learnRules([
    {
      sessionId: 'S1',
      connections: [
        conn('api.example.com', 443),
        conn('api.example.com', 443),
        conn('git.example.org', 22),
        conn('db.example.net', 5432),
        conn('db.example.net', 6432),
        conn('web.example.net', 80),
        conn('web.example.net', 8080),
        conn('2001:db8::1', 8443),
      ],
    },
    { sessionId: 'S2', connections: [conn('api.example.com', 80), conn('new.example', 443)] },
  ]);
  assert.deepEqual(
    learned.rules.map((r) => [r.pattern, r.sessions]),
    [
      ['api.example.com', ['S1', 'S2']],
      ['git.example.org:22', ['S1']],
      ['db.example.net:5432', ['S1']],
      ['db.example.net:6432', ['S1']],
      ['web.example.net', ['S1']],
      ['[2001:db8::1]:8443', ['S1']],
      ['new.example', ['S2']],
    ],
  );
  for (const r of learned.rules) assert.doesNotThrow(() => parsePattern(r.pattern), r.pattern);
  assert.deepEqual(learned.suggestions, []);
});

test('refused, failed, malformed and loopback connections are not learned', () => {
  const learned = learnRules([
    {
      sessionId: 'S1',
      connections: [
        conn('denied.example', 443, { decision: 'deny', denial: 'rule' }),
        conn('nodns.example', 443, { failure: 'not-found' }),
        conn(null, 443, { decision: 'deny', denial: 'malformed' }),
        conn('localhost', 8080, { rule: 'host-port 8080' }),
        conn('127.0.0.1', 8080, { rule: 'host-port 8080' }),
        conn('kept.example', 443),
      ],
    },
  ]);
  assert.deepEqual(
    learned.rules.map((r) => r.pattern),
    ['kept.example'],
  );
  assert.equal(learned.notLearned, 3);
});

test('what an existing rule allows is not added again', () => {
  const learned = learnRules(
    [{ sessionId: 'S1', connections: [conn('a.github.com', 443), conn('x.example', 22)] }],
    ['*.github.com', 'x.example:22'],
  );
  assert.deepEqual(learned.rules, []);
  assert.deepEqual(learned.alreadyAllowed, ['a.github.com:443', 'x.example:22']);
});

test('a wildcard is suggested for three siblings, never for IPs or a top-level domain', () => {
  const learned = learnRules([
    {
      sessionId: 'S1',
      connections: [
        conn('a.cdn.example', 443),
        conn('b.cdn.example', 443),
        conn('c.cdn.example', 443),
        conn('one.example', 443),
        conn('two.example', 443),
        conn('three.example', 443),
        conn('10.0.0.1', 443),
        conn('10.0.0.2', 443),
        conn('10.0.0.3', 443),
      ],
    },
  ]);
  assert.deepEqual(learned.suggestions, [
    { pattern: '*.cdn.example', hosts: ['a.cdn.example', 'b.cdn.example', 'c.cdn.example'] },
  ]);
  assert.equal(learned.rules.length, 9, 'the suggestion replaced rules');
});

test('--since takes dates and durations', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  assert.equal(parseSince('2026-03-01', now)?.toISOString(), '2026-03-01T00:00:00.000Z');
  assert.equal(parseSince('3d', now)?.toISOString(), '2026-03-07T12:00:00.000Z');
  assert.equal(parseSince('12h', now)?.toISOString(), '2026-03-10T00:00:00.000Z');
  assert.equal(parseSince('yesterday', now), null);
  assert.equal(parseSince('2026-13-45', now), null);
});
