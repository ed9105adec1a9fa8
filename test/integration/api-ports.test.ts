// A model API served on this machine: bubble-claude with ANTHROPIC_BASE_URL on the host's
// loopback reaches it (that one port published, said in one line); a project's own settings
// cannot publish a port; BUBBLE_OPTS carries bubble's options through the drop-in.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { bubbleClaudeBin, makeWorld, runBubble, type World } from '../support/world.ts';

// A stand-in claude: calls its API base URL (from the environment or, as Claude Code does,
// from the env table of ~/.claude/settings.json or the project's) and prints the status.
const FAKE_CLAUDE = `#!/bin/sh
setting() { sed -n 's/.*"ANTHROPIC_BASE_URL": *"\\([^"]*\\)".*/\\1/p' "$1" 2>/dev/null; }
url=\${ANTHROPIC_BASE_URL:-$(setting "$HOME/.claude/settings.json")}
url=\${url:-$(setting .claude/settings.json)}
curl -s -o /dev/null -m 10 -w 'status:%{http_code}\\n' "$url/v1/messages"
for a in "$@"; do printf '[%s]' "$a"; done; echo
`;

describe('a model API on the host', () => {
  let w: World;
  let server: Server;
  let port: number;
  let hits = 0;
  before(async () => {
    w = makeWorld({ claude: true });
    const bin = join(w.home, '.local', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(join(bin, 'claude'), FAKE_CLAUDE, { mode: 0o755 });
    w.env.PATH = `${bin}:${w.env.PATH}`;
    server = createServer((req, res) => {
      hits++;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.close();
    w.cleanup();
  });

  test('ANTHROPIC_BASE_URL on loopback: the port is published, in one line, and reached', async (t) => {
    if (!(await requireBwrap(t))) return;
    const url = `http://127.0.0.1:${port}`;
    const before = hits;
    const r = await runBubble(w, ['-p', 'hi'], {
      bin: bubbleClaudeBin,
      env: { ANTHROPIC_BASE_URL: url },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^status:200$/m);
    // The user's arguments come last and untouched (bubble may put the agent's own
    // switches first: its inner sandbox off, see inner-sandbox.ts).
    assert.match(r.stdout, /\[-p\]\[hi\]$/m, 'claude did not get its arguments untouched');
    assert.equal(hits, before + 1, 'the host server was not reached');
    const lines = r.stderr.split('\n').filter((l) => l.includes('ANTHROPIC_BASE_URL'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`port ${port} published into the sandbox`));
  });

  test("from ~/.claude/settings.json's env too; never from the project's settings", async (t) => {
    if (!(await requireBwrap(t))) return;
    const settings = join(w.home, '.claude', 'settings.json');
    const original = fs.readFileSync(settings, 'utf8');
    const url = `http://localhost:${port}`;
    try {
      fs.writeFileSync(settings, JSON.stringify({ env: { ANTHROPIC_BASE_URL: url } }));
      const before = hits;
      const r = await runBubble(w, [], { bin: bubbleClaudeBin });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^status:200$/m);
      assert.equal(hits, before + 1);
      assert.ok(r.stderr.includes(`(in ${settings})`), r.stderr);
    } finally {
      fs.writeFileSync(settings, original);
    }
    // A repository naming a host port in its own settings must not get it published.
    fs.mkdirSync(join(w.project, '.claude'), { recursive: true });
    fs.writeFileSync(
      join(w.project, '.claude', 'settings.json'),
      JSON.stringify({ env: { ANTHROPIC_BASE_URL: url } }),
    );
    try {
      const before = hits;
      const r = await runBubble(w, [], { bin: bubbleClaudeBin });
      assert.match(r.stdout, /^status:000$/m, 'the stand-in did not try the URL');
      assert.doesNotMatch(r.stderr, /published/);
      assert.equal(hits, before, 'a project file opened a host port');
    } finally {
      fs.rmSync(join(w.project, '.claude'), { recursive: true, force: true });
    }
  });

  test('BUBBLE_OPTS: bubble options through the drop-in, split like a shell, never a command', async (t) => {
    if (!(await requireBwrap(t))) return;
    const shared = join(w.root, 'dir with space');
    fs.mkdirSync(shared);
    fs.writeFileSync(
      join(w.home, '.local', 'bin', 'claude'),
      '#!/bin/sh\nfor a in "$@"; do last=$a; done\ntouch "$last/made-inside"\n',
      {
        mode: 0o755,
      },
    );
    try {
      const r = await runBubble(w, [shared], {
        bin: bubbleClaudeBin,
        env: { BUBBLE_OPTS: `--quiet --rw '${shared}'` },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', '--quiet did not apply');
      assert.ok(fs.existsSync(join(shared, 'made-inside')), '--rw from BUBBLE_OPTS did not apply');
      for (const opts of ['ls', '--quiet -- ls', "--rw 'unterminated"]) {
        const bad = await runBubble(w, [shared], {
          bin: bubbleClaudeBin,
          env: { BUBBLE_OPTS: opts },
        });
        assert.equal(bad.code, 2, `${opts}: ${bad.stderr}`);
        assert.match(bad.stderr, /^bubble: BUBBLE_OPTS: /, opts);
      }
    } finally {
      fs.writeFileSync(join(w.home, '.local', 'bin', 'claude'), FAKE_CLAUDE, { mode: 0o755 });
    }
  });
});
