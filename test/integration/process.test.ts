// Process, terminal and environment isolation, attacked from inside the real sandbox.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import {
  bubbleBin,
  CANARY,
  makeWorld,
  repoRoot,
  runBubble,
  SECRET_ENV,
  sandboxSh,
  type World,
} from '../support/world.ts';

const fixture = (name: string): string => join(repoRoot, 'test/fixtures', name);

describe('process and environment isolation', () => {
  let w: World;
  before(() => {
    w = makeWorld();
    // Fixtures the sandbox runs live in the project, the only host dir it sees.
    for (const f of ['tty-inject.py', 'ptrace-probe.py'])
      fs.copyFileSync(fixture(f), join(w.project, f));
  });
  after(() => w.cleanup());

  test('host processes are invisible and cannot be traced', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      `ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '; echo; test -e /proc/${process.pid} && echo SEES-HOST-PID; python3 ptrace-probe.py 1; python3 ptrace-probe.py ${process.pid}`,
    );
    assert.equal(r.code, 0, r.stderr);
    const [pids, ...rest] = r.stdout.split('\n');
    assert.ok(pids!.trim().split(' ').length <= 6, `too many processes visible: ${pids}`);
    assert.ok(!r.stdout.includes('SEES-HOST-PID'));
    assert.deepEqual(rest.filter(Boolean), ['ptrace EPERM', 'ptrace EPERM']);
  });

  test('secret variables stay outside; only the allowlist passes', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      'env; echo ---; tr "\\0" "\\n" < /proc/1/environ; echo ---; tr "\\0" " " < /proc/1/cmdline',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(CANARY), 'the secret leaked');
    const names = r.stdout
      .split('---')[0]!
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('=')[0]);
    for (const forbidden of [SECRET_ENV, 'SSH_AUTH_SOCK', 'LD_PRELOAD', 'NODE_OPTIONS'])
      assert.ok(!names.includes(forbidden), forbidden);
    assert.ok(names.includes('BUBBLE_SANDBOX'));
    assert.ok(names.includes('HOME'));
  });

  test('--env passes one variable, and its value never appears in argv', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(w, `printenv ${SECRET_ENV}; tr "\\0" " " < /proc/1/cmdline`, [
      '--env',
      SECRET_ENV,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [value, cmdline] = r.stdout.split('\n');
    assert.equal(value, CANARY);
    assert.ok(cmdline!.includes('bwrap') && !cmdline!.includes(CANARY), cmdline);
  });

  test('nested user namespaces are refused', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      'unshare -U true && echo UNSHARED; unshare -r id && echo ROOT; echo done',
    );
    assert.ok(r.stdout.includes('done'), r.stderr);
    assert.ok(!r.stdout.includes('UNSHARED') && !r.stdout.includes('ROOT'), r.stdout);
  });

  test('no capabilities inside', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(w, 'grep -E "^Cap(Eff|Prm|Amb)" /proc/self/status');
    assert.equal(r.code, 0, r.stderr);
    for (const line of r.stdout.trim().split('\n')) assert.match(line, /\s0+$/, line);
  });

  test('TIOCSTI and TIOCLINUX are refused under a real terminal, and the TUI keeps its tty', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(
        'python3',
        [
          fixture('pty-run.py'),
          process.execPath,
          bubbleBin,
          'run',
          '--',
          'python3',
          'tty-inject.py',
        ],
        {
          cwd: w.project,
          env: w.env,
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      child.stdin.end();
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    const out = r.out.replaceAll('\r', '');
    assert.equal(r.code, 0, out);
    assert.match(out, /isatty True/);
    assert.match(out, /^TIOCSTI EPERM$/m);
    assert.match(out, /^TIOCSTI-high-bits EPERM$/m);
    assert.match(out, /^TIOCLINUX EPERM$/m);
    assert.match(out, /^TIOCGWINSZ OK$/m);
    assert.ok(!out.includes('##'), 'an injected character reached the terminal');
  });

  test('without a terminal the sandbox runs in a new session', async (t) => {
    if (!(await requireBwrap(t))) return;
    // Field 6 of stat is the session id, as numbered in the sandbox's pid namespace: 0 when
    // the session leader is outside (the user's terminal session), else a sandbox pid.
    const r = await sandboxSh(w, 'cut -d" " -f6 /proc/self/stat');
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(
      r.stdout.trim(),
      '0',
      'still in the host session: TIOCSTI-style attacks on its terminal stay open',
    );
  });

  test('stray fds of bubble do not reach the agent', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await runBubble(w, [
      'run',
      '--',
      'sh',
      '-c',
      'ls /proc/self/fd | sort -n | tr "\\n" " "',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0 1 2 3', "only stdio (and ls's own dir fd) expected");
  });
});
