// `bubble selftest` as users run it: the built CLI, as the current (unprivileged) user, in
// every network mode. No probe may fail; in filtered mode at least 60 must actually run.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { bubbleBin, repoRoot } from '../support/world.ts';

interface Report {
  net: string;
  seconds: number;
  probes: {
    id: string;
    category: string;
    result: 'PASS' | 'FAIL' | 'SKIP' | 'N/A';
    detail: string;
  }[];
  totals: { passed: number; failed: number; skipped: number; notApplicable: number };
}

function selftest(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bubbleBin, 'selftest', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const failures = (r: Report): string =>
  r.probes
    .filter((p) => p.result === 'FAIL')
    .map((p) => `${p.id}: ${p.detail}`)
    .join('\n');

describe('bubble selftest', () => {
  for (const net of ['filtered', 'logged', 'host', 'none']) {
    test(`--net ${net}: no probe fails`, { timeout: 200_000 }, async (t) => {
      if (!(await requireBwrap(t))) return;
      const r = await selftest(['--json', '--net', net]);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.net, net);
      assert.equal(report.totals.failed, report.probes.filter((p) => p.result === 'FAIL').length);
      assert.equal(report.totals.failed, 0, `failed probes:\n${failures(report)}`);
      assert.equal(r.code, 0, r.stderr);
      const ran = report.probes.filter((p) => p.result === 'PASS');
      assert.ok(ran.length >= 60, `only ${ran.length} probes passed`);
      // Not applicable only where the same attempt was shown to be impossible outside.
      for (const n of report.probes.filter((p) => p.result === 'N/A'))
        assert.match(
          n.detail,
          /dies outside the sandbox too|outside the sandbox the same read|not available on this architecture|no python3|reachable outside the sandbox either|no mount namespace to make a full disk in|no ssh-agent tools here/,
          n.id,
        );
      t.diagnostic(`selftest --net ${net}: ${report.seconds.toFixed(1)} s`);
      assert.equal(
        new Set(report.probes.map((p) => p.id)).size,
        report.probes.length,
        'duplicate probe ids',
      );
      if (net === 'filtered' || net === 'none') {
        // Nothing is skipped by design in these modes.
        assert.deepEqual(
          report.probes.filter((p) => p.result === 'SKIP').map((p) => p.id),
          [],
        );
      } else {
        // Skips are the network probes this mode does not protect, and say so.
        for (const s of report.probes.filter(
          (p) => p.result === 'SKIP' && p.category === 'network',
        )) {
          assert.match(s.detail, new RegExp(`^not protected in --net ${net}`), s.id);
        }
      }
    });
  }

  test('text output: one line per probe and the summary line', { timeout: 200_000 }, async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await selftest([]);
    const lines = r.stdout.trimEnd().split('\n');
    const summary = lines.at(-1)!;
    assert.match(summary, /^\d+ passed, \d+ failed(, \d+ skipped)?(, \d+ not applicable here)?$/);
    const probes = lines.slice(0, -1);
    for (const line of probes) assert.match(line, /^[a-z0-9-]+ (PASS|FAIL|SKIP|N\/A) \S/, line);
    const [passed, failed] = summary.match(/\d+/g)!.map(Number);
    assert.equal(probes.filter((l) => / PASS /.test(l)).length, passed);
    assert.equal(probes.filter((l) => / FAIL /.test(l)).length, failed);
    assert.equal(r.code, failed! > 0 ? 1 : 0);
    assert.match(r.stderr, /selftest \(--net filtered\): \d+ probes in [\d.]+ s/);
  });

  test('usage errors exit 2', async () => {
    const r = await selftest(['--net', 'bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--net: expected one of filtered, logged, host, none/);
  });
});
