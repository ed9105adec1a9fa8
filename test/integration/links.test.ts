// bubble never follows a link the project or the agent controls: hostile link layouts in
// the project and in the agent's state, links left by an earlier session, and a directory
// swapped for a link while bubble starts. Attacked from inside, checked on the host: the
// user's ~/.config (the usual target: tokens, autostart entries, bubble's own config) is
// untouched and no placeholder appears outside the project.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { waitFor } from '../support/wait.ts';
import { makeWorld, sandboxSh, snapshot, type World } from '../support/world.ts';

/** What the agent tries through every link: plant in ~/.config, write a token there. */
const ATTACK = `
  for d in .claude .config tools data notes ~/.config; do
    echo pwned > "$d/token" 2>/dev/null && echo "WROTE $d"
    mkdir -p "$d/autostart" 2>/dev/null && echo x > "$d/autostart/evil.desktop" 2>/dev/null && echo "PLANTED $d"
  done
  echo ran`;

/** Everything in the world outside the project and bubble's own state (the host the user has). */
function hostOutsideProject(w: World): Map<string, string> {
  const snap = snapshot(w.home);
  const own = [join(w.home, '.local'), join(w.home, '.cache')];
  for (const k of [...snap.keys()])
    if (own.some((d) => k === d || k.startsWith(d + '/'))) snap.delete(k);
  for (const name of fs.readdirSync(w.root)) snap.set(join(w.root, name), 'in the world');
  return snap;
}

function setUpConfig(w: World): void {
  // ~/.config/git exists, so ~/.config exists inside too: a link into it resolves there.
  fs.mkdirSync(join(w.home, '.config', 'git'), { recursive: true });
  fs.writeFileSync(join(w.home, '.config', 'git', 'config'), '[user]\n\tname = t\n');
  fs.writeFileSync(join(w.home, '.config', 'token'), 'the real token\n');
}

describe('links the project or the agent controls', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld({ claude: true });
    setUpConfig(w);
  });
  afterEach(() => w.cleanup());

  const layouts: Array<[string, (w: World) => { link: string; args?: string[]; says?: RegExp }]> = [
    [
      'a relative link above protected paths (.claude -> ../home/.config)',
      (w) => {
        fs.symlinkSync('../home/.config', join(w.project, '.claude'));
        return { link: '.claude' };
      },
    ],
    [
      'an absolute link',
      (w) => {
        fs.symlinkSync(join(w.home, '.config'), join(w.project, '.claude'));
        return { link: '.claude' };
      },
    ],
    [
      'a dangling link',
      (w) => {
        fs.symlinkSync('../home/.config/not-yet', join(w.project, '.claude'));
        return { link: '.claude' };
      },
    ],
    [
      'a link loop',
      (w) => {
        fs.symlinkSync('.claude', join(w.project, '.claude'));
        // Met first by the look at what lies below it: a loop, named there.
        return { link: '.claude', says: /\.claude\/[a-z.]+ is a loop of symbolic links/ };
      },
    ],
    [
      'a link two levels above (.config -> ~/.config, .config/mise protected)',
      (w) => {
        fs.symlinkSync('../home/.config', join(w.project, '.config'));
        return { link: '.config' };
      },
    ],
    [
      "a link above a path the repository's git config names (core.hooksPath)",
      (w) => {
        fs.mkdirSync(join(w.project, '.git'));
        fs.writeFileSync(join(w.project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
        fs.mkdirSync(join(w.project, '.git', 'objects'));
        fs.mkdirSync(join(w.project, '.git', 'refs'));
        fs.writeFileSync(join(w.project, '.git', 'config'), '[core]\n\thooksPath = tools/hooks\n');
        fs.symlinkSync('../home/.config', join(w.project, 'tools'));
        return { link: 'tools' };
      },
    ],
    [
      'a link in the agent state above a script its settings run',
      (w) => {
        fs.writeFileSync(
          join(w.home, '.claude', 'settings.json'),
          JSON.stringify({ statusLine: { type: 'command', command: '~/.claude/bin/status.sh' } }),
        );
        fs.symlinkSync('../.config', join(w.home, '.claude', 'bin'));
        return { link: join(w.home, '.claude', 'bin'), args: ['--profile', 'claude'] };
      },
    ],
    [
      '--rw through a link in the project',
      (w) => {
        fs.symlinkSync('../home/.config', join(w.project, 'data'));
        return { link: 'data', args: ['--rw', 'data'] };
      },
    ],
  ];

  for (const [name, setUp] of layouts)
    test(`${name}: refused, named, the host untouched`, async (t) => {
      if (!(await requireBwrap(t))) return;
      const { link, args = [], says } = setUp(w);
      const before = hostOutsideProject(w);
      const r = await sandboxSh(w, ATTACK, args);
      assert.equal(r.code, 125, r.stderr);
      assert.doesNotMatch(r.stdout, /ran|WROTE|PLANTED/);
      const named = link.startsWith('/') ? link : join(w.project, link);
      assert.match(r.stderr, says ?? new RegExp(`bubble: ${named} is a symlink`));
      assert.deepEqual(hostOutsideProject(w), before);
    });

  test('a link left by an earlier session where the path was open (--allow-write) is refused in the next', async (t) => {
    if (!(await requireBwrap(t))) return;
    const first = await sandboxSh(
      w,
      'rm -rf .claude && ln -s ../home/.config .claude && echo planted',
      ['--allow-write', '.claude'],
    );
    assert.match(first.stdout, /planted/, first.stderr);
    const before = hostOutsideProject(w);
    const r = await sandboxSh(w, ATTACK);
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, /\.claude is a symlink \(-> \.\.\/home\/\.config\)/);
    assert.deepEqual(hostOutsideProject(w), before);
  });

  test('a link on no mount path is data: writing through it from inside never reaches the host', async (t) => {
    if (!(await requireBwrap(t))) return;
    fs.symlinkSync('../home/.config', join(w.project, 'notes'));
    fs.symlinkSync(join(w.home, '.config'), join(w.project, 'data'));
    const before = hostOutsideProject(w);
    const r = await sandboxSh(w, ATTACK);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ran/);
    assert.deepEqual(hostOutsideProject(w), before);
  });

  test('a directory swapped for a link while bubble starts: refused or safe, never followed', async (t) => {
    if (!(await requireBwrap(t))) return;
    fs.mkdirSync(join(w.project, '.claude'));
    const before = hostOutsideProject(w);
    // Another process (a second session, say) flips .claude between a directory and a
    // link to ~/.config as fast as it can, for the whole of every start.
    const flipper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const p = process.argv[1];
         process.stdout.write('go\\n');
         for (;;) {
           try { fs.renameSync(p, p + '.d'); fs.symlinkSync('../home/.config', p);
                 fs.unlinkSync(p); fs.renameSync(p + '.d', p); } catch {}
         }`,
        join(w.project, '.claude'),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let started = false;
    flipper.stdout.on('data', () => (started = true));
    try {
      await waitFor(() => started, 'the flipper to start');
      const codes = new Set<number | null>();
      for (let i = 0; i < 12; i++) {
        const r = await sandboxSh(w, ATTACK);
        codes.add(r.code);
        assert.ok(r.code === 0 || r.code === 125, `exit ${r.code}: ${r.stderr}`);
        assert.deepEqual(hostOutsideProject(w), before, `run ${i}: ${r.stderr}`);
      }
      t.diagnostic(`exit statuses seen: ${[...codes].join(', ')}`);
    } finally {
      flipper.kill('SIGKILL');
    }
  });

  test('a directory swapped for a link after bubble opened it and before bwrap mounts it: what was opened is mounted, never the link', async (t) => {
    if (!(await requireBwrap(t))) return;
    const bwrap = spawnSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).stdout.trim();
    if (!spawnSync(bwrap, ['--help'], { encoding: 'utf8' }).stdout.includes('--bind-fd')) {
      // Without --bind-fd bubble hands bwrap paths, which it resolves again: this race is open.
      t.skip(`${bwrap} has no --bind-fd: the swap between planning and mounting is not closed`);
      return;
    }
    const claude = join(w.project, '.claude');
    fs.mkdirSync(claude);
    fs.writeFileSync(join(claude, 'notes.md'), "the project's own\n");
    // Stands in for bwrap: once bubble has planned and opened the mount sources, swaps
    // .claude for a link to ~/.config (as another process could at that moment), then runs
    // the real bwrap with the descriptors bubble opened. --help and trial runs pass through.
    const swapping = join(w.root, 'bwrap-swapping');
    fs.writeFileSync(
      swapping,
      `#!/bin/sh
case " $* " in
  *" --bind-fd "*) mv '${claude}' '${claude}.was' && ln -s ../home/.config '${claude}' || exit 99 ;;
esac
exec '${bwrap}' "$@"
`,
      { mode: 0o755 },
    );
    const before = hostOutsideProject(w);
    const r = await sandboxSh(w, `${ATTACK}\ncat .claude/notes.md .claude/token 2>&1`, [], {
      env: { BUBBLE_BWRAP: swapping },
    });
    assert.ok(fs.lstatSync(claude).isSymbolicLink(), 'the swap did not happen');
    assert.deepEqual(hostOutsideProject(w), before, r.stderr);
    assert.doesNotMatch(r.stdout, /the real token/);
    // bwrap mounted what bubble opened (the directory, now .claude.was), or refused.
    if (r.code === 0) assert.match(r.stdout, /the project's own/);
    else assert.match(r.stderr, /Race condition binding dirfd/);
    t.diagnostic(`exit ${r.code}`);
  });
});
