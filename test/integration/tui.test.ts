// A terminal user interface inside the sandbox under a real terminal (tmux): it keeps its
// terminal, sees window resizes, and is not cut off from them by --new-session.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { waitFor, waitForValue } from '../support/wait.ts';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { bubbleBin, makeWorld, marked, repoRoot, type World } from '../support/world.ts';
import { quoteArgv } from '../../src/sandbox/escape.ts';

describe('terminal UI under tmux', () => {
  let w: World;
  const socket = `bubble-test-${process.pid}`;
  // Each program carries a mark of its own in its argv (winch.py ignores it), so the tests
  // find theirs and not another run's.
  // (Matched as separate arguments: tmux's own argv holds the pane's command as one string.)
  const first = `tui-first-${process.pid}`;
  const job = `tui-job-${process.pid}`;
  const running = (mark: string): number[] => marked(`winch.py\0${mark}\0`);
  const tmux = (...args: string[]): string =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  before(() => {
    w = makeWorld();
    fs.copyFileSync(join(repoRoot, 'test/fixtures/winch.py'), join(w.project, 'winch.py'));
  });
  after(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    // bubble ends the session on the hang-up and cleans up in the world: let it finish.
    await waitFor(
      () => marked(w.project + '\0').length + running(first).length + running(job).length === 0,
      'the sessions ended',
    );
    w.cleanup();
  });

  function onScreen(re: RegExp, target = 'tui'): Promise<string> {
    let screen = '';
    return waitForValue(
      () => {
        screen = tmux('capture-pane', '-p', '-t', target);
        return re.test(screen) ? screen : undefined;
      },
      () => `${re} on the screen:\n${screen}`,
    );
  }

  test('window resizes, ^C and ^Z (job control) reach the sandboxed program as outside', async (t) => {
    if (!(await requireBwrap(t))) return;
    const env = Object.entries(w.env).map(([k, v]) => `${k}=${v}`);
    const cmd = quoteArgv([
      'env',
      '-i',
      ...env,
      'TERM=xterm-256color',
      process.execPath,
      bubbleBin,
      'run',
      '--',
      'python3',
      'winch.py',
      first,
    ]);
    tmux('new-session', '-d', '-s', 'tui', '-x', '80', '-y', '24', '-c', w.project, cmd);
    await onScreen(/ready/);
    await onScreen(/size 80x24/);
    tmux('resize-window', '-t', 'tui', '-x', '100', '-y', '30');
    await onScreen(/size 100x30/);

    // ^C reaches the program (and only once: bubble does not forward a second one).
    tmux('send-keys', '-t', 'tui', 'C-c');
    const afterInt = await onScreen(/got INT/);
    assert.equal(afterInt.match(/got INT/g)?.length, 1, afterInt);
    // ...and the sandbox lives on (bwrap shares the terminal's process group: ^C must not
    // end it behind the program's back).
    tmux('resize-window', '-t', 'tui', '-x', '90', '-y', '20');
    await onScreen(/size 90x20/);

    // ^Z stops the whole job and fg resumes it, as with any program: run it from an
    // interactive shell, which is what does job control (a pane's own process cannot).
    const env2 = Object.entries(w.env).map(([k, v]) => `${k}=${v}`);
    tmux(
      'new-session',
      '-d',
      '-s',
      'job',
      '-x',
      '80',
      '-y',
      '24',
      '-c',
      w.project,
      quoteArgv([
        'env',
        '-i',
        ...env2,
        'TERM=xterm-256color',
        'PS1=$ ',
        // No history file: killed with the tmux server, bash would write ~/.bash_history
        // into the world while the test removes it.
        'HISTFILE=',
        'bash',
        '--norc',
        '--noprofile',
        '-i',
      ]),
    );
    // The first program is still running: end that session (bubble forwards the hang-up),
    // so the program found below is the job's.
    tmux('kill-session', '-t', 'tui');
    await waitFor(() => running(first).length === 0, 'the first session ended');
    tmux(
      'send-keys',
      '-t',
      'job',
      quoteArgv([process.execPath, bubbleBin, 'run', '--', 'python3', 'winch.py', job]),
      'Enter',
    );
    await onScreen(/ready/, 'job');
    tmux('send-keys', '-t', 'job', 'C-z');
    await onScreen(/Stopped/, 'job');
    const agent = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .find((p) => {
        try {
          return fs
            .readFileSync(`/proc/${p}/cmdline`, 'utf8')
            .endsWith(`python3\0winch.py\0${job}\0`);
        } catch {
          return false;
        }
      });
    assert.ok(agent !== undefined, 'the program is gone');
    assert.equal(
      fs.readFileSync(`/proc/${agent}/stat`, 'utf8').split(') ')[1]!.split(' ')[0],
      'T',
      'the program did not stop with its job',
    );
    tmux('send-keys', '-t', 'job', 'fg', 'Enter');
    await onScreen(/got CONT/, 'job');
  });
});
