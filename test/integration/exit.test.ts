// Exit statuses and signals, through the real sandbox.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../support/wait.ts';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, repoRoot, runBubble, sandboxSh, type World } from '../support/world.ts';

/** Start a sandboxed script that writes `ready` to a file, wait for it, send `sig` to bubble. */
async function signalled(w: World, script: string, sig: NodeJS.Signals) {
  const ready = join(w.project, 'ready');
  fs.rmSync(ready, { force: true });
  let pid: number | undefined;
  const done = sandboxSh(w, `${script.replace('READY', 'touch ready')}`, [], {
    onSpawn: (c) => (pid = c.pid),
  });
  await waitFor(() => fs.existsSync(ready), 'the sandboxed script started');
  process.kill(pid!, sig);
  return done;
}

describe('exit statuses and signals', () => {
  let w: World;
  before(() => {
    w = makeWorld();
    fs.writeFileSync(join(w.project, 'not-exec.sh'), 'echo hi\n', { mode: 0o644 });
  });
  after(() => w.cleanup());

  test("the agent's own status is bubble's", async (t) => {
    if (!(await requireBwrap(t))) return;
    assert.equal((await sandboxSh(w, 'exit 0')).code, 0);
    assert.equal((await sandboxSh(w, 'exit 1')).code, 1);
    assert.equal((await sandboxSh(w, 'exit 125')).code, 125);
    assert.equal((await sandboxSh(w, 'exit 7')).code, 7);
  });

  test('killed by a signal: 128+n', async (t) => {
    if (!(await requireBwrap(t))) return;
    assert.equal((await sandboxSh(w, 'kill -KILL $$')).code, 137);
    assert.equal((await sandboxSh(w, 'kill -SEGV $$')).code, 139);
  });

  test('not found 127, not executable 126, usage 2, before anything runs', async (t) => {
    if (!(await requireBwrap(t))) return;
    const nf = await runBubble(w, ['run', '--', 'no-such-command-xyz']);
    assert.equal(nf.code, 127);
    assert.match(nf.stderr, /^bubble: command not found: no-such-command-xyz$/m);
    const ne = await runBubble(w, ['run', '--', './not-exec.sh']);
    assert.equal(ne.code, 126);
    assert.match(ne.stderr, /not an executable file/);
    const usage = await runBubble(w, ['run', '--net', 'bogus', '--', 'true']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--net: expected one of/);
    const unknown = await runBubble(w, ['frobnicate']);
    assert.equal(unknown.code, 2);
  });

  test('a sandbox setup failure is 125, not the agent status 1', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(w, 'exit 0', [], {
      env: {
        BUBBLE_BWRAP: join(repoRoot, 'test/fixtures/fake-bwrap-fails.sh'),
        XDG_CACHE_HOME: join(w.root, 'cache-fake'),
      },
    });
    assert.equal(r.code, 125);
    assert.match(r.stderr, /bwrap: Can't mount proc/);
  });

  test('when the session log cannot be created, nothing runs: 125, and bubble says why', async (t) => {
    if (!(await requireBwrap(t))) return;
    // A state dir that is a file: the session log cannot be created, so no proxy can log.
    // The session opens its log before the sandbox starts, so the command never runs.
    const notADir = join(w.root, 'bubble-nowhere');
    fs.writeFileSync(notADir, '');
    const r = await sandboxSh(w, 'echo RAN', [], { env: { XDG_STATE_HOME: notADir } });
    assert.equal(r.code, 125, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^bubble: cannot create .*bubble-nowhere.*sessions/m);
  });

  test('refuses to run in $HOME, its ancestors and system directories', async (t) => {
    if (!(await requireBwrap(t))) return;
    for (const cwd of [w.home, w.root, '/', '/etc', '/tmp', '/usr']) {
      const r = await runBubble(w, ['run', '--', 'true'], { cwd });
      assert.equal(r.code, 2, `${cwd}: ${r.stderr}`);
      assert.match(r.stderr, /^bubble: refusing to run in /m);
    }
  });

  test('SIGTERM reaches the agent; its exit status is kept', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await signalled(
      w,
      'trap "echo got-term; exit 42" TERM; READY; while :; do sleep 0.05; done',
      'SIGTERM',
    );
    assert.equal(r.code, 42, r.stderr);
    assert.equal(r.stdout, 'got-term\n');
  });

  test('SIGTERM to an agent without a handler ends in 143, never 0', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await signalled(w, 'READY; exec sleep 60', 'SIGTERM');
    assert.equal(r.code, 143, r.stderr);
  });

  test('SIGHUP and SIGINT (no terminal) are forwarded', async (t) => {
    if (!(await requireBwrap(t))) return;
    const hup = await signalled(
      w,
      'trap "exit 11" HUP; READY; while :; do sleep 0.05; done',
      'SIGHUP',
    );
    assert.equal(hup.code, 11, hup.stderr);
    const int = await signalled(
      w,
      'trap "exit 12" INT; READY; while :; do sleep 0.05; done',
      'SIGINT',
    );
    assert.equal(int.code, 12, int.stderr);
  });
});
