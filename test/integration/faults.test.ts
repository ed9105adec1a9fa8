// Faults: bubble killed, two sessions at once, odd project paths, no bwrap, no user
// namespaces. Checked on the host.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { readLog } from '../../src/log/reader.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { waitFor } from '../support/wait.ts';
import {
  makeWorld,
  marked,
  repoRoot,
  runBubble,
  sandboxed,
  sandboxSh,
  type World,
} from '../support/world.ts';

/** Each test its own world: one failure cannot leave state for the next. */
function faultTest(name: string, fn: (t: TestContext, w: World) => Promise<void>): void {
  test(name, async (t) => {
    if (!(await requireBwrap(t))) return;
    const w = makeWorld({ claude: true });
    try {
      await fn(t, w);
    } finally {
      w.cleanup();
    }
  });
}

faultTest('kill -9 of bubble ends everything in the sandbox, and leaves nothing', async (t, w) => {
  const marker = `bubble-orphan-${process.pid}`;
  let pid: number | undefined;
  const done = runBubble(
    w,
    [
      'run',
      '--profile',
      'claude',
      '--',
      'sh',
      '-c',
      `sleep 60 & sleep 60 & sh -c 'sleep 60' ${marker}; wait`,
      marker,
    ],
    { onSpawn: (c) => (pid = c.pid) },
  );
  // bubble and the outer bwrap carry the marker too: count only what runs inside.
  await waitFor(() => sandboxed(marker).length >= 2, 'the sandboxed processes');
  const before = fs.readdirSync(w.project).sort();
  process.kill(pid!, 'SIGKILL');
  await done;
  const t0 = Date.now();
  await waitFor(() => marked(marker).length === 0, 'the sandbox to end after kill -9', 30_000);
  t.diagnostic(`sandbox gone ${Date.now() - t0} ms after kill -9`);
  // The watchdog removes placeholders once the sandbox is gone.
  await waitFor(() => fs.readdirSync(w.project).length === 1, 'placeholders removed', 30_000);
  assert.deepEqual(
    fs.readdirSync(w.project),
    ['README'],
    `placeholders left (during the session: ${before.join(' ')})`,
  );
  assert.ok(!fs.existsSync(join(w.home, '.claude', 'skills')));
});

faultTest(
  'two sessions in the same project at once keep their own logs, sockets and placeholders',
  async (t, w) => {
    // A barrier: each session sends its name and waits; the server answers both only once
    // both have arrived, so the two sessions are provably alive at the same time.
    const seen: string[] = [];
    const waiting: net.Socket[] = [];
    const server = net.createServer((s) =>
      s.once('data', (d) => {
        seen.push(String(d).trim());
        waiting.push(s);
        if (waiting.length === 2) for (const x of waiting) x.end('go\n');
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const talk = (name: string): string => `python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', ${port}), 60); s.sendall(b'${name}\\n')
assert s.recv(3) == b'go\\n'"`;
    const [a, b] = await Promise.all([
      sandboxSh(
        w,
        `${talk('a')} && ls -A .claude >/dev/null`,
        ['--host-port', String(port), '--profile', 'claude'],
        { timeoutMs: 120_000 },
      ),
      sandboxSh(w, talk('b'), ['--host-port', String(port), '--profile', 'claude'], {
        timeoutMs: 120_000,
      }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(seen.sort(), ['a', 'b']);
    const dir = join(w.home, '.local/state/bubble/sessions');
    const logs = fs
      .readdirSync(dir)
      .sort()
      .slice(-2)
      .map((f) => readLog(join(dir, f)));
    assert.equal(logs.length, 2);
    for (const l of logs)
      assert.equal(
        l.connections.filter((c) => c.port === port).length,
        1,
        "a session logged the other one's connection",
      );
    assert.deepEqual(fs.readdirSync(w.project), ['README'], 'placeholders left behind');
  },
);

faultTest(
  'a project path with spaces, quotes and a newline works; a non-UTF-8 one is refused clearly',
  async (_t, w) => {
    const odd = join(w.root, `we ird'"\nname`);
    fs.mkdirSync(odd);
    const r = await sandboxSh(w, 'pwd; echo made > f', [], { cwd: odd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${odd}\n`);
    assert.equal(fs.readFileSync(join(odd, 'f'), 'utf8'), 'made\n');
    const bad = Buffer.concat([
      Buffer.from(w.root + '/bad'),
      Buffer.from([0xff]),
      Buffer.from('name'),
    ]);
    fs.mkdirSync(bad);
    const { spawnSync } = await import('node:child_process');
    const res = spawnSync(
      'sh',
      ['-c', 'cd "$(printf "%s/bad\\377name" "$ROOT")" && exec "$NODE" "$BIN" run -- true'],
      {
        env: {
          ...w.env,
          ROOT: w.root,
          NODE: process.execPath,
          BIN: join(repoRoot, 'dist/cli/bubble.js'),
        },
        encoding: 'utf8',
      },
    );
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, /^bubble: the working directory's path is not valid UTF-8/m);
    assert.match(res.stderr, /^bubble: hint: rename the directory/m);
  },
);

faultTest(
  'no bwrap, or a kernel that forbids user namespaces: 125 and a one-line fix',
  async (_t, w) => {
    const cache = { XDG_CACHE_HOME: join(w.root, 'cache-fault') };
    const none = await sandboxSh(w, 'echo RAN', [], {
      env: { BUBBLE_BWRAP: '/nonexistent/bwrap', ...cache },
    });
    assert.equal(none.code, 125);
    assert.equal(none.stdout, '');
    assert.match(
      none.stderr,
      /^bubble: bwrap \(bubblewrap\) not found\nbubble: hint: install it: sudo apt-get install bubblewrap/m,
    );
    const userns = await sandboxSh(w, 'echo RAN', [], {
      env: { BUBBLE_BWRAP: join(repoRoot, 'test/fixtures/fake-bwrap-no-userns.sh'), ...cache },
    });
    assert.equal(userns.code, 125);
    assert.equal(userns.stdout, '');
    assert.match(userns.stderr, /bwrap: setting up uid map: Permission denied/);
    assert.match(
      userns.stderr,
      /^bubble: the sandbox could not be set up .*fix: run 'bubble doctor'/m,
    );
  },
);
