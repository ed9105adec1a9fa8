// The README's quick start, as a new user pastes it: exactly two commands, the first run
// verbatim in a fresh home (a copy of this checkout where a user would clone it, nothing
// installed, PATH without ~/.local/bin), with a stand-in for Claude Code where its own
// installer puts it. The install must be a copy (the clone can move or go), the session a
// real sandbox. The second command is what .ci/run runs (its apt-get part as root).

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CANARY, makeWorld, repoRoot } from '../support/world.ts';

const readme = fs.readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The commands of the quick start's first code block: its lines that are not comments. */
function quickStart(): string[] {
  const section = /^## Quick start\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(section)?.[1] ?? '';
  return block.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}

test('the quick start is two commands, with no placeholder and no root install', () => {
  const cmds = quickStart();
  assert.equal(cmds.length, 2, `two commands in the quick start, got:\n${cmds.join('\n')}`);
  const [install, tests] = cmds as [string, string];
  assert.match(install, /bubble-claude$/, 'the first ends by running Claude Code sandboxed');
  assert.doesNotMatch(install, /your-|<|sudo npm/, 'no placeholder, no root-owned install');
  assert.match(tests, /&& npm test$/);
  // .ci/run installs the second command's packages as root and runs the rest as the user.
  const ci = fs.readFileSync(join(repoRoot, '.ci/run'), 'utf8');
  assert.match(ci, /README\.md/, '.ci/run takes the test command from the README');
  assert.match(tests, /^sudo apt-get install -y [a-z0-9 -]+ && npm ci && npm test$/);
});

test('the first command installs a copy under ~/.local and runs the agent sandboxed', () => {
  const world = makeWorld();
  try {
    const install = quickStart()[0]!;
    // Where a user would clone: the working tree's files as they are (the README included).
    const clone = join(world.home, 'bubble');
    const files = execFileSync(
      'git',
      ['-c', 'safe.directory=*', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: repoRoot, encoding: 'utf8' },
    )
      .split('\0')
      .filter((f) => f !== '' && fs.existsSync(join(repoRoot, f)));
    for (const f of files) fs.cpSync(join(repoRoot, f), join(clone, f), { recursive: true });
    // Claude Code's installer puts `claude` in ~/.local/bin: a stand-in that records what
    // it sees, tries the home's secrets, and leaves a file in the project.
    const bin = join(world.home, '.local/bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
      join(bin, 'claude'),
      '#!/bin/sh\n{ echo "pwd=$(pwd)"; echo "args=$*"; cat "$HOME/.ssh/id_ed25519" 2>&1; } > ran-inside\nexit 0\n',
      { mode: 0o755 },
    );
    const r = spawnSync('bash', ['-c', install], {
      cwd: clone,
      env: {
        HOME: world.home,
        USER: process.env.USER ?? 'tester',
        LOGNAME: process.env.USER ?? 'tester',
        LANG: 'C.UTF-8',
        // A fresh account's PATH; node where this machine has it (/usr/bin on Debian).
        PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
        // Only a download cache: this user's, so the test does not fetch every package again.
        npm_config_cache: join(homedir(), '.npm'),
        npm_config_prefer_offline: 'true',
        ...(process.env.NODE_EXTRA_CA_CERTS
          ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }
          : {}),
      },
      input: '',
      encoding: 'utf8',
      timeout: 600_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, out);
    const seen = fs.readFileSync(join(clone, 'ran-inside'), 'utf8');
    assert.match(seen, new RegExp(`^pwd=${clone}$`, 'm'), 'the agent ran in the clone');
    assert.ok(!seen.includes(CANARY), `the home's secrets stay hidden:\n${seen}`);
    assert.match(r.stderr, /hosts contacted/, 'a bubble session, with its end line');

    // A copy, not a link into the clone: it still works once the clone is gone.
    const bubble = join(bin, 'bubble');
    assert.ok(
      fs.realpathSync(bubble).startsWith(join(world.home, '.local/lib/node_modules') + '/'),
      fs.realpathSync(bubble),
    );
    fs.rmSync(clone, { recursive: true, force: true });
    const v = spawnSync(bubble, ['--version'], {
      env: { HOME: world.home, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^bubble \d/);
    assert.ok(fs.existsSync(join(world.home, '.local/share/man/man1/bubble.1')), 'man page');
  } finally {
    world.cleanup();
  }
});
