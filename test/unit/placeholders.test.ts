// Placeholder claims between sessions: what a session's plan saw may have changed by the
// time it takes the lock (another session created, removed or died), and what it relies on
// must exist and be claimed by it before its bwrap mounts anything.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { claimPlaceholders, reap, releasePlaceholders } from '../../src/sandbox/placeholders.ts';
import type { Placeholder } from '../../src/sandbox/plan.ts';

function world(t: { after: (fn: () => void) => void }): { project: string; journals: string } {
  const root = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'bubble-ph-')));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(join(root, 'project'));
  return { project: join(root, 'project'), journals: join(root, 'journals') };
}

/** A journal of a session that is not running (no process has pid 0's start time). */
function deadJournal(journals: string, paths: Placeholder[]): void {
  fs.mkdirSync(journals, { recursive: true });
  fs.writeFileSync(
    join(journals, '4194304.json'),
    JSON.stringify({ pid: 4194304, start: 'x', paths }),
  );
}

const ours = (journal: string): string[] =>
  (JSON.parse(fs.readFileSync(journal, 'utf8')) as { paths: Placeholder[] }).paths.map(
    (p) => p.path,
  );

test('a protected path removed after the plan saw it is created again, with its directory, as ours', async (t) => {
  const { project, journals } = world(t);
  // The plan saw .claude/settings.json (another session's placeholder, since removed).
  const settings = join(project, '.claude', 'settings.json');
  const claim = claimPlaceholders(
    journals,
    [],
    [{ path: settings, type: 'file', anchor: project }],
  );
  assert.equal(fs.statSync(settings).isFile(), true);
  assert.deepEqual(ours(claim.journal), [join(project, '.claude'), settings]);
  await releasePlaceholders(claim);
  assert.deepEqual(fs.readdirSync(project), []);
});

test("a dead session's placeholder the plan relies on is claimed: sweeping the dead session leaves it", async (t) => {
  const { project, journals } = world(t);
  const vscode = join(project, '.vscode');
  fs.mkdirSync(vscode);
  deadJournal(journals, [{ path: vscode, type: 'dir', anchor: project }]);
  const claim = claimPlaceholders(journals, [], [{ path: vscode, type: 'dir', anchor: project }]);
  reap(journals);
  assert.equal(fs.existsSync(vscode), true, 'removed while a live session relies on it');
  assert.deepEqual(ours(claim.journal), [vscode]);
  await releasePlaceholders(claim);
  assert.equal(fs.existsSync(vscode), false);
});

test('a planned placeholder a session created meanwhile is shared; one made by someone else is refused', async (t) => {
  const { project, journals } = world(t);
  const envrc = join(project, '.envrc');
  fs.writeFileSync(envrc, '');
  deadJournal(journals, [{ path: envrc, type: 'file', anchor: project }]);
  const claim = claimPlaceholders(journals, [{ path: envrc, type: 'file', anchor: project }], []);
  assert.deepEqual(ours(claim.journal), [envrc]);
  await releasePlaceholders(claim);
  assert.equal(fs.existsSync(envrc), false);
  reap(journals); // the dead session is swept

  fs.writeFileSync(envrc, 'use nix\n'); // the user's, made after the plan looked
  assert.throws(
    () => claimPlaceholders(journals, [{ path: envrc, type: 'file', anchor: project }], []),
    { code: 'EEXIST' },
  );
  assert.equal(fs.readFileSync(envrc, 'utf8'), 'use nix\n');
});
