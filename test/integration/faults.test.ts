// Faults: bubble killed, two sessions at once, odd project paths, no bwrap, no user
// namespaces. Checked on the host.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { readLog } from '../../src/log/reader.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, marked, repoRoot, runBubble, sandboxSh, type World } from '../support/world.ts';

describe('faults', () => {
  let w: World;
  before(() => {
    w = makeWorld({ claude: true });
  });
  after(() => w.cleanup());

  test('kill -9 of bubble ends everything in the sandbox, and leaves nothing', async (t) => {
    if (!(await requireBwrap(t))) return;
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
    for (let i = 0; i < 400 && marked(marker).length < 2; i++) await sleep(25);
    assert.ok(marked(marker).length >= 2, 'the sandboxed processes never started');
    const before = fs.readdirSync(w.project).sort();
    process.kill(pid!, 'SIGKILL');
    await done;
    const t0 = Date.now();
    while (marked(marker).length > 0 && Date.now() - t0 < 5_000) await sleep(10);
    t.diagnostic(`sandbox gone ${Date.now() - t0} ms after kill -9`);
    assert.deepEqual(marked(marker), [], 'orphans outlived bubble');
    for (let i = 0; i < 200 && fs.readdirSync(w.project).length > 1; i++) await sleep(25);
    assert.deepEqual(
      fs.readdirSync(w.project),
      ['README'],
      `placeholders left (during the session: ${before.join(' ')})`,
    );
    assert.ok(!fs.existsSync(join(w.home, '.claude', 'skills')));
  });

  test('two sessions in the same project at once keep their own logs, sockets and placeholders', async (t) => {
    if (!(await requireBwrap(t))) return;
    const seen: string[] = [];
    const server = net.createServer((s) =>
      s.on('data', (d) => seen.push(String(d).trim())).on('end', () => s.end()),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const talk = (name: string): string => `python3 -c "
import socket, time
time.sleep(0.5)
s = socket.create_connection(('127.0.0.1', ${port}), 5); s.sendall(b'${name}\\n'); s.shutdown(socket.SHUT_WR); s.recv(1)"`;
    const [a, b] = await Promise.all([
      sandboxSh(w, `${talk('a')}; sleep 0.5; ls -A .claude >/dev/null`, [
        '--host-port',
        String(port),
        '--profile',
        'claude',
      ]),
      sandboxSh(w, `${talk('b')}; sleep 0.2`, ['--host-port', String(port), '--profile', 'claude']),
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
  });

  test('a project path with spaces, quotes and a newline works; a non-UTF-8 one is refused clearly', async (t) => {
    if (!(await requireBwrap(t))) return;
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
  });

  test('no bwrap, or a kernel that forbids user namespaces: 125 and a one-line fix', async (t) => {
    if (!(await requireBwrap(t))) return;
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
  });
});
