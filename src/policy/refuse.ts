// Where bubble refuses to run, before anything is planned: as root, in a system directory
// or the home itself, or with a user mount that would undo the sandbox. Pure.

import { BubbleError } from '../errors.ts';
import { isUnder } from './paths.ts';

/** Working directories that are never a project. */
const REFUSED_EXACT = new Set([
  '/',
  '/usr',
  '/etc',
  '/var',
  '/boot',
  '/proc',
  '/sys',
  '/dev',
  '/tmp',
  '/run',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/opt',
  '/home',
  '/root',
  '/srv',
  '/mnt',
  '/media',
  '/var/tmp',
]);
const REFUSED_TREES = ['/proc', '/sys', '/dev', '/etc', '/boot', '/run'];

/** Root stays root to the kernel inside; only on purpose, and then with a warning. */
export function refuseRoot(uid: number, allowRoot: boolean): string[] {
  if (uid === 0 && !allowRoot) {
    throw new BubbleError(
      'ROOT',
      'refusing to run as root: uid 0 stays root to the kernel inside the sandbox',
      {
        hint: 'run as your normal user; --allow-root overrides this',
      },
    );
  }
  return uid === 0
    ? [
        'running as root (--allow-root): capabilities dropped, but files owned by root stay reachable',
      ]
    : [];
}

export function refuseCwd(cwd: string, homeReal: string): void {
  const hint = 'cd into a project directory and run bubble there';
  if (isUnder(homeReal, cwd)) {
    throw new BubbleError(
      'CWD_HOME',
      `refusing to run in ${cwd}: it would expose your whole home directory`,
      { hint },
    );
  }
  if (REFUSED_EXACT.has(cwd) || REFUSED_TREES.some((t) => isUnder(cwd, t))) {
    throw new BubbleError(
      'CWD_SYSTEM',
      `refusing to run in ${cwd}: it is a system directory, not a project`,
      { hint },
    );
  }
}

/**
 * `--rw /` would cover the sandbox's own root (bwrap then fails on its first mount), and
 * `--rw ~` (or /home) quietly undoes the hidden home, keys and tokens included.
 */
export function refuseUserMount(
  option: string,
  src: string,
  homeReal: string,
  exposeHome: boolean,
): void {
  if (src === '/')
    throw new BubbleError('MOUNT_ROOT', `${option}: the whole file system cannot be mounted`, {
      hint: 'name the directories the command needs (e.g. --ro /srv/data)',
    });
  if (!exposeHome && isUnder(homeReal, src))
    throw new BubbleError(
      'MOUNT_HOME',
      `${option}: refusing to mount ${src}: it would expose your whole home directory (SSH keys, tokens, shell startup files)`,
      {
        hint: 'name the directories the command needs (e.g. --ro ~/src/lib); --expose-home overrides this',
      },
    );
}
