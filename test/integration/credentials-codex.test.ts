// Codex signed in with ChatGPT, with the real codex binary (@openai/codex from npm) and the
// real bwrap as an unprivileged user: the login's tokens stay on the host. A stand-in for
// ChatGPT's backend on the host's loopback (the user's chatgpt_base_url in config.toml, as
// with a gateway) answers the model; the test checks what it received (the real access
// token, from bubble's reverse proxy), then attacks from inside: every file written since
// the secrets were made (the secrets are new for each run, so no older file can hold them),
// every process's environment and command line, and the memory of every process it sees;
// and bubble's own memory, which holds the token, by its pid. Each probe runs outside too,
// against the same targets, and must find the secret there (calibration).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { npmCached } from '../support/npm.ts';
import { makeWorld, repoRoot, runBubble, type World } from '../support/world.ts';
import { host, newestLog, requireTools, unmet } from '../fixtures/net-tools/host.ts';

const MEM_SCAN = join(repoRoot, 'test/fixtures/mem-scan.py');
const PTRACE = join(repoRoot, 'test/fixtures/ptrace-probe.py');

interface Secrets {
  run: string;
  access: string;
  refresh: string;
  idSignature: string;
  /** An extended regex that matches each secret and not itself. */
  pattern: string;
}

function newSecrets(): Secrets {
  const run = randomBytes(6).toString('hex');
  return {
    run,
    access: `chatgpt-REAL-ACCESS-${run}`,
    refresh: `chatgpt-REAL-REFRESH-${run}`,
    idSignature: `REAL-IDSIG-${run}`,
    pattern: `REAL-(ACC[E]SS|REFR[E]SH|IDS[I]G)-${run}`,
  };
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A ChatGPT login as `codex login` writes it; the access token opaque (no expiry known). */
function writeLogin(world: World, s: Secrets, access: string = s.access): string {
  const dir = join(world.home, '.codex');
  fs.mkdirSync(dir, { recursive: true });
  const idClaims = {
    email: 'user@example.com',
    'https://api.openai.com/auth': {
      chatgpt_plan_type: 'plus',
      chatgpt_user_id: 'user-1',
      chatgpt_account_id: 'acct-1',
    },
  };
  const auth = {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(idClaims)}.${s.idSignature}`,
      access_token: access,
      refresh_token: s.refresh,
      account_id: 'acct-1',
    },
    last_refresh: new Date().toISOString(),
  };
  const path = join(dir, 'auth.json');
  fs.writeFileSync(path, JSON.stringify(auth, null, 2), { mode: 0o600 });
  return path;
}

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** ChatGPT's backend as Codex uses it: the model answers STANDIN-ANSWER, the rest is empty. */
async function standIn(t: TestContext): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = (req.url ?? '').split('?')[0]!;
      if (req.method === 'POST' && path === '/backend-api/codex/responses') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const event = (e: Record<string, unknown>): boolean =>
          res.write(`event: ${String(e['type'])}\ndata: ${JSON.stringify(e)}\n\n`);
        event({ type: 'response.created', response: { id: 'resp_1' } });
        event({
          type: 'response.output_item.done',
          item: {
            type: 'message',
            role: 'assistant',
            id: 'msg_1',
            content: [{ type: 'output_text', text: 'STANDIN-ANSWER' }],
          },
        });
        event({
          type: 'response.completed',
          response: {
            id: 'resp_1',
            usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
          },
        });
        res.end();
        return;
      }
      res.writeHead(path === '/backend-api/codex/models' ? 200 : 404, {
        'content-type': 'application/json',
      });
      res.end(path === '/backend-api/codex/models' ? '{"models":[]}' : '{"detail":"not here"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  return { base: `http://127.0.0.1:${port}/backend-api`, seen };
}

/**
 * Every file under ROOT changed since `since` (seconds), every process's environment and
 * command line: the lines that hold a secret, as `where: match`.
 */
function fileProbe(root: string, since: number, pattern: string): string {
  return `
pat='${pattern}'
find ${root} \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -type f -newerct @${since} -print0 2>/dev/null |
  xargs -0 -r grep -haoE "$pat" 2>/dev/null | sed 's/^/file /'
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do
  tr '\\0' '\\n' < "$f" 2>/dev/null | grep -aoE "$pat" | sed "s|^|$f |"
done
echo probed`;
}

async function installCodex(t: TestContext): Promise<string | undefined> {
  if (!(await requireBwrap(t))) return undefined;
  if (!requireTools(t, ['npm', 'python3', 'curl'])) return undefined;
  const got = await npmCached('codex', '@openai/codex');
  if ('error' in got) {
    unmet(t, `cannot install @openai/codex: ${got.error}`);
    return undefined;
  }
  return got.bin;
}

function setup(t: TestContext): { world: World; s: Secrets; since: number; login: string } {
  const world = makeWorld();
  t.after(() => world.cleanup());
  const s = newSecrets();
  // ctime has one-second steps: a second earlier covers files made in the same second.
  const since = Math.floor(Date.now() / 1000) - 1;
  const login = writeLogin(world, s);
  return { world, s, since, login };
}

test('codex exec with a ChatGPT login: the stand-in backend gets the real access token from bubble; inside, no file, environment or command line holds a token', async (t) => {
  const bin = await installCodex(t);
  if (bin === undefined) return;
  const { world, s, since, login } = setup(t);
  const api = await standIn(t);
  fs.writeFileSync(
    join(world.home, '.codex', 'config.toml'),
    `chatgpt_base_url = "${api.base}/"\n`,
  );
  const before = fs.readFileSync(login, 'utf8');
  const env = { PATH: `${join(bin, '..')}:${world.env['PATH']}` };
  const r = await runBubble(
    world,
    ['run', '--', 'codex', 'exec', '--skip-git-repo-check', 'say hi'],
    { env, timeoutMs: 180_000 },
  );
  const describe = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nseen:\n${api.seen
    .map((q) => `${q.method} ${q.url}`)
    .join('\n')}`;
  assert.equal(r.code, 0, describe);
  assert.match(r.stdout, /STANDIN-ANSWER/, describe);
  const model = api.seen.filter(
    (q) => q.method === 'POST' && q.url === '/backend-api/codex/responses',
  );
  assert.ok(model.length > 0, describe);
  for (const q of model) {
    assert.equal(q.headers['authorization'], `Bearer ${s.access}`, 'the real token, from bubble');
    assert.equal(q.headers['chatgpt-account-id'], 'acct-1');
  }
  for (const q of api.seen) {
    assert.ok(!q.body.includes(s.refresh) && !q.body.includes(s.idSignature), 'no token in a body');
    assert.ok(
      [undefined, `Bearer ${s.access}`].includes(q.headers['authorization'] as string | undefined),
      `${q.method} ${q.url}: ${String(q.headers['authorization'])}`,
    );
  }
  assert.equal(fs.readFileSync(login, 'utf8'), before, 'the login on the host is unchanged');
  const log = fs.readFileSync(newestLog(world.home).path, 'utf8');
  const calls = log
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((c) => c['type'] === 'api');
  assert.ok(
    calls.some(
      (c) =>
        c['api'] === 'chatgpt-codex' &&
        c['method'] === 'POST' &&
        c['path'] === '/responses' &&
        c['status'] === 200,
    ),
    `the session log records the model request: ${JSON.stringify(calls)}`,
  );
  for (const secret of [s.access, s.refresh, s.idSignature])
    assert.ok(!log.includes(secret), 'the session log never holds a token');

  // The attack from inside, and the same look outside (where the login is).
  const inside = await runBubble(
    world,
    [
      'run',
      '--profile',
      'codex',
      '--',
      'sh',
      '-c',
      `${fileProbe('/', since, s.pattern)}\ncat ~/.codex/auth.json`,
    ],
    { env, timeoutMs: 120_000 },
  );
  assert.equal(inside.code, 0, inside.stderr);
  assert.match(inside.stdout, /probed/);
  assert.doesNotMatch(inside.stdout, new RegExp(s.pattern), inside.stdout);
  assert.match(inside.stdout, /"account_id": "acct-1"/, 'the login file is there, masked');
  const outside = await host('sh', ['-c', fileProbe(world.root, since, s.pattern)], {
    timeoutMs: 60_000,
  });
  for (const kind of ['ACCESS', 'REFRESH', 'IDSIG'])
    assert.ok(
      outside.stdout.includes(`file REAL-${kind}-${s.run}`),
      `calibration: ${outside.stdout}`,
    );
});

test("bubble's memory holds the token, and nothing inside can read it: no host process is visible, ptrace fails, no process inside holds it (the same read outside finds it)", async (t) => {
  const bin = await installCodex(t);
  if (bin === undefined) return;
  const { world, s } = setup(t);
  const api = await standIn(t);
  fs.writeFileSync(
    join(world.home, '.codex', 'config.toml'),
    `chatgpt_base_url = "${api.base}/"\n`,
  );
  const half = Math.floor(s.access.length / 2);
  const [h1, h2] = [s.access.slice(0, half), s.access.slice(half)];
  for (const f of [MEM_SCAN, PTRACE]) fs.copyFileSync(f, join(world.project, f.split('/').pop()!));
  let outside: string | undefined;
  const script = `
curl -sS -o /dev/null -w 'model=%{http_code}\\n' -X POST -H 'content-type: application/json' -d '{}' "\${HTTP_PROXY%/}/chatgpt-codex/responses"
: > ready
until [ -e go ]; do sleep 0.05; done
pid=$(cat bubble-pid)
test -e /proc/$pid/cmdline && echo SEES-BUBBLE
python3 mem-scan.py $pid '${h1}' '${h2}'
python3 ptrace-probe.py $pid
python3 mem-scan.py all '${h1}' '${h2}'
echo scanned`;
  const r = await runBubble(world, ['run', '--profile', 'codex', '--', 'sh', '-c', script], {
    env: { PATH: `${join(bin, '..')}:${world.env['PATH']}` },
    timeoutMs: 120_000,
    onSpawn: (child) => {
      const poll = setInterval(() => {
        if (!fs.existsSync(join(world.project, 'ready'))) return;
        clearInterval(poll);
        // The same read outside, while bubble holds the token: the calibration.
        host('python3', [MEM_SCAN, String(child.pid), h1, h2], { timeoutMs: 60_000 })
          .then((o) => (outside = o.stdout))
          .catch((e: Error) => (outside = e.message))
          .finally(() => {
            fs.writeFileSync(join(world.project, 'bubble-pid'), String(child.pid));
            fs.writeFileSync(join(world.project, 'go'), '');
          });
      }, 20);
      t.after(() => clearInterval(poll));
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /model=200/, r.stdout);
  assert.match(r.stdout, /scanned/, r.stdout);
  assert.equal(
    api.seen.filter((q) => q.headers['authorization'] === `Bearer ${s.access}`).length,
    1,
    'bubble read the token and sent it',
  );
  assert.match(outside ?? '', /^\d+ found$/m, `calibration outside: ${outside}`);
  assert.doesNotMatch(r.stdout, /SEES-BUBBLE/);
  assert.doesNotMatch(r.stdout, / found$/m, r.stdout);
  assert.match(r.stdout, /^\d+ ENOENT$/m, 'bubble is not in the sandbox: no such pid');
  assert.match(r.stdout, /ptrace (ESRCH|EPERM)/, 'ptrace is refused');
  assert.match(r.stdout, /^\d+ absent$/m, 'the processes inside were read, and hold no token');
});

test('an expired ChatGPT access token is refreshed on the host: the token endpoint gets the real refresh token, auth.json on the host the new tokens, the sandbox none of them', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['curl'])) return;
  const world = makeWorld();
  t.after(() => world.cleanup());
  const s = newSecrets();
  // A JWT that expired a minute ago, as Codex's access tokens are.
  const expired = `${b64({ alg: 'RS256' })}.${b64({ exp: Math.floor(Date.now() / 1000) - 60 })}.${s.access}`;
  const login = writeLogin(world, s, expired);
  const api = await standIn(t);
  fs.writeFileSync(
    join(world.home, '.codex', 'config.toml'),
    `chatgpt_base_url = "${api.base}/"\n`,
  );
  const fresh = {
    access_token: `chatgpt-NEW-ACCESS-${s.run}`,
    refresh_token: `chatgpt-NEW-REFRESH-${s.run}`,
    id_token: `${b64({ alg: 'RS256' })}.${b64({ email: 'user@example.com' })}.NEW-IDSIG-${s.run}`,
  };
  const bodies: string[] = [];
  const tokens = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(fresh));
    });
  });
  await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r));
  t.after(() => tokens.close());
  const tokenUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/oauth/token`;
  const model = `curl -sS -o /dev/null -w 'model=%{http_code}\\n' -X POST -H 'content-type: application/json' -d '{}' "\${HTTP_PROXY%/}/chatgpt-codex/responses"`;
  const r = await runBubble(
    world,
    [
      'run',
      '--profile',
      'codex',
      '--',
      'sh',
      '-c',
      `${model}\n${model}\ncat ~/.codex/auth.json\nfor f in /proc/[0-9]*/environ; do { tr '\\0' '\\n' < "$f"; } 2>/dev/null; done\necho looked`,
    ],
    { env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: tokenUrl }, timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.match(/model=200/g)?.length, 2, r.stdout);
  assert.match(r.stdout, /looked/);
  assert.doesNotMatch(r.stdout, new RegExp(`(REAL|NEW)-[A-Z]+-${s.run}`), r.stdout);
  assert.equal(bodies.length, 1, 'one refresh for two requests');
  assert.deepEqual(JSON.parse(bodies[0]!), {
    client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
    grant_type: 'refresh_token',
    refresh_token: s.refresh,
  });
  const sent = api.seen.filter((q) => q.url === '/backend-api/codex/responses');
  assert.deepEqual(
    sent.map((q) => q.headers['authorization']),
    [`Bearer ${fresh.access_token}`, `Bearer ${fresh.access_token}`],
  );
  const after = JSON.parse(fs.readFileSync(login, 'utf8')) as {
    tokens: Record<string, string>;
    last_refresh: string;
    auth_mode: string;
  };
  assert.deepEqual(after.tokens, { ...fresh, account_id: 'acct-1' });
  assert.equal(after.auth_mode, 'chatgpt');
  assert.ok(Date.now() - Date.parse(after.last_refresh) < 600_000, after.last_refresh);
  assert.equal(fs.statSync(login).mode & 0o777, 0o600);
});
