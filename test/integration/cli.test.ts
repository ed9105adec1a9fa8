// The command-line surface, through the built CLI: help, version, explain, and
// bubble-claude passing every argument to claude untouched.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { bubbleClaudeBin, makeWorld, runBubble, type World } from '../support/world.ts';

describe('command line', () => {
  let w: World;
  let bin: string;
  before(() => {
    w = makeWorld({ claude: true });
    // A stand-in `claude` on PATH, installed where real ones live (~/.local/bin).
    bin = join(w.home, '.local', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
      join(bin, 'claude'),
      '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done; echo; ls -A "$HOME/.claude" | tr "\\n" " "\n',
      { mode: 0o755 },
    );
    w.env.PATH = `${bin}:${w.env.PATH}`;
  });
  after(() => w.cleanup());

  test('--help and --version go to stdout with status 0', async () => {
    const help = await runBubble(w, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /bubble run \[options\]/);
    const runHelp = await runBubble(w, ['run', '--help']);
    assert.equal(runHelp.code, 0);
    assert.match(runHelp.stdout, /--rw PATH/);
    const version = await runBubble(w, ['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^bubble \d+\.\d+\.\d+\n$/);
    const bare = await runBubble(w, []);
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, '');
  });

  test('bubble-claude gives claude every argument, untouched, in the claude profile', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await runBubble(w, ['doctor', '--', '--rw', '/', 'two words', '-p', ''], {
      bin: bubbleClaudeBin,
    });
    assert.equal(r.code, 0, r.stderr);
    const [args, state] = r.stdout.split('\n');
    assert.equal(args, '[doctor][--][--rw][/][two words][-p][]');
    assert.match(state!, /settings\.json/, 'claude state not mounted');
  });

  test('explain prints the view, the environment names and a runnable argv, running nothing', async () => {
    fs.mkdirSync(join(w.project, 'evil\x1b]0;pwned\x07dir'));
    const r = await runBubble(w, [
      'explain',
      '--rw',
      'evil\x1b]0;pwned\x07dir',
      '--',
      'claude',
      '-p',
      'hi',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^profile: +claude$/m);
    assert.match(
      r.stdout,
      /home\/\.claude\/settings\.json +ro +read as configuration or code on the host/,
    );
    assert.match(r.stdout, /\.claude\/skills +masked/);
    assert.match(r.stdout, /^\S+bwrap --unshare-user /m);
    assert.ok(!r.stdout.includes('\x1b'), 'a raw escape sequence reached the terminal');
    assert.ok(r.stdout.includes("$'"), 'the control characters should be shown escaped');
    assert.ok(!fs.existsSync(join(w.home, '.claude', 'skills')), 'explain created a placeholder');
    const json = await runBubble(w, ['explain', '--json', '--', 'claude']);
    const plan = JSON.parse(json.stdout) as {
      profile: string;
      bwrap: string[];
      env: Record<string, string>;
    };
    assert.equal(plan.profile, 'claude');
    assert.ok(plan.bwrap.includes('--die-with-parent'));
    assert.ok(!Object.values(plan.env).some((v) => v.includes('canary')));
  });
});
