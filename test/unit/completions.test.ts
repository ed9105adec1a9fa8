// The hand-written completions and man page name every command and run/explain option
// that the help texts do (add a new option to all four files), and parse.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mustWork } from '../support/bwrap.ts';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { mainHelp, runHelp } from '../../src/cli/help.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const files = [
  'completions/bubble.bash',
  'completions/_bubble',
  'completions/bubble.fish',
  'man/bubble.1',
];

// Commands this issue adds whether or not their help line has landed yet.
const commands = new Set([
  'run',
  'explain',
  'log',
  'doctor',
  'selftest',
  'trust',
  'config',
  'profiles',
]);
for (const m of mainHelp.matchAll(/^ {2}bubble ([a-z]+)/gm)) commands.add(m[1]!);
const runOptions = new Set([...runHelp.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!));

describe('completions and man page', () => {
  for (const file of files) {
    test(`${file} names every command and run option`, () => {
      const text = read(file).replace(/\\-/g, '-');
      for (const c of commands)
        assert.match(text, new RegExp(`\\b${c}\\b`), `${file} lacks the command ${c}`);
      assert.ok(runOptions.size >= 15, 'options parsed from runHelp');
      for (const o of runOptions) {
        const name = file.endsWith('.fish') ? `-l ${o.slice(2)} ` : o;
        assert.ok(text.includes(name), `${file} lacks ${o}: add it (see the file's header)`);
      }
      for (const mode of ['filtered', 'logged', 'host', 'none'])
        assert.ok(text.includes(mode), `${file} lacks --net ${mode}`);
    });
  }

  test('bash, zsh and fish accept their files (all three under CI)', (t) => {
    for (const [shell, file] of [
      ['bash', 'completions/bubble.bash'],
      ['zsh', 'completions/_bubble'],
      ['fish', 'completions/bubble.fish'],
    ] as const) {
      const r = spawnSync(shell, ['-n', new URL(file, root).pathname], { encoding: 'utf8' });
      if (r.error !== undefined) {
        // Under CI a missing shell is a failure: its completions would ship unchecked.
        if (mustWork())
          assert.fail(`${shell} not installed: ${file} cannot be checked (BUBBLE_MUST_WORK or CI)`);
        t.diagnostic(`${shell} not installed: ${file} not checked`);
        continue;
      }
      assert.equal(r.status, 0, `${shell} -n ${file}: ${r.stderr}`);
    }
  });

  test('the man page has the sections users look for, and package.json ships it', () => {
    const man = read('man/bubble.1');
    for (const s of [
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'COMMANDS',
      'OPTIONS',
      'NETWORK MODES',
      'FILES',
      'EXIT STATUS',
      'ENVIRONMENT',
      'SECURITY',
      'SEE ALSO',
    ]) {
      assert.match(man, new RegExp(`^\\.SH ${s}$`, 'm'), s);
    }
    const pkg = JSON.parse(read('package.json')) as { man: string[]; files: string[] };
    assert.deepEqual(pkg.man, ['./man/bubble.1']);
    for (const d of ['completions/', 'man/']) assert.ok(pkg.files.includes(d), d);
  });
});
