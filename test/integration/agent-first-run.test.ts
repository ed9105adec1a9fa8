// A first bubble-claude on a machine where Claude Code never ran: ~/.claude.json does not
// exist. bubble creates it as Claude would (0600, `{}`), so what Claude writes there reaches
// the host instead of being lost with the sandbox.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { claudeSession, explain, ok, requireClaude } from '../support/claude.ts';

test('first run: ~/.claude.json is created 0600 and keeps what claude wrote', async (t) => {
  const bin = await requireClaude(t);
  if (bin === undefined) return;
  const s = await claudeSession(t, bin, () => [], {
    prepare: (w) => fs.rmSync(join(w.home, '.claude.json'), { force: true }),
  });
  ok(s);
  const file = join(s.world.home, '.claude.json');
  const st = fs.lstatSync(file);
  assert.ok(st.isFile(), explain(s));
  assert.equal(st.mode & 0o777, 0o600);
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.ok(
    'firstStartTime' in state,
    `claude's state is not on the host: ${JSON.stringify(state)}`,
  );
  assert.doesNotMatch(s.r.stderr + s.r.stdout, /configuration file not found|will not persist/);
});
