// Can this machine run bwrap the way bubble does? Integration tests call
// requireBwrap(t) first. Like bubblewrap's own BWRAP_MUST_WORK: locally a test
// may skip when bwrap cannot run, but with BUBBLE_MUST_WORK=1 or CI set a skip
// would hide a broken sandbox, so it fails instead.

import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';

/** True when bwrap works; otherwise skips `t` and returns false, or throws under BUBBLE_MUST_WORK/CI. */
export async function requireBwrap(t: TestContext): Promise<boolean> {
  const problem = await bwrapProblem();
  if (problem === undefined) return true;
  if (mustWork()) {
    throw new Error(`bwrap cannot run: ${problem} (failing because BUBBLE_MUST_WORK or CI is set)`);
  }
  t.skip(`bwrap cannot run: ${problem}`);
  return false;
}

export function mustWork(): boolean {
  const ci = process.env['CI'];
  return (
    process.env['BUBBLE_MUST_WORK'] === '1' ||
    (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false')
  );
}

/** Why bwrap cannot run here, or undefined when it can. */
async function bwrapProblem(): Promise<string | undefined> {
  // uid 0 stays root to the kernel inside the sandbox: a test passing as root
  // proves nothing about the unprivileged users bubble is for.
  if (process.getuid?.() === 0) {
    return 'running as root; run the tests as an unprivileged user (e.g. su tester -c ...)';
  }
  const { code, stderr, error } = await run('bwrap', [
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--unshare-all',
    '--die-with-parent',
    '--',
    'true',
  ]);
  if (error !== undefined) {
    return error.code === 'ENOENT'
      ? 'bwrap not found on PATH'
      : `cannot start bwrap: ${error.message}`;
  }
  if (code !== 0) {
    return (
      `bwrap exited with ${code}: ${stderr.trim()} (hint: unprivileged user namespaces may be ` +
      'disabled: check user.max_user_namespaces and kernel.apparmor_restrict_unprivileged_userns)'
    );
  }
  return undefined;
}

interface RunResult {
  code: number | null;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, stderr, error }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** A prerequisite is missing: skip locally, throw under BUBBLE_MUST_WORK / CI. Returns false. */
export function unmet(t: TestContext, why: string): false {
  if (mustWork()) throw new Error(`${why} (failing because BUBBLE_MUST_WORK or CI is set)`);
  t.skip(why);
  return false;
}
