// The per-session host directory that holds the proxy socket (bound into the sandbox), and
// next to it, never bound in, the directory of the sessions' control sockets (bubble watch).

import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { BubbleError, EXIT_SETUP } from '../errors.ts';

/** `$XDG_RUNTIME_DIR/bubble`, or a directory of this user's under /tmp. */
export function runtimeBase(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_RUNTIME_DIR;
  return xdg && isAbsolute(xdg)
    ? join(xdg, 'bubble')
    : join(tmpdir(), `bubble-${process.getuid?.() ?? 'user'}`);
}

/** Where sessions that ask (net_policy "ask") listen for bubble watch: beside the sessions' dirs. */
export function controlDir(env: Readonly<Record<string, string | undefined>>): string {
  return join(runtimeBase(env), 'watch');
}

/** Makes `dir` (and its parent) a private directory of ours. */
export function makeControlDir(dir: string): void {
  privateDir(dirname(dir));
  privateDir(dir);
}

/** A 0700 directory of ours, refusing anything another user could have placed there. */
function privateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) {
    throw new BubbleError('RUNTIME_DIR', `${dir} is not a private directory of yours`, {
      exitCode: EXIT_SETUP,
      hint: 'remove it, or set XDG_RUNTIME_DIR',
    });
  }
}

/**
 * The directory is named by our pid: anything already there was left by a dead process
 * that had the same pid (killed before it could clean up), and so are its dead siblings.
 */
export function makeRuntimeDir(dir: string): void {
  const base = dirname(dir);
  privateDir(base);
  for (const name of fs.readdirSync(base)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (pid !== process.pid && fs.existsSync(`/proc/${pid}`)) continue; // a live session
    fs.rmSync(join(base, name), { recursive: true, force: true });
  }
  privateDir(dir);
}

export function removeRuntimeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
