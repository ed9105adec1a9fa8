// The real Claude Code inside bubble-claude, end to end (issue 6), driven by a fake
// Anthropic API on the host's loopback (test/fixtures/fake-anthropic.ts): no internet.
//
// Claude Code is installed from npm (@anthropic-ai/claude-code, a native binary) once per
// user into os.tmpdir()/bubble-claude-cache-<uid> and reused; BUBBLE_CLAUDE_VERSION picks a
// version (default: latest, at the time the cache is made). When it cannot be installed
// the tests skip locally and fail under CI / BUBBLE_MUST_WORK.
//
// How claude is run, as a user would: `bubble-claude -p --dangerously-skip-permissions
// PROMPT` in the project, claude found on PATH, with the fake API published by the user's
// config file (`host_ports = [PORT]` in ~/.config/bubble/config.toml: bubble-claude passes
// every argument to claude, so there is no --host-port on its command line) and reached
// through ANTHROPIC_BASE_URL and a dummy ANTHROPIC_API_KEY (ANTHROPIC_* passes in the
// claude profile). --dangerously-skip-permissions: print mode has no one to ask, and the
// point of these tests is that the sandbox, not Claude Code's own permission prompts,
// stops the scripted reads and writes outside the project; it is also how bubble is meant
// to be used. (Claude Code refuses that flag as root; the tests run unprivileged.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { waitFor, waitForValue } from '../support/wait.ts';
import { bubbleClaudeBin, CANARY, makeWorld } from '../support/world.ts';
import { API_KEY, claudeSession, explain, ok, requireClaude } from '../support/claude.ts';
import { newestLog, describeLog, requireTools } from '../fixtures/net-tools/host.ts';
import { quoteArgv } from '../../src/sandbox/escape.ts';
import { FINAL_TEXT, startFakeAnthropic } from '../fixtures/fake-anthropic.ts';

test('claude -p: scripted Bash, Write and Edit change the project, and the host sees them', async (t) => {
  const bin = await requireClaude(t);
  if (bin === undefined) return;
  const s = await claudeSession(t, bin, (w) => [
    {
      text: 'Writing a file.',
      tools: [
        {
          id: 'write',
          name: 'Write',
          input: { file_path: join(w.project, 'notes.txt'), content: 'first line\nsecond line\n' },
        },
      ],
    },
    {
      tools: [
        {
          id: 'bash',
          name: 'Bash',
          input: {
            command: 'echo made-by-bash > bash.txt && cat notes.txt',
            description: 'write and read',
          },
        },
      ],
    },
    {
      tools: [
        {
          id: 'edit',
          name: 'Edit',
          input: {
            file_path: join(w.project, 'notes.txt'),
            old_string: 'second line',
            new_string: 'edited line',
          },
        },
      ],
    },
    { tools: [{ id: 'read', name: 'Read', input: { file_path: join(w.project, 'README') } }] },
  ]);
  ok(s);
  const { project } = s.world;
  assert.equal(fs.readFileSync(join(project, 'notes.txt'), 'utf8'), 'first line\nedited line\n');
  assert.equal(fs.readFileSync(join(project, 'bash.txt'), 'utf8'), 'made-by-bash\n');
  for (const id of ['write', 'bash', 'edit', 'read']) {
    assert.equal(s.api.result(id)?.isError, false, `${id}: ${explain(s)}`);
  }
  assert.match(s.api.result('bash')!.text, /first line\nsecond line/);
  assert.match(s.api.result('read')!.text, /hello/);
});

test('claude -p: reading a canary in the real home fails, and the canary never reaches the API', async (t) => {
  const bin = await requireClaude(t);
  if (bin === undefined) return;
  const s = await claudeSession(t, bin, (w) => [
    {
      tools: [
        { id: 'read-key', name: 'Read', input: { file_path: join(w.home, '.ssh/id_ed25519') } },
      ],
    },
    {
      tools: [
        { id: 'read-aws', name: 'Read', input: { file_path: join(w.home, '.aws/credentials') } },
      ],
    },
    {
      tools: [
        {
          id: 'cat',
          name: 'Bash',
          input: {
            command: `cat ${w.home}/.bashrc ~/.ssh/id_ed25519; ls -a ~; env`,
            description: 'look around',
          },
        },
      ],
    },
    {
      tools: [
        {
          id: 'find',
          name: 'Bash',
          input: {
            command: `grep -rs ${CANARY.slice(0, 12)} "$HOME" /tmp /home /root /var /run /etc 2>/dev/null | head; echo searched`,
            description: 'search',
          },
        },
      ],
    },
  ]);
  ok(s);
  const home = s.world.home;
  for (const id of ['read-key', 'read-aws']) {
    const res = s.api.result(id);
    assert.ok(res !== undefined, explain(s));
    assert.equal(res.isError, true, `${id}: ${res.text}`);
  }
  assert.match(s.api.result('cat')!.text, /No such file/, explain(s));
  assert.match(s.api.result('find')!.text, /searched/, explain(s));
  assert.ok(s.api.requests.length > 0);
  for (const req of s.api.requests) {
    assert.ok(
      !req.body.includes(CANARY),
      `the canary reached the API in ${req.method} ${req.path}`,
    );
    assert.ok(
      !JSON.stringify(req.headers).includes(CANARY),
      `the canary reached the API in a header of ${req.path}`,
    );
  }
  assert.ok(fs.readFileSync(join(home, '.ssh/id_ed25519'), 'utf8').includes(CANARY));
});

test('claude -p: writing ~/.claude/settings.json fails (Write and Bash) and the host file is unchanged', async (t) => {
  const bin = await requireClaude(t);
  if (bin === undefined) return;
  let before = '';
  const s = await claudeSession(
    t,
    bin,
    (w) => [
      {
        tools: [
          {
            id: 'write',
            name: 'Write',
            input: { file_path: join(w.home, '.claude/settings.json'), content: '{"hooks":{}}\n' },
          },
        ],
      },
      {
        tools: [
          {
            id: 'bash',
            name: 'Bash',
            input: {
              command:
                'echo "{\\"env\\":{}}" > ~/.claude/settings.json; echo "rc=$?"; ' +
                'mv ~/.claude/settings.json ~/.claude/s.bak; echo "mv=$?"; ' +
                'echo x > ~/.claude/settings.local.json; echo "local=$?"; cat ~/.claude/settings.json',
              description: 'tamper',
            },
          },
        ],
      },
    ],
    { prepare: (w) => (before = fs.readFileSync(join(w.home, '.claude/settings.json'), 'utf8')) },
  );
  ok(s);
  const home = s.world.home;
  const write = s.api.result('write');
  assert.ok(write !== undefined, explain(s));
  assert.equal(write.isError, true, write.text);
  const bash = s.api.result('bash')!.text;
  assert.match(bash, /rc=[1-9]/, bash);
  assert.match(bash, /mv=[1-9]/, bash);
  assert.match(bash, /local=[1-9]/, bash);
  assert.equal(fs.readFileSync(join(home, '.claude/settings.json'), 'utf8'), before);
  assert.ok(!fs.existsSync(join(home, '.claude/settings.local.json')));
  assert.ok(!fs.existsSync(join(home, '.claude/s.bak')));
});

test("claude -p: ~/.claude.json and the session transcript on the host hold what claude wrote; the egress log names the API; claude's exit status is bubble's", async (t) => {
  const bin = await requireClaude(t);
  if (bin === undefined) return;
  // ~/.claude.json is bound as a single file: Claude Code's write-temp-then-rename fails
  // there with EBUSY, and (2.1.x) falls back to writing the file in place, which reaches the
  // host. The debug log (in the project: /tmp and the home are the sandbox's own) says which.
  const s = await claudeSession(
    t,
    bin,
    () => [
      {
        tools: [
          {
            id: 'bash',
            name: 'Bash',
            input: { command: 'echo transcript-marker-5d1e', description: 'mark' },
          },
        ],
      },
    ],
    { args: ['-p', '--dangerously-skip-permissions', '--debug-file', 'claude-debug.log'] },
  );
  ok(s);
  const { home, project } = s.world;
  const debug = fs.existsSync(join(project, 'claude-debug.log'))
    ? fs.readFileSync(join(project, 'claude-debug.log'), 'utf8')
    : '';
  for (const line of debug
    .split('\n')
    .filter((l) => l.includes('.claude.json') && /atomic|fallback|EBUSY/i.test(l))
    .slice(0, 6)) {
    t.diagnostic(line.slice(0, 300));
  }
  const state = JSON.parse(fs.readFileSync(join(home, '.claude.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  t.diagnostic(`~/.claude.json keys: ${Object.keys(state).join(' ')}`);
  assert.equal(state['numStartups'] !== undefined, true);
  assert.equal(
    typeof state['userID'],
    'string',
    `claude's writes to ~/.claude.json were lost: ${JSON.stringify(state)}`,
  );
  const dir = join(home, '.claude/projects', project.replace(/[^A-Za-z0-9]/g, '-'));
  const transcripts = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'))
    : [];
  assert.equal(
    transcripts.length,
    1,
    `no transcript in ${dir}: ${fs.readdirSync(join(home, '.claude/projects')).join(' ')}`,
  );
  const transcript = fs.readFileSync(join(dir, transcripts[0]!), 'utf8');
  assert.match(transcript, /transcript-marker-5d1e/);
  assert.match(transcript, new RegExp(FINAL_TEXT));

  // The API key stays on the host: claude talked to bubble's reverse proxy, which added the
  // real key, and the session log has a record of each call (never the key).
  const log = newestLog(home);
  const text = fs.readFileSync(log.path, 'utf8');
  const calls = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r['type'] === 'api');
  assert.ok(
    calls.some((c) => c['path'] === '/v1/messages' && c['status'] === 200),
    `no API call in ${log.path}:\n${text}`,
  );
  assert.ok(!text.includes(API_KEY), 'the session log holds no key');
  for (const q of s.api.requests.filter((r) => r.path === '/v1/messages'))
    assert.equal(q.headers['x-api-key'], API_KEY, 'the API gets the real key');
  assert.equal(log.session?.argv?.[0], 'claude');

  // The exit status: the API refuses the key, claude -p exits 1, and bubble-claude with it.
  const failing = await claudeSession(t, bin, () => [
    { error: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' } },
  ]);
  t.diagnostic(`refused key: exit ${failing.r.code}; ${failing.r.stdout.trim().slice(0, 200)}`);
  assert.equal(failing.r.code, 1, explain(failing));
  assert.ok(
    failing.api.requests.some((r) => r.kind === 'main'),
    explain(failing),
  );
});

test('claude TUI under tmux: starts against the fake API, answers a prompt, redraws after a resize, exits cleanly', async (t) => {
  const bin = await requireClaude(t);
  if (bin === undefined) return;
  if (!requireTools(t, ['tmux'])) return;
  const world = makeWorld({ claude: true });
  t.after(() => world.cleanup());
  const api = await startFakeAnthropic([{ text: 'Hello from the scripted model, 4e1b.' }]);
  t.after(() => api.close());
  fs.mkdirSync(join(world.home, '.config/bubble'), { recursive: true });
  fs.writeFileSync(join(world.home, '.config/bubble/config.toml'), `host_ports = [${api.port}]\n`);
  // First-run state, as after an interactive first start: onboarding done, this API key
  // approved (Claude Code asks once about a key from the environment, by its last 20
  // characters), the project's trust dialog accepted.
  fs.writeFileSync(
    join(world.home, '.claude.json'),
    JSON.stringify({
      numStartups: 1,
      hasCompletedOnboarding: true,
      theme: 'dark',
      customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
      projects: {
        [world.project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true },
      },
    }),
  );
  const socket = `bubble-claude-${process.pid}`;
  const tmux = (...args: string[]): string =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  t.after(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });
  const env = Object.entries({
    ...world.env,
    PATH: `${join(bin, '..')}:${world.env['PATH']}`,
    TERM: 'xterm-256color',
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: API_KEY,
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  }).map(([k, v]) => `${k}=${v}`);
  // The exit status is printed after bubble-claude ends (tmux's pane_dead_status can lag).
  const cmd = `${quoteArgv(['env', '-i', ...env, process.execPath, bubbleClaudeBin])}; echo "exit=$?"`;
  tmux('new-session', '-d', '-s', 'cc', '-x', '80', '-y', '24', '-c', world.project, cmd);
  tmux('set-option', '-t', 'cc', 'remain-on-exit', 'on');
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'cc');
  const onScreen = (re: RegExp, what: string): Promise<string> => {
    let s = '';
    return waitForValue(
      () => ((s = screen()), re.test(s) ? s : undefined),
      () => `${what} (${re}) on the screen:\n${s}\nrequests:\n${api.describe()}`,
    );
  };
  await onScreen(/^❯/m, 'the prompt');
  tmux('send-keys', '-t', 'cc', '-l', 'Say hello');
  // Enter only once the TUI has drawn what was typed, or it may take Enter as part of a paste.
  await onScreen(/Say hello/, 'the typed prompt');
  tmux('send-keys', '-t', 'cc', 'Enter');
  await onScreen(/Hello from the scripted model, 4e1b\./, 'the answer');
  const widest = (s: string): number => Math.max(...s.split('\n').map((l) => l.trimEnd().length));
  assert.ok(widest(screen()) <= 80);
  tmux('resize-window', '-t', 'cc', '-x', '120', '-y', '30');
  let after = '';
  await waitFor(
    () => widest((after = screen())) > 80,
    () => `a redraw at 120 columns:\n${after}`,
  );
  assert.match(after, /Hello from the scripted model/);
  tmux('send-keys', '-t', 'cc', '-l', '/exit');
  await onScreen(/\/exit/, 'the typed command');
  tmux('send-keys', '-t', 'cc', 'Enter');
  const final = await onScreen(/^exit=\d+$/m, 'the exit status');
  assert.match(final, /^exit=0$/m, final);
  const log = newestLog(world.home);
  t.diagnostic(`egress: ${describeLog(log).replace(/\n/g, '; ')}`);
  // The API key stayed on the host: the calls went through bubble's reverse proxy.
  const calls = fs
    .readFileSync(log.path, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"api"'));
  assert.ok(calls.length > 0, describeLog(log));
  assert.ok(
    api.requests.some((r) => r.kind === 'main'),
    api.describe(),
  );
});
