// Model API credentials never enter the sandbox: bubble's reverse proxy on the host adds
// them. Each test runs the real bwrap as an unprivileged user with a stand-in API on the
// host's loopback (the host's ANTHROPIC_BASE_URL, as a user with a local gateway has), looks
// for the secret everywhere it could be from inside (environment of every process, command
// lines, the files the agent has), and checks on the host side what the API received.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, sandboxSh, type World } from '../support/world.ts';
import { newestLog, requireTools } from '../fixtures/net-tools/host.ts';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.ts';

const REAL_KEY = 'sk-ant-api03-REAL-key-7d1e0b-must-stay-on-the-host';
const REAL_ACCESS = 'sk-ant-oat01-REAL-access-4c2a91-must-stay-on-the-host';
const REAL_REFRESH = 'sk-ant-ort01-REAL-refresh-9f3b77-must-stay-on-the-host';
const NEW_ACCESS = 'sk-ant-oat01-NEW-access-after-refresh-1a2b3c';
const NEW_REFRESH = 'sk-ant-ort01-NEW-refresh-after-refresh-4d5e6f';
const SECRETS = [REAL_KEY, REAL_ACCESS, REAL_REFRESH, NEW_ACCESS, NEW_REFRESH];

/** Everything an agent could look at for a key: its variables, every process's, its files. */
const LOOK_EVERYWHERE = `
echo "base=$ANTHROPIC_BASE_URL key=$ANTHROPIC_API_KEY token=$ANTHROPIC_AUTH_TOKEN"
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < "$f" 2>/dev/null; done
cat ~/.claude/.credentials.json 2>/dev/null
grep -rsa -e REAL -e NEW "$HOME" /tmp /run /etc/claude-code 2>/dev/null | head -20
echo looked
`;

/** A messages request the way the SDK makes one, with whatever key the sandbox has. */
function messages(auth: string): string {
  return (
    `curl -sS -w ' status=%{http_code}\\n' -X POST "$ANTHROPIC_BASE_URL/v1/messages" ${auth} ` +
    `-H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' ` +
    `-d '{"model":"claude-test","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'`
  );
}

async function setup(t: TestContext): Promise<{ world: World; api: FakeAnthropic } | undefined> {
  if (!(await requireBwrap(t))) return undefined;
  if (!requireTools(t, ['curl'])) return undefined;
  const world = makeWorld({ claude: true });
  t.after(() => world.cleanup());
  const api = await startFakeAnthropic([]);
  t.after(() => api.close());
  return { world, api };
}

function noSecret(text: string, where: string): void {
  for (const s of SECRETS)
    assert.ok(!text.includes(s), `${where} holds a secret (${s.slice(0, 20)}...):\n${text}`);
}

function apiRecords(home: string): Record<string, unknown>[] {
  const log = newestLog(home);
  return fs
    .readFileSync(log.path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r['type'] === 'api');
}

test('an API key on the host: the sandbox holds a placeholder, the API receives the real key, the log a record', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { world, api } = s;
  const r = await sandboxSh(
    world,
    `${LOOK_EVERYWHERE}\n${messages('-H "x-api-key: $ANTHROPIC_API_KEY"')}`,
    ['--profile', 'claude'],
    { env: { ANTHROPIC_API_KEY: REAL_KEY, ANTHROPIC_BASE_URL: api.url }, timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /looked/);
  noSecret(r.stdout + r.stderr, 'the sandbox');
  assert.match(
    r.stdout,
    /base=http:\/\/127\.0\.0\.1:\d+\/anthropic key=sk-ant-api03-bubble-placeholder/,
  );
  assert.match(r.stdout, / status=200/, r.stdout);
  const sent = api.requests.filter((q) => q.path === '/v1/messages');
  assert.equal(sent.length, 1, api.describe());
  assert.equal(sent[0]!.headers['x-api-key'], REAL_KEY, 'the API gets the real key');
  assert.equal(sent[0]!.headers['authorization'], undefined);
  const calls = apiRecords(world.home);
  assert.deepEqual(
    calls.map((c) => [c['api'], c['method'], c['path'], c['status']]),
    [['anthropic', 'POST', '/v1/messages', 200]],
  );
  noSecret(fs.readFileSync(newestLog(world.home).path, 'utf8'), 'the session log');
});

test('only the API routes pass: account and key-minting paths, path tricks and other prefixes are refused before the API', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { world, api } = s;
  const paths = [
    '/api/oauth/claude_cli/create_api_key',
    '/api/oauth/profile',
    '/v1/organizations/me',
    '/v1/messages/../../api/oauth/profile',
    '/v1/messages%2f..%2f..%2fapi',
  ];
  const script = paths
    .map(
      (p) =>
        `curl -sS --path-as-is -o /dev/null -w '${p} %{http_code}\\n' -X POST "$ANTHROPIC_BASE_URL${p}" -d x`,
    )
    .join('\n');
  const r = await sandboxSh(
    world,
    `${script}\ncurl -sS -w ' other=%{http_code}\\n' "http://127.0.0.1:\${ANTHROPIC_BASE_URL##*:}" | tail -c 300`,
    ['--profile', 'claude'],
    { env: { ANTHROPIC_API_KEY: REAL_KEY, ANTHROPIC_BASE_URL: api.url }, timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  for (const p of paths)
    assert.match(r.stdout, new RegExp(`${p.replace(/[.%]/g, '\\$&')} 403`), r.stdout);
  assert.equal(api.requests.length, 0, `the API saw: ${api.describe()}`);
});

/** A stand-in for Claude's token endpoint: records refresh requests, answers new tokens. */
async function tokenEndpoint(t: TestContext): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ access_token: NEW_ACCESS, refresh_token: NEW_REFRESH, expires_in: 3600 }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/oauth/token`,
    bodies,
  };
}

function writeLogin(world: World, expiresAt: number): string {
  const path = join(world.home, '.claude', '.credentials.json');
  const login = {
    claudeAiOauth: {
      accessToken: REAL_ACCESS,
      refreshToken: REAL_REFRESH,
      expiresAt,
      scopes: ['user:inference'],
      subscriptionType: 'max',
    },
    mcpOAuth: { server: { accessToken: REAL_KEY } },
  };
  fs.writeFileSync(path, JSON.stringify(login), { mode: 0o600 });
  return path;
}

test("Claude's login: placeholder tokens inside, the real access token added outside", async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { world, api } = s;
  const path = writeLogin(world, Date.now() + 3_600_000);
  const before = fs.readFileSync(path, 'utf8');
  const r = await sandboxSh(
    world,
    `${LOOK_EVERYWHERE}
tok=$(sed -n 's/.*"accessToken":"\\([^"]*\\)".*/\\1/p' ~/.claude/.credentials.json)
${messages('-H "authorization: Bearer $tok"')}
echo tampered > ~/.claude/.credentials.json || echo cannot-write`,
    ['--profile', 'claude'],
    { env: { ANTHROPIC_BASE_URL: api.url }, timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  noSecret(r.stdout + r.stderr, 'the sandbox');
  assert.match(r.stdout, /"subscriptionType":"max"/, 'the non-secret fields are there');
  assert.match(r.stdout, /cannot-write/);
  assert.match(r.stdout, / status=200/, r.stdout);
  const sent = api.requests.filter((q) => q.path === '/v1/messages');
  assert.equal(sent.length, 1, api.describe());
  assert.equal(sent[0]!.headers['authorization'], `Bearer ${REAL_ACCESS}`);
  assert.equal(fs.readFileSync(path, 'utf8'), before, 'the login on the host is unchanged');
});

test("Claude's login: an expired access token is refreshed on the host, and the file holds what Claude would write", async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { world, api } = s;
  const token = await tokenEndpoint(t);
  const path = writeLogin(world, Date.now() - 60_000);
  const r = await sandboxSh(
    world,
    `tok=$(sed -n 's/.*"accessToken":"\\([^"]*\\)".*/\\1/p' ~/.claude/.credentials.json)
${messages('-H "authorization: Bearer $tok"')}
${messages('-H "authorization: Bearer $tok"')}
${LOOK_EVERYWHERE}`,
    ['--profile', 'claude'],
    { env: { ANTHROPIC_BASE_URL: api.url, BUBBLE_OAUTH_TOKEN_URL: token.url }, timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  noSecret(r.stdout + r.stderr, 'the sandbox');
  assert.equal(token.bodies.length, 1, 'one refresh for two requests');
  const asked = JSON.parse(token.bodies[0]!) as Record<string, string>;
  assert.equal(asked['grant_type'], 'refresh_token');
  assert.equal(asked['refresh_token'], REAL_REFRESH);
  const sent = api.requests.filter((q) => q.path === '/v1/messages');
  assert.deepEqual(
    sent.map((q) => q.headers['authorization']),
    [`Bearer ${NEW_ACCESS}`, `Bearer ${NEW_ACCESS}`],
  );
  const after = JSON.parse(fs.readFileSync(path, 'utf8')) as {
    claudeAiOauth: Record<string, unknown>;
    mcpOAuth: unknown;
  };
  assert.equal(after.claudeAiOauth['accessToken'], NEW_ACCESS);
  assert.equal(after.claudeAiOauth['refreshToken'], NEW_REFRESH);
  assert.ok((after.claudeAiOauth['expiresAt'] as number) > Date.now());
  assert.equal(after.claudeAiOauth['subscriptionType'], 'max');
  assert.deepEqual(
    after.mcpOAuth,
    { server: { accessToken: REAL_KEY } },
    'the rest of the file is kept',
  );
  assert.equal(fs.statSync(path).mode & 0o777, 0o600);
});

test('no credential on the host: the host login missing gives the API 401 with a line naming where bubble looked', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { world, api } = s;
  const path = writeLogin(world, Date.now() + 3_600_000);
  // The login is removed on the host while the session runs (as `claude logout` outside would).
  const r = await sandboxSh(
    world,
    `: > ready; until [ -e gone ]; do sleep 0.05; done
${messages('-H "authorization: Bearer x"')}`,
    ['--profile', 'claude'],
    {
      env: { ANTHROPIC_BASE_URL: api.url },
      timeoutMs: 60_000,
      onSpawn: () => {
        const poll = setInterval(() => {
          if (!fs.existsSync(join(world.project, 'ready'))) return;
          clearInterval(poll);
          fs.rmSync(path);
          fs.writeFileSync(join(world.project, 'gone'), '');
        }, 20);
      },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /no Claude login at .*\.credentials\.json.* status=401/s, r.stdout);
  assert.equal(api.requests.length, 0);
});

test('--pass-credentials: the key goes in, as before', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { world, api } = s;
  const r = await sandboxSh(
    world,
    'echo "key=$ANTHROPIC_API_KEY base=$ANTHROPIC_BASE_URL"',
    ['--profile', 'claude', '--pass-credentials'],
    {
      env: { ANTHROPIC_API_KEY: REAL_KEY, ANTHROPIC_BASE_URL: api.url },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `key=${REAL_KEY} base=${api.url}`);
});
