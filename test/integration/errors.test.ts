// What a user sees when something of theirs is wrong: one line naming the path or option
// and what to do, the right exit status, never a stack trace, and nothing started.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, runBubble, sandboxSh, type Result, type World } from '../support/world.ts';

/** Every stderr line is bubble's own, one line each, and no stack frame leaked. */
function assertOneLiners(r: Result): void {
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at |Error: E[A-Z]+/, r.stderr);
  for (const line of r.stderr.trim().split('\n'))
    assert.match(line, /^bubble: /, `not a bubble line: ${line}`);
  assert.doesNotMatch(r.stderr, /\\'/, 'escaped quotes from a raw Node message');
}

function sessionLogs(w: World): string[] {
  const dir = join(w.home, '.local', 'state', 'bubble', 'sessions');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

describe('file-system errors the user can cause', () => {
  let w: World;
  before(() => {
    w = makeWorld();
  });
  after(() => {
    fs.chmodSync(w.project, 0o755);
    w.cleanup();
  });

  test('.bubble.toml that is a directory: exit 2, the path, what to do', async () => {
    const cfg = join(w.project, '.bubble.toml');
    fs.mkdirSync(cfg);
    try {
      const r = await sandboxSh(w, 'echo ran');
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assertOneLiners(r);
      assert.ok(r.stderr.includes(cfg), r.stderr);
      assert.match(r.stderr, /is a directory/);
      assert.match(r.stderr, /hint: .*rename or remove/);
    } finally {
      fs.rmdirSync(cfg);
    }
  });

  test('an unreadable user config file: exit 2, the path, nothing started', async () => {
    const dir = join(w.home, '.config', 'bubble');
    fs.mkdirSync(dir, { recursive: true });
    const cfg = join(dir, 'config.toml');
    fs.writeFileSync(cfg, 'net = "none"\n', { mode: 0o000 });
    const before = sessionLogs(w);
    try {
      const r = await sandboxSh(w, 'echo ran');
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assertOneLiners(r);
      assert.ok(r.stderr.includes(cfg), r.stderr);
      assert.match(r.stderr, /permission denied/);
      assert.match(r.stderr, /hint: .*ls -ld/);
      assert.deepEqual(sessionLogs(w), before, 'a session started anyway');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('doctor with an unreadable config file blames the file, not the machine or container', async (t) => {
    if (!(await requireBwrap(t))) return;
    const dir = join(w.home, '.config', 'bubble');
    fs.mkdirSync(dir, { recursive: true });
    const cfg = join(dir, 'config.toml');
    fs.writeFileSync(cfg, 'net = "none"\n', { mode: 0o000 });
    try {
      const r = await runBubble(w, ['doctor', '--json'], { timeoutMs: 90_000 });
      const report = JSON.parse(r.stdout) as {
        checks: { id: string; status: string; message: string }[];
      };
      const live = report.checks.find((c) => c.id === 'live')!;
      assert.match(live.message, /not a problem of this machine/);
      assert.ok(live.message.includes(cfg), live.message);
      const container = report.checks.find((c) => c.id === 'container')!;
      assert.equal(container.status, 'ok', container.message);
      assert.doesNotMatch(r.stdout, /internal error|\n\s+at /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a project the user cannot write: exit 2 naming it, and the project is untouched', async (t) => {
    if (!(await requireBwrap(t))) return;
    const before = fs.readdirSync(w.project).sort();
    fs.chmodSync(w.project, 0o555);
    try {
      const r = await sandboxSh(w, 'echo ran');
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assertOneLiners(r);
      assert.match(r.stderr, /permission denied/);
      assert.ok(r.stderr.includes(`the project ${w.project} must be writable`), r.stderr);
    } finally {
      fs.chmodSync(w.project, 0o755);
    }
    assert.deepEqual(fs.readdirSync(w.project).sort(), before);
  });
});

describe('help and arguments', () => {
  let w: World;
  before(() => {
    w = makeWorld();
  });
  after(() => w.cleanup());

  test('bubble help COMMAND prints that command help', async () => {
    const run = await runBubble(w, ['help', 'run']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: bubble run /);
    const log = await runBubble(w, ['help', 'log']);
    assert.equal(log.code, 0);
    assert.match(log.stdout, /^Usage: bubble log /);
    const top = await runBubble(w, ['help']);
    assert.match(top.stdout, /^bubble: run AI coding agents/);
    const bad = await runBubble(w, ['help', 'nope']);
    assert.equal(bad.code, 2);
    assertOneLiners(bad);
  });

  test('a missing option value, an unknown option: plain words, the right hint', async () => {
    const net = await runBubble(w, ['run', '--net']);
    assert.equal(net.code, 2);
    assertOneLiners(net);
    assert.match(
      net.stderr,
      /^bubble: run: --net needs a value\nbubble: hint: --net filtered\|logged\|host\|none\n$/,
    );
    const before = await runBubble(w, ['run', '--net', '--', 'true']);
    assert.equal(before.code, 2);
    assert.match(before.stderr, /--net needs a value/);
    const log = await runBubble(w, ['log', '--bogus']);
    assert.equal(log.code, 2);
    assertOneLiners(log);
    assert.equal(
      log.stderr,
      'bubble: log: unknown option --bogus\nbubble: hint: bubble log --help\n',
    );
  });

  test('--rw / is refused before bwrap starts, with a clear line', async () => {
    const before = sessionLogs(w);
    const r = await sandboxSh(w, 'echo ran', ['--rw', '/']);
    assert.equal(r.code, 2);
    assertOneLiners(r);
    assert.match(r.stderr, /--rw \/: the whole file system cannot be mounted/);
    assert.doesNotMatch(r.stderr, /doctor/);
    assert.deepEqual(sessionLogs(w), before);
  });

  test('--rw ~ and --ro of an ancestor are refused; --expose-home means it', async (t) => {
    for (const args of [
      ['--rw', w.home],
      ['--ro', '~'],
      ['--ro', w.root],
    ]) {
      const r = await sandboxSh(w, 'cat "$HOME/.bashrc"', args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assertOneLiners(r);
      assert.match(r.stderr, /it would expose your whole home directory/);
      assert.match(r.stderr, /--expose-home overrides this/);
      assert.equal(r.stdout, '');
    }
    if (!(await requireBwrap(t))) return;
    const open = await sandboxSh(w, 'cat "$HOME/.bashrc"', ['--ro', '~', '--expose-home']);
    assert.equal(open.code, 0, open.stderr);
    assert.match(open.stdout, /canary/);
  });

  test('an argument list longer than bwrap takes: refused up front; a long one still runs', async (t) => {
    if (!(await requireBwrap(t))) return;
    const many = Array.from({ length: 10_000 }, (_, i) => String(i));
    const before = sessionLogs(w);
    const r = await runBubble(w, ['run', '--', '/bin/echo', ...many]);
    assert.equal(r.code, 2);
    assertOneLiners(r);
    assert.match(r.stderr, /the command has 10001 arguments; bubblewrap accepts at most 9000/);
    assert.doesNotMatch(r.stderr, /doctor/);
    assert.deepEqual(sessionLogs(w), before, 'a session started anyway');
    const ok = await runBubble(w, ['run', '--quiet', '--', '/bin/echo', ...many.slice(0, 8000)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim().split(' ').at(-1), '7999');
  });
});
