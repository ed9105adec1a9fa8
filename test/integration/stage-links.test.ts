// Links the agent leaves in bubble's stages (the git dirs' and the agent state dirs'):
// after the session bubble writes back, sets aside and lists what is there, and must never
// follow such a link to read, move or write the host's files. Real bwrap, attacks from
// inside, the host's files checked after.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { hostGit } from '../support/git.ts';
import { makeWorld, sandboxSh, type World } from '../support/world.ts';

function repo(w: World, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  hostGit(w, dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(join(dir, 'a.txt'), 'one\n');
  hostGit(w, dir, 'add', 'a.txt');
  hostGit(w, dir, 'commit', '-qm', 'one');
}

describe('links planted in stages are never followed', () => {
  let w: World;
  let outside: string;
  beforeEach(() => {
    w = makeWorld();
    // The user's files, outside the project and the agent's state.
    outside = join(w.root, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(join(outside, 'precious'), 'the user\n');
  });
  afterEach(() => w.cleanup());
  const unchanged = (): void => {
    assert.deepEqual(fs.readdirSync(outside), ['precious']);
    assert.equal(fs.readFileSync(join(outside, 'precious'), 'utf8'), 'the user\n');
  };

  test(".git/modules swapped for a link to the user's files: the link is set aside, the files stay", async (t) => {
    if (!(await requireBwrap(t))) return;
    const sub = join(w.root, 'subsrc');
    repo(w, sub);
    repo(w, w.project);
    hostGit(w, w.project, 'submodule', 'add', '-q', sub, 'lib');
    hostGit(w, w.project, 'commit', '-qm', 'submodule');
    // modules/ in the stage holds the submodule's mount point but is not one itself.
    const r = await sandboxSh(
      w,
      `mv .git/modules .git/modules-moved && echo moved
       ln -s ${outside} .git/modules && echo linked
       ln -s ${outside} "$HOME/.claude/evil-link" && echo linked-state
       ln -s ${join(outside, 'precious')} "$HOME/.claude/history.jsonl" && echo linked-history`,
      ['--profile', 'claude'],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /moved\nlinked\nlinked-state\nlinked-history/, r.stderr);
    unchanged();
    // The host's git dir kept its modules; what the agent made was set aside, named.
    assert.ok(fs.lstatSync(join(w.project, '.git/modules/lib')).isDirectory());
    assert.ok(!fs.existsSync(join(w.project, '.git/modules-moved')));
    assert.match(r.stderr, /\.git\/modules: replaced during the session/);
    assert.ok(!fs.existsSync(join(w.home, '.claude/evil-link')));
    assert.ok(!fs.existsSync(join(w.home, '.claude/history.jsonl')));
    assert.equal(hostGit(w, w.project, 'submodule', 'status').trim().split(' ')[1], 'lib');
  });
});
