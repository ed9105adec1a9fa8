// Cargo's registry cache (policy/caches.ts) with the real cargo: a registry of the test's
// own (a git index and .crate files on disk, served through file:// URLs: no crates.io
// here), replacing crates.io through the project's .cargo/config.toml. The host fetched a
// crate into ~/.cargo/registry; inside, `cargo build --offline` with no network finds it
// there (through the overlay). A crate fetched inside lands in the project's cache; the
// host's registry cache never changes, whatever is written to it inside.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

/** A registry on disk: a git index whose config.json points downloads at `crates/`. */
class Registry {
  readonly index: string;
  readonly crates: string;
  constructor(
    private world: World,
    root: string,
  ) {
    this.index = join(root, 'index');
    this.crates = join(root, 'crates');
    fs.mkdirSync(this.index, { recursive: true });
    fs.mkdirSync(this.crates);
    fs.writeFileSync(
      join(this.index, 'config.json'),
      JSON.stringify({ dl: `file://${this.crates}/{crate}-{version}.crate` }),
    );
  }

  /** Packages crate `name` 1.0.0 (hello() returns "NAME-ok") and commits it to the index. */
  async publish(name: string): Promise<void> {
    const src = join(this.world.root, `crate-${name}`);
    fs.mkdirSync(join(src, 'src'), { recursive: true });
    fs.writeFileSync(
      join(src, 'Cargo.toml'),
      `[package]\nname = "${name}"\nversion = "1.0.0"\nedition = "2018"\ndescription = "test crate"\nlicense = "MIT"\n`,
    );
    fs.writeFileSync(
      join(src, 'src', 'lib.rs'),
      `pub fn hello() -> &'static str { "${name}-ok" }\n`,
    );
    const env = { ...this.world.env, CARGO_HOME: join(this.world.root, 'cargo-packaging') };
    await host('cargo', ['package', '-q', '--no-verify', '--allow-dirty'], {
      cwd: src,
      env,
      timeoutMs: 120_000,
    });
    const crate = join(this.crates, `${name}-1.0.0.crate`);
    fs.copyFileSync(join(src, 'target', 'package', `${name}-1.0.0.crate`), crate);
    const cksum = createHash('sha256').update(fs.readFileSync(crate)).digest('hex');
    // The index's layout for names of four letters or more: ab/cd/abcd.
    const entry = join(this.index, name.slice(0, 2), name.slice(2, 4), name);
    fs.mkdirSync(join(entry, '..'), { recursive: true });
    fs.writeFileSync(
      entry,
      JSON.stringify({ name, vers: '1.0.0', deps: [], cksum, features: {}, yanked: false }) + '\n',
    );
    const git = (...args: string[]): Promise<unknown> =>
      host('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: this.index,
        env: this.world.env,
      });
    if (!fs.existsSync(join(this.index, '.git'))) await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-qm', `publish ${name}`);
  }
}

function writeApp(world: World, registry: Registry, deps: string[]): void {
  const p = world.project;
  fs.mkdirSync(join(p, 'src'), { recursive: true });
  fs.mkdirSync(join(p, '.cargo'), { recursive: true });
  fs.writeFileSync(
    join(p, '.cargo', 'config.toml'),
    `[source.crates-io]\nreplace-with = "local"\n\n[source.local]\nregistry = "file://${registry.index}"\n`,
  );
  fs.writeFileSync(
    join(p, 'Cargo.toml'),
    `[package]\nname = "app"\nversion = "0.1.0"\nedition = "2018"\n\n[dependencies]\n${deps.map((d) => `${d} = "1"`).join('\n')}\n`,
  );
  fs.writeFileSync(
    join(p, 'src', 'main.rs'),
    `fn main() {\n${deps.map((d) => `    println!("{}", ${d}::hello());`).join('\n')}\n}\n`,
  );
}

test("cargo: the host's registry cache serves an offline build inside (overlay); crates fetched inside stay in the project's cache", async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['cargo', 'git'])) return;
  const world = makeWorld();
  t.after(() => removeWorld(world));
  const registry = new Registry(world, join(world.root, 'registry'));
  await registry.publish('tiny');
  await registry.publish('other');
  writeApp(world, registry, ['tiny']);
  // The host's own fetch: ~/.cargo/registry of the world's home is warm, Cargo.lock written.
  await host('cargo', ['fetch'], { cwd: world.project, env: world.env, timeoutMs: 120_000 });
  const hostCache = join(world.home, '.cargo', 'registry');
  assert.ok(
    files(hostCache).some((f) => f.endsWith('tiny-1.0.0.crate')),
    'the host cache holds the crate',
  );
  // Calibration: the same offline build with a cold cache fails.
  const cold = await host('cargo', ['build', '--offline'], {
    cwd: world.project,
    env: {
      ...world.env,
      CARGO_HOME: join(world.root, 'cold'),
      CARGO_TARGET_DIR: join(world.root, 'cold-target'),
    },
    timeoutMs: 120_000,
    check: false,
  });
  assert.notEqual(cold.code, 0, `with a cold cache the offline build must fail:\n${cold.stderr}`);
  const before = snapshot(hostCache);
  if ((await hostLayer(world, 'cargo', hostCache)) !== 'overlay') {
    unmet(
      t,
      "bubble cannot layer the host's cargo registry here (needs bwrap 0.11+, or Linux 5.11+ with util-linux unshare)",
    );
    return;
  }

  // No network, and the registry itself is not visible inside: only the host's cache can
  // provide the crate.
  const build = await runBubble(
    world,
    ['run', '--net', 'none', '--', 'sh', '-c', 'cargo build --offline -q && ./target/debug/app'],
    { timeoutMs: 300_000 },
  );
  ok(build, 'cargo build inside, offline');
  assert.match(build.stdout, /tiny-ok/);

  // A new dependency fetched inside (the registry shown read-only: file:// needs no network)
  // goes to the project's cache.
  writeApp(world, registry, ['tiny', 'other']);
  const fetch = await runBubble(
    world,
    [
      'run',
      '--net',
      'none',
      '--ro',
      join(world.root, 'registry'),
      '--',
      'sh',
      '-c',
      'cargo build -q && ./target/debug/app',
    ],
    { timeoutMs: 300_000 },
  );
  ok(fetch, 'cargo fetches and builds a new dependency inside');
  assert.match(fetch.stdout, /other-ok/);
  const mine = join(projectCache(world, 'cargo'), 'cargo-registry');
  assert.ok(
    files(mine).some((f) => f.endsWith('other-1.0.0.crate')),
    `the crate fetched inside is in the project's cache (${mine})`,
  );
  assert.deepEqual(snapshot(hostCache), before, "the host's registry cache is unchanged");

  await assertPoisonStaysInProject(world, hostCache, hostCache, before, mine);
});
