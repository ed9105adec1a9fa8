// Placeholders while a session runs: host git does not list them (so `git add -A` in a
// second terminal cannot commit them), and the repository's .git/info/exclude is exactly
// as it was once the session ends, also after kill -9, keeping what the user added meanwhile.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { waitFor } from '../support/wait.ts';
import { makeWorld, runBubble, sandboxed, type World } from '../support/world.ts';

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv });

describe('placeholders and host git', () => {
  let w: World;
  let exclude: string;
  beforeEach(() => {
    w = makeWorld();
    git(w.project, 'init', '-q');
    git(w.project, 'add', 'README');
    git(w.project, 'commit', '-qm', 'init');
    exclude = join(w.project, '.git', 'info', 'exclude');
    fs.writeFileSync(exclude, '# the user own\n*.log\n');
  });
  afterEach(() => w.cleanup());

  /** Start a session that runs until `go` appears in the project; resolves once it runs. */
  async function session(marker: string): Promise<{ done: Promise<unknown>; pid: () => number }> {
    let pid: number | undefined;
    const done = runBubble(
      w,
      ['run', '--', 'sh', '-c', 'while [ ! -e go ]; do sleep 0.05; done', marker],
      { onSpawn: (c) => (pid = c.pid), timeoutMs: 120_000 },
    );
    await waitFor(() => sandboxed(marker).length > 0, 'the sandboxed command');
    return { done, pid: () => pid! };
  }

  test('during a session git lists no placeholder; after it the exclude file is as it was', async (t) => {
    if (!(await requireBwrap(t))) return;
    const before = fs.readFileSync(exclude, 'utf8');
    const s = await session(`bubble-hide-${process.pid}`);
    // The test proves something only if placeholder files are there.
    assert.ok(fs.existsSync(join(w.project, '.envrc')), 'no placeholder: the test proves nothing');
    assert.equal(git(w.project, 'status', '--porcelain'), '');
    git(w.project, 'add', '-A');
    assert.equal(git(w.project, 'diff', '--cached', '--name-only'), '');
    // The user edits their exclude file meanwhile: kept.
    fs.appendFileSync(exclude, 'tmp/\n');
    fs.writeFileSync(join(w.project, 'go'), '');
    await s.done;
    assert.equal(fs.readFileSync(exclude, 'utf8'), `${before}tmp/\n`);
    assert.ok(!fs.existsSync(join(w.project, '.envrc')));
  });

  test('after kill -9 of bubble the watchdog restores the exclude file', async (t) => {
    if (!(await requireBwrap(t))) return;
    const before = fs.readFileSync(exclude, 'utf8');
    const s = await session(`bubble-hide-kill-${process.pid}`);
    assert.notEqual(fs.readFileSync(exclude, 'utf8'), before, 'nothing hidden: proves nothing');
    process.kill(s.pid(), 'SIGKILL');
    await s.done;
    await waitFor(
      () =>
        fs.readFileSync(exclude, 'utf8') === before && !fs.existsSync(join(w.project, '.envrc')),
      'the exclude file restored and the placeholders removed',
    );
  });
});
