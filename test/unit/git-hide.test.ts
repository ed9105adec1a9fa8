// Placeholders hidden from host git in .git/info/exclude: the file is edited in place, since
// other sessions mount it read-only and a starting one holds it open for bwrap's
// --ro-bind-fd (a replaced file fails that start: "Race condition binding dirfd").

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hidePlaceholders, unhidePlaceholders } from '../../src/sandbox/git-hide.ts';

function project(t: { after: (fn: () => void) => void }): { dir: string; exclude: string } {
  const dir = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'bubble-hide-')));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(join(dir, '.git', 'info'), { recursive: true });
  const exclude = join(dir, '.git', 'info', 'exclude');
  fs.writeFileSync(exclude, "# the user's own\n*.log\n");
  return { dir, exclude };
}

test('hiding and unhiding edit .git/info/exclude in place, and leave it as it was', (t) => {
  const { dir, exclude } = project(t);
  const { ino } = fs.statSync(exclude);
  assert.equal(hidePlaceholders(dir, 'a', [join(dir, '.envrc'), join(dir, '.mcp.json')]), true);
  assert.equal(hidePlaceholders(dir, 'b', [join(dir, '.envrc')]), true);
  assert.match(fs.readFileSync(exclude, 'utf8'), /^\/\.envrc$/m);
  unhidePlaceholders(dir, 'a');
  const left = fs.readFileSync(exclude, 'utf8');
  assert.doesNotMatch(left, /bubble a:|\.mcp\.json/);
  assert.match(left, /bubble b:/);
  unhidePlaceholders(dir, 'b');
  assert.equal(fs.readFileSync(exclude, 'utf8'), "# the user's own\n*.log\n");
  assert.equal(fs.statSync(exclude).ino, ino, 'the file was replaced');
});

test('an exclude file with another name (a hard link) is left alone', (t) => {
  const { dir, exclude } = project(t);
  fs.linkSync(exclude, join(dir, 'other-name'));
  assert.equal(hidePlaceholders(dir, 'a', [join(dir, '.envrc')]), false);
  assert.equal(fs.readFileSync(join(dir, 'other-name'), 'utf8'), "# the user's own\n*.log\n");
});
