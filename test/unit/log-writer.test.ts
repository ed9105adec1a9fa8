import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionRecord, sessionRecord } from '../../src/log/record.ts';
import { parseLog, listSessions } from '../../src/log/reader.ts';
import {
  defaultSessionsDir,
  newSessionId,
  openSessionLog,
  sessionLogPath,
  LogWriteError,
} from '../../src/log/writer.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bubble-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('default sessions dir follows XDG', () => {
  assert.equal(defaultSessionsDir({ XDG_STATE_HOME: '/s', HOME: '/h' }), '/s/bubble/sessions');
  assert.equal(
    defaultSessionsDir({ XDG_STATE_HOME: 'relative', HOME: '/h' }),
    '/h/.local/state/bubble/sessions',
  );
  assert.throws(() => defaultSessionsDir({}), LogWriteError);
});

test('session ids are sortable and paths are validated', () => {
  const id = newSessionId(new Date('2025-01-02T03:04:05.678Z'), () => Buffer.from([1, 2, 3, 4]));
  assert.equal(id, '20250102T030405.678Z-01020304');
  assert.equal(sessionLogPath('/d', id), `/d/${id}.jsonl`);
  assert.throws(() => sessionLogPath('/d', '../x'), LogWriteError);
  assert.throws(() => sessionLogPath('/d', 'a/b'), LogWriteError);
});

test('creates the file 0600 in a 0700 dir, appends records, refuses to reuse a file', (t) => {
  const root = tempDir(t);
  const dir = join(root, 'state', 'bubble', 'sessions');
  const path = sessionLogPath(dir, 's1');
  const log = openSessionLog(path);
  log.write(
    sessionRecord({
      sessionId: 's1',
      startTime: new Date(0).toISOString(),
      argv: ['true'],
      cwd: '/',
      netMode: 'filtered',
      rules: { allow: [], deny: [] },
      publishedPorts: [],
      bubbleVersion: 'test',
    }),
  );
  log.write(
    connectionRecord({
      time: new Date(0).toISOString(),
      protocol: 'socks',
      host: 'a\nb',
      port: 1,
      address: null,
      decision: 'deny',
      rule: null,
      reason: 'r',
      bytesUp: 0,
      bytesDown: 0,
      durationMs: 0,
      error: null,
    }),
  );
  // Visible to readers immediately, before close.
  const parsed = parseLog(readFileSync(path, 'utf8'));
  assert.equal(parsed.session?.sessionId, 's1');
  assert.equal(parsed.connections[0]?.host, 'a\nb');
  log.close();
  log.close();
  log.write(parsed.session);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 3);
  assert.throws(
    () => openSessionLog(path),
    (e: unknown) => e instanceof LogWriteError && e.code === 'ERR_LOG_OPEN',
  );
  assert.deepEqual(
    listSessions(dir).map((s) => s.id),
    ['s1'],
  );
  assert.deepEqual(listSessions(join(root, 'missing')), []);
});

test('tightens a loose existing directory; refuses a symlinked log file', (t) => {
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'target'), '');
  symlinkSync(join(dir, 'target'), join(dir, 'link.jsonl'));
  assert.throws(() => openSessionLog(join(dir, 'link.jsonl')), LogWriteError);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});
