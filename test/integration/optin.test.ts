// Opt-in modes stay as narrow as their names: --gitconfig rw is announced and its changes
// shown, --home persist keeps caches but not what runs code in the next session, and
// --ssh-agent lists and signs with the named keys only, every signature in the session log.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, sandboxSh, type World } from '../support/world.ts';

describe('--gitconfig rw', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld();
    fs.writeFileSync(join(w.home, '.gitconfig'), '[user]\n\tname = Host User\n');
    fs.mkdirSync(join(w.home, '.config', 'git'), { recursive: true });
    fs.writeFileSync(join(w.home, '.config', 'git', 'config'), '[color]\n\tui = auto\n');
  });
  afterEach(() => w.cleanup());

  test('warns at start, and the report shows what the agent added to the host git config', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      `printf '[core]\\n\\tfsmonitor = touch /tmp/pwned\\n' >> ~/.gitconfig && echo WROTE
       printf '[alias]\\n\\tst = !sh -c evil\\n' >> ~/.config/git/config && echo WROTE2`,
      ['--gitconfig', 'rw'],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'WROTE\nWROTE2\n');
    // The write reached the host (that is what rw means)...
    assert.match(fs.readFileSync(join(w.home, '.gitconfig'), 'utf8'), /fsmonitor = touch/);
    // ...announced before the agent ran, and shown line by line after.
    const warning = r.stderr.indexOf('bubble: warning: --gitconfig rw:');
    assert.ok(warning >= 0, r.stderr);
    const report = r.stderr.indexOf('bubble: your git config changed during the session');
    assert.ok(report > warning, r.stderr);
    const block = r.stderr.slice(report);
    assert.match(
      block,
      /\n {2}M ~\/\.gitconfig\n {4}\+ \[core\]\n {4}\+ \\tfsmonitor = touch \/tmp\/pwned\n/,
    );
    assert.match(
      block,
      /\n {2}M ~\/\.config\/git\/config\n {4}\+ \[alias\]\n {4}\+ \\tst = !sh -c evil\n/,
    );
  });

  test('nothing changed: warned, but no report; read-only (the default): neither', async (t) => {
    if (!(await requireBwrap(t))) return;
    const rw = await sandboxSh(w, 'git config --global user.name', ['--gitconfig', 'rw']);
    assert.equal(rw.stdout, 'Host User\n', rw.stderr);
    assert.match(rw.stderr, /--gitconfig rw:/);
    assert.doesNotMatch(rw.stderr, /git config changed/);
    const ro = await sandboxSh(w, 'echo x >> ~/.gitconfig 2>/dev/null || echo REFUSED');
    assert.equal(ro.stdout, 'REFUSED\n');
    assert.doesNotMatch(ro.stderr, /--gitconfig|git config changed/);
    assert.equal(
      fs.readFileSync(join(w.home, '.gitconfig'), 'utf8'),
      '[user]\n\tname = Host User\n',
    );
    execFileSync('git', ['config', '--file', join(w.home, '.gitconfig'), '--list']);
  });
});
