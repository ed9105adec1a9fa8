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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, runBubble, type Result } from '../support/world.ts';
import { host, requireTools, unmet } from '../fixtures/net-tools/host.ts';

async function install(t: TestContext, name: string, spec: string): Promise<string | undefined> {
  if (!(await requireBwrap(t))) return undefined;
  if (!requireTools(t, ['npm'])) return undefined;
  const cache = join(tmpdir(), `bubble-${name}-cache-${process.getuid?.() ?? 'x'}`);
  const bin = join(cache, 'node_modules/.bin', name);
  if (!fs.existsSync(bin)) {
    const staging = fs.mkdtempSync(`${cache}.tmp-`);
    const r = await host(
      'npm',
      [
        'install',
        '--prefix',
        staging,
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        '--loglevel=error',
        spec,
      ],
      {
        timeoutMs: 300_000,
        check: false,
      },
    ).catch((e: Error) => ({ code: null, stdout: '', stderr: e.message }));
    if (r.code !== 0) {
      fs.rmSync(staging, { recursive: true, force: true });
      unmet(t, `cannot install ${spec}: ${r.stdout}${r.stderr}`);
      return undefined;
    }
    try {
      fs.renameSync(staging, cache);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return bin;
}

function ok(r: Result): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

for (const [name, spec, state, protectedFile] of [
  ['codex', '@openai/codex', '.codex', '.codex/config.toml'],
  ['gemini', '@google/gemini-cli', '.gemini', '.gemini/settings.json'],
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
        `echo s > ~/${state}/bubble-state; echo state=$?; echo x >> ~/${protectedFile}; echo prot=$?`,
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
