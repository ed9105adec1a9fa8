import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KEEP, expiredLogs, parseKeep, pruneSessionLogs } from '../../src/log/prune.ts';

const DAY = 86_400_000;

test('BUBBLE_LOG_KEEP: days, sessions, both, all; anything else is refused', () => {
  assert.deepEqual(parseKeep(undefined), DEFAULT_KEEP);
  assert.deepEqual(parseKeep(''), DEFAULT_KEEP);
  assert.deepEqual(parseKeep('7d'), { days: 7, sessions: null });
  assert.deepEqual(parseKeep('50'), { days: null, sessions: 50 });
  assert.deepEqual(parseKeep('7d, 50'), { days: 7, sessions: 50 });
  assert.deepEqual(parseKeep('all'), { days: null, sessions: null });
  for (const bad of ['0', '-1', '7w', '7d,8d', '1,2', 'forever', '1e3', '7 d'])
    assert.equal(parseKeep(bad), null, bad);
});

test('a log goes when it is beyond the newest N or older than the days', () => {
  const now = 100 * DAY;
  const files = [
    { name: '20260101T000000.000Z-aa.jsonl', mtimeMs: now - 40 * DAY },
    { name: '20260301T000000.000Z-bb.jsonl', mtimeMs: now - 2 * DAY },
    { name: '20260201T000000.000Z-cc.jsonl', mtimeMs: now - 1 * DAY },
    { name: '20260401T000000.000Z-dd.jsonl', mtimeMs: now },
  ];
  assert.deepEqual(expiredLogs(files, { days: 30, sessions: null }, now), [
    '20260101T000000.000Z-aa.jsonl',
  ]);
  assert.deepEqual(expiredLogs(files, { days: null, sessions: 2 }, now), [
    '20260201T000000.000Z-cc.jsonl',
    '20260101T000000.000Z-aa.jsonl',
  ]);
  assert.deepEqual(expiredLogs(files, { days: null, sessions: null }, now), []);
});

test('pruning removes only expired session logs, never the current one or other files', (t) => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'bubble-prune-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const now = Date.now();
  const names = ['20260101T000000.000Z-01.jsonl', '20260102T000000.000Z-02.jsonl'];
  for (const n of names) {
    fs.writeFileSync(join(dir, n), '{}\n');
    fs.utimesSync(join(dir, n), new Date(now - 60 * DAY), new Date(now - 60 * DAY));
  }
  const current = '20260103T000000.000Z-03.jsonl';
  fs.writeFileSync(join(dir, current), '{}\n');
  fs.writeFileSync(join(dir, 'notes.txt'), 'mine\n');
  fs.symlinkSync('/etc/hostname', join(dir, '20250101T000000.000Z-ff.jsonl'));
  assert.equal(pruneSessionLogs(dir, { days: 30, sessions: null }, now, current), 2);
  assert.deepEqual(fs.readdirSync(dir).sort(), [
    '20250101T000000.000Z-ff.jsonl',
    current,
    'notes.txt',
  ]);
  assert.equal(pruneSessionLogs(dir, { days: null, sessions: 1 }, now, current), 0);
});
