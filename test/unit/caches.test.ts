// Package caches in the plan: the project's own cache writable where the tool looks, the
// host's read-only (and only where the tool layers it), the wiring shown by explain.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CACHE_TOOLS, projectCacheDir } from '../../src/policy/caches.ts';
import { isUnder } from '../../src/policy/paths.ts';
import { NOT_PERSISTED } from '../../src/policy/persistent-home.ts';
import { resolvePlan, type RunRequest } from '../../src/policy/resolve.ts';
import { renderPlan } from '../../src/sandbox/render.ts';
import { bwrapArgs, fdLayout } from '../../src/sandbox/bwrap-args.ts';
import { overlayPrefix } from '../../src/sandbox/overlay-mounts.ts';
import { cachedPathLookup } from '../../src/sandbox/facts.ts';
import { realHostFs } from '../../src/sandbox/host-fs.ts';
import { debianHost, fakeFacts } from '../support/fake-host.ts';

const req = (over: Partial<RunRequest> = {}): RunRequest => ({
  command: ['sh'],
  rw: [],
  ro: [],
  hide: [],
  env: [],
  net: 'none',
  allow: [],
  deny: [],
  hostPorts: [],
  allowWrite: [],
  allowRoot: false,
  ...over,
});

const host = {
  ...debianHost,
  '/usr/bin/npm': { type: 'file', mode: 0o755 },
  '/usr/bin/go': { type: 'file', mode: 0o755 },
  '/home/u/.npm/_cacache/index-v5/x': { type: 'file' },
  '/home/u/go/pkg/mod/cache/download/x': { type: 'file' },
} as const;

describe('caches', () => {
  test('no cache path runs code (nothing a persistent home refuses to keep)', () => {
    for (const t of CACHE_TOOLS)
      for (const p of t.paths)
        for (const bad of NOT_PERSISTED)
          assert.ok(
            !isUnder(p, bad.path) && !isUnder(bad.path, p),
            `${t.tool}: ${p} vs ${bad.path}`,
          );
  });

  test("the project's cache is writable where the tool looks; the host's never is", () => {
    const facts = fakeFacts(host);
    const plan = resolvePlan(facts, req());
    const root = projectCacheDir(facts, facts.cwd);
    const npm = plan.mounts.find((m) => m.dest === '/home/u/.npm/_cacache');
    assert.deepEqual(npm && { kind: npm.kind, src: 'src' in npm ? npm.src : '' }, {
      kind: 'rw',
      src: `${root}/npm/npm-_cacache`,
    });
    assert.ok(root.startsWith('/home/u/.cache/bubble/caches/app-'));
    assert.ok(plan.ensureDirs.includes(`${root}/npm/npm-_cacache`));
    // Go reads the host's downloads read-only through GOPROXY.
    const goHost = plan.mounts.find((m) => m.dest === '/run/bubble-caches/go');
    assert.deepEqual(goHost && { kind: goHost.kind, src: 'src' in goHost ? goHost.src : '' }, {
      kind: 'ro',
      src: '/home/u/go/pkg/mod',
    });
    assert.equal(
      plan.env.GOPROXY,
      'file:///run/bubble-caches/go/cache/download,https://proxy.golang.org,direct',
    );
    for (const m of plan.mounts)
      if (m.kind === 'rw')
        assert.ok(!isUnder(m.src, '/home/u/.npm') && !isUnder(m.src, '/home/u/go'));
    // npm has no read-only layer: its host cache is not shown at all.
    assert.ok(!plan.mounts.some((m) => m.dest === '/run/bubble-caches/npm'));
    // Tools that are not installed and have no cache get nothing.
    assert.ok(!plan.caches.some((c) => c.tool === 'cargo' || c.tool === 'gradle'));
    const text = renderPlan(plan, []);
    assert.match(text, /caches \(the tool writes to this project's cache/);
    assert.match(text, /go: reads your cache read-only \(\/home\/u\/go\/pkg\/mod\)/);
    assert.match(text, /npm: your cache not used/);
  });

  test('--env wins over the cache wiring; the persistent home keeps its own caches', () => {
    const facts = fakeFacts(host);
    const plan = resolvePlan(facts, req({ env: ['GOPROXY=off'], home: 'persist' }));
    assert.equal(plan.env.GOPROXY, 'off');
    const npm = plan.mounts.filter((m) => m.dest === '/home/u/.npm/_cacache');
    assert.equal(npm.length, 1);
    assert.match('src' in npm[0]! ? npm[0].src : '', /\/bubble\/homes\//);
  });

  test('a link planted on the way into the project cache is refused', () => {
    const facts0 = fakeFacts(host);
    const root = projectCacheDir(facts0, facts0.cwd);
    const facts = fakeFacts({
      ...host,
      [`${root}/npm`]: { type: 'symlink', target: '/home/u/.npm' },
    });
    assert.throws(() => resolvePlan(facts, req()), /is a symlink: bubble will not follow it/);
  });

  test('an overlay puts the host cache read-only under the project cache: bwrap 0.11 mounts it, older bwrap gets it from launch', () => {
    const withTools = {
      ...host,
      '/usr/bin/unshare': { type: 'file', mode: 0o755 },
      '/usr/bin/mount': { type: 'file', mode: 0o755 },
    } as const;
    const facts = fakeFacts(withTools);
    const plan = resolvePlan(facts, req());
    const root = projectCacheDir(facts, facts.cwd);
    const up = `${root}/npm/npm-_cacache`;
    const op = plan.mounts.find((m) => m.dest === '/home/u/.npm/_cacache');
    assert.deepEqual(op, {
      kind: 'overlay',
      lower: '/home/u/.npm/_cacache',
      upper: up,
      work: `${up}.work`,
      at: `${up}.mnt`,
      dest: '/home/u/.npm/_cacache',
      why: "npm: your cache read-only, under this project's writable one",
      source: 'caches',
    });
    for (const d of [up, `${up}.work`, `${up}.mnt`]) assert.ok(plan.ensureDirs.includes(d), d);
    // Go layers natively: no overlay for it.
    assert.ok(!plan.mounts.some((m) => m.kind === 'overlay' && m.dest.includes('/go/')));
    assert.deepEqual(plan.process.outerUserns, {
      uid: 1000,
      gid: 1000,
      unshare: '/usr/bin/unshare',
      mount: '/usr/bin/mount',
    });
    const features = facts.bwrap!.features;
    const old = bwrapArgs(plan, features, fdLayout(plan));
    assert.ok(old.join(' ').includes(`--bind ${up}.mnt /home/u/.npm/_cacache`));
    assert.ok(old.join(' ').includes('--uid 1000 --gid 1000 --cap-drop ALL'));
    const pre = overlayPrefix(plan, features);
    assert.deepEqual(pre.slice(0, 4), ['/usr/bin/unshare', '--user', '--map-root-user', '--mount']);
    assert.deepEqual(pre.slice(-5), ['1', '/home/u/.npm/_cacache', up, `${up}.work`, `${up}.mnt`]);
    // bwrap 0.11+: its own --overlay, no namespace of bubble's, no id mapping.
    const native = { ...features, overlay: true };
    const plan11 = resolvePlan(
      fakeFacts(withTools, { bwrap: { ...facts.bwrap!, features: native } }),
      req(),
    );
    const args = bwrapArgs(plan11, native, fdLayout(plan11)).join(' ');
    assert.ok(
      args.includes(
        `--overlay-src /home/u/.npm/_cacache --overlay ${up} ${up}.work /home/u/.npm/_cacache`,
      ),
    );
    assert.ok(!args.includes('--uid'));
    assert.deepEqual(overlayPrefix(plan11, native), []);
    assert.match(
      renderPlan(plan, []),
      /npm: your cache read-only under the project cache \(overlay\)/,
    );
    // As root there is no overlay of bubble's (the mapping would make the sandbox root).
    const asRoot = resolvePlan(fakeFacts(withTools, { uid: 0 }), req({ allowRoot: true }));
    assert.ok(!asRoot.mounts.some((m) => m.kind === 'overlay'));
  });

  test("Maven's repository goes under an overlay where bubble can mount one (Maven 3.8 ignores the tail), else the tail", () => {
    const m2 = {
      ...host,
      '/usr/bin/mvn': { type: 'file', mode: 0o755 },
      '/home/u/.m2/repository/x': { type: 'file' },
    } as const;
    const withTools = {
      ...m2,
      '/usr/bin/unshare': { type: 'file', mode: 0o755 },
      '/usr/bin/mount': { type: 'file', mode: 0o755 },
    } as const;
    const plan = resolvePlan(fakeFacts(withTools), req());
    const op = plan.mounts.find((m) => m.dest === '/home/u/.m2/repository');
    assert.equal(op?.kind, 'overlay');
    assert.equal(op?.kind === 'overlay' ? op.lower : '', '/home/u/.m2/repository');
    assert.equal(plan.env.MAVEN_ARGS, undefined);
    assert.ok(!plan.mounts.some((m) => m.dest === '/run/bubble-caches/maven'));
    const noOverlay = resolvePlan(fakeFacts(m2), req());
    assert.equal(noOverlay.env.MAVEN_ARGS, '-Dmaven.repo.local.tail=/run/bubble-caches/maven');
  });
});

describe('which package tools are on PATH, kept between launches', () => {
  test('answered from the cache until a PATH directory changes', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'bubble-path-'));
    try {
      const bin = join(dir, 'bin');
      fs.mkdirSync(bin);
      const cache = join(dir, 'cache', 'path.json');
      assert.equal(cachedPathLookup(realHostFs(), bin, cache)('npm'), undefined);
      // Kept: a later launch reads the answer, it does not look again.
      const kept = JSON.parse(fs.readFileSync(cache, 'utf8')) as { found: object };
      assert.deepEqual(kept.found, { npm: null });
      // Installing the tool changes its directory: the cached answer no longer holds.
      fs.writeFileSync(join(bin, 'npm'), '#!/bin/sh\n', { mode: 0o755 });
      assert.equal(cachedPathLookup(realHostFs(), bin, cache)('npm'), join(bin, 'npm'));
      // And removing it again.
      fs.rmSync(join(bin, 'npm'));
      assert.equal(cachedPathLookup(realHostFs(), bin, cache)('npm'), undefined);
      // Another PATH is another key.
      fs.writeFileSync(join(dir, 'npm'), '#!/bin/sh\n', { mode: 0o755 });
      assert.equal(cachedPathLookup(realHostFs(), dir, cache)('npm'), join(dir, 'npm'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
