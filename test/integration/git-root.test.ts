// Started in a subdirectory of a repository, the project is the repository's top level:
// git works inside and the rest of the repository is writable, as when started at the top.
// --no-git-root keeps the narrower mount; a .git link or a refused top level never widens it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, runBubble, sandboxSh, type World } from '../support/world.ts';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function projectOf(w: World, cwd: string, args: string[] = []): Promise<string> {
  const r = await runBubble(w, ['explain', '--json', ...args, '--', 'true'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { project: { dir: string } }).project.dir;
}

describe('the git repository top level is the project', () => {
  let w: World;
  let sub: string;
  before(() => {
    w = makeWorld();
    if (!fs.existsSync(join(w.project, '.git'))) git(w.project, 'init', '-q');
    sub = join(w.project, 'pkg', 'app');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(join(sub, 'main.txt'), 'x\n');
  });
  after(() => w.cleanup());

  test('from a subdirectory: git works inside, the top is writable, one line says so', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      'git rev-parse --show-toplevel && pwd && git status --porcelain >/dev/null && echo ok > ../../from-sub',
      [],
      { cwd: sub },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [w.project, sub]);
    assert.equal(fs.readFileSync(join(w.project, 'from-sub'), 'utf8'), 'ok\n', 'host file');
    assert.match(
      r.stderr,
      new RegExp(
        `^bubble: project: ${w.project} \\(the git repository's top level; started in ${sub}`,
        'm',
      ),
    );
    const explain = await runBubble(w, ['explain', '--', 'true'], { cwd: sub });
    assert.match(explain.stdout, /^project: .*the git repository's top level/m);
  });

  test('--no-git-root keeps the subdirectory alone', async (t) => {
    assert.equal(await projectOf(w, sub, ['--no-git-root']), sub);
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      'git rev-parse --show-toplevel; s=$?; echo x > ../../narrow; exit $s',
      ['--no-git-root'],
      {
        cwd: sub,
      },
    );
    assert.notEqual(r.code, 0, 'git found the repository above the narrower project');
    assert.ok(!fs.existsSync(join(w.project, 'narrow')), 'wrote above the narrower project');
  });

  test('a .git that is a link, or a top level bubble refuses, never widens the project', async () => {
    // A link named .git above the working directory: the project controls it.
    const linked = join(w.root, 'linked');
    fs.mkdirSync(join(linked, 'inner'), { recursive: true });
    fs.symlinkSync(join(w.project, '.git'), join(linked, '.git'));
    assert.equal(await projectOf(w, join(linked, 'inner')), join(linked, 'inner'));
    // A dotfiles repository in the home: the project stays the working directory.
    git(w.home, 'init', '-q');
    const inHome = join(w.home, 'src', 'thing');
    fs.mkdirSync(inHome, { recursive: true });
    assert.equal(await projectOf(w, inHome), inHome);
    fs.rmSync(join(w.home, '.git'), { recursive: true, force: true });
  });
});
