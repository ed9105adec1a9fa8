// After the session: the write-back and the quarantine never fail the run (the agent's exit
// status is bubble's), and a session killed with -9 is finished by the next one. Checked
// on the host with host git.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../support/wait.ts';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { gitEnv, hostGit, passEnv } from '../support/git.ts';
import { makeWorld, runBubble, sandboxSh, type World } from '../support/world.ts';

const passGitEnv = passEnv(gitEnv);

function repo(w: World, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  hostGit(w, dir, 'init', '-q', '-b', 'main');
  hostGit(w, dir, 'commit', '-q', '--allow-empty', '-m', 'one');
}

describe('git report: never fails, finishes killed sessions', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  test('a submodule (modules/NAME without modules/) and an unreadable planted repo: the exit status is the agent’s', async (t) => {
    if (!(await requireBwrap(t))) return;
    const sub = join(w.root, 'subsrc');
    repo(w, sub);
    repo(w, w.project);
    hostGit(w, w.project, 'submodule', 'add', '-q', sub, 'lib');
    hostGit(w, w.project, 'commit', '-qm', 'submodule');
    assert.ok(!fs.existsSync(join(w.project, '.git', 'modules', 'lib', 'modules')));
    const plain = await sandboxSh(w, 'exit 7');
    assert.equal(plain.code, 7, plain.stderr);
    // A new repository whose hooks the quarantine cannot read: one line, same exit status.
    const r = await sandboxSh(
      w,
      `git init -q planted && printf '#!/bin/sh\\ntrue\\n' > planted/.git/hooks/post-commit
       mkdir .git/modules/extra; chmod 000 planted/.git/hooks; exit 3`,
      passGitEnv,
      { env: gitEnv },
    );
    fs.chmodSync(join(w.project, 'planted', '.git', 'hooks'), 0o755); // for the cleanup
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /planted\/\.git\/hooks: could not be checked/);
    assert.match(r.stderr, /\.git\/modules\/extra/, 'the new module dir was not reported');
    assert.ok(!fs.existsSync(join(w.project, '.git', 'modules', 'extra')));
  });

  test('kill -9: the next session writes back the git state and sets aside the plants', async (t) => {
    if (!(await requireBwrap(t))) return;
    repo(w, w.project);
    const ready = join(w.project, 'ready');
    let pid: number | undefined;
    const killed = runBubble(
      w,
      [
        'run',
        ...passGitEnv,
        '--',
        'sh',
        '-c',
        `git switch -qc feature && git commit -q --allow-empty -m two &&
         printf '[core]\\n\\tfsmonitor = touch ${w.root}/marker\\n' > .git/config.worktree &&
         echo > ready && sleep 60`,
      ],
      { env: gitEnv, onSpawn: (c) => (pid = c.pid) },
    );
    await waitFor(() => fs.existsSync(ready), 'the session got ready');
    process.kill(pid!, 'SIGKILL');
    await killed;
    // Killed before the write-back: the branch exists (refs are written in place), HEAD not yet.
    assert.equal(hostGit(w, w.project, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'main');
    const next = await sandboxSh(w, 'true');
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /a killed session in .* left git state/);
    assert.match(next.stderr, /\.git\/config\.worktree: not state git writes/);
    assert.equal(hostGit(w, w.project, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'feature');
    assert.equal(hostGit(w, w.project, 'log', '-1', '--format=%s').trim(), 'two');
    assert.ok(!fs.existsSync(join(w.project, '.git', 'config.worktree')));
    hostGit(w, w.project, 'config', 'extensions.worktreeConfig', 'true');
    hostGit(w, w.project, 'status');
    assert.ok(!fs.existsSync(join(w.root, 'marker')), 'the planted fsmonitor ran on the host');
  });
});
