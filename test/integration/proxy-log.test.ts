// The session log as written by a proxy in another process: complete records,
// open tunnels recorded on SIGTERM, completed ones kept even on SIGKILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLog } from '../../src/log/reader.ts';
import { summarize } from '../../src/log/summary.ts';
import { echoRoundTrip, rawConnect, startEcho } from '../fixtures/net-helpers.ts';
import { waitFor } from '../support/wait.ts';

const CHILD = fileURLToPath(new URL('../fixtures/net-proxy-child.ts', import.meta.url));

async function startChild(
  logPath: string,
  published: number,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, logPath, String(published)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return { child, port: Number(line.toString().trim()) };
}

function tempLogPath(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bubble-proxy-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'sessions', 'child.jsonl');
}

/** Connection records on disk so far (the first line is the session's own). */
function recordsOnDisk(logPath: string): number {
  try {
    return readLog(logPath).connections.length;
  } catch {
    return 0; // not created yet
  }
}

test('SIGTERM: finished and still-open connections are all in the log', async (t) => {
  const echo = await startEcho();
  t.after(() => echo.close());
  const logPath = tempLogPath(t);
  const { child, port } = await startChild(logPath, echo.port);
  const done = await rawConnect(port, `127.0.0.1:${echo.port}`);
  assert.equal(await echoRoundTrip(done.socket, 'finished'), 'finished');
  done.socket.end();
  const denied = await rawConnect(port, '169.254.169.254:80');
  denied.socket.destroy();
  const open = await rawConnect(port, `localhost:${echo.port}`);
  assert.equal(await echoRoundTrip(open.socket, 'still open'), 'still open');
  open.socket.resume();
  // The ended connections are written when they end; the open one only at SIGTERM.
  await waitFor(
    () => recordsOnDisk(logPath) === 2,
    'the finished and the denied connection logged',
  );
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 143);
  open.socket.destroy();

  assert.equal(statSync(logPath).mode & 0o777, 0o600);
  const log = readLog(logPath);
  assert.equal(log.session?.sessionId, 'child');
  assert.equal(log.skipped, 0);
  assert.equal(log.truncated, false);
  assert.equal(log.connections.length, 3);
  const byHost = new Map(log.connections.map((c) => [c.host, c]));
  assert.equal(byHost.get('127.0.0.1')?.bytesUp, 8);
  assert.equal(byHost.get('169.254.169.254')?.decision, 'deny');
  assert.equal(byHost.get('localhost')?.error, 'proxy closed');
  assert.equal(byHost.get('localhost')?.bytesDown, 10);
  const summary = summarize(log.connections);
  assert.equal(summary.denied, 1);
  assert.equal(summary.hosts.length, 3);
});

test('SIGKILL: connections that had ended are already on disk, one JSON object per line', async (t) => {
  const echo = await startEcho();
  t.after(() => echo.close());
  const logPath = tempLogPath(t);
  const { child, port } = await startChild(logPath, echo.port);
  for (let i = 0; i < 5; i++) {
    const c = await rawConnect(port, `127.0.0.1:${echo.port}`);
    await echoRoundTrip(c.socket, 'x');
    c.socket.end();
    await once(c.socket, 'close').catch(() => {});
  }
  await waitFor(() => recordsOnDisk(logPath) === 5, 'the five ended connections logged');
  child.kill('SIGKILL');
  await once(child, 'exit');
  const text = readFileSync(logPath, 'utf8');
  assert.ok(text.endsWith('\n'));
  const log = readLog(logPath);
  assert.equal(log.connections.length, 5);
});
