// Git dirs are writable only where git's normal work writes (src/policy/staged.ts): real git
// inside the real sandbox does its ordinary work, and the result is on the host; every
// attempt to plant configuration, hooks or redirects leaves nothing the host's git runs.
// Checked with the HOST's git afterwards, with markers that a planted command would create.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { gitEnv, hostGit, hostGitTry, passEnv } from '../support/git.ts';
import { makeWorld, sandboxSh, type World } from '../support/world.ts';

const passGitEnv = passEnv(gitEnv);

function repo(w: World, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  hostGit(w, dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(join(dir, 'a.txt'), 'one\n');
  hostGit(w, dir, 'add', 'a.txt');
  hostGit(w, dir, 'commit', '-qm', 'one');
}

describe('git dirs: normal work reaches the host, nothing else does', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  test('commit, amend, branch, merge, rebase (-i), cherry-pick, stash, tag, fetch, gc, submodule', async (t) => {
    if (!(await requireBwrap(t))) return;
    const remote = join(w.root, 'remote');
    repo(w, remote);
    const sub = join(w.root, 'subsrc');
    repo(w, sub);
    repo(w, w.project);
    hostGit(w, w.project, 'remote', 'add', 'origin', remote);
    hostGit(w, w.project, 'submodule', 'add', '-q', sub, 'lib');
    hostGit(w, w.project, 'commit', '-qm', 'submodule');
    fs.writeFileSync(join(remote, 'r.txt'), 'remote\n');
    hostGit(w, remote, 'add', 'r.txt');
    hostGit(w, remote, 'commit', '-qm', 'remote work');

    const r = await sandboxSh(
      w,
      `set -e
      git -c protocol.file.allow=always fetch -q origin
      echo two >> a.txt; git commit -qam two
      git commit -q --amend -m two-amended
      git switch -qc feature; echo f > f.txt; git add f.txt; git commit -qm feature
      echo g > g.txt; git add g.txt; git commit -qm feature-2
      git switch -q main; echo m > m.txt; git add m.txt; git commit -qm main-3
      git merge -q --no-edit feature
      git switch -qc topic HEAD~1; echo t > t.txt; git add t.txt; git commit -qm topic-1
      echo t2 >> t.txt; git commit -qam topic-2
      git rebase -q main
      GIT_SEQUENCE_EDITOR="sed -i 2s/^pick/fixup/" git rebase -q -i HEAD~2
      git switch -q main; git cherry-pick topic >/dev/null
      echo wip >> a.txt; git stash -q; git stash pop -q; git commit -qam after-stash
      git tag -a v1 -m v1; git branch keep feature
      (cd lib && git commit -q --allow-empty -m sub-2)
      git add lib; git commit -qm bump-lib
      git -c protocol.file.allow=always submodule update -q
      git gc -q
      git worktree add -q wt-inside && echo WORKTREE-INSIDE
      git status --porcelain --ignore-submodules=none | grep -v -e wt-inside -e README || true
      echo done`,
      ['--ro', remote, '--ro', sub, ...passGitEnv],
      { env: gitEnv },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /WORKTREE-INSIDE\ndone\n$/);
    // The host sees every result.
    const log = hostGit(w, w.project, 'log', '--format=%s', 'main').trim().split('\n');
    assert.deepEqual(log.slice(0, 4), [
      'bump-lib',
      'after-stash',
      'topic-1',
      "Merge branch 'feature'",
    ]);
    assert.ok(log.includes('two-amended') && !log.includes('two'), log.join(','));
    assert.equal(hostGit(w, w.project, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'main');
    // rebase -i folded topic-2 into topic-1 (fixup).
    assert.equal(hostGit(w, w.project, 'log', '-1', '--format=%s', 'topic').trim(), 'topic-1');
    assert.equal(hostGit(w, w.project, 'rev-list', '--count', 'main~3..topic').trim(), '1');
    assert.equal(hostGit(w, w.project, 'tag', '-l').trim(), 'v1');
    assert.match(hostGit(w, w.project, 'branch', '--list'), /keep/);
    assert.equal(
      hostGit(w, w.project, 'log', '-1', '--format=%s', 'origin/main').trim(),
      'remote work',
    );
    assert.equal(hostGit(w, join(w.project, 'lib'), 'log', '-1', '--format=%s').trim(), 'sub-2');
    assert.equal(hostGit(w, w.project, 'stash', 'list'), '');
    hostGit(w, w.project, 'fsck', '--no-progress');
    assert.equal(
      hostGit(w, w.project, 'status', '--porcelain', '--ignore-submodules=none')
        .split('\n')
        .filter((l) => l !== '' && !l.includes('wt-inside') && !l.includes('README'))
        .join('\n'),
      '',
    );
    // A worktree added inside lives only in the session's stage, and the report says so.
    assert.ok(!fs.existsSync(join(w.project, '.git', 'worktrees')), 'worktree metadata leaked');
    assert.match(r.stderr, /\.git\/worktrees\/wt-inside/);
  });

  test('plants in git dirs leave nothing that the host git runs', async (t) => {
    if (!(await requireBwrap(t))) return;
    const markers = join(w.root, 'markers');
    fs.mkdirSync(markers);
    const mark = (name: string): string => `touch ${join(markers, name)}`;
    const hook = (name: string): string => `#!/bin/sh\n${mark(name)}\n`;
    repo(w, w.project);
    // A submodule, a nested clone (nobody's submodule), a hooksPath and an include in the project.
    const sub = join(w.root, 'subsrc');
    repo(w, sub);
    hostGit(w, w.project, 'submodule', 'add', '-q', sub, 'lib');
    hostGit(w, w.project, 'commit', '-qm', 'submodule');
    repo(w, join(w.project, 'vendor', 'dep'));
    fs.mkdirSync(join(w.project, '.githooks'));
    fs.writeFileSync(join(w.project, 'shared.gitconfig'), '[user]\n\tname = t\n');
    hostGit(w, w.project, 'config', 'core.hooksPath', '.githooks');
    hostGit(w, w.project, 'config', 'include.path', '../shared.gitconfig');
    hostGit(w, w.project, 'config', '--add', 'include.path', '../missing.gitconfig');
    hostGit(w, w.project, 'commit', '-qm', 'base', '--allow-empty');
    hostGit(w, w.project, 'commit', '-qm', 'base-2', '--allow-empty');

    const fsm = (name: string): string => `[core]\n\tfsmonitor = ${mark(name)}\n`;
    const r = await sandboxSh(
      w,
      `
      try() { if sh -c "$2" 2>/dev/null; then echo "PLANTED $1"; fi; }
      try config-worktree 'printf "${fsm('config-worktree')}" > .git/config.worktree'
      try config 'git config core.fsmonitor "${mark('config')}"'
      try config-append 'printf "${fsm('config-append')}" >> .git/config'
      try hook 'printf "${hook('hook')}" > .git/hooks/post-commit && chmod +x .git/hooks/post-commit'
      try hookspath 'printf "${hook('hookspath')}" > .githooks/post-commit && chmod +x .githooks/post-commit'
      try include 'printf "${fsm('include')}" >> shared.gitconfig'
      try include-missing 'printf "${fsm('include-missing')}" > missing.gitconfig'
      try alternates 'echo /tmp/objects > .git/objects/info/alternates'
      try modules-config 'printf "${fsm('modules-config')}" >> .git/modules/lib/config'
      try modules-hook 'printf "${hook('modules-hook')}" > .git/modules/lib/hooks/post-commit'
      try modules-cw 'printf "${fsm('modules-cw')}" > .git/modules/lib/config.worktree'
      try nested-config 'printf "${fsm('nested-config')}" >> vendor/dep/.git/config'
      try nested-hook 'printf "${hook('nested-hook')}" > vendor/dep/.git/hooks/post-commit'
      try nested-commondir 'echo ../../../evil > vendor/dep/.git/commondir'
      try replace-git 'mv .git .git-old'
      try replace-nested 'mv vendor vendor-old'
      try pointer 'echo "gitdir: ../evil" > lib/.git'
      # A new repository, planted whole.
      git init -q newrepo && printf "${fsm('newrepo')}" >> newrepo/.git/config
      printf "${hook('newrepo-hook')}" > newrepo/.git/hooks/post-commit; chmod +x newrepo/.git/hooks/post-commit
      # A rebase left with an exec line the host would run on --continue.
      GIT_SEQUENCE_EDITOR='sed -i "1i break\\nexec ${mark('rebase-exec')}"' git rebase -q -i HEAD~1 >/dev/null 2>&1
      test -d .git/rebase-merge && echo REBASE-STOPPED
      # Last: it breaks git inside for the rest of the session.
      try commondir 'mkdir -p ../evil && echo ../evil > .git/commondir'
      echo done`,
      passGitEnv,
      { env: gitEnv },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /REBASE-STOPPED\nPLANTED commondir\ndone\n$/, r.stderr);
    const planted = r.stdout.split('\n').filter((l) => l.startsWith('PLANTED'));
    // In the stage only: these are allowed inside and discarded after (reported below).
    assert.deepEqual(planted.sort(), [
      'PLANTED alternates',
      'PLANTED commondir',
      'PLANTED config',
      'PLANTED config-append',
      'PLANTED config-worktree',
      'PLANTED modules-config',
      'PLANTED modules-cw',
      'PLANTED nested-commondir',
      'PLANTED nested-config',
    ]);
    for (const p of [
      '.git/commondir',
      '.git/config',
      '.git/config.worktree',
      '.git/objects/info/alternates',
      '.git/modules/lib/config',
      'vendor/dep/.git/config',
    ])
      assert.match(r.stderr, new RegExp(p.replace(/\./g, '\\.')), `${p} not reported`);

    // The host: ordinary commands everywhere, with the planted markers armed.
    hostGit(w, w.project, 'config', 'extensions.worktreeConfig', 'true');
    hostGit(w, w.project, 'config', 'core.repositoryformatversion', '1');
    for (const dir of [
      w.project,
      join(w.project, 'lib'),
      join(w.project, 'vendor', 'dep'),
      join(w.project, 'newrepo'),
    ]) {
      hostGitTry(w, dir, 'status');
      hostGitTry(w, dir, 'commit', '-q', '--allow-empty', '-m', 'host');
    }
    hostGitTry(w, join(w.project, 'lib'), 'config', 'extensions.worktreeConfig', 'true');
    hostGitTry(w, join(w.project, 'lib'), 'status');
    hostGitTry(w, w.project, 'rebase', '--continue');
    assert.deepEqual(fs.readdirSync(markers), [], 'a planted command ran on the host');
    assert.ok(!fs.existsSync(join(w.root, 'evil')));
    assert.match(r.stderr, /newrepo\/\.git\/config/, 'the new repository was not reported');
    assert.match(r.stderr, /rebase-merge/, 'the exec todo was not reported');
  });

  test('calibration: the same plants made on the host do run', (t) => {
    const markers = join(w.root, 'markers');
    fs.mkdirSync(markers);
    repo(w, w.project);
    const git = join(w.project, '.git');
    fs.writeFileSync(join(git, 'config.worktree'), `[core]\n\tfsmonitor = touch ${markers}/cw\n`);
    hostGit(w, w.project, 'config', 'extensions.worktreeConfig', 'true');
    hostGit(w, w.project, 'config', 'core.repositoryformatversion', '1');
    fs.writeFileSync(join(git, 'hooks', 'post-commit'), `#!/bin/sh\ntouch ${markers}/hook\n`, {
      mode: 0o755,
    });
    hostGitTry(w, w.project, 'status');
    hostGitTry(w, w.project, 'commit', '-q', '--allow-empty', '-m', 'host');
    const seen = fs.readdirSync(markers).sort();
    if (seen.length === 0) t.diagnostic('markers did not fire');
    assert.deepEqual(seen, ['cw', 'hook']);
  });
});
