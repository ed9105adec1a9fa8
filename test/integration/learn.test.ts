// From open to locked down: a session reaches two destinations, `bubble allow --from-log`
// turns them into rules in the user's config (keeping what the user wrote there), and the
// next session reaches those two and is refused a third. The witnesses are the host-side
// servers, which count the requests that reached them.
//
// The destinations are names of the test's own (alpha.test...) for servers on this host's
// loopback, published with host_ports (see test/support/hosts.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import { bubbleWithHosts, fetchLines, hostsFile, requireMountns, site } from '../support/hosts.ts';
import { makeWorld } from '../support/world.ts';

test('allow --from-log learns a session, and the next one is held to it', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireMountns(t)) return;
  const w = makeWorld();
  const [alpha, beta, gamma] = await Promise.all([
    site('alpha.test'),
    site('beta.test'),
    site('gamma.test'),
  ]);
  t.after(() => {
    for (const s of [alpha, beta, gamma]) s.server.close();
    w.cleanup();
  });
  const hosts = hostsFile(w, ['alpha.test', 'beta.test', 'gamma.test']);
  const configPath = join(w.home, '.config/bubble/config.toml');
  fs.mkdirSync(join(w.home, '.config/bubble'), { recursive: true });
  const mine = `# my own notes: keep them\nhost_ports = [${alpha.port}, ${beta.port}, ${gamma.port}] # the test servers\n\n[profiles.generic]\nenv = ["LANG"]\n`;
  fs.writeFileSync(configPath, mine);

  // Open: both reached, nothing refused.
  const first = await bubbleWithHosts(w, hosts, [
    'run',
    '--',
    'sh',
    '-c',
    fetchLines([alpha, beta]),
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^alpha\.test: hello from alpha\.test$/m);
  assert.match(first.stdout, /^beta\.test: hello from beta\.test$/m);
  assert.equal(alpha.hits(), 1);
  assert.equal(beta.hits(), 1);
  const sessions = fs.readdirSync(join(w.home, '.local/state/bubble/sessions'));
  assert.equal(sessions.length, 1);
  const sessionId = sessions[0]!.replace(/\.jsonl$/, '');

  // The dry run prints the rules, names the session, and writes nothing.
  const dry = await bubbleWithHosts(w, hosts, ['allow', '--from-log', '--last', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`# learned from session ${sessionId} `));
  assert.match(
    dry.stdout,
    new RegExp(`"alpha\\.test:${alpha.port}",\\n  "beta\\.test:${beta.port}",`),
  );
  assert.equal(fs.readFileSync(configPath, 'utf8'), mine);

  const learn = await bubbleWithHosts(w, hosts, ['allow', '--from-log', '--last']);
  assert.equal(learn.code, 0, learn.stderr);
  assert.match(learn.stderr, /added 2 allow rules/);
  const written = fs.readFileSync(configPath, 'utf8');
  assert.ok(written.startsWith(mine.split('\n\n')[0]!), written);
  assert.ok(written.endsWith('\n[profiles.generic]\nenv = ["LANG"]\n'), written);
  assert.match(written, new RegExp(`# learned from session ${sessionId} `));

  // Locked down: the learned two still work, a new destination is refused.
  const second = await bubbleWithHosts(w, hosts, [
    'run',
    '--',
    'sh',
    '-c',
    fetchLines([alpha, beta, gamma]),
  ]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /^alpha\.test: hello from alpha\.test$/m);
  assert.match(second.stdout, /^beta\.test: hello from beta\.test$/m);
  assert.match(
    second.stdout,
    new RegExp(
      `^gamma\\.test: bubble: refused gamma\\.test:${gamma.port}: .*not in the allow list`,
      'm',
    ),
  );
  assert.equal(alpha.hits(), 2);
  assert.equal(beta.hits(), 2);
  assert.equal(gamma.hits(), 0, 'the new destination was reached');

  // Learning the same session again adds nothing.
  const again = await bubbleWithHosts(w, hosts, ['allow', '--from-log', sessionId]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /nothing new to allow/);
  assert.equal(fs.readFileSync(configPath, 'utf8'), written);
});
