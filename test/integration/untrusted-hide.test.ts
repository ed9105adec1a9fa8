// "hide" from an untrusted project file is tightening only inside the project: hiding the
// agent's settings (the user's deny rules and hooks) or an administrator's file under /etc
// would loosen the sandbox. A hostile repository tries both, directly and through a link.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, runBubble } from '../support/world.ts';

const ETC_FILE = '/etc/hostname';

test('an untrusted project cannot hide files outside itself, and says so in one line', async (t) => {
  if (!(await requireBwrap(t))) return;
  const w = makeWorld({ claude: true });
  try {
    w.env.XDG_CONFIG_HOME = join(w.home, '.config');
    w.env.XDG_STATE_HOME = join(w.home, '.local', 'state');
    const settings = join(w.home, '.claude', 'settings.json');
    fs.writeFileSync(settings, JSON.stringify({ permissions: { deny: ['Bash(curl:*)'] } }));
    const settingsBefore = fs.readFileSync(settings, 'utf8');
    fs.symlinkSync(settings, join(w.project, 'settings-link'));
    fs.mkdirSync(join(w.project, 'linkdir-parent'));
    fs.symlinkSync(join(w.home, '.claude'), join(w.project, 'linkdir-parent', 'claude'));
    fs.writeFileSync(join(w.project, 'private.txt'), 'project-private\n');
    fs.writeFileSync(
      join(w.project, '.bubble.toml'),
      [
        'hide = [',
        '  "~/.claude/settings.json",',
        `  "${ETC_FILE}",`,
        '  "/etc/claude-code/managed-settings.json",',
        '  "settings-link",',
        '  "linkdir-parent/claude/settings.json",',
        '  "private.txt",',
        ']',
      ].join('\n') + '\n',
    );
    const etcOnHost = fs.readFileSync(ETC_FILE, 'utf8');
    const r = await runBubble(w, [
      'run',
      '--profile',
      'claude',
      '--',
      'sh',
      '-c',
      `cat "$HOME/.claude/settings.json"; echo; cat ${ETC_FILE}; cat settings-link; echo; cat private.txt 2>/dev/null; echo end`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    // The agent still sees the user's settings (directly and through the links) and /etc.
    assert.equal(out.split('Bash(curl:*)').length - 1, 2, `settings hidden inside: ${out}`);
    assert.ok(out.includes(etcOnHost.trim()), `${ETC_FILE} hidden inside: ${out}`);
    // What lies inside the project is hidden, as asked.
    assert.doesNotMatch(out, /project-private/);
    // One line names every refused entry.
    const lines = r.stderr.split('\n').filter((l) => /is not trusted/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    for (const p of [
      '~/.claude/settings.json',
      ETC_FILE,
      '/etc/claude-code/managed-settings.json',
      'settings-link',
      'linkdir-parent/claude/settings.json',
    ])
      assert.ok(lines[0]!.includes(`hide = "${p}"`), `${p} not named: ${lines[0]}`);
    assert.ok(!lines[0]!.includes('private.txt'), lines[0]);
    // The host: the settings file is as it was.
    assert.equal(fs.readFileSync(settings, 'utf8'), settingsBefore);
  } finally {
    w.cleanup();
  }
});
