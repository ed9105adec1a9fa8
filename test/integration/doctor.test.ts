// `bubble doctor` on this machine, as users run it: the built CLI as the current
// (unprivileged) user. Everything bubble needs is ok and the live proxy check passes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { bubbleBin, repoRoot } from '../support/world.ts';

interface Report {
  ok: boolean;
  checks: { id: string; status: 'ok' | 'warn' | 'fail'; message: string; fix?: string }[];
}

function doctor(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bubbleBin, 'doctor', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bubble doctor', () => {
  test(
    '--json: the essential checks are ok, the live proxy check passes, exit 0',
    { timeout: 70_000 },
    async (t) => {
      if (!(await requireBwrap(t))) return;
      const r = await doctor(['--json']);
      const report = JSON.parse(r.stdout) as Report;
      const get = (id: string) => report.checks.find((c) => c.id === id);
      for (const id of ['bwrap', 'userns', 'seccomp', 'root', 'live']) {
        assert.equal(get(id)?.status, 'ok', `${id}: ${JSON.stringify(get(id))}`);
      }
      assert.match(
        get('live')!.message,
        /reached a loopback echo server on the host through bubble's proxy \(--host-port \d+\)/,
      );
      assert.deepEqual(
        report.checks.filter((c) => c.status === 'fail'),
        [],
      );
      for (const c of report.checks) {
        if (c.status !== 'ok')
          assert.ok(c.fix !== undefined && !c.fix.includes('\n'), `${c.id} has a one-line fix`);
      }
      for (const id of [
        'landlock',
        'tiocsti',
        'container',
        'resolv.conf',
        'forwarder',
        'agents',
        'config-dir',
        'state-dir',
        'cache-dir',
      ]) {
        assert.ok(get(id) !== undefined, `check ${id} present`);
      }
      assert.equal(report.ok, true);
      assert.equal(r.code, 0, r.stderr);
    },
  );

  test(
    'text output: one line per check, a fix under each one not ok, the verdict last',
    { timeout: 70_000 },
    async (t) => {
      if (!(await requireBwrap(t))) return;
      const r = await doctor([]);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines.at(-1)!, /^bubble can work on this machine \(\d+ ok, \d+ warnings\)$/);
      for (const line of lines.slice(0, -1))
        assert.match(line, /^(ok {2}|warn|FAIL) {2}\S+ +\S|^ +fix: \S/, line);
      assert.match(r.stdout, /^ok {4}live +a sandbox/m);
      assert.equal(r.code, 0, r.stderr);
    },
  );

  test('usage errors exit 2; --help exits 0', async () => {
    const bad = await doctor(['--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^bubble: doctor: /);
    const help = await doctor(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: bubble doctor \[--json\]/);
  });
});
