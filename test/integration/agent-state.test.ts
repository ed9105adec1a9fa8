// The agent's own state dir is written by allowlist (issue 9, section 4): from inside, try
// to create or change every class of file the agent reads as configuration, in each
// agent's home (existing and missing, files and dirs, brand-new names beside the
// allowlist, a replace by rename), then check the HOST's files. What the agent really
// writes (transcripts, sessions, its databases, prompt history) must reach the host.

import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import { waitFor } from '../support/wait.ts';
import { makeWorld, sandboxSh } from '../support/world.ts';

interface Case {
  profile: string;
  dir: string;
  /** Host files made before the session (relative to the state dir). */
  host: Record<string, string>;
  /** Each must stay as it was on the host (absent ones absent). */
  attacked: string[];
  /** Each must reach the host with the marker. */
  allowed: string[];
  /** Made inside, never on the host, never reported. */
  scratch: string[];
}

const cases: Case[] = [
  {
    profile: 'claude',
    dir: '.claude',
    host: {
      'settings.json': '{}\n',
      'statusline.sh': '#!/bin/sh\necho status\n',
      'commands/review.md': 'review\n',
      'ide/1234.lock': '{"port":1234}\n',
      'local/claude': '#!/bin/sh\n',
      'projects/old/t.jsonl': '{}\n',
    },
    attacked: [
      'settings.json',
      'settings.local.json',
      'statusline.sh',
      'CLAUDE.md',
      '.config.json',
      'keybindings.json',
      'commands/review.md',
      'commands/new.md',
      'agents/a.md',
      'skills/s/SKILL.md',
      'hooks/h.sh',
      'plugins/p/hooks.json',
      'rules/r.md',
      'workflows/w.md',
      'jobs/j.json',
      'ide/1234.lock',
      'ide/9999.lock',
      'local/claude',
      'memory/m.md',
      'evil.json',
      'new-dir/x',
    ],
    allowed: ['projects/p/t.jsonl', 'projects/old/t.jsonl', 'todos/t.json', 'history.jsonl'],
    scratch: ['.update.lock'],
  },
  {
    profile: 'codex',
    dir: '.codex',
    host: {
      'config.toml': 'model = "x"\n',
      'skills/mine/SKILL.md': 'mine\n',
      'sessions/old.jsonl': '{}\n',
    },
    attacked: [
      'config.toml',
      'work.config.toml',
      '.env',
      'hooks.json',
      'hooks/h.sh',
      'AGENTS.md',
      'AGENTS.override.md',
      'rules/default.rules',
      'prompts/p.md',
      'agents/a.toml',
      'skills/mine/SKILL.md',
      'skills/new/SKILL.md',
      'plugins/p/plugin.json',
      'memories/m.md',
      'evil.toml',
      'new-dir/x',
    ],
    allowed: ['sessions/2026/t.jsonl', 'sessions/old.jsonl', 'state_5.sqlite', 'history.jsonl'],
    scratch: ['.tmp/plugins/p.json', 'models_cache.json'],
  },
  {
    profile: 'gemini',
    dir: '.gemini',
    host: {
      'settings.json': '{}\n',
      'commands/c.toml': 'prompt = "x"\n',
      'tmp/old/chat.json': '{}\n',
    },
    attacked: [
      'settings.json',
      'GEMINI.md',
      '.env',
      'trustedFolders.json',
      'trusted_hooks.json',
      'commands/c.toml',
      'commands/new.toml',
      'extensions/e/gemini-extension.json',
      'skills/s/SKILL.md',
      'agents/a.md',
      'policies/p.toml',
      'evil.json',
      'new-dir/x',
    ],
    allowed: [
      'tmp/p/chat.json',
      'tmp/old/chat.json',
      'history/p/h',
      'installation_id',
      'projects.json',
    ],
    scratch: [],
  },
  {
    profile: 'opencode',
    dir: '.local/share/opencode',
    host: {
      'auth.json': '{"anthropic":{"type":"api","key":"k"}}\n',
      'snapshot/p/h/config': '[core]\n\tfsmonitor = false\n',
      'bin/rg': '#!/bin/sh\n',
      'storage/session/old.json': '{}\n',
    },
    attacked: [
      'auth.json',
      'snapshot/p/h/config',
      'snapshot/p/h/hooks/post-checkout',
      'bin/rg',
      'bin/new-lsp',
      'repos/r/config',
      'worktree/p/w/.git',
      'evil.json',
      'new-dir/x',
    ],
    allowed: [
      'opencode.db',
      'opencode.db-wal',
      'storage/session/p/s.json',
      'storage/session/old.json',
      'log/x.log',
      'tool-output/tool_1',
    ],
    scratch: ['snapshot/q/h/objects/x', 'models.json'],
  },
  {
    profile: 'opencode',
    dir: '.config/opencode',
    host: {
      'opencode.json': '{}\n',
      'plugin/p.ts': 'export {}\n',
      'node_modules/x/index.js': 'ok\n',
      'package.json': '{}\n',
    },
    attacked: [
      'opencode.json',
      'opencode.jsonc',
      'config.json',
      'tui.json',
      'AGENTS.md',
      'agent/a.md',
      'command/c.md',
      'mode/m.md',
      'plugin/p.ts',
      'plugins/q.ts',
      'tool/t.ts',
      'skills/s/SKILL.md',
      'node_modules/x/index.js',
      'package.json',
      'evil.json',
      'new-dir/x',
    ],
    allowed: [],
    scratch: ['bun.lock', '.gitignore'],
  },
  {
    profile: 'aider',
    dir: '.aider',
    host: {
      'oauth-keys.env': 'OPENROUTER_API_KEY=k\n',
      'caches/model_prices.json': '{}\n',
    },
    attacked: ['oauth-keys.env', 'caches/model_prices.json', 'evil.json', 'new-dir/x'],
    allowed: ['analytics.json', 'installs.json'],
    scratch: ['caches/versioncheck'],
  },
];

const MARK = 'PLANTED-by-the-sandbox';

for (const c of cases) {
  test(`${c.profile}: ~/${c.dir} is written by allowlist; what shapes the agent stays as it was on the host`, async (t) => {
    if (!(await requireBwrap(t))) return;
    const world = makeWorld();
    t.after(() => world.cleanup());
    const dir = join(world.home, c.dir);
    for (const [rel, content] of Object.entries(c.host)) {
      fs.mkdirSync(join(dir, rel, '..'), { recursive: true });
      fs.writeFileSync(join(dir, rel), content);
    }
    const q = (rel: string): string => `"$HOME/${c.dir}/${rel}"`;
    // Every way to put a file there: append, create with its directory, replace by rename.
    const attempt = (rel: string): string =>
      `mkdir -p "$(dirname ${q(rel)})" 2>/dev/null; echo ${MARK} >> ${q(rel)} 2>/dev/null; ` +
      `echo ${MARK} > "$HOME/${c.dir}/.x" 2>/dev/null && mv -f "$HOME/${c.dir}/.x" ${q(rel)} 2>/dev/null; ` +
      `grep -q ${MARK} ${q(rel)} 2>/dev/null && echo "inside-written ${rel}"`;
    const script = [...c.attacked, ...c.allowed, ...c.scratch].map(attempt).join('\n');
    const r = await sandboxSh(world, script, ['--profile', c.profile], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const rel of c.allowed) {
      assert.match(r.stdout, new RegExp(`inside-written ${rel}\\n`), `${rel} writable inside`);
      const host = join(dir, rel);
      assert.ok(fs.existsSync(host), `${rel} reached the host\n${r.stderr}`);
      assert.match(fs.readFileSync(host, 'utf8'), new RegExp(MARK), rel);
    }
    for (const rel of c.attacked) {
      const host = join(dir, rel);
      const before = c.host[rel];
      if (before === undefined)
        assert.ok(!fs.existsSync(host), `${rel} must not appear on the host\n${r.stderr}`);
      else assert.equal(fs.readFileSync(host, 'utf8'), before, `${rel} unchanged on the host`);
    }
    for (const rel of c.scratch) {
      assert.ok(!fs.existsSync(join(dir, rel)), `scratch ${rel} stays in the stage`);
      assert.ok(!r.stderr.includes(rel.split('/')[0]!), `scratch ${rel} is not reported`);
    }
    // What was made beside the allowlist is named in the report (set aside, not lost).
    assert.match(r.stderr, /set aside/);
    assert.match(r.stderr, new RegExp(`${c.dir.replace('.', '\\.')}/evil\\.`));
    assert.match(r.stderr, new RegExp(`${c.dir.replace('.', '\\.')}/new-dir`));
  });
}

test("opencode's auth.json goes back with new tokens, never with a well-known login or a new baseURL", async (t) => {
  if (!(await requireBwrap(t))) return;
  const world = makeWorld();
  t.after(() => world.cleanup());
  const auth = join(world.home, '.local/share/opencode/auth.json');
  fs.mkdirSync(join(auth, '..'), { recursive: true });
  fs.writeFileSync(
    auth,
    '{"anthropic":{"type":"oauth","refresh":"r1","access":"a1","expires":1}}\n',
  );
  // What opencode does on a refresh: the same entry, new tokens, written in place.
  const edit = (js: string): string =>
    `node -e 'const f=process.env.HOME+"/.local/share/opencode/auth.json",a=JSON.parse(require("fs").readFileSync(f));${js};require("fs").writeFileSync(f,JSON.stringify(a))' && echo edited`;
  const refresh = await sandboxSh(world, edit('a.anthropic.access="a2";a.anthropic.expires=2'), [
    '--profile',
    'opencode',
  ]);
  assert.match(refresh.stdout, /edited/, refresh.stderr);
  const after = JSON.parse(fs.readFileSync(auth, 'utf8')) as { anthropic: { access: string } };
  assert.equal(after.anthropic.access, 'a2');
  const before = fs.readFileSync(auth, 'utf8');
  for (const plant of [
    'a["https://evil.example"]={type:"wellknown",key:"K",token:"t"}',
    'a.anthropic.enterpriseUrl="https://evil.example"',
    'a.openai={type:"api",key:"k",baseURL:"https://evil.example"}',
  ]) {
    const r = await sandboxSh(world, edit(plant), ['--profile', 'opencode']);
    assert.match(r.stdout, /edited/, r.stderr);
    assert.equal(fs.readFileSync(auth, 'utf8'), before, plant);
    assert.match(r.stderr, /\.local\/share\/opencode\/auth\.json: entry /, plant);
  }
});

test('the host replaces protected files by rename during the session: the staged home holds, a single-file mount is reported', async (t) => {
  if (!(await requireBwrap(t))) return;
  const world = makeWorld({ claude: true });
  t.after(() => world.cleanup());
  const homeSettings = join(world.home, '.claude', 'settings.json');
  const projectSettings = join(world.project, '.claude', 'settings.json');
  fs.mkdirSync(join(world.project, '.claude'));
  fs.writeFileSync(projectSettings, '{}\n');
  const fifo = join(world.project, 'go.fifo');
  const ready = join(world.project, 'ready');
  spawnSync('mkfifo', [fifo]);
  // Inside: say it is ready, wait for the host's rename, then try both files.
  const script =
    `echo > ready; read go < go.fifo; ` +
    `echo '{"hooks":"${MARK}"}' > "$HOME/.claude/settings.json" 2>/dev/null && echo home-written; ` +
    `echo '{"hooks":"${MARK}"}' > .claude/settings.json 2>/dev/null && echo project-written; true`;
  const running = sandboxSh(world, script, ['--profile', 'claude'], { timeoutMs: 60_000 });
  await waitFor(() => fs.existsSync(ready), 'the sandbox is ready');
  // What an editor or `claude` on the host does when it saves: a new file renamed over.
  for (const p of [homeSettings, projectSettings]) {
    fs.writeFileSync(`${p}.new`, '{"host":"edit"}\n');
    fs.renameSync(`${p}.new`, p);
  }
  fs.writeFileSync(fifo, 'go\n');
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  // The home is staged: its read-only mount sat in bubble's stage and held.
  assert.doesNotMatch(r.stdout, /home-written/);
  assert.equal(fs.readFileSync(homeSettings, 'utf8'), '{"host":"edit"}\n');
  // The project file's single-file mount went with the old file: whatever happened after,
  // the user is told, naming it.
  assert.match(r.stderr, /replaced on the host during the session.*\.claude\/settings\.json/);
});
