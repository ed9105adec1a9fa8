// Filesystem isolation, attacked from inside the real sandbox and checked on the host.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { CANARY, homeView, makeWorld, runBubble, sandboxSh, type World } from '../support/world.ts';

describe('filesystem isolation', () => {
  let w: World;
  before(() => {
    w = makeWorld();
  });
  after(() => w.cleanup());

  test('secrets in the home directory cannot be read', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      `cat "$HOME/.ssh/id_ed25519" "$HOME/.aws/credentials" "$HOME/.bashrc"; ls -A "$HOME"; grep -r ${CANARY} "$HOME" /tmp 2>/dev/null; echo done`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('done'));
    assert.ok(!r.stdout.includes(CANARY), 'a canary from the home directory leaked');
    assert.match(r.stderr, /No such file or directory/);
  });

  test('the home directory is empty and writes to it vanish', async (t) => {
    if (!(await requireBwrap(t))) return;
    const before = homeView(w.home);
    const r = await sandboxSh(
      w,
      'echo evil > "$HOME/.bashrc"; mkdir -p "$HOME/.config/autostart" && echo x > "$HOME/.config/autostart/evil.desktop"; ls -A "$HOME"',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(homeView(w.home), before, 'the host home changed');
  });

  test('the project is writable and the host sees the change', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(w, 'echo made-inside > created.txt && cat README');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(fs.readFileSync(join(w.project, 'created.txt'), 'utf8'), 'made-inside\n');
  });

  test('nothing outside the project can be written', async (t) => {
    if (!(await requireBwrap(t))) return;
    const outside = join(w.root, 'outside.txt');
    fs.writeFileSync(outside, 'original\n');
    // System trees are read-only; other paths are on the sandbox's tmpfs at best. Either
    // way the host must be unchanged.
    const r = await sandboxSh(
      w,
      `for f in /etc/passwd /usr/bin/evil /opt/evil /bin/evil; do (echo x > "$f") 2>/dev/null && echo "WROTE $f"; done; echo changed > ${outside}; echo x > ../sibling; echo done`,
    );
    assert.ok(r.stdout.includes('done'), r.stderr);
    assert.ok(!r.stdout.includes('WROTE'), r.stdout);
    assert.equal(fs.readFileSync(outside, 'utf8'), 'original\n');
    assert.ok(!fs.existsSync(join(w.root, 'sibling')));
  });

  test('other files beside the project are not visible', async (t) => {
    if (!(await requireBwrap(t))) return;
    fs.writeFileSync(join(w.root, 'neighbour-secret'), CANARY);
    const r = await sandboxSh(w, `cat ../neighbour-secret; ls -A ..; echo done`);
    assert.ok(r.stdout.includes('done'));
    assert.ok(!r.stdout.includes(CANARY));
    assert.ok(!r.stdout.includes('neighbour-secret'));
  });

  test('host /tmp, /run and /var are not visible', async (t) => {
    if (!(await requireBwrap(t))) return;
    const marker = join('/tmp', `bubble-host-tmp-${process.pid}`);
    fs.writeFileSync(marker, CANARY);
    try {
      const r = await sandboxSh(w, `cat ${marker}; ls /run /var 2>&1; ls -A /tmp; echo done`);
      assert.ok(r.stdout.includes('done'));
      assert.ok(!r.stdout.includes(CANARY));
    } finally {
      fs.rmSync(marker, { force: true });
    }
  });

  test('merged /usr: /bin/sh exists inside and system files are readable', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await runBubble(w, [
      'run',
      '--',
      '/bin/sh',
      '-c',
      'test -x /bin/sh && head -c 4 /etc/os-release >/dev/null && echo ok',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok\n');
  });

  test('--ro, --rw and --hide', async (t) => {
    if (!(await requireBwrap(t))) return;
    const data = join(w.root, 'data');
    const out = join(w.root, 'out');
    fs.mkdirSync(data);
    fs.mkdirSync(out);
    fs.writeFileSync(join(data, 'in.txt'), 'input\n');
    fs.writeFileSync(join(w.project, '.env'), `TOKEN=${CANARY}\n`);
    const r = await sandboxSh(
      w,
      `cat ${data}/in.txt; (echo x > ${data}/new) 2>/dev/null && echo WROTE-RO; echo out > ${out}/result; cat .env; (echo x > .env) 2>/dev/null && echo WROTE-HIDDEN; echo done`,
      ['--ro', data, '--rw', out, '--hide', '.env'],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('input\n'), r.stdout);
    assert.ok(!r.stdout.includes('WROTE'), r.stdout);
    assert.ok(!r.stdout.includes(CANARY));
    assert.equal(fs.readFileSync(join(out, 'result'), 'utf8'), 'out\n');
    assert.ok(!fs.existsSync(join(data, 'new')));
    assert.equal(fs.readFileSync(join(w.project, '.env'), 'utf8'), `TOKEN=${CANARY}\n`);
  });
});
