// pip's cache (policy/caches.ts) with the real pip and a venv: a wheel the host built from an
// sdist is in the host's ~/.cache/pip; inside, a fresh venv installs the same sdist with no
// network and no index, which only that cached wheel makes possible (building it would need
// setuptools from an index). A wheel built inside lands in the project's cache and serves
// the next session; the host's cache never changes, whatever is written to it inside.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import {
  assertPoisonStaysInProject,
  files,
  hostLayer,
  ok,
  projectCache,
  removeWorld,
} from '../support/caches.ts';
import { makeWorld, runBubble, snapshot, type World } from '../support/world.ts';
import { host, requireTools, unmet } from '../fixtures/net-tools/host.ts';

/** An sdist of module `mod` in distribution `name` 1.0, written to `out`. */
async function sdist(world: World, name: string, mod: string, out: string): Promise<void> {
  const src = join(world.root, `src-${name}`);
  fs.mkdirSync(src);
  fs.writeFileSync(
    join(src, 'setup.py'),
    `from setuptools import setup\nsetup(name="${name}", version="1.0", py_modules=["${mod}"])\n`,
  );
  fs.writeFileSync(join(src, `${mod}.py`), `def hello():\n    return "${mod}-ok"\n`);
  fs.writeFileSync(join(src, 'README'), 'test package\n');
  // A build backend named: pip builds it in isolation, which needs an index.
  fs.writeFileSync(
    join(src, 'pyproject.toml'),
    '[build-system]\nrequires = ["setuptools", "wheel"]\nbuild-backend = "setuptools.build_meta"\n',
  );
  await host('python3', ['setup.py', '-q', 'sdist', '-d', out], { cwd: src, env: world.env });
}

/** Python with setuptools and wheel (Debian: python3-setuptools, python3-wheel) and venv. */
async function pythonReady(world: World): Promise<string | undefined> {
  const r = await host(
    'python3',
    ['-c', 'import setuptools, wheel, venv, ensurepip; print(setuptools.__version__)'],
    { env: world.env, check: false },
  );
  return r.code === 0 ? undefined : r.stderr.trim().split('\n').pop();
}

test("pip in a venv: the host's wheel cache serves an offline install inside (overlay); wheels built inside stay in the project's cache", async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['python3', 'pip3'])) return;
  const world = makeWorld();
  t.after(() => removeWorld(world));
  const missing = await pythonReady(world);
  if (missing !== undefined) {
    unmet(t, `python3 lacks setuptools, wheel or venv (${missing})`);
    return;
  }
  // The sdists sit in the project: pip keys a built wheel by the sdist's URL, the same path
  // inside and out.
  const dist = join(world.project, 'dist');
  fs.mkdirSync(dist);
  await sdist(world, 'bubble-tiny', 'bubble_tiny', dist);
  await sdist(world, 'bubble-other', 'bubble_other', dist);
  const pipEnv = { ...world.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  // The host's own install builds bubble-tiny's wheel with Debian's setuptools and caches it.
  const hostVenv = join(world.root, 'host-venv');
  await host('python3', ['-m', 'venv', '--system-site-packages', hostVenv], { env: pipEnv });
  await host(
    join(hostVenv, 'bin', 'pip'),
    ['install', '--no-index', '--find-links', dist, '--no-build-isolation', 'bubble-tiny'],
    { env: pipEnv, timeoutMs: 120_000 },
  );
  const hostCache = join(world.home, '.cache', 'pip');
  assert.ok(
    files(hostCache).some((f) => f.endsWith('bubble_tiny-1.0-py3-none-any.whl')),
    'the host cache holds the built wheel',
  );
  // Calibration: the same offline install without the cache fails (building in isolation
  // needs setuptools from an index).
  const cold = await host(
    join(hostVenv, 'bin', 'pip'),
    [
      'install',
      '--no-cache-dir',
      '--force-reinstall',
      '--no-index',
      '--find-links',
      dist,
      'bubble-tiny',
    ],
    { env: pipEnv, timeoutMs: 120_000, check: false },
  );
  assert.notEqual(cold.code, 0, `without the cache the offline install must fail:\n${cold.stdout}`);
  const before = snapshot(hostCache);
  const layer = await hostLayer(world, 'pip', hostCache);
  if (layer !== 'overlay') {
    unmet(
      t,
      `bubble cannot layer the host's pip cache here (needs bwrap 0.11+, or Linux 5.11+ with util-linux unshare)`,
    );
    return;
  }

  // A new venv in the project, no network, no index, build isolation on: without the
  // host's cached wheel, pip would have to fetch setuptools to build the sdist, and fail.
  const venvInstall =
    'python3 -m venv .venv && .venv/bin/pip install --no-index --find-links dist bubble-tiny && ' +
    '.venv/bin/python -c "import bubble_tiny; print(bubble_tiny.hello())"';
  const first = await runBubble(world, ['run', '--net', 'none', '--', 'sh', '-c', venvInstall], {
    env: pipEnv,
    timeoutMs: 180_000,
  });
  ok(first, 'venv and pip install inside, offline');
  assert.match(first.stdout, /bubble_tiny-ok/);
  assert.match(first.stdout + first.stderr, /cached bubble_tiny-1\.0-py3-none-any\.whl/);

  // A wheel built inside (Debian's setuptools through the system site packages) goes to the
  // project's cache, and the next session installs it offline from there.
  const build = await runBubble(
    world,
    [
      'run',
      '--net',
      'none',
      '--',
      'sh',
      '-c',
      'python3 -m venv --system-site-packages /tmp/v && /tmp/v/bin/pip install --no-index --find-links dist --no-build-isolation bubble-other',
    ],
    { env: pipEnv, timeoutMs: 180_000 },
  );
  ok(build, 'a wheel built inside');
  const mine = join(projectCache(world, 'pip'), 'cache-pip');
  assert.ok(
    files(mine).some((f) => f.endsWith('bubble_other-1.0-py3-none-any.whl')),
    `the wheel built inside is in the project's cache (${mine})`,
  );
  assert.deepEqual(snapshot(hostCache), before, "the host's pip cache is unchanged");
  const second = await runBubble(
    world,
    [
      'run',
      '--net',
      'none',
      '--',
      'sh',
      '-c',
      '.venv/bin/pip install --no-index --find-links dist bubble-other && .venv/bin/python -c "import bubble_other; print(bubble_other.hello())"',
    ],
    { env: pipEnv, timeoutMs: 180_000 },
  );
  ok(second, "the next session installs from the project's cache");
  assert.match(second.stdout, /bubble_other-ok/);

  await assertPoisonStaysInProject(
    world,
    join(world.home, '.cache', 'pip'),
    hostCache,
    before,
    mine,
    {
      env: pipEnv,
    },
  );
});
