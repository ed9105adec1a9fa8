// The agents' own sandboxes inside bubble (src/policy/inner-sandbox.ts): with Claude Code's
// sandbox on in the user's settings, its Bash tool would start a bwrap that cannot make a user
// namespace inside bubble, so every call would fail. bubble switches it off through Claude's
// own --settings flag: the call works, the user's settings file is untouched, the home
// canary stays out of reach, and the user is told in one line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { CANARY } from '../support/world.ts';
import { claudeSession, explain, ok, requireClaude } from '../support/claude.ts';

const SETTINGS = '{\n  "sandbox": { "enabled": true, "autoAllowBashIfSandboxed": true }\n}\n';

test("claude -p with sandbox.enabled in the user's settings: Bash works, stays confined, settings unchanged", async (t) => {
  const bin = await requireClaude(t);
  if (bin === undefined) return;
  let settingsPath = '';
  const s = await claudeSession(
    t,
    bin,
    (w) => [
      {
        tools: [
          {
            id: 'bash',
            name: 'Bash',
            input: {
              command: `echo inner-ok > bash.txt; cat ${w.home}/.bashrc; echo status=$?`,
              description: 'write in the project, read the home',
            },
          },
        ],
      },
    ],
    {
      prepare: (w) => {
        settingsPath = join(w.home, '.claude/settings.json');
        fs.mkdirSync(join(w.home, '.claude'), { recursive: true });
        fs.writeFileSync(settingsPath, SETTINGS);
      },
    },
  );
  ok(s);
  const bash = s.api.result('bash');
  assert.equal(bash?.isError, false, explain(s));
  assert.doesNotMatch(bash.text, /bwrap|namespace/, explain(s));
  assert.match(bash.text, /status=1/, explain(s));
  assert.equal(fs.readFileSync(join(s.world.project, 'bash.txt'), 'utf8'), 'inner-ok\n');
  for (const req of s.api.requests)
    assert.ok(!req.body.includes(CANARY), 'the canary reached the API');
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), SETTINGS, "the user's settings changed");
  const notices = s.r.stderr.split('\n').filter((l) => /Claude Code's own sandbox/.test(l));
  assert.equal(notices.length, 1, s.r.stderr);
});
