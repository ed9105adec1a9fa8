// Many sessions in one project at once: pairs starting together, each pair ending while
// the next one starts. They share placeholders (the claude profile's masks in the project)
// and edit the repository's .git/info/exclude, so every start races another session's
// start or end. Every session must work, and nothing may be left on the host afterwards.
// CI saw two sessions started at once fail (a lock file read while released; bwrap's
// "Can't find source path" when one session removed what the other had seen).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { contenders, releaseLock, takeLock } from '../../src/sandbox/file-lock.ts';
import { placeholderDir } from '../../src/sandbox/placeholders.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { hostGit } from '../support/git.ts';
import { waitFor } from '../support/wait.ts';
import { makeWorld, sandboxSh, snapshot, type Result } from '../support/world.ts';

/** Pairs started one after another; each pair lives until the next one is at its claim. */
const ROUNDS = 6;

test('pairs of sessions starting, and ending while the next pair starts, all work and leave nothing', async (t) => {
  if (!(await requireBwrap(t))) return;
  const w = makeWorld({ claude: true });
  t.after(() => w.cleanup());
  // A repository: each session lists its placeholder files in its .git/info/exclude.
  hostGit(w, w.project, 'init', '-q');
  hostGit(w, w.project, 'add', 'README');
  hostGit(w, w.project, 'commit', '-qm', 'start');
  const before = snapshot(w.project);

  // Each session says its name on a loopback socket once it runs, and ends when told.
  const running = new Map<string, net.Socket | undefined>();
  const server = net.createServer((s) => s.once('data', (d) => running.set(String(d).trim(), s)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const ended = new Map<string, Result>();
  const pids = new Map<string, number | undefined>();
  const start = (name: string): Promise<void> =>
    sandboxSh(
      w,
      `exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && echo ${name} >&3 && read -r go <&3 && [ "$go" = go ]'`,
      ['--host-port', String(port), '--profile', 'claude'],
      { timeoutMs: 120_000, onSpawn: (c) => pids.set(name, c.pid) },
    ).then((r) => {
      ended.set(name, r);
    });
  const release = (name: string): void => void running.get(name)?.end('go\n');

  // The gate: this test holds the placeholder lock, so each session stops where it takes
  // it (the starting ones to claim their placeholders, their facts already gathered; the
  // ending ones to remove theirs). Once all are waiting they go at once, in any order:
  // claims right after each other, and removals between another session's look at the
  // project and its claim, or between its claim and its bwrap's mounts. (A session kept
  // waiting over 10 s overrules the test's lock: that round is then less tight, no less valid.)
  const lock = join(placeholderDir(w.env, w.home), '.lock');
  fs.mkdirSync(dirname(lock), { recursive: true, mode: 0o700 });
  const waiting = async (names: string[], what: string): Promise<void> =>
    waitFor(
      () => contenders(lock).length >= names.length || names.some((n) => ended.has(n)),
      what,
      90_000,
    );

  const sessions: Array<Promise<void>> = [];
  const t0 = Date.now();
  let previous: string[] = [];
  const claimed = (name: string): boolean =>
    fs.existsSync(join(dirname(lock), `${pids.get(name)}.json`));
  for (let round = 0; round < ROUNDS; round++) {
    const pair = [`r${round}a`, `r${round}b`];
    // Every other round the ending pair goes once a starting session has claimed (it is
    // opening its mount sources for bwrap), not at the gate with it.
    const endAfterClaim = round % 2 === 1;
    takeLock(lock);
    try {
      sessions.push(...pair.map(start));
      await waiting(pair, `round ${round} at its claim`);
      if (!endAfterClaim) {
        for (const n of previous) release(n);
        await waiting([...pair, ...previous], `round ${round - 1} at its removal`);
      }
    } finally {
      releaseLock(lock);
    }
    if (endAfterClaim) {
      await waitFor(
        () => pair.some((n) => claimed(n) || ended.has(n)),
        `round ${round} claimed`,
        90_000,
      );
      for (const n of previous) release(n);
    }
    await waitFor(
      () => pair.every((n) => running.has(n) || ended.has(n)),
      `round ${round} running`,
      90_000,
    );
    previous = pair;
  }
  for (const n of previous) release(n);
  await Promise.all(sessions);
  t.diagnostic(`${ended.size} sessions in ${Date.now() - t0} ms`);
  const results = [...ended].map(([name, r]) => ({ ...r, name }));

  const failed = results.filter((r) => r.code !== 0);
  assert.deepEqual(
    failed.map(
      (r) =>
        `${r.name}: exit ${r.code}: ${r.stderr
          .trim()
          .split('\n')
          .filter((l) => /^(bwrap|bubble):/.test(l) && !/warning:|hosts contacted/.test(l))
          .join(' | ')}`,
    ),
    [],
    `${failed.length} of ${results.length} sessions failed`,
  );
  assert.equal(results.length, 2 * ROUNDS);
  // Nothing left in the project: no placeholder, no line in .git/info/exclude.
  assert.deepEqual(snapshot(w.project), before, 'the project changed (placeholders left?)');
  assert.deepEqual(
    fs.readdirSync(dirname(lock)).filter((f) => f.endsWith('.json')),
    [],
    'journals left',
  );
});
