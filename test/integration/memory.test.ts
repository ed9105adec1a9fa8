// Memory: nothing RAM-backed inside is writable without a cap (the root and /dev read-only,
// /dev/shm sized like /tmp), and a memory hog is stopped by the sandbox's memory limit while
// the host stays responsive. Each test builds its own world.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { test, type TestContext } from 'node:test';
import { requireBwrap, unmet } from '../support/bwrap.ts';
import { makeWorld, runBubble, sandboxSh, type World } from '../support/world.ts';

const MiB = 1024 ** 2;

async function withWorld(t: TestContext, fn: (w: World) => Promise<void>): Promise<void> {
  if (!(await requireBwrap(t))) return;
  const w = makeWorld();
  try {
    await fn(w);
  } finally {
    w.cleanup();
  }
}

/**
 * True when bubble said it has no memory limit. A machine without any memory controller
 * cannot have one: then the warning is what bubble owes (checked here). Anywhere else a
 * missing cgroup is an unmet prerequisite: a failure under BUBBLE_MUST_WORK.
 */
function noMemoryLimit(t: TestContext, stderr: string): boolean {
  const why = /warning: no memory limit: (.*)/.exec(stderr)?.[1];
  if (why === undefined) return false;
  if (/no memory controller|no cgroup with a memory controller/.test(why)) {
    t.diagnostic(`this machine has no memory controller: ${why}`);
    assert.match(stderr, /the sandbox can use all of the RAM/);
    return true;
  }
  unmet(
    t,
    `no cgroup for the memory limit (${why}); CI delegates one (.ci/run), or run under systemd with a user manager`,
  );
  return true;
}

function memAvailable(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

test('the root and /dev are read-only; /dev/shm and /tmp hold no more than their cap', async (t) => {
  await withWorld(t, async (w) => {
    const r = await sandboxSh(
      w,
      [
        'for p in /x /usr-x /dev/x /run/x; do touch "$p" 2>/dev/null && echo "wrote $p"; done',
        'mkdir /newdir 2>/dev/null && echo "made /newdir"',
        'head -c 100000000 /dev/zero > /dev/shm/fill 2>/dev/null; echo "shm=$?"',
        'wc -c < /dev/shm/fill',
        'head -c 100000000 /dev/zero > /tmp/fill 2>/dev/null; echo "tmp=$?"',
        'wc -c < /tmp/fill',
        'echo ok > /dev/null && echo devnull-ok',
      ].join('; '),
      ['--limit', 'tmp=16M', '--limit', 'mem=unlimited'],
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(
      lines.filter((l) => /^(wrote|made)/.test(l)),
      [],
      'a RAM-backed path outside the caps was writable',
    );
    const [shm, shmBytes, tmp, tmpBytes, devnull] = lines;
    assert.notEqual(shm, 'shm=0', '/dev/shm took 100 MB');
    assert.ok(Number(shmBytes) <= 16 * MiB, `/dev/shm held ${shmBytes} bytes, cap 16 MiB`);
    assert.ok(Number(shmBytes) > MiB, `/dev/shm is not writable at all (${shmBytes})`);
    assert.notEqual(tmp, 'tmp=0');
    assert.ok(Number(tmpBytes) <= 16 * MiB, `/tmp held ${tmpBytes} bytes, cap 16 MiB`);
    assert.equal(devnull, 'devnull-ok');
  });
});

test('silly limits are refused with exit 2 and a hint', async (t) => {
  await withWorld(t, async (w) => {
    for (const spec of ['tmp=2', 'mem=0', 'home=1k']) {
      const r = await sandboxSh(w, 'echo RAN', ['--limit', spec]);
      assert.equal(r.code, 2, `${spec}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /RAN/);
      assert.match(r.stderr, /^bubble: .*a sandbox needs/m);
      assert.match(r.stderr, /512M, 2G/);
    }
  });
});

test('a memory hog is stopped by the memory limit; the host stays responsive', async (t) => {
  await withWorld(t, async (w) => {
    const probe = await sandboxSh(w, 'true', ['--limit', 'mem=256M']);
    assert.equal(probe.code, 0, probe.stderr);
    if (noMemoryLimit(t, probe.stderr)) return;
    const availableBefore = memAvailable();
    // 1 GiB in 16 MiB steps, each touched so it is really allocated.
    const hog =
      'python3 -c "import sys\nb=[]\nfor i in range(64):\n  b.append(bytearray(16<<20)); print(i, flush=True)"';
    const r = await sandboxSh(w, `${hog} > /tmp/progress; echo "hog=$?"; tail -1 /tmp/progress`, [
      '--limit',
      'mem=256M',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [status, last] = r.stdout.trim().split('\n');
    assert.equal(status, 'hog=137', `the hog was not killed: ${r.stdout} ${r.stderr}`);
    assert.ok(Number(last) < 20, `the hog got ${(Number(last) + 1) * 16} MiB past a 256 MiB limit`);
    // The host: still forks, and its free memory was not eaten.
    assert.equal(spawnSync('true').status, 0, 'the host cannot fork');
    assert.ok(
      memAvailable() > availableBefore / 2,
      `host MemAvailable fell from ${availableBefore} to ${memAvailable()}`,
    );
  });
});

test('RAM-backed tmpfs pages count against the memory limit too', async (t) => {
  await withWorld(t, async (w) => {
    const r = await runBubble(w, [
      'run',
      '--limit',
      'mem=128M',
      '--limit',
      'tmp=1G',
      '--',
      'sh',
      '-c',
      'head -c 600000000 /dev/zero > /dev/shm/fill; echo "shm=$?"',
    ]);
    if (noMemoryLimit(t, r.stderr)) return;
    assert.doesNotMatch(r.stdout, /shm=0/, `600 MB went into /dev/shm under a 128 MiB limit`);
  });
});
