// Opt-ins and git layouts: a persistent sandbox home, the ssh-agent socket, and a git
// worktree whose repository lies outside the project. Checked on the host.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../support/wait.ts';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { readLog } from '../../src/log/reader.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { gitIdentity, passEnv } from '../support/git.ts';
import { CANARY, makeWorld, sandboxSh, type World } from '../support/world.ts';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...gitIdentity } });
const passGitEnv = passEnv(gitIdentity);

describe('sandbox home, ssh-agent, worktrees', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld({ claude: true });
  });
  afterEach(() => w.cleanup());

  test('--home persist keeps caches between sessions of this project, away from the real home', async (t) => {
    if (!(await requireBwrap(t))) return;
    const first = await sandboxSh(
      w,
      'mkdir -p ~/.cache/tool && echo cached > ~/.cache/tool/x; ls -A ~',
      ['--home', 'persist'],
    );
    assert.equal(first.code, 0, first.stderr);
    assert.ok(!first.stdout.includes('.ssh'), 'the real home showed through');
    const second = await sandboxSh(
      w,
      'cat ~/.cache/tool/x; cat ~/.ssh/id_ed25519 2>/dev/null; echo done',
      ['--home', 'persist'],
    );
    assert.equal(second.stdout, 'cached\ndone\n');
    assert.ok(!fs.existsSync(join(w.home, '.cache', 'tool')), 'wrote into the real home');
    const homes = join(w.home, '.local/state/bubble/homes');
    assert.equal(fs.readdirSync(homes).length, 1);
    const tmp = await sandboxSh(w, 'cat ~/.cache/tool/x 2>/dev/null || echo gone');
    assert.equal(tmp.stdout, 'gone\n', 'the default home is not the persistent one');
    // The agent's protected config still holds on top of a persistent home.
    const attack = await sandboxSh(
      w,
      'echo x > ~/.claude/settings.json 2>/dev/null && echo WROTE; echo done',
      ['--home', 'persist', '--profile', 'claude'],
    );
    assert.equal(attack.stdout, 'done\n');
  });

  test('--ssh-agent: the agent socket works inside; without it, no agent', async (t) => {
    if (!(await requireBwrap(t))) return;
    const sock = join(w.root, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    t.after(() => agent.kill());
    await waitFor(() => fs.existsSync(sock), 'ssh-agent listening');
    const key = join(w.root, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', CANARY, '-f', key]);
    execFileSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
    const on = await sandboxSh(w, 'ssh-add -l; echo "rc=$?"', ['--ssh-key', CANARY], {
      env: { SSH_AUTH_SOCK: sock },
    });
    assert.match(on.stdout, new RegExp(`${CANARY}.*\\nrc=0`), on.stderr);
    const logs = join(w.home, '.local/state/bubble/sessions');
    const header = readLog(join(logs, fs.readdirSync(logs).sort().at(-1)!)).session;
    assert.deepEqual(
      header?.optIns,
      ['--ssh-agent', `--ssh-key ${CANARY}`],
      'the opt-in is not in the session header',
    );
    const off = await sandboxSh(w, 'ssh-add -l 2>&1; echo "rc=$?"', [], {
      env: { SSH_AUTH_SOCK: sock },
    });
    assert.match(off.stdout, /rc=2/, 'reached the agent without --ssh-agent');
    const none = await sandboxSh(w, 'true', ['--ssh-agent'], {
      env: { SSH_AUTH_SOCK: join(w.root, 'missing.sock') },
    });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--ssh-agent: SSH_AUTH_SOCK/);
  });

  test('a worktree whose repository is outside the project: commits work, hooks and config stay read-only', async (t) => {
    if (!(await requireBwrap(t))) return;
    const main = join(w.root, 'main-repo');
    fs.mkdirSync(main);
    git(main, 'init', '-q', '-b', 'main');
    fs.writeFileSync(join(main, 'a.txt'), 'a\n');
    git(main, 'add', 'a.txt');
    git(main, 'commit', '-qm', 'first');
    fs.rmSync(w.project, { recursive: true });
    git(main, 'worktree', 'add', '-q', '-b', 'feature', w.project);
    const config = fs.readFileSync(join(main, '.git', 'config'), 'utf8');
    const r = await sandboxSh(
      w,
      `echo b > b.txt && git add b.txt && git commit -qm second && echo COMMITTED
       echo evil > "$(git rev-parse --git-common-dir)/hooks/post-commit" 2>/dev/null && echo WROTE-HOOK
       git config core.fsmonitor evil 2>/dev/null && echo SET-CONFIG
       cat ${main}/a.txt 2>/dev/null || echo no-main-worktree`,
      passGitEnv,
      { env: gitIdentity },
    );
    assert.equal(r.code, 0, r.stderr);
    // The config write lands in the session's stage of the git dir, never on the host (below).
    assert.equal(r.stdout, 'COMMITTED\nSET-CONFIG\nno-main-worktree\n');
    assert.match(r.stderr, /main-repo\/\.git\/config: the session set core\.fsmonitor/);
    assert.equal(
      git(main, 'log', '--oneline', 'feature').trim().split('\n').length,
      2,
      'the commit did not reach the repository',
    );
    assert.equal(fs.readFileSync(join(main, '.git', 'config'), 'utf8'), config);
    assert.ok(!fs.existsSync(join(main, '.git', 'hooks', 'post-commit')));
  });
});
