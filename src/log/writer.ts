// Appends records to a session's log file.
//
// Each record is one synchronous write(2) to an fd opened with O_APPEND, so a
// record is on its way to the kernel before write() returns: nothing sits in a
// user-space buffer to be lost when bubble gets SIGTERM or the agent crashes.
// The file is created 0600 (O_EXCL, O_NOFOLLOW) inside a 0700 directory;
// libuv opens every fd close-on-exec, so the agent never inherits it.
import {
  closeSync,
  constants,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { serializeRecord, type LogRecord } from './record.ts';

export class LogWriteError extends Error {
  readonly code: 'ERR_LOG_OPEN' | 'ERR_LOG_WRITE' | 'ERR_LOG_DIR';
  constructor(code: LogWriteError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogWriteError';
    this.code = code;
  }
}

export interface SessionLog {
  readonly path: string;
  /** Appends one record synchronously. After close() it is a no-op. */
  write(record: LogRecord): void;
  /** Closes the file. Idempotent. */
  close(): void;
}

/**
 * `$XDG_STATE_HOME/bubble/sessions`, or `$HOME/.local/state/bubble/sessions`.
 * XDG says relative values are invalid and must be ignored.
 */
export function defaultSessionsDir(env: Readonly<Record<string, string | undefined>>): string {
  const state = env['XDG_STATE_HOME'];
  if (state && state.startsWith('/')) return join(state, 'bubble', 'sessions');
  const home = env['HOME'];
  if (!home || !home.startsWith('/')) {
    throw new LogWriteError(
      'ERR_LOG_DIR',
      'cannot place the session log: neither XDG_STATE_HOME nor HOME is an absolute path',
    );
  }
  return join(home, '.local', 'state', 'bubble', 'sessions');
}

/** Sortable to the millisecond, and unique enough: `20250102T030405.678Z-1a2b3c4d`. */
export function newSessionId(now: Date, random: () => Buffer = () => randomBytes(4)): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  return `${stamp}-${random().toString('hex')}`;
}

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function sessionLogPath(dir: string, sessionId: string): string {
  if (!SESSION_ID.test(sessionId) || sessionId.includes('..')) {
    throw new LogWriteError('ERR_LOG_OPEN', `bad session id ${JSON.stringify(sessionId)}`);
  }
  return join(dir, `${sessionId}.jsonl`);
}

/** Creates `dir` (0700) if needed and makes sure it is a real directory we can keep private. */
function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new LogWriteError('ERR_LOG_DIR', `cannot create ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const st = lstatSync(dir);
  if (!st.isDirectory())
    throw new LogWriteError('ERR_LOG_DIR', `${dir} is not a directory (symlink?)`);
  if ((st.mode & 0o077) !== 0) {
    // Tighten a directory that already existed with looser permissions.
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      fchmodSync(fd, 0o700);
    } finally {
      closeSync(fd);
    }
  }
}

/** Opens a new session log for appending. Throws LogWriteError if it exists already. */
export function openSessionLog(path: string): SessionLog {
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  ensurePrivateDir(dir);
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_WRONLY |
        constants.O_APPEND |
        constants.O_CREAT |
        constants.O_EXCL |
        constants.O_NOFOLLOW,
      0o600,
    );
  } catch (error) {
    throw new LogWriteError('ERR_LOG_OPEN', `cannot create ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let open = true;
  return {
    path,
    write(record) {
      if (!open) return;
      const bytes = Buffer.from(serializeRecord(record));
      let offset = 0;
      try {
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      } catch (error) {
        throw new LogWriteError(
          'ERR_LOG_WRITE',
          `cannot write to ${path}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
