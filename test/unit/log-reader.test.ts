import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectionRecord,
  endRecord,
  openRecord,
  reportRecord,
  serializeRecord,
  sessionRecord,
} from '../../src/log/record.ts';
import { parseLog } from '../../src/log/reader.ts';
import { renderReportText } from '../../src/log/report-text.ts';

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

test('the report record: read back, bad entries dropped, absent in older logs', () => {
  const report = reportRecord({
    time: '2025-01-02T03:05:00.000Z',
    changed: [
      { kind: 'changed', path: 'package.json', reason: 'npm scripts', keys: ['scripts.x'] },
    ],
    setAside: ['.git/hooks/pre-commit: a hook'],
    quarantined: [],
    notes: ['bubble: your git config changed'],
    errors: [],
  });
  const text =
    serializeRecord(session) + serializeRecord(report) + serializeRecord(endRecord(new Date(0), 0));
  assert.deepEqual(parseLog(text).report, report);
  assert.equal(parseLog(serializeRecord(session)).report, null);
  const odd = parseLog(
    JSON.stringify({
      v: 1,
      type: 'report',
      time: 't',
      changed: [
        { kind: 'exploded', path: 'x', reason: 'y' },
        7,
        { kind: 'added', path: 'M', reason: 'r' },
      ],
      setAside: ['ok', 3],
      future: true,
    }) + '\n',
  ).report;
  assert.deepEqual(odd?.changed, [{ kind: 'added', path: 'M', reason: 'r', keys: [] }]);
  assert.deepEqual(odd?.setAside, ['ok']);
  assert.deepEqual(odd?.quarantined, []);
  assert.equal(parseLog('{"v":1,"type":"report"}\n').skipped, 1);
});

test('the report as text: escaped, only the parts that have lines', () => {
  const text = renderReportText(
    reportRecord({
      time: 't',
      changed: [{ kind: 'added', path: 'evil\x1b[2J', reason: 'make recipes', keys: [] }],
      setAside: [],
      quarantined: ['sub/.git/config\u202e: set aside'],
      notes: [],
      errors: [],
    }),
  );
  assert.equal(
    text,
    'change report:\n' +
      '  files that run code on your machine, changed by the agent (review before running them):\n' +
      '    A evil\\x1b[2J (make recipes)\n' +
      '  set aside: written into nested git repositories (git quarantine):\n' +
      '    sub/.git/config\\u202e: set aside\n',
  );
  assert.match(renderReportText(null), /^change report: not in the log/);
  assert.match(
    renderReportText(
      reportRecord({
        time: 't',
        changed: [],
        setAside: [],
        quarantined: [],
        notes: [],
        errors: [],
      }),
    ),
    /nothing the agent changed runs code/,
  );
});
