// The lock between bubble processes (placeholder journals): processes contending for it
// never both hold it, a dead holder's lock is taken over, and one that vanishes while a
// contender reads it (released just then) is tried again, not an error.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { releaseLock, takeLock } from '../../src/sandbox/file-lock.ts';
import { procStart } from '../../src/sandbox/process-identity.ts';

const lockModule = fileURLToPath(new URL('../../src/sandbox/file-lock.ts', import.meta.url));

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(join(tmpdir(), 'bubble-lock-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('processes contending for the lock never hold it at once', async (t) => {
  const dir = scratch(t);
  const lock = join(dir, '.lock');
  const counter = join(dir, 'counter');
  fs.writeFileSync(counter, '0');
  // Each worker: take, read the counter, let others run, write it + 1, release. A lost
  // update (two holders at once) leaves the count short.
  const worker = `
    import { takeLock, releaseLock } from ${JSON.stringify(lockModule)};
    import * as fs from 'node:fs';
    for (let i = 0; i < 40; i++) {
      takeLock(${JSON.stringify(lock)});
      const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8'));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, i % 3);
      fs.writeFileSync(${JSON.stringify(counter)}, String(n + 1));
      releaseLock(${JSON.stringify(lock)});
    }`;
  const workers = 5;
  const codes = await Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<number | null>((resolve) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', '--input-type=module', '-e', worker],
            {
              stdio: ['ignore', 'ignore', 'inherit'],
            },
          );
          child.on('exit', resolve);
        }),
    ),
  );
  assert.deepEqual(codes, Array(workers).fill(0));
  assert.equal(fs.readFileSync(counter, 'utf8'), String(workers * 40));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['counter'], 'nothing but the counter is left');
});

test("a dead holder's lock is taken over; a live one's is not released by anyone else", (t) => {
  const dir = scratch(t);
  const lock = join(dir, '.lock');
  // A process that has exited: its pid and start time name nobody alive.
  const gone = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  fs.writeFileSync(lock, `${gone.stdout.trim()} 1`);
  takeLock(lock);
  assert.equal(fs.readFileSync(lock, 'utf8'), `${process.pid} ${procStart(process.pid)}`);
  releaseLock(lock);
  assert.ok(!fs.existsSync(lock));

  // A lock held by someone else (here: this test's parent, alive) stays when we "release".
  const parent = `${process.ppid} ${procStart(process.ppid)}`;
  fs.writeFileSync(lock, parent);
  releaseLock(lock);
  assert.equal(fs.readFileSync(lock, 'utf8'), parent);
});
