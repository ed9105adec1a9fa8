// Host git for tests: what the host's git says is the proof that nothing reached it.

import { execFileSync, spawnSync } from 'node:child_process';

/** A fixed author and committer, so commits work without anyone's git config. */
export const gitIdentity = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

/** The identity, and no system config (each machine's /etc/gitconfig differs). */
export const gitEnv = { ...gitIdentity, GIT_CONFIG_NOSYSTEM: '1' };

/** `--env NAME` for each variable: bubble passes them into the sandbox. */
export function passEnv(vars: Record<string, string>): string[] {
  return Object.keys(vars).flatMap((k) => ['--env', k]);
}

/** Host git in a test world (its HOME), failing the test when git fails. */
export function hostGit(
  w: { env: Record<string, string> },
  cwd: string,
  ...args: string[]
): string {
  return execFileSync('git', ['-c', 'protocol.file.allow=always', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...w.env, ...gitEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Host git that may fail (a planted redirect can break it); its output either way. */
export function hostGitTry(
  w: { env: Record<string, string> },
  cwd: string,
  ...args: string[]
): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...w.env, ...gitEnv } });
  return `${r.stdout}${r.stderr}`;
}
