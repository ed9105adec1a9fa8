// A terminal user interface inside the sandbox under a real terminal (tmux): it keeps its
// terminal, sees window resizes, and is not cut off from them by --new-session.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from './support/bwrap.ts';
import { bubbleBin, makeWorld, repoRoot, type World } from './support/world.ts';
import { quoteArgv } from '../../src/sandbox/escape.ts';

describe('terminal UI under tmux', () => {
  let w: World;
  const socket = `bubble-test-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  before(() => {
    w = makeWorld();
    fs.copyFileSync(join(repoRoot, 'test/fixtures/winch.py'), join(w.project, 'winch.py'));
  });
  after(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    w.cleanup();
  });

  async function waitFor(re: RegExp): Promise<string> {
    let screen = '';
    for (let i = 0; i < 400; i++) {
      screen = tmux('capture-pane', '-p', '-t', 'tui');
      if (re.test(screen)) return screen;
      await sleep(25);
    }
    assert.fail(`never saw ${re} on the screen:\n${screen}`);
  }

  test('window resizes reach the sandboxed program', async (t) => {
    if (!(await requireBwrap(t))) return;
    const env = Object.entries(w.env).map(([k, v]) => `${k}=${v}`);
    const cmd = quoteArgv(['env', '-i', ...env, 'TERM=xterm-256color', process.execPath, bubbleBin, 'run', '--', 'python3', 'winch.py']);
    tmux('new-session', '-d', '-s', 'tui', '-x', '80', '-y', '24', '-c', w.project, cmd);
    await waitFor(/ready/);
    await waitFor(/size 80x24/);
    tmux('resize-window', '-t', 'tui', '-x', '100', '-y', '30');
    await waitFor(/size 100x30/);
  });
});
