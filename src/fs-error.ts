// File-system errors the user can cause (a config file nobody may read, a directory where a
// file belongs, a project they cannot write) become one line naming the path and what to
// do, never a stack trace.

import { dirname } from 'node:path';
import { quoteArg } from './sandbox/escape.ts';
import { BubbleError, EXIT_SETUP } from './errors.ts';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'part of the path is not a directory',
  ENOENT: 'it does not exist',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'input/output error',
  EBUSY: 'it is busy (a mount point?)',
};

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the directory',
  rmdir: 'remove the directory',
  unlink: 'remove',
  rename: 'rename',
  scandir: 'list the directory',
  stat: 'look at',
  lstat: 'look at',
  realpath: 'resolve',
  chmod: 'change the mode of',
  symlink: 'create the link',
  copyfile: 'copy',
};

export interface ErrnoError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

/** A Node system error from the file system (it carries an errno code we can explain). */
export function isFsError(err: unknown): err is ErrnoError {
  return (
    err instanceof Error &&
    typeof (err as ErrnoError).code === 'string' &&
    (err as ErrnoError).code in REASONS
  );
}

function hintFor(code: string, path: string): string {
  const q = quoteArg(path);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `bubble runs as you (uid ${process.getuid?.() ?? '?'}): check the owner and mode with ls -ld ${q} ${quoteArg(dirname(path))}`;
    case 'EISDIR':
      return `${q} must be a file: rename or remove the directory`;
    case 'ENOTDIR':
      return `a parent of ${q} is a file where bubble needs a directory`;
    case 'EROFS':
      return 'run bubble where it can write, or set XDG_STATE_HOME to a writable directory';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'free some space (df -h), then run again';
    case 'ELOOP':
      return `${q} is a loop of symbolic links: fix or remove them`;
    case 'EMFILE':
    case 'ENFILE':
      return 'raise the limit (ulimit -n) or close other programs';
    default:
      return `check ${q}`;
  }
}

/**
 * One line for a file-system error: "cannot read PATH: permission denied", with a hint.
 * `path` overrides the error's own (reads of a directory carry none); `exitCode` is 2 for
 * the user's own files (config, options), 125 for bubble's setup.
 */
export function fsError(
  err: ErrnoError,
  opts: { path?: string; what?: string; exitCode?: number; hint?: string } = {},
): BubbleError {
  const path = opts.path ?? err.path;
  const verb = VERBS[err.syscall ?? ''] ?? 'use';
  const reason = REASONS[err.code] ?? err.code;
  const subject = path === undefined ? '' : ` ${quoteArg(path)}`;
  const what = opts.what === undefined ? '' : ` (${opts.what})`;
  const hint = opts.hint ?? (path === undefined ? undefined : hintFor(err.code, path));
  return new BubbleError('FS', `cannot ${verb}${subject}${what}: ${reason}`, {
    exitCode: opts.exitCode ?? EXIT_SETUP,
    ...(hint === undefined ? {} : { hint }),
    cause: err,
  });
}
