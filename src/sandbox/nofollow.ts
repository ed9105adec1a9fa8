// File operations below a directory the agent can write, never following a link there.
//
// Node has no openat/mkdirat, but a path through /proc/self/fd/N starts at exactly the
// directory the descriptor holds (the kernel does not resolve its old path again): so a
// walk opens each component with O_NOFOLLOW relative to the last one, and the final
// create or remove happens in the directory that was checked, whatever was renamed or
// swapped for a link meanwhile. The anchor itself is opened as named: it and everything
// above it are the user's (their home, a dotfiles link), not the agent's.

import * as fs from 'node:fs';
import { isUnder } from '../policy/paths.ts';

const { O_RDONLY, O_RDWR, O_DIRECTORY, O_NOFOLLOW, O_CREAT, O_EXCL, O_WRONLY, O_NONBLOCK } =
  fs.constants;
/** Linux's O_PATH (asm-generic; Node does not export it): a handle that needs no read access. */
const O_PATH = 0o10000000;

const at = (dirFd: number, name: string): string => `/proc/self/fd/${dirFd}/${name}`;

function linkError(path: string): Error {
  return Object.assign(new Error(`${path} is a symlink: bubble does not follow it`), {
    code: 'ELOOP',
    path,
  });
}

/** The names of `path` below `anchor` (which must hold it). */
function namesBelow(anchor: string, path: string): string[] {
  if (!isUnder(path, anchor) || path === anchor) throw new Error(`${path} is not below ${anchor}`);
  return path.slice(anchor === '/' ? 1 : anchor.length + 1).split('/');
}

/** Open a directory by a name in `dirFd`, refusing a link (ELOOP/ENOTDIR name it). */
function openDirAt(dirFd: number, name: string, shown: string): number {
  try {
    return fs.openSync(at(dirFd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || (code === 'ENOTDIR' && fs.lstatSync(at(dirFd, name)).isSymbolicLink()))
      throw linkError(shown);
    throw e;
  }
}

/** An error naming the path the user knows, not the /proc/self/fd one. */
function named(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err.path?.startsWith('/proc/self/fd/')) {
    err.message = err.message.replace(err.path, path);
    err.path = path;
  }
  return e;
}

/**
 * Walk to the parent of `path` from `anchor`, every component a real directory: its
 * descriptor (the caller closes it) and the last name. `create`: make missing directories
 * (0700).
 */
function openParent(
  anchor: string,
  path: string,
  create?: (made: string) => void,
): { fd: number; name: string } {
  const names = namesBelow(anchor, path);
  let fd = fs.openSync(anchor, O_PATH | O_DIRECTORY);
  let shown = anchor;
  try {
    for (const name of names.slice(0, -1)) {
      shown = `${shown === '/' ? '' : shown}/${name}`;
      if (create !== undefined) {
        try {
          fs.mkdirSync(at(fd, name), { mode: 0o700 });
          create(shown);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
      const next = openDirAt(fd, name, shown);
      fs.closeSync(fd);
      fd = next;
    }
  } catch (e) {
    fs.closeSync(fd);
    throw named(e, path);
  }
  return { fd, name: names[names.length - 1]! };
}

/** Run `fn` with the descriptor of `path`'s parent (see openParent) and the last name. */
function inParent<T>(
  anchor: string,
  path: string,
  fn: (dirFd: number, name: string) => T,
  create?: (made: string) => void,
): T {
  const { fd, name } = openParent(anchor, path, create);
  try {
    return fn(fd, name);
  } catch (e) {
    throw named(e, path);
  } finally {
    fs.closeSync(fd);
  }
}

/** mkdir `path` (its parents must exist), below `anchor`, without following links. */
export function mkdirBelow(anchor: string, path: string, mode: number): void {
  inParent(anchor, path, (fd, name) => fs.mkdirSync(at(fd, name), { mode }));
}

/** mkdir -p below `anchor`, never through a link; calls `made` for each directory it creates. */
export function mkdirsBelow(
  anchor: string,
  path: string,
  mode: number,
  made: (p: string) => void = () => {},
): void {
  inParent(
    anchor,
    path,
    (fd, name) => {
      try {
        fs.mkdirSync(at(fd, name), { mode });
        made(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        fs.closeSync(openDirAt(fd, name, path));
      }
    },
    made,
  );
}

/** Create an empty file (never over anything, never through a link) below `anchor`. */
export function createFileBelow(anchor: string, path: string, mode: number, content = ''): void {
  inParent(anchor, path, (fd, name) => {
    const f = fs.openSync(at(fd, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    try {
      if (content !== '') fs.writeSync(f, content);
    } finally {
      fs.closeSync(f);
    }
  });
}

/**
 * Remove what bubble created at `path` below `anchor`: an empty directory, or an empty
 * regular file. Anything else (a link, content someone put there) stays. False when kept.
 */
export function removeBelow(anchor: string, path: string, type: 'file' | 'dir'): boolean {
  try {
    return inParent(anchor, path, (fd, name) => {
      const st = fs.lstatSync(at(fd, name), { throwIfNoEntry: false });
      if (st === undefined) return true;
      if (type === 'dir' && st.isDirectory()) fs.rmdirSync(at(fd, name));
      else if (type === 'file' && st.isFile() && st.size === 0) fs.unlinkSync(at(fd, name));
      else return false;
      return true;
    });
  } catch {
    return false; // not empty, or the way there is not a plain directory any more
  }
}

/**
 * removeBelow without waiting in the calling thread: the walk is synchronous (a few
 * opens), the removal runs in libuv's pool, so removals in different directories overlap.
 */
export async function removeBelowAsync(
  anchor: string,
  path: string,
  type: 'file' | 'dir',
): Promise<boolean> {
  let parent: { fd: number; name: string };
  try {
    parent = openParent(anchor, path);
  } catch {
    return false; // the way there is not a plain directory any more
  }
  const p = at(parent.fd, parent.name);
  try {
    const st = await fs.promises.lstat(p).catch(() => undefined);
    if (st === undefined) return true;
    if (type === 'dir' && st.isDirectory()) await fs.promises.rmdir(p);
    else if (type === 'file' && st.isFile() && st.size === 0) await fs.promises.unlink(p);
    else return false;
    return true;
  } catch {
    return false; // not empty
  } finally {
    fs.closeSync(parent.fd);
  }
}

/**
 * Whether anything (a link too) is at `path` below `anchor`, looked up without following a
 * link on the way. False when a directory on the way is missing; a link on the way throws.
 */
export function existsBelow(anchor: string, path: string): boolean {
  let parent: { fd: number; name: string };
  try {
    parent = openParent(anchor, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  try {
    return fs.lstatSync(at(parent.fd, parent.name), { throwIfNoEntry: false }) !== undefined;
  } finally {
    fs.closeSync(parent.fd);
  }
}

/** Read a regular file below `anchor` without following a link on the way. */
export function readBelow(anchor: string, path: string, maxBytes = 1 << 20): Buffer {
  return inParent(anchor, path, (fd, name) => {
    const f = fs.openSync(at(fd, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      if (!fs.fstatSync(f).isFile()) throw new Error(`${path} is not a regular file`);
      const buf = Buffer.alloc(maxBytes);
      return buf.subarray(0, fs.readSync(f, buf, 0, maxBytes, 0));
    } finally {
      fs.closeSync(f);
    }
  });
}

/**
 * A handle on `path` (a directory or a file) reached from `anchor` without following a
 * link, for bwrap's --bind-fd: what is mounted is exactly what was checked.
 */
export function openBelow(anchor: string, path: string): number {
  return inParent(anchor, path, (dirFd, name) => {
    const fd = fs.openSync(at(dirFd, name), O_PATH | O_NOFOLLOW);
    if (fs.fstatSync(fd).isSymbolicLink()) {
      fs.closeSync(fd);
      throw linkError(path);
    }
    return fd;
  });
}

/**
 * Rewrite the regular file at `path` below `anchor` in place: the same inode, never through
 * a link, never a file with other names. In place, because a starting session's bwrap may
 * hold it open to mount it and checks that the path still names it when it does (a rename
 * fails that start). A shorter text is padded with newlines in the same write and cut
 * after: a reader between the two sees blank lines, not the end of an old line.
 */
export function rewriteBelow(anchor: string, path: string, content: string): void {
  inParent(anchor, path, (dirFd, name) => {
    const f = fs.openSync(at(dirFd, name), O_RDWR | O_NOFOLLOW | O_NONBLOCK);
    try {
      const st = fs.fstatSync(f);
      if (!st.isFile()) throw new Error(`${path} is not a regular file`);
      if (st.nlink !== 1) throw new Error(`${path} has ${st.nlink} hard links`);
      const text = Buffer.from(content);
      const padded =
        text.length >= st.size
          ? text
          : Buffer.concat([text, Buffer.alloc(st.size - text.length, '\n')]);
      fs.writeSync(f, padded, 0, padded.length, 0);
      fs.ftruncateSync(f, text.length);
    } finally {
      fs.closeSync(f);
    }
  });
}

/** The names in the directory `path` below `anchor`, reached without following a link. */
export function readdirBelow(anchor: string, path: string): string[] {
  return inParent(anchor, path, (fd, name) => {
    const dir = openDirAt(fd, name, path);
    try {
      return fs.readdirSync(`/proc/self/fd/${dir}`);
    } finally {
      fs.closeSync(dir);
    }
  });
}

/** lstat of `path` below `anchor` (undefined when absent), never through a link on the way. */
export function lstatBelow(anchor: string, path: string): fs.Stats | undefined {
  return inParent(anchor, path, (fd, name) =>
    fs.lstatSync(at(fd, name), { throwIfNoEntry: false }),
  );
}

/**
 * Move what is at `path` below `anchor` (itself, a link included, never what it points to)
 * to `dest`, a path of bubble's own.
 */
export function renameOutBelow(anchor: string, path: string, dest: string): void {
  inParent(anchor, path, (fd, name) => fs.renameSync(at(fd, name), dest));
}

/**
 * Run `fn` with a path that names exactly the directory `dir` as it is now (a descriptor's
 * /proc/self/fd path), refusing a directory reached through a link: what `fn` creates or
 * removes below it stays there, whatever is renamed or swapped meanwhile.
 */
export function inPlainDir<T>(dir: string, fn: (at: string) => T): T {
  let fd: number;
  try {
    fd = fs.openSync(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw linkError(dir);
    throw e;
  }
  const here = `/proc/self/fd/${fd}`;
  try {
    if (fs.realpathSync.native(here) !== dir) throw linkError(dir);
    return fn(here);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.path?.startsWith(here)) {
      const shown = dir + err.path.slice(here.length);
      err.message = err.message.replace(err.path, shown);
      err.path = shown;
    }
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}
