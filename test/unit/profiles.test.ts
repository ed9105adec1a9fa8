import assert from 'node:assert/strict';
import { opencodeAuthCheck } from '../../src/policy/profiles/opencode-auth.ts';
import type { StagedContent } from '../../src/policy/staged.ts';
import { describe, test } from 'node:test';
import { parseSandboxArgs } from '../../src/cli/argv.ts';
import { profileRecord, renderProfiles } from '../../src/cli/commands/profiles.ts';
import { toRequest } from '../../src/cli/commands/request.ts';
import { BubbleError } from '../../src/errors.ts';
import { parsePattern } from '../../src/net/rules.ts';
import {
  presetEndpoints,
  profileByName,
  profileForCommand,
  profiles,
} from '../../src/policy/profiles/index.ts';
import { resolvePlan } from '../../src/policy/resolve.ts';
import { withHostProxyPort } from '../../src/policy/logged-port.ts';
import { stageRules } from '../../src/sandbox/stage.ts';
import type { MountOp, Plan } from '../../src/sandbox/plan.ts';
import { debianHost, fakeFacts, runRequest as req, type FakeEntry } from '../support/fake-host.ts';
import { argvText, assertGolden } from '../support/golden.ts';

/** The last mount at exactly `dest` (the one that decides what is seen there). */
const mountAt = (plan: Plan, dest: string): MountOp | undefined =>
  plan.mounts.filter((m) => m.dest === dest).at(-1);

/** Placeholders for the agent's own paths (the project's protections are tested elsewhere). */
const agentPlaceholders = (plan: Plan): Plan['placeholders'] =>
  plan.placeholders.filter((p) => !p.path.startsWith('/home/u/src/app'));

const agentEnv = {
  HOME: '/home/u',
  PATH: '/home/u/.local/bin:/usr/bin:/bin',
  TERM: 'xterm',
  AWS_SECRET_ACCESS_KEY: 'secret',
  OPENAI_API_KEY: 'sk-o',
  OPENAI_BASE_URL: 'https://gw.example',
  CODEX_HOME: '/home/u/.codex',
  GEMINI_API_KEY: 'g',
  GOOGLE_CLOUD_PROJECT: 'p',
  GEMINI_SANDBOX: 'false',
  ANTHROPIC_API_KEY: 'sk-a',
  OPENCODE_CONFIG: '/x',
  AIDER_MODEL: 'sonnet',
  GITHUB_TOKEN: 'ghp',
};

const tool = (name: string): Record<string, FakeEntry> => ({
  [`/home/u/.local/bin/${name}`]: { type: 'file', mode: 0o755, content: '\x7fELF' },
});

describe('profiles: data', () => {
  test('names are unique, every endpoint is a valid --allow pattern, commands select their profile', () => {
    assert.deepEqual(
      profiles.map((p) => p.name),
      ['claude', 'codex', 'gemini', 'opencode', 'aider', 'generic'],
    );
    for (const p of profiles) {
      for (const e of p.endpoints) assert.equal(parsePattern(e).source, e);
      for (const c of p.commands) {
        assert.equal(profileForCommand(c).name, p.name);
        assert.equal(profileForCommand(`/opt/bin/${c}`).name, p.name);
      }
      for (const s of [...p.state, ...p.protected])
        assert.ok(!s.path.startsWith('/') && !s.path.includes('..'), `${p.name}: ${s.path}`);
    }
    assert.equal(profileForCommand('codex-wrapper').name, 'generic');
  });

  test('protected paths of an agent with state lie inside that state (so they are pinned read-only)', () => {
    for (const name of ['claude', 'codex', 'gemini']) {
      const p = profileByName(name)!;
      for (const x of p.protected)
        assert.ok(
          p.state.some((s) => x.path.startsWith(`${s.path}/`)),
          `${name}: ${x.path}`,
        );
    }
  });
});

describe('profiles: codex', () => {
  const host: Record<string, FakeEntry> = {
    ...debianHost,
    ...tool('codex'),
    '/home/u/.codex/config.toml': { type: 'file', content: 'model = "o4"\n' },
    '/home/u/.codex/prompts/review.md': { type: 'file' },
    '/home/u/.codex/sessions/2025/x.jsonl': { type: 'file' },
    '/home/u/.codex/auth.json': { type: 'file' },
    '/home/u/.codex/state_5.sqlite': { type: 'file' },
    '/home/u/.codex/state_5.sqlite-wal': { type: 'file' },
  };

  test('~/.codex by allowlist: sessions and its databases writable, config.toml, prompts and the rest read-only (golden)', () => {
    const facts = fakeFacts(host, { env: agentEnv });
    const plan = resolvePlan(facts, req(['codex', 'exec', 'fix it']));
    assertGolden('codex.argv', argvText(facts, plan));
    assert.equal(plan.profile, 'codex');
    const stage = plan.stages.find((s) => s.real === '/home/u/.codex')!;
    assert.equal(mountAt(plan, '/home/u/.codex')?.kind, 'rw');
    assert.equal((mountAt(plan, '/home/u/.codex') as { src: string }).src, stage.stage);
    assert.equal(mountAt(plan, '/home/u/.codex/config.toml')?.kind, 'ro');
    assert.equal(mountAt(plan, '/home/u/.codex/prompts')?.kind, 'ro');
    assert.equal(mountAt(plan, '/home/u/.codex/sessions')?.kind, 'rw');
    assert.equal(mountAt(plan, '/home/u/.codex/state_5.sqlite')?.kind, 'rw');
    assert.equal(mountAt(plan, '/home/u/.codex/state_5.sqlite-wal')?.kind, 'rw');
    // The database's -shm made beside it, so the host and the sandbox share it.
    assert.deepEqual(
      plan.ensureFiles.map((f) => f.path),
      ['/home/u/.codex/state_5.sqlite-shm'],
    );
    // Missing protected paths: there, empty (or their placeholder) and read-only; other
    // missing names only ever in the stage.
    assert.equal(mountAt(plan, '/home/u/.codex/rules')?.kind, 'ro');
    assert.equal(mountAt(plan, '/home/u/.codex/AGENTS.md')?.kind, 'data');
    assert.equal(mountAt(plan, '/home/u/.codex/.env'), undefined);
    assert.deepEqual(agentPlaceholders(plan), []);
    assert.deepEqual(plan.protectedExisting, []);
    assert.deepEqual(
      Object.keys(plan.env)
        .filter((k) => /OPENAI|CODEX|GEMINI|AWS|GITHUB|ANTHROPIC/.test(k))
        .sort(),
      ['CODEX_HOME', 'OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    );
    assert.equal(plan.envWhy.OPENAI_API_KEY, 'profile codex');
  });

  test('no ~/.codex yet: created on the host, nothing made in it, its protected paths read-only', () => {
    const facts = fakeFacts({ ...debianHost, ...tool('codex') }, { env: agentEnv });
    const plan = resolvePlan(facts, req(['codex']));
    assert.deepEqual(plan.ensureDirs, ['/home/u/.codex']);
    const stage = plan.stages.find((s) => s.real === '/home/u/.codex')!;
    assert.deepEqual(stage.create, []);
    assert.equal(mountAt(plan, '/home/u/.codex/AGENTS.md')?.kind, 'data');
    assert.equal(mountAt(plan, '/home/u/.codex/rules')?.kind, 'ro');
    assert.equal(agentPlaceholders(plan).length, 0);
    assert.deepEqual(plan.protectedExisting, []);
  });
});

describe('profiles: gemini', () => {
  const host: Record<string, FakeEntry> = {
    ...debianHost,
    ...tool('gemini'),
    '/home/u/.gemini/settings.json': {
      type: 'file',
      content: JSON.stringify({
        hooks: {
          BeforeTool: [
            { matcher: '*', hooks: [{ type: 'command', command: '~/.gemini/hooks/check.sh' }] },
          ],
        },
      }),
    },
    '/home/u/.gemini/hooks/check.sh': { type: 'file', mode: 0o755 },
    '/home/u/.gemini/GEMINI.md': { type: 'file' },
    '/home/u/.gemini/oauth_creds.json': { type: 'file' },
  };

  test('~/.gemini by allowlist: tmp and history writable; settings, GEMINI.md and the hook script read-only (golden)', () => {
    const facts = fakeFacts(host, { env: agentEnv });
    const plan = resolvePlan(facts, req(['gemini', '-p', 'hi']));
    assertGolden('gemini.argv', argvText(facts, plan));
    assert.equal(plan.profile, 'gemini');
    assert.equal(mountAt(plan, '/home/u/.gemini')?.kind, 'rw');
    for (const p of ['settings.json', 'GEMINI.md', 'hooks'])
      assert.equal(mountAt(plan, `/home/u/.gemini/${p}`)?.kind, 'ro', p);
    assert.equal(mountAt(plan, '/home/u/.gemini/oauth_creds.json')?.kind, 'rw');
    // tmp/ does not exist yet: made in the stage, it goes back after the session.
    assert.equal(mountAt(plan, '/home/u/.gemini/tmp'), undefined);
    assert.ok(stageRules(plan.stages[0]!.rules).some((r) => r.name === 'tmp'));
    assert.equal(mountAt(plan, '/home/u/.gemini/commands')?.kind, 'ro');
    assert.deepEqual(agentPlaceholders(plan), []);
    assert.deepEqual(
      Object.keys(plan.env)
        .filter((k) => /OPENAI|CODEX|GEMINI|GOOGLE|AWS|GITHUB|ANTHROPIC/.test(k))
        .sort(),
      ['GEMINI_API_KEY', 'GEMINI_SANDBOX', 'GOOGLE_CLOUD_PROJECT'],
    );
  });

  test('--profile gemini applies to any command', () => {
    const facts = fakeFacts(host, { env: agentEnv });
    const plan = resolvePlan(facts, req(['sh'], { profile: 'gemini' }));
    assert.equal(plan.profile, 'gemini');
    assert.equal(mountAt(plan, '/home/u/.gemini/settings.json')?.kind, 'ro');
  });
});

describe('profiles: opencode and aider', () => {
  test('opencode: both its dirs by allowlist; config, plugins, bin and its snapshot git dirs never writable from the host side', () => {
    const facts = fakeFacts(
      {
        ...debianHost,
        ...tool('opencode'),
        '/home/u/.config/opencode/opencode.json': { type: 'file' },
        '/home/u/.config/opencode/plugin/x.ts': { type: 'file' },
        '/home/u/.config/opencode/node_modules/x/index.js': { type: 'file' },
        '/home/u/.config/other/secret': { type: 'file' },
        '/home/u/.local/share/opencode/auth.json': { type: 'file' },
        '/home/u/.local/share/opencode/opencode.db': { type: 'file' },
        '/home/u/.local/share/opencode/storage/session/s.json': { type: 'file' },
        '/home/u/.local/share/opencode/snapshot/p/h/config': { type: 'file' },
        '/home/u/.local/share/opencode/bin/rg': { type: 'file' },
      },
      { env: agentEnv },
    );
    const plan = resolvePlan(facts, req(['opencode']));
    assert.equal(plan.profile, 'opencode');
    const data = '/home/u/.local/share/opencode';
    const config = '/home/u/.config/opencode';
    // Each dir is its stage; only what opencode writes is bound from the host.
    assert.equal(mountAt(plan, data)?.kind, 'rw');
    assert.equal(mountAt(plan, config)?.kind, 'rw');
    for (const p of ['opencode.db', 'opencode.db-wal', 'opencode.db-shm', 'storage'])
      assert.equal(mountAt(plan, `${data}/${p}`)?.kind, 'rw', p);
    assert.equal(mountAt(plan, `${data}/bin`)?.kind, 'ro');
    // auth.json is a copy that goes back checked; the snapshot git dirs are not shown.
    assert.equal(mountAt(plan, `${data}/auth.json`), undefined);
    assert.equal(mountAt(plan, `${data}/snapshot`), undefined);
    for (const p of ['opencode.json', 'plugin', 'node_modules'])
      assert.equal(mountAt(plan, `${config}/${p}`)?.kind, 'ro', p);
    assert.deepEqual(
      plan.stages.map((s) => s.rules),
      ['agent:opencode:.local/share/opencode', 'agent:opencode:.config/opencode'],
    );
    assert.equal(mountAt(plan, '/home/u/.config/other'), undefined);
    assert.deepEqual(agentPlaceholders(plan), []);
    assert.deepEqual(
      Object.keys(plan.env)
        .filter((k) => /OPENAI|OPENCODE|ANTHROPIC|GEMINI|AWS/.test(k))
        .sort(),
      ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OPENCODE_CONFIG'],
    );
  });

  test('aider: its config files in ~ visible read-only, ~/.aider by allowlist', () => {
    const facts = fakeFacts(
      {
        ...debianHost,
        ...tool('aider'),
        '/home/u/.aider.conf.yml': { type: 'file' },
        '/home/u/.aider.model.metadata.json': { type: 'file' },
      },
      { env: agentEnv },
    );
    const plan = resolvePlan(facts, req(['aider']));
    assert.equal(plan.profile, 'aider');
    assert.equal(mountAt(plan, '/home/u/.aider.conf.yml')?.kind, 'ro');
    assert.equal(mountAt(plan, '/home/u/.aider.model.metadata.json')?.kind, 'ro');
    assert.equal(mountAt(plan, '/home/u/.aider.model.settings.yml'), undefined);
    // Only ~/.aider's stage is writable in ~ (made on the host when missing, as aider does).
    assert.deepEqual(
      plan.mounts
        .filter(
          (m) =>
            m.kind === 'rw' &&
            m.dest.startsWith('/home/u/') &&
            !m.dest.startsWith('/home/u/src/app'),
        )
        .map((m) => m.dest),
      ['/home/u/.aider'],
    );
    assert.deepEqual(plan.ensureDirs, ['/home/u/.aider']);
    assert.deepEqual(
      stageRules(plan.stages[0]!.rules).map((r) => r.name),
      ['analytics.json', 'installs.json', 'caches'],
    );
    assert.deepEqual(
      Object.keys(plan.env)
        .filter((k) => /OPENAI|AIDER|ANTHROPIC|GEMINI|AWS/.test(k))
        .sort(),
      ['AIDER_MODEL', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
    );
  });
});

describe('--allow-preset', () => {
  test('adds exactly the profile endpoints as allow rules, after --allow, without repeats', () => {
    const r = toRequest(
      parseSandboxArgs(
        [
          '--allow',
          'example.com',
          '--allow-preset',
          'codex',
          '--allow-preset',
          'opencode',
          '--',
          'codex',
        ],
        'run',
      ),
    );
    assert.deepEqual(r.allow, [
      'example.com',
      'api.openai.com',
      'auth.openai.com',
      'chatgpt.com',
      'api.anthropic.com',
      'opencode.ai',
      'models.dev',
    ]);
    assert.deepEqual(
      toRequest(parseSandboxArgs(['--allow-preset', 'claude', 'claude'], 'run')).allow,
      profileByName('claude')!.endpoints,
    );
  });

  test('reaches the plan as allow rules', () => {
    const facts = fakeFacts({ ...debianHost, ...tool('gemini') }, { env: agentEnv });
    const r = toRequest(
      parseSandboxArgs(['--net', 'logged', '--allow-preset', 'gemini', 'gemini'], 'run'),
    );
    const plan = withHostProxyPort(resolvePlan(facts, r), 4000);
    assert.deepEqual(plan.net.allow, profileByName('gemini')!.endpoints);
  });

  test('unknown profile, a profile without endpoints, and --net host are usage errors', () => {
    const usage = (words: string[], re: RegExp): void => {
      assert.throws(
        () => toRequest(parseSandboxArgs(words, 'run')),
        (e: unknown) =>
          e instanceof BubbleError && e.code === 'USAGE' && e.exitCode === 2 && re.test(e.message),
      );
    };
    usage(['--allow-preset', 'cladue', 'claude'], /no such profile/);
    usage(['--allow-preset', 'generic', 'sh'], /names no endpoints/);
    usage(['--net', 'host', '--allow-preset', 'claude', 'claude'], /need the proxy/);
    assert.deepEqual(presetEndpoints([]), []);
  });
});

describe('bubble profiles', () => {
  test('text lists each profile with commands, writable, read-only, env and endpoints', () => {
    const text = renderProfiles(profiles);
    for (const p of profiles) assert.match(text, new RegExp(`^${p.name}: `, 'm'));
    assert.match(
      text,
      /codex: [^\n]*\n {2}commands {3}codex\n {2}writable {3}~\/\.codex\/sessions\/,[\s\S]*\n {2}read-only {2}~\/\.codex\/config\.toml,[\s\S]*everything else in ~\/\.codex\//,
    );
    assert.match(text, /OPENAI_API_KEY, OPENAI_BASE_URL, CODEX_\*/);
    assert.match(text, /--allow-preset gemini allows exactly these/);
    assert.match(text, /api keys {3}[^\n]*kept outside/);
    assert.ok(
      text.split('\n').every((l) => l.length <= 96 || /^\w+: /.test(l)),
      'wrapped',
    );
  });

  test('JSON record', () => {
    assert.deepEqual(profileRecord(profileByName('opencode')!), {
      name: 'opencode',
      summary: profileByName('opencode')!.summary,
      commands: ['opencode'],
      writable: [
        '~/.local/share/opencode/ (sessions, messages (SQLite))',
        '~/.local/share/opencode/storage/',
        '~/.local/share/opencode/log/',
        '~/.local/share/opencode/tool-output/',
        '~/.local/share/opencode/plans/',
        '~/.local/share/opencode/mcp-auth.json',
        '~/.local/share/opencode/auth.json',
      ],
      protected: [
        'everything else in ~/.local/share/opencode/ (no new names)',
        'everything else in ~/.config/opencode/ (no new names)',
      ],
      scriptRefs: [],
      env: { names: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'], prefixes: ['OPENCODE_*'] },
      endpoints: ['api.anthropic.com', 'api.openai.com', 'opencode.ai', 'models.dev'],
      credentials: profileByName('opencode')!.credentials,
    });
  });
});

describe("opencode's auth.json write-back check", () => {
  const file = (v: unknown): StagedContent => ({
    type: 'file',
    bytes: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
  });
  const oauth = { type: 'oauth', refresh: 'r', access: 'a', expires: 1 };
  test('new tokens, a new login and a removed one go back', () => {
    const before = file({ anthropic: oauth, old: { type: 'api', key: 'k' } });
    assert.equal(
      opencodeAuthCheck(
        file({ anthropic: { ...oauth, access: 'a2' }, openai: { type: 'api', key: 'k' } }),
        before,
      ),
      undefined,
    );
    assert.equal(opencodeAuthCheck(file({ anthropic: oauth }), null), undefined);
  });
  test('a well-known login, a changed URL, or what is not a JSON object stays aside', () => {
    const before = file({
      anthropic: oauth,
      'https://corp.example': { type: 'wellknown', key: 'K', token: 't' },
    });
    for (const [now, re] of [
      [
        { anthropic: oauth, 'https://evil.example': { type: 'wellknown', key: 'K', token: 't' } },
        /well-known/,
      ],
      [
        {
          anthropic: oauth,
          'https://corp.example': { type: 'wellknown', key: 'PATH', token: 't' },
        },
        /well-known/,
      ],
      [{ anthropic: { ...oauth, enterpriseUrl: 'https://evil.example' } }, /enterpriseUrl/],
      [
        { anthropic: oauth, openai: { type: 'api', key: 'k', baseURL: 'https://evil.example' } },
        /baseURL/,
      ],
      ['[1]', /not a JSON object/],
      ['{', /not a JSON object/],
    ] as const)
      assert.match(opencodeAuthCheck(file(now), before) ?? 'went back', re, JSON.stringify(now));
  });
});

describe('logged mode: the proxy port added after the plan', () => {
  test('reaches the proxy variables, the base URLs in env and argv, and the user JVM options', () => {
    const facts = fakeFacts({ ...debianHost, ...tool('codex') }, { env: agentEnv });
    const request = {
      ...toRequest(parseSandboxArgs(['--net', 'logged', 'codex', 'exec', 'hi'], 'run')),
      env: ['JAVA_TOOL_OPTIONS=-Xmx1g'],
    };
    const portless = resolvePlan(facts, request);
    const plan = withHostProxyPort(portless, 40123);
    const base = 'http://127.0.0.1:40123/openai';
    assert.equal(plan.net.proxyPort, 40123);
    assert.equal(plan.env.HTTPS_PROXY, 'http://127.0.0.1:40123');
    assert.match(plan.env.JAVA_TOOL_OPTIONS!, /^-Dhttp\.proxyHost=127\.0\.0\.1 .* -Xmx1g$/);
    assert.ok(plan.env.OPENAI_BASE_URL!.startsWith(base), plan.env.OPENAI_BASE_URL);
    assert.ok(plan.credentials.injected.every((i) => i.insideBase.startsWith(base)));
    assert.ok(
      plan.argv.some((a) => a.includes(base)),
      plan.argv.join(' '),
    );
    assert.deepEqual(plan.argv.slice(-2), ['exec', 'hi']);
    assert.ok(!JSON.stringify(plan).includes('127.0.0.1:0/'), 'no unknown port left');
    // Nothing else depends on the port.
    assert.deepEqual(plan.mounts, portless.mounts);
    assert.deepEqual(plan.wrapper, portless.wrapper);
  });
});
