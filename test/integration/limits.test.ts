// Resource limits: a fork bomb, a huge file and a tmpfs fill inside must not take the host
// down. Bounded and gentle: small limits, timeouts, and the host checked afterwards.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/wait.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, marked, sandboxSh, type World } from '../support/world.ts';

describe('resource limits', () => {
  let w: World;
  before(() => {
    w = makeWorld();
  });
  after(() => w.cleanup());

  test('defaults are in force inside and cannot be raised', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      'ulimit -p; ulimit -f; ulimit -p 100000 2>/dev/null && echo RAISED; df -k /tmp "$HOME" | tail -2 | tr -s " " | cut -d" " -f2',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '2048',
      String((8 * 1024 ** 3) / 512),
      String(1024 ** 2),
      String(1024 ** 2),
    ]);
  });

  test('a fork bomb is contained and the host still forks', async (t) => {
    if (!(await requireBwrap(t))) return;
    const marker = `bubble-bomb-${process.pid}`;
    const run = sandboxSh(
      w,
      `sh -c 'b() { while :; do b & sleep 0.05; done; }; b' ${marker} 2>/dev/null & sleep 2; echo survived`,
      ['--limit', 'nproc=64'],
      { timeoutMs: 30_000 },
    );
    // Sample the bomb from the host for as long as the sandbox runs it.
    let ended = false;
    void run.finally(() => (ended = true));
    let most = 0;
    let hostForked = true;
    await waitFor(() => {
      most = Math.max(most, marked(marker).length);
      if (most > 10) hostForked &&= spawnSync('true').status === 0;
      return ended;
    }, 'the sandbox ended');
    assert.ok(hostForked, 'the host could not fork while the bomb ran');
    const r = await run;
    assert.match(r.stdout, /survived/);
    assert.ok(most > 10, `the bomb never got going (${most} processes): the test proves nothing`);
    assert.ok(most <= 64, `${most} bomb processes at once, limit 64`);
    assert.deepEqual(marked(marker), [], 'bomb processes outlived the sandbox');
  });

  test('files are capped at the file-size limit; /tmp at its size', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      'head -c 3000000 /dev/zero > big 2>/dev/null; echo "big=$?"; head -c 100000000 /dev/zero > /tmp/fill 2>/dev/null; echo "fill=$?"; ls -l /tmp/fill | tr -s " " | cut -d" " -f5',
      ['--limit', 'fsize=1M', '--limit', 'tmp=16M'],
    );
    const [big, fill, tmpSize] = r.stdout.trim().split('\n');
    assert.notEqual(big, 'big=0');
    assert.equal(
      fs.statSync(join(w.project, 'big')).size,
      1024 ** 2,
      'the file grew past the limit on the host',
    );
    assert.notEqual(fill, 'fill=0');
    assert.ok(Number(tmpSize) <= 16 * 1024 ** 2, `tmpfs held ${tmpSize} bytes`);
  });

  test('bad limits are usage errors', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(w, 'true', ['--limit', 'cpu=1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown limit/);
  });
});
