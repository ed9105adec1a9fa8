// Helpers for the package-cache tests (test/integration/caches*.test.ts): where bubble keeps
// a project's cache, which files a cache holds, the poison attempt every tool's test makes,
// and a world that stays removable after tools that write read-only files.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { projectCacheDir } from '../../src/policy/caches.ts';
import { runBubble, snapshot, type Result, type World } from './world.ts';

export function ok(r: Result, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
}

/** The project's cache directory for `tool`, as bubble names it for this world. */
export function projectCache(world: World, tool: string): string {
  const facts = { env: {}, home: world.home } as Parameters<typeof projectCacheDir>[0];
  return join(projectCacheDir(facts, world.project), tool);
}

/** Files below `dir`, recursively (relative paths). */
export function files(dir: string): string[] {
  return fs.existsSync(dir)
    ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) =>
        fs.lstatSync(join(dir, p)).isFile(),
      )
    : [];
}

/**
 * Removes the world even where tools left read-only directories (Go's module cache,
 * overlayfs's scratch dir, Cargo's extracted sources).
 */
export function removeWorld(world: World): void {
  const walk = (dir: string): void => {
    try {
      fs.chmodSync(dir, 0o755);
      for (const e of fs.readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory()) walk(join(dir, e.name));
    } catch {
      // gone meanwhile
    }
  };
  walk(world.root);
  world.cleanup();
}

/**
 * Where bubble shows `hostCache` for `tool` inside, as `explain` plans it: the lower layer of
 * an overlay, or a read-only directory the tool reads by its own layering. Undefined when the
 * plan has neither (the tool would start from the project's cache alone).
 */
export async function hostLayer(
  world: World,
  tool: string,
  hostCache: string,
  opts: { env?: Record<string, string> } = {},
): Promise<'overlay' | 'tool' | undefined> {
  const explain = await runBubble(world, ['explain', '--json', '--', 'true'], opts);
  ok(explain, 'explain');
  const plan = JSON.parse(explain.stdout) as {
    caches: {
      tool: string;
      paths: { inside: string; lower?: string }[];
      hostCache?: { host: string };
    }[];
  };
  const entry = plan.caches.find((c) => c.tool === tool);
  if (entry?.paths.some((p) => p.lower === hostCache)) return 'overlay';
  if (entry?.hostCache?.host === hostCache) return 'tool';
  return undefined;
}

/**
 * The attack every cache test makes: inside, plant a file in `dir` (the tool's cache as seen
 * in the sandbox's home) and rewrite every file visible there, the host's among them. The
 * host's cache must be byte-for-byte `before`; the plant and the rewrites are copies in the
 * project's cache `mine`.
 */
export async function assertPoisonStaysInProject(
  world: World,
  dir: string,
  hostCache: string,
  before: Map<string, string>,
  mine: string,
  opts: { env?: Record<string, string> } = {},
): Promise<void> {
  const poison = await runBubble(
    world,
    [
      'run',
      '--net',
      'none',
      '--',
      'sh',
      '-c',
      'c=$1; mkdir -p "$c/bubble-planted" && echo evil > "$c/bubble-planted/planted" && ' +
        'n=0; for f in $(find "$c" -type f ! -name planted); do chmod u+w "$f" && echo evil > "$f" && n=$((n+1)); done; echo "rewrote $n"',
      'sh',
      dir,
    ],
    { timeoutMs: 60_000, ...opts },
  );
  ok(poison, 'poison attempt');
  assert.match(poison.stdout, /rewrote [1-9]/);
  assert.deepEqual(snapshot(hostCache), before, `the host's cache ${hostCache} is unchanged`);
  const kept = files(mine);
  assert.ok(
    kept.some((f) => f.endsWith('bubble-planted/planted')),
    `the plant is in the project cache ${mine}: ${kept.join(' ')}`,
  );
  assert.ok(kept.length > 1, 'the rewritten entries are copies in the project cache');
  for (const f of kept) assert.equal(fs.readFileSync(join(mine, f), 'utf8'), 'evil\n', f);
}
