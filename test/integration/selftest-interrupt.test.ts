// Ctrl-C on `bubble selftest` (issue 13 §10): SIGINT while the fork-bomb probe runs leaves
// no probe process behind and removes the temporary world. The probes run in their own
// process groups, so only selftest itself gets the terminal's signal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import { bubbleBin } from '../support/world.ts';
import { waitFor } from '../support/wait.ts';

/** Processes whose command line (or, for this user's, environment) mentions `needle`. */
function processesWith(needle: string, environ = false): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let env = '';
      if (environ) {
        try {
          env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
        } catch {
          // another user's process
        }
      }
      if (cmd.includes(needle) || env.includes(needle)) found.push(`${pid}: ${cmd.trim()}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test('Ctrl-C while the fork-bomb probe runs leaves no probe process and no world behind', async (t) => {
  if (!(await requireBwrap(t))) return;
  // Its own TMPDIR: selftest's world is made there, so every probe process names it.
  const tmp = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'bubble-it-sigint-')));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const child = spawn(process.execPath, [bubbleBin, 'selftest'], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout.resume();
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  // The bomb's launch: bubble running python3 .../probes/bomb.py (the bomb and its forks
  // carry the same command line).
  await waitFor(
    () => ended || processesWith(`${tmp}/bubble-selftest-`).some((p) => p.includes('bomb.py')),
    'the fork-bomb probe to start',
    600_000,
  );
  assert.ok(!ended, `selftest ended before the bomb ran: ${stderr}`);
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  // Every process selftest started has TMPDIR=tmp: the probes, bubble, the host listeners.
  // bubble's placeholder reaper may still be finishing its cleanup: wait for it, then check.
  const left = (): string[] =>
    processesWith(tmp, true).filter((p) => !p.startsWith(`${process.pid}:`));
  await waitFor(() => left().length === 0, 'every process selftest started to end').catch(
    () => undefined,
  );
  assert.deepEqual(
    processesWith(tmp, true).filter((p) => !p.startsWith(`${process.pid}:`)),
    [],
    'no probe process left',
  );
  assert.deepEqual(fs.readdirSync(tmp), [], 'the world is removed');
});
