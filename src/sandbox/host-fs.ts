// The host filesystem as policy sees it: a read-only, memoized view (tests hand policy a fake
// one), and the PATH lookup that goes through it.

import * as fs from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export type PathType = 'file' | 'dir' | 'symlink' | 'other';

export interface PathInfo {
  type: PathType;
  mode: number;
  nlink: number;
  uid: number;
  dev: number;
  ino: number;
}

/** A read-only view of the host filesystem. Every call is memoized. */
export interface HostFs {
  lstat(path: string): PathInfo | undefined;
  realpath(path: string): string | undefined;
  /** What a symlink points to (undefined if `path` is not one). */
  readlink(path: string): string | undefined;
  /** The first `maxBytes` of a regular file, as UTF-8. */
  readText(path: string, maxBytes?: number): string | undefined;
  /** Names in a directory (sorted), or undefined if it is not one. */
  readdir(path: string): string[] | undefined;
}

function typeOf(st: fs.Stats): PathType {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

export function realHostFs(): HostFs {
  const lstats = new Map<string, PathInfo | undefined>();
  const realpaths = new Map<string, string | undefined>();
  return {
    lstat(path) {
      if (!lstats.has(path)) {
        const st = fs.lstatSync(path, { throwIfNoEntry: false });
        lstats.set(
          path,
          st && {
            type: typeOf(st),
            mode: st.mode & 0o7777,
            nlink: st.nlink,
            uid: st.uid,
            dev: st.dev,
            ino: st.ino,
          },
        );
      }
      return lstats.get(path);
    },
    realpath(path) {
      if (!realpaths.has(path)) {
        let real: string | undefined;
        try {
          real = fs.realpathSync.native(path);
        } catch {
          real = undefined;
        }
        realpaths.set(path, real);
      }
      return realpaths.get(path);
    },
    readlink(path) {
      try {
        return fs.readlinkSync(path);
      } catch {
        return undefined;
      }
    },
    readdir(path) {
      try {
        return fs.readdirSync(path).sort();
      } catch {
        return undefined;
      }
    },
    readText(path, maxBytes = 1 << 20) {
      let fd: number | undefined;
      try {
        fd = fs.openSync(
          path,
          fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
        );
        const st = fs.fstatSync(fd);
        if (!st.isFile()) return undefined;
        // As large as the file (one byte more shows it ended), not maxBytes: callers allow
        // up to megabytes for files that are mostly a few hundred bytes.
        let buf = Buffer.allocUnsafe(Math.min(maxBytes, st.size + 1));
        let n = 0;
        for (;;) {
          const got = fs.readSync(fd, buf, n, buf.length - n, n);
          n += got;
          if (got === 0 || n === maxBytes) break;
          if (n === buf.length) {
            // It grew since the fstat.
            const more = Buffer.allocUnsafe(Math.min(maxBytes, buf.length * 2));
            buf.copy(more, 0, 0, n);
            buf = more;
          }
        }
        return buf.subarray(0, n).toString('utf8');
      } catch {
        return undefined;
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    },
  };
}

/** First executable named `name` on a PATH string. */
export function findOnPath(hostFs: HostFs, name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    const real = hostFs.realpath(candidate);
    if (real === undefined) continue;
    const info = hostFs.lstat(real);
    if (info?.type === 'file' && (info.mode & 0o111) !== 0) return candidate;
  }
  return undefined;
}
