// Package caches (policy/caches.ts) with the real tools: inside, the tool finds a warm
// cache; what it writes (or an attacker plants) lands in the project's own cache, and the
// host's cache is byte-for-byte what it was. Packages come from servers on the host's
// loopback (npm) or a file:// module proxy (go); the warm runs have no network at all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, runBubble, snapshot } from '../support/world.ts';
import {
  assertPoisonStaysInProject,
  files,
  hostLayer,
  ok,
  projectCache,
  removeWorld,
} from '../support/caches.ts';
import { host, requireTools, startStatic, unmet } from '../fixtures/net-tools/host.ts';

test("npm: a new project's first session reads the host cache offline (overlay); what it writes or plants stays in the project's cache", async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['npm'])) return;
  const world = makeWorld();
  t.after(() => removeWorld(world));
  const www = join(world.root, 'www');
  const pkg = join(world.root, 'pkg');
  const app = join(world.root, 'app');
  fs.mkdirSync(www);
  fs.mkdirSync(pkg);
  fs.mkdirSync(app);
  fs.writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'bubble-tiny', version: '1.0.0', main: 'index.js' }),
  );
  fs.writeFileSync(join(pkg, 'index.js'), "module.exports = 'tiny-ok';\n");
  const npmEnv = { ...world.env, npm_config_update_notifier: 'false' };
  await host('npm', ['pack', '--silent', '--pack-destination', www], { cwd: pkg, env: npmEnv });
  const server = await startStatic(www);
  t.after(() => server.close());
  const H = server.port;
  // The host's own install: its cache (~/.npm/_cacache of the world's home) is warm.
  fs.writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0' }));
  await host(
    'npm',
    ['install', '--no-audit', '--no-fund', `http://127.0.0.1:${H}/bubble-tiny-1.0.0.tgz`],
    { cwd: app, env: npmEnv },
  );
  for (const f of ['package.json', 'package-lock.json'])
    fs.copyFileSync(join(app, f), join(world.project, f));
  const hostCache = join(world.home, '.npm', '_cacache');
  const before = snapshot(hostCache);
  assert.ok(files(hostCache).length > 0, 'the host cache is warm');
  const fetched = server.seen.length;

  if ((await hostLayer(world, 'npm', hostCache)) !== 'overlay') {
    unmet(
      t,
      "bubble cannot layer the host's npm cache here (needs bwrap 0.11+, or Linux 5.11+ with util-linux unshare)",
    );
    return;
  }

  // No network at all: only the host's cache can provide the package.
  const ci = 'npm ci --offline --no-audit --no-fund && node -p "require(\'bubble-tiny\')"';
  const first = await runBubble(world, ['run', '--net', 'none', '--', 'sh', '-c', ci], {
    timeoutMs: 120_000,
  });
  ok(first, 'first npm ci, offline');
  assert.match(first.stdout, /tiny-ok/);
  assert.equal(server.seen.length, fetched, 'nothing was fetched');

  // The attack: plant content and rewrite every entry of the cache visible inside (the
  // host's entries among them).
  const mine = join(projectCache(world, 'npm'), 'npm-_cacache');
  await assertPoisonStaysInProject(
    world,
    join(world.home, '.npm', '_cacache'),
    hostCache,
    before,
    mine,
  );
});

/** A module zip as go expects it: only file entries, each under `module@version/`. */
function goZip(
  dir: string,
  prefix: string,
  entries: Record<string, string>,
  out: string,
): Promise<unknown> {
  const py = [
    'import sys, zipfile, json',
    'z = zipfile.ZipFile(sys.argv[1], "w")',
    'for k, v in json.loads(sys.argv[3]).items(): z.writestr(sys.argv[2] + "/" + k, v)',
    'z.close()',
  ].join('\n');
  return host('python3', ['-c', py, out, prefix, JSON.stringify(entries)], { cwd: dir });
}

test("go: the host's module cache is read through a file:// proxy offline; writes never reach it", async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['go', 'python3'])) return;
  const world = makeWorld();
  t.after(() => removeWorld(world));
  // A module proxy on disk with one module, example.com/tiny v1.0.0.
  const proxy = join(world.root, 'proxy');
  const v = join(proxy, 'example.com', 'tiny', '@v');
  fs.mkdirSync(v, { recursive: true });
  const mod = 'module example.com/tiny\n\ngo 1.18\n';
  fs.writeFileSync(join(v, 'list'), 'v1.0.0\n');
  fs.writeFileSync(join(v, 'v1.0.0.info'), '{"Version":"v1.0.0"}\n');
  fs.writeFileSync(join(v, 'v1.0.0.mod'), mod);
  await goZip(
    world.root,
    'example.com/tiny@v1.0.0',
    { 'go.mod': mod, 'tiny.go': 'package tiny\n\nfunc Hello() string { return "tiny-ok" }\n' },
    join(v, 'v1.0.0.zip'),
  );
  fs.writeFileSync(
    join(world.project, 'go.mod'),
    'module app\n\ngo 1.18\n\nrequire example.com/tiny v1.0.0\n',
  );
  fs.writeFileSync(
    join(world.project, 'main.go'),
    'package main\n\nimport (\n\t"fmt"\n\t"example.com/tiny"\n)\n\nfunc main() { fmt.Println(tiny.Hello()) }\n',
  );
  // The host's own download: ~/go/pkg/mod of the world's home is warm, go.sum written.
  const goEnv = {
    ...world.env,
    GOPROXY: `file://${proxy}`,
    GOSUMDB: 'off',
    GOFLAGS: '-modcacherw',
    GOCACHE: join(world.root, 'gocache'),
  };
  await host('go', ['mod', 'download', '-x', 'example.com/tiny'], {
    cwd: world.project,
    env: goEnv,
  });
  await host('go', ['mod', 'tidy'], { cwd: world.project, env: goEnv });
  const hostCache = join(world.home, 'go', 'pkg', 'mod');
  const before = snapshot(hostCache);
  assert.ok(files(join(hostCache, 'cache', 'download')).length > 0, 'the host cache is warm');

  // No network, no proxy of the test's: only bubble's GOPROXY, whose first entry is the host cache.
  const build = await runBubble(
    world,
    [
      'run',
      '--net',
      'none',
      '--env',
      'GOFLAGS=-modcacherw -buildvcs=false',
      '--',
      'sh',
      '-c',
      'echo "GOPROXY=$GOPROXY" && go build -o /tmp/app . && /tmp/app',
    ],
    { timeoutMs: 180_000 },
  );
  ok(build, 'go build inside, offline');
  assert.match(build.stdout, /GOPROXY=file:\/\/\/run\/bubble-caches\/go\/cache\/download,/);
  assert.match(build.stdout, /tiny-ok/);
  const mine = join(projectCache(world, 'go'), 'go-pkg-mod');
  assert.ok(
    files(mine).some((f) => f.includes('tiny@v1.0.0')),
    `go extracted the module into the project's cache (${mine})`,
  );

  // The attack: overwrite the host cache through its read-only view, and plant a version
  // in the writable one.
  const poison = await runBubble(
    world,
    [
      'run',
      '--net',
      'none',
      '--',
      'sh',
      '-c',
      'z=/run/bubble-caches/go/cache/download/example.com/tiny/@v; ' +
        '(echo evil > $z/v1.0.0.zip) 2>/dev/null && echo WROTE-HOST; (echo v9.9.9 >> $z/list) 2>/dev/null && echo WROTE-HOST; ' +
        'd=$HOME/go/pkg/mod/cache/download/example.com/tiny/@v; mkdir -p $d && echo evil > $d/v9.9.9.zip && echo planted',
    ],
    { timeoutMs: 60_000 },
  );
  ok(poison, 'poison attempt');
  assert.doesNotMatch(poison.stdout, /WROTE-HOST/);
  assert.match(poison.stdout, /planted/);
  assert.deepEqual(snapshot(hostCache), before, "the host's module cache is unchanged");
});
