// Persistence through the project: what the host runs later must not be writable from
// inside, while normal git work goes on. Attacked from inside, checked on the host.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { gitIdentity, passEnv } from '../support/git.ts';
import { waitFor } from '../support/wait.ts';
import {
  makeWorld,
  runBubble,
  sandboxed,
  sandboxSh,
  snapshot,
  type World,
} from '../support/world.ts';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...gitIdentity } });

/** The project as the host runs it: the working tree, git hooks and config (not git's index and objects). */
function hostView(project: string): Map<string, string> {
  const snap = snapshot(project);
  const gitDir = join(project, '.git');
  for (const k of [...snap.keys()]) {
    if (
      k.startsWith(gitDir + '/') &&
      !k.startsWith(join(gitDir, 'hooks')) &&
      k !== join(gitDir, 'config')
    )
      snap.delete(k);
  }
  return snap;
}

const VECTORS = [
  '.gemini/settings.json',
  '.codex/config.toml',
  '.opencode/agent/x.md',
  'opencode.json',
  '.aider.conf.yml',
  '.claude/settings.json',
  '.claude/settings.local.json',
  '.claude/hooks/x.sh',
  '.claude/commands/x.md',
  '.mcp.json',
  '.vscode/tasks.json',
  '.idea/workspace.xml',
  '.devcontainer/devcontainer.json',
  '.envrc',
  'mise.toml',
  '.mise.toml',
  '.tool-versions',
];

describe('project persistence vectors', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  function initRepo(): void {
    git(w.project, 'init', '-q', '-b', 'main');
    git(w.project, 'add', 'README');
    git(w.project, 'commit', '-qm', 'first');
  }

  test('git hooks, git config and the repository itself cannot be changed; git work goes on', async (t) => {
    if (!(await requireBwrap(t))) return;
    initRepo();
    const gitDirBefore = snapshot(join(w.project, '.git', 'hooks'));
    const configBefore = fs.readFileSync(join(w.project, '.git', 'config'), 'utf8');
    const env = passEnv(gitIdentity);
    const r = await sandboxSh(
      w,
      `
      echo 'touch /tmp/pwned' > .git/hooks/pre-commit 2>/dev/null && echo WROTE-HOOK
      chmod +x .git/hooks/pre-commit.sample 2>/dev/null && echo CHMOD-HOOK
      # Accepted into the session's stage of .git (so it runs inside, where it can only touch
      # the project: '#' drops git's arguments, which would be file names), never the host's.
      git config core.fsmonitor 'touch /tmp/pwned #' 2>/dev/null && echo SET-FSMONITOR
      echo '[core] hooksPath = /tmp' >> .git/config 2>/dev/null && echo APPENDED-CONFIG
      mv .git .git-old 2>/dev/null && echo RENAMED-GIT
      rm -rf .git/hooks 2>/dev/null; test -d .git/hooks || echo REMOVED-HOOKS
      echo change >> README && git add README && git commit -qm second && echo COMMITTED
      git switch -qc feature && echo new > f.txt && git add f.txt && git commit -qm third && git switch -q main && echo BRANCHED
      git log --oneline | wc -l; git status --porcelain; git diff HEAD~1 --stat | tail -1
      git remote add origin https://example.invalid/x.git 2>&1 | head -1`,
      env,
      { env: gitIdentity },
    );
    assert.equal(r.code, 0, r.stderr);
    // git config writes go to the session's stage of .git; the host never gets them (below).
    assert.doesNotMatch(r.stdout, /WROTE|CHMOD|RENAMED|REMOVED/);
    assert.match(r.stdout, /COMMITTED\nBRANCHED\n2\n/);
    assert.match(r.stderr, /\.git\/config: the session set core\.(fsmonitor|hookspath)/);
    // The host: hooks and config as before, the commits there, nothing left behind.
    assert.deepEqual(snapshot(join(w.project, '.git', 'hooks')), gitDirBefore);
    assert.equal(fs.readFileSync(join(w.project, '.git', 'config'), 'utf8'), configBefore);
    assert.equal(git(w.project, 'log', '--oneline', 'main').trim().split('\n').length, 2);
    assert.equal(git(w.project, 'log', '--oneline', 'feature').trim().split('\n').length, 3);
    assert.equal(git(w.project, 'status', '--porcelain'), '');
    for (const v of VECTORS)
      assert.ok(!fs.existsSync(join(w.project, v)), `${v} exists on the host`);
    assert.ok(!fs.existsSync(join(w.project, '.claude')), 'placeholder dir left');
  });

  test('agent settings, MCP servers, IDE tasks, direnv and tool managers cannot be planted', async (t) => {
    if (!(await requireBwrap(t))) return;
    initRepo();
    fs.mkdirSync(join(w.project, '.vscode'));
    fs.writeFileSync(join(w.project, '.vscode', 'settings.json'), '{}\n');
    git(w.project, 'add', '.vscode');
    git(w.project, 'commit', '-qm', 'editor settings');
    const before = hostView(w.project);
    const script = VECTORS.map(
      (v) =>
        `mkdir -p "$(dirname ${v})" 2>/dev/null; echo pwned > ${v} 2>/dev/null && echo "PLANTED ${v}"`,
    ).join('\n');
    const r = await sandboxSh(
      w,
      `${script}
      mv .vscode .vscode-old 2>/dev/null && echo RENAMED-VSCODE
      mv .claude .claude-old 2>/dev/null && echo RENAMED-CLAUDE
      git status --porcelain; git add -A && git status --porcelain | wc -l; echo done`,
    );
    assert.ok(r.stdout.includes('done'), r.stderr);
    assert.doesNotMatch(r.stdout, /PLANTED|RENAMED/);
    assert.match(r.stdout, /^0$/m, 'placeholders became visible to git add -A');
    assert.deepEqual(hostView(w.project), before, 'the project changed on the host');
  });

  test('without a repository, git init cannot create one', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      'git init -q 2>&1 | head -1; mkdir .git/hooks 2>/dev/null && echo CREATED; echo done',
    );
    assert.ok(r.stdout.includes('done'));
    assert.ok(!r.stdout.includes('CREATED'));
    assert.ok(!fs.existsSync(join(w.project, '.git')), 'a .git was left on the host');
  });

  test('--allow-write opens one protected path on purpose', async (t) => {
    if (!(await requireBwrap(t))) return;
    initRepo();
    const r = await sandboxSh(
      w,
      'echo "#!/bin/sh" > .git/hooks/pre-push && echo WROTE; echo x > .envrc 2>/dev/null && echo ENVRC',
      ['--allow-write', '.git/hooks'],
    );
    assert.equal(r.stdout, 'WROTE\n', r.stderr);
    assert.ok(fs.existsSync(join(w.project, '.git', 'hooks', 'pre-push')));
  });

  test('placeholders in the project are gone after kill -9 of bubble', async (t) => {
    if (!(await requireBwrap(t))) return;
    const mcp = join(w.project, '.mcp.json');
    let pid: number | undefined;
    const marker = `bubble-project-placeholder-${process.pid}`;
    const done = runBubble(w, ['run', '--', 'sh', '-c', 'sleep 60', marker], {
      onSpawn: (c) => (pid = c.pid),
    });
    await waitFor(() => sandboxed(marker).length > 0, 'the sandboxed command');
    assert.ok(fs.existsSync(mcp), 'the placeholder never appeared');
    process.kill(pid!, 'SIGKILL');
    await done;
    await waitFor(() => fs.readdirSync(w.project).length === 1, 'placeholders removed');
    assert.deepEqual(fs.readdirSync(w.project), ['README']);
  });
});
