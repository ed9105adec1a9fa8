// Config files and the trust model, attacked the way a hostile repository would: its
// .bubble.toml tries to open the home, the host network, host ports and secrets. Until
// the user trusts that exact file, none of it applies.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, runBubble, sandboxSh, SECRET_ENV, type World } from '../support/world.ts';

const EVIL = `# a repository that wants out
rw = ["~/.ssh"]
net = "host"
host_ports = [5432]
env = ["${SECRET_ENV}"]
hide = ["hidden.txt"]
`;

// Inside: can we read the home's canary, do we have the host network, the secret?
const PROBE = [
  'cat "$HOME/.ssh/id_ed25519" 2>/dev/null | grep -q canary && echo HOME-READ',
  `[ -n "$${SECRET_ENV}" ] && echo SECRET`,
  '[ -n "$HTTPS_PROXY" ] && echo PROXIED',
  // Only loopback in filtered mode: no other interface.
  'grep -qv "^ *lo:" /proc/net/dev && [ "$(grep -c : /proc/net/dev)" -gt 1 ] && echo HOST-NET',
  'cat hidden.txt 2>/dev/null | grep -q visible && echo HIDDEN-READ',
  'true',
].join('; ');

describe('config files and trust', () => {
  let w: World;
  before(() => {
    w = makeWorld();
    w.env.XDG_CONFIG_HOME = join(w.home, '.config');
    w.env.XDG_STATE_HOME = join(w.home, '.local', 'state');
    fs.writeFileSync(join(w.project, '.bubble.toml'), EVIL);
    fs.writeFileSync(join(w.project, 'hidden.txt'), 'visible\n');
  });
  after(() => w.cleanup());

  test('an untrusted project file cannot loosen the sandbox, only tighten it', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(w, PROBE);
    assert.equal(r.code, 0, r.stderr);
    const seen = r.stdout.trim().split('\n');
    assert.ok(!seen.includes('HOME-READ'), 'the home canary was readable');
    assert.ok(!seen.includes('SECRET'), 'the secret variable was passed');
    assert.ok(!seen.includes('HOST-NET'), 'the host network was visible');
    assert.ok(seen.includes('PROXIED'), 'not in filtered mode');
    assert.ok(!seen.includes('HIDDEN-READ'), 'hide (tightening) was not applied');
    assert.match(
      r.stderr,
      /\.bubble\.toml is not trusted: ignored rw, env, host_ports, net = "host".*bubble trust/,
    );
    const e = await runBubble(w, ['explain', '--', 'true']);
    assert.match(e.stdout, /hidden\.txt +masked +--hide \[.*\.bubble\.toml\]/);
  });

  test('after bubble trust the same file applies; an edit untrusts it', async (t) => {
    if (!(await requireBwrap(t))) return;
    const tr = await runBubble(w, ['trust']);
    assert.equal(tr.code, 0, tr.stderr);
    const store = JSON.parse(
      fs.readFileSync(join(w.home, '.local/state/bubble/trust.json'), 'utf8'),
    ) as { projects: Record<string, unknown> };
    assert.ok(w.project in store.projects);
    const r = await sandboxSh(w, PROBE);
    assert.equal(r.code, 0, r.stderr);
    const seen = r.stdout.trim().split('\n');
    assert.ok(
      seen.includes('HOME-READ'),
      `the trusted rw = ["~/.ssh"] did not apply: ${r.stdout} ${r.stderr}`,
    );
    assert.ok(seen.includes('SECRET'));
    assert.ok(!seen.includes('PROXIED'), 'net = "host" did not apply');
    assert.doesNotMatch(r.stderr, /not trusted/);
    const c = await runBubble(w, ['config', '--json', '--', 'true']);
    const j = JSON.parse(c.stdout) as {
      files: { project: { trusted: boolean } };
      settings: { key: string; value: unknown; source: string }[];
    };
    assert.equal(j.files.project.trusted, true);
    assert.deepEqual(
      j.settings.find((s) => s.key === 'net'),
      { key: 'net', value: 'host', source: join(w.project, '.bubble.toml') },
    );

    // The sandbox (or anyone) edits the file: untrusted again.
    fs.appendFileSync(join(w.project, '.bubble.toml'), 'allow = ["*"]\n');
    const again = await sandboxSh(w, PROBE);
    const seen2 = again.stdout.trim().split('\n');
    assert.ok(
      !seen2.includes('HOME-READ') && !seen2.includes('SECRET') && seen2.includes('PROXIED'),
      again.stdout,
    );
    assert.match(again.stderr, /not trusted: ignored rw, env, allow, host_ports/);

    const rev = await runBubble(w, ['trust', '--revoke']);
    assert.equal(rev.code, 0, rev.stderr);
  });

  test('a typo in a config file stops bubble with exit 2 and file:line:column', async (t) => {
    if (!(await requireBwrap(t))) return;
    const user = join(w.home, '.config', 'bubble', 'config.toml');
    fs.mkdirSync(join(w.home, '.config', 'bubble'), { recursive: true });
    fs.writeFileSync(user, 'deny = ["a.example"]\n\n[limits]\n  nprocs = 10\n');
    try {
      const r = await sandboxSh(w, 'echo RAN');
      assert.equal(r.code, 2);
      assert.doesNotMatch(r.stdout, /RAN/);
      assert.ok(r.stderr.includes(`${user}:4:3: unknown key "limits.nprocs"`), r.stderr);
      fs.writeFileSync(user, 'net = "filtered\n');
      const bad = await sandboxSh(w, 'echo RAN');
      assert.equal(bad.code, 2);
      assert.ok(bad.stderr.includes(`${user}:1:`), bad.stderr);
    } finally {
      fs.rmSync(user);
    }
  });

  test('without config files bubble does not load the config modules', async (t) => {
    if (!(await requireBwrap(t))) return;
    const clean = makeWorld();
    try {
      // Node's module debug log names every file it loads; the bundled bin's chunks carry
      // the paths of the packages bundled into them in comments.
      const r = await runBubble(clean, ['run', '--', 'true'], {
        env: { NODE_DEBUG: 'module,esm' },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(loadedSources(r.stderr), /zod|smol-toml/);
      // The check can see them: with a config file they are loaded.
      const e = await runBubble(w, ['explain', '--', 'true'], {
        env: { NODE_DEBUG: 'module,esm' },
      });
      const loaded = loadedSources(e.stderr);
      assert.match(loaded, /zod/);
      assert.match(loaded, /smol-toml/);
    } finally {
      clean.cleanup();
    }
  });
});

/** The text of every file a NODE_DEBUG=module,esm log names, with the log itself. */
function loadedSources(debugLog: string): string {
  const files = new Set(debugLog.match(/file:\/\/[^\s'"]+\.m?js/g) ?? []);
  const texts = [...files].map((url) => {
    try {
      return fs.readFileSync(new URL(url), 'utf8');
    } catch {
      return '';
    }
  });
  return [debugLog, ...texts].join('\n');
}

test('log_keep in your config prunes session logs and shows in bubble config; a project cannot set it; BUBBLE_LOG_KEEP wins', async (t) => {
  if (!(await requireBwrap(t))) return;
  const w = makeWorld();
  t.after(() => w.cleanup());
  const sessions = join(w.home, '.local/state/bubble/sessions');
  fs.mkdirSync(sessions, { recursive: true });
  const old = ['20250101T000000.000Z-00000001', '20250102T000000.000Z-00000002'];
  const plant = (): void => {
    for (const id of old) fs.writeFileSync(join(sessions, `${id}.jsonl`), '');
  };
  plant();
  fs.mkdirSync(join(w.home, '.config/bubble'), { recursive: true });
  const user = join(w.home, '.config/bubble/config.toml');
  fs.writeFileSync(user, 'log_keep = 2\n');
  // The repository would have every log kept... or all but this one removed.
  fs.writeFileSync(join(w.project, '.bubble.toml'), 'log_keep = "1"\n');
  const row = async (env: Record<string, string> = {}): Promise<unknown> => {
    const c = await runBubble(w, ['config', '--json', '--', 'true'], { env });
    const j = JSON.parse(c.stdout) as { settings: { key: string }[]; ignored: string[] };
    assert.ok(j.ignored.includes('log_keep (read from your own config only)'), c.stdout);
    return j.settings.find((s) => s.key === 'log_keep');
  };
  assert.deepEqual(await row(), { key: 'log_keep', value: '2', source: user });
  assert.deepEqual(await row({ BUBBLE_LOG_KEEP: 'all' }), {
    key: 'log_keep',
    value: 'all',
    source: 'BUBBLE_LOG_KEEP',
  });
  const listed = (): string[] => fs.readdirSync(sessions).sort();
  // Two stay: this session's and the newest planted one.
  const r = await sandboxSh(w, 'true');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(listed().length, 2, listed().join(' '));
  assert.ok(listed().includes(`${old[1]}.jsonl`));
  plant();
  const kept = await sandboxSh(w, 'true', [], { env: { BUBBLE_LOG_KEEP: 'all' } });
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal(listed().length, 4, listed().join(' '));
  fs.writeFileSync(user, 'log_keep = "forever"\n');
  const bad = await sandboxSh(w, 'true');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /log_keep/);
});
