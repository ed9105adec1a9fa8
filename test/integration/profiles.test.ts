// The codex and gemini profiles in the real sandbox: stand-in `codex` and `gemini` on PATH
// select them by name, write their state (which must reach the host) and attack their
// protected config (which must not change, and must not be creatable). The host is checked
// afterwards.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { profileByName } from '../../src/policy/profiles/index.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { homeView, makeWorld, runBubble, type World } from '../support/world.ts';

/** A stand-in agent: runs its last argument as a shell script, inside the sandbox (bubble puts
 * the flags that switch the agent's own sandbox off before the user's arguments). */
function installAgent(w: World, name: string): void {
  const bin = join(w.home, '.local', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(join(bin, name), '#!/bin/sh\nfor a; do :; done; exec /bin/sh -c "$a"\n', {
    mode: 0o755,
  });
  w.env.PATH = `${bin}:${w.env.PATH}`;
}

/** Shell: try to change, remove, rename or create each path; print what got through. */
const attack = (paths: string[]): string =>
  paths
    .map(
      (p) => `
  (echo pwned > '${p}') 2>/dev/null && echo "WROTE ${p}"
  (echo pwned > '${p}/x') 2>/dev/null && echo "WROTE-IN ${p}"
  mkdir -p '${p}/sub' 2>/dev/null && echo "MKDIR-IN ${p}"
  mv '${p}' '${p}.bak' 2>/dev/null && echo "RENAMED ${p}"
  rm -rf '${p}' 2>/dev/null; test -e '${p}' || echo "REMOVED ${p}"`,
    )
    .join('\n');

/** Everything under `dir` but `skip` (the state the stand-in wrote on purpose). */
function without(view: Map<string, string>, ...skip: string[]): Map<string, string> {
  return new Map([...view].filter(([k]) => !skip.some((s) => k === s || k.startsWith(`${s}/`))));
}

describe('agent profiles in the sandbox (codex, gemini)', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  test('codex: ~/.codex state reaches the host; config.toml, AGENTS.md, rules, prompts, agents do not change and cannot be created', async (t) => {
    if (!(await requireBwrap(t))) return;
    installAgent(w, 'codex');
    const codex = join(w.home, '.codex');
    fs.mkdirSync(join(codex, 'prompts'), { recursive: true });
    fs.writeFileSync(
      join(codex, 'config.toml'),
      'model = "o4-mini"\napproval_policy = "on-request"\n',
    );
    fs.writeFileSync(join(codex, 'prompts', 'review.md'), 'review\n');
    const before = homeView(w.home);
    const r = await runBubble(w, [
      'run',
      '--',
      'codex',
      `
      cd ~/.codex || exit 9
      mkdir -p sessions && echo '{"turn":1}' > sessions/s1.jsonl && echo '{"q":1}' >> history.jsonl && echo STATE-OK
      ${attack(['config.toml', 'AGENTS.md', 'AGENTS.override.md', 'rules', 'prompts', 'prompts/review.md', 'agents'])}
      echo '[shell_environment_policy]' >> ~/.codex/config.toml 2>/dev/null && echo APPENDED
      echo done`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /STATE-OK/);
    assert.match(r.stdout, /done/);
    assert.doesNotMatch(r.stdout, /WROTE|MKDIR|RENAMED|REMOVED|APPENDED/);
    // On the host: the state is there, everything else exactly as before, no placeholder left.
    assert.equal(fs.readFileSync(join(codex, 'sessions', 's1.jsonl'), 'utf8'), '{"turn":1}\n');
    assert.equal(fs.readFileSync(join(codex, 'history.jsonl'), 'utf8'), '{"q":1}\n');
    assert.deepEqual(
      without(homeView(w.home), join(codex, 'sessions'), join(codex, 'history.jsonl')),
      before,
    );
    for (const name of ['AGENTS.md', 'AGENTS.override.md', 'rules', 'agents'])
      assert.ok(!fs.existsSync(join(codex, name)), `${name} left on the host`);
  });

  test('gemini: a missing ~/.gemini is created and keeps state; settings.json, GEMINI.md, commands cannot be created', async (t) => {
    if (!(await requireBwrap(t))) return;
    installAgent(w, 'gemini');
    const gemini = join(w.home, '.gemini');
    const r = await runBubble(w, [
      'run',
      '--',
      'gemini',
      `
      cd ~/.gemini || exit 9
      echo '{"token":"t"}' > oauth_creds.json && mkdir -p tmp/chats && echo c > tmp/chats/1.json && echo STATE-OK
      test -f settings.json && test ! -s GEMINI.md && echo PLACEHOLDERS-VISIBLE
      ${attack(['settings.json', 'GEMINI.md', '.env', 'trustedFolders.json', 'commands', 'extensions'])}
      echo done`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /STATE-OK/);
    assert.match(r.stdout, /PLACEHOLDERS-VISIBLE/);
    assert.match(r.stdout, /done/);
    assert.doesNotMatch(r.stdout, /WROTE|MKDIR|RENAMED|REMOVED/);
    assert.deepEqual(fs.readdirSync(gemini).sort(), ['oauth_creds.json', 'tmp']);
    assert.equal(fs.readFileSync(join(gemini, 'tmp', 'chats', '1.json'), 'utf8'), 'c\n');
  });

  test('gemini: existing settings and custom commands stay read-only; a new session sees them unchanged', async (t) => {
    if (!(await requireBwrap(t))) return;
    installAgent(w, 'gemini');
    const gemini = join(w.home, '.gemini');
    fs.mkdirSync(join(gemini, 'commands'), { recursive: true });
    fs.writeFileSync(join(gemini, 'settings.json'), '{"general":{"vimMode":true}}\n');
    fs.writeFileSync(join(gemini, 'GEMINI.md'), 'be careful\n');
    fs.writeFileSync(join(gemini, 'commands', 'test.toml'), 'prompt = "run the tests"\n');
    const before = homeView(w.home);
    const r = await runBubble(w, [
      'run',
      '--',
      'gemini',
      `
      cd ~/.gemini || exit 9
      cat settings.json GEMINI.md commands/test.toml
      ${attack(['settings.json', 'GEMINI.md', 'commands', 'commands/test.toml'])}
      echo done`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /vimMode[\s\S]*be careful[\s\S]*run the tests/);
    assert.doesNotMatch(r.stdout, /WROTE|MKDIR|RENAMED|REMOVED/);
    assert.deepEqual(homeView(w.home), before);
  });

  test('explain: the command name picks the profile; --allow-preset allows exactly its endpoints', async () => {
    installAgent(w, 'codex');
    const r = await runBubble(w, ['explain', '--json', '--allow-preset', 'codex', '--', 'codex']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { profile: string; network: { allow: string[] } };
    assert.equal(plan.profile, 'codex');
    assert.deepEqual(plan.network.allow, profileByName('codex')!.endpoints);
    const list = await runBubble(w, ['profiles', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { name: string }[]).map((p) => p.name),
      ['claude', 'codex', 'gemini', 'opencode', 'aider', 'generic'],
    );
  });
});
