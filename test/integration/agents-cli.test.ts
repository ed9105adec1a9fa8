// Codex and Gemini CLI from npm inside their profiles (issue 6, requirement 4): --version and
// --help run, the state dir is writable, the protected config is not. Installed once per user
// into os.tmpdir()/bubble-<agent>-cache-<uid>; skip locally, fail under CI, when npm cannot.
//
// Codex's launcher (bin/codex.js) runs its native binary from the sibling package
// node_modules/@openai/codex-linux-x64: bubble binds the whole node_modules an agent was
// installed into, so this runs without any extra option.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import { npmCached } from '../support/npm.ts';
import { makeWorld, runBubble, type Result } from '../support/world.ts';
import { requireTools, unmet } from '../fixtures/net-tools/host.ts';

async function install(t: TestContext, name: string, spec: string): Promise<string | undefined> {
  if (!(await requireBwrap(t))) return undefined;
  if (!requireTools(t, ['npm'])) return undefined;
  const got = await npmCached(name, spec);
  if ('error' in got) {
    unmet(t, `cannot install ${spec}: ${got.error}`);
    return undefined;
  }
  return got.bin;
}

function ok(r: Result): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

// `state`: a dir the agent writes in place (its state dir is written by allowlist).
for (const [name, spec, state, protectedFile] of [
  ['codex', '@openai/codex', '.codex/sessions', '.codex/config.toml'],
  ['gemini', '@google/gemini-cli', '.gemini/tmp', '.gemini/settings.json'],
] as const) {
  test(`${name} (${spec}): --version and --help in its profile; ~/${state} writable, ~/${protectedFile} not`, async (t) => {
    const bin = await install(t, name, spec);
    if (bin === undefined) return;
    const world = makeWorld();
    t.after(() => world.cleanup());
    const env = { PATH: `${join(bin, '..')}:${world.env['PATH']}` };
    const version = await runBubble(world, ['run', '--', name, '--version'], {
      env,
      timeoutMs: 60_000,
    });
    ok(version);
    t.diagnostic(`${name} ${version.stdout.trim()}`);
    assert.match(version.stdout, /\d+\.\d+\.\d+/);
    const help = await runBubble(world, ['run', '--', name, '--help'], { env, timeoutMs: 60_000 });
    ok(help);
    assert.match(help.stdout, /usage/i);
    const r = await runBubble(
      world,
      [
        'run',
        '--profile',
        name,
        '--',
        'sh',
        '-c',
        `mkdir -p ~/${state}; echo s > ~/${state}/bubble-state; echo state=$?; echo x >> ~/${protectedFile}; echo prot=$?`,
      ],
      { env, timeoutMs: 60_000 },
    );
    ok(r);
    assert.match(r.stdout, /state=0/);
    assert.match(r.stdout, /prot=[1-9]/);
    assert.equal(fs.readFileSync(join(world.home, state, 'bubble-state'), 'utf8'), 's\n');
    assert.ok(
      !fs.existsSync(join(world.home, protectedFile)) ||
        !fs.readFileSync(join(world.home, protectedFile), 'utf8').includes('x'),
    );
  });
}

/** A stand-in model API that records who asked with which key, and answers 400. */
async function standIn(t: TestContext): Promise<{ url: string; seen: Record<string, string>[] }> {
  const seen: Record<string, string>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({
        url: req.url ?? '',
        authorization: req.headers.authorization ?? '',
        goog: String(req.headers['x-goog-api-key'] ?? ''),
        body,
      });
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 400, message: 'stand-in', status: 'INVALID_ARGUMENT' } }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const PROBE = `for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < "$f" 2>/dev/null; done; grep -rsa REAL "$HOME" /tmp 2>/dev/null | head`;

for (const c of [
  {
    name: 'codex',
    spec: '@openai/codex',
    key: 'OPENAI_API_KEY',
    base: 'OPENAI_BASE_URL',
    real: 'sk-REAL-openai-5e1c-stays-outside',
    args: ['exec', '--skip-git-repo-check', 'say hi'],
    path: /^\/v1\/responses$/,
    header: 'authorization',
    expect: 'Bearer sk-REAL-openai-5e1c-stays-outside',
    prepare: (_home: string): void => {},
    extraEnv: {} as Record<string, string>,
  },
  {
    name: 'gemini',
    spec: '@google/gemini-cli',
    key: 'GEMINI_API_KEY',
    base: 'GOOGLE_GEMINI_BASE_URL',
    real: 'REAL-gemini-9a7d-stays-outside',
    args: ['-p', 'say hi'],
    path: /^\/v1beta\/models\/[^/]+:(stream)?[gG]enerateContent/,
    header: 'goog',
    expect: 'REAL-gemini-9a7d-stays-outside',
    // What a user of the API key has set up already (gemini asks once, interactively).
    prepare: (home: string): void => {
      fs.mkdirSync(join(home, '.gemini'), { recursive: true });
      fs.writeFileSync(
        join(home, '.gemini', 'settings.json'),
        JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }),
      );
    },
    extraEnv: { GEMINI_CLI_TRUST_WORKSPACE: 'true' } as Record<string, string>,
  },
]) {
  test(`${c.name}: ${c.key} stays outside; the stand-in API gets the real key from bubble, the sandbox only a placeholder`, async (t) => {
    const bin = await install(t, c.name, c.spec);
    if (bin === undefined) return;
    const world = makeWorld();
    t.after(() => world.cleanup());
    c.prepare(world.home);
    const api = await standIn(t);
    const env = {
      PATH: `${join(bin, '..')}:${world.env['PATH']}`,
      [c.key]: c.real,
      [c.base]: api.url + (c.name === 'codex' ? '/v1' : ''),
      ...c.extraEnv,
    };
    // The agent's own run: it reaches the API through bubble (its answer is an error: fine).
    await runBubble(world, ['run', '--', c.name, ...c.args], { env, timeoutMs: 120_000 });
    const calls = api.seen.filter((s) => c.path.test(s['url'] ?? ''));
    assert.ok(
      calls.length > 0,
      `no model request: ${JSON.stringify(api.seen.map((s) => s['url']))}`,
    );
    for (const call of calls) assert.equal(call[c.header], c.expect);
    for (const s of api.seen)
      assert.ok(!(s['body'] ?? '').includes(c.real), 'no key in a request body');
    // And what a prompt-injected agent would find inside: no key anywhere.
    const probe = await runBubble(world, ['run', '--profile', c.name, '--', 'sh', '-c', PROBE], {
      env,
      timeoutMs: 60_000,
    });
    ok(probe);
    assert.ok(!probe.stdout.includes(c.real), probe.stdout);
    assert.match(probe.stdout, new RegExp(`${c.key}=.*placeholder`));
  });
}
