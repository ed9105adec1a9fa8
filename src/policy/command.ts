// The command to run and the profile that shapes its sandbox. Pure: reads the host only
// through facts.fs.

import { basename, dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { BubbleError, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND } from '../errors.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import { findOnPath } from '../sandbox/host-fs.ts';
import type { Profile } from './profile.ts';
import { profileByName, profileForCommand } from './profiles/index.ts';

/** `--profile NAME`, else the profile the command's name implies. */
export function chooseProfile(name: string | undefined, command: string): Profile {
  if (name === undefined) return profileForCommand(command);
  const p = profileByName(name);
  if (p === undefined)
    throw new BubbleError('BAD_PROFILE', `--profile ${name}: no such profile`, {
      hint: 'bubble profiles lists them',
    });
  return p;
}

/** The command's host path: `./x` and `/x` as given, a bare name through PATH. */
export function resolveCommand(facts: HostFacts, name: string): string {
  if (name === '')
    throw new BubbleError('NO_COMMAND', 'no command given', {
      hint: 'bubble run -- COMMAND [ARGS...]',
    });
  let path: string | undefined;
  if (name.includes('/')) {
    path = isAbsolute(name) ? name : resolvePath(facts.cwd, name);
    if (facts.fs.realpath(path) === undefined) path = undefined;
  } else {
    path = findOnPath(facts.fs, name, facts.env.PATH ?? '');
  }
  if (path === undefined) {
    throw new BubbleError('NOT_FOUND', `command not found: ${name}`, {
      exitCode: EXIT_NOT_FOUND,
      hint: name.includes('/') ? 'check the path' : 'is it installed and on your PATH?',
    });
  }
  const info = facts.fs.lstat(facts.fs.realpath(path)!);
  if (info?.type !== 'file' || (info.mode & 0o111) === 0) {
    throw new BubbleError('NOT_EXECUTABLE', `not an executable file: ${path}`, {
      exitCode: EXIT_NOT_EXECUTABLE,
    });
  }
  return path;
}

/** Directories that must be visible for the command to run: its own and its interpreter's. */
export function commandDirs(facts: HostFacts, command: string): string[] {
  const dirs = new Set<string>();
  const add = (p: string): void => {
    dirs.add(dirname(p));
    const real = facts.fs.realpath(p);
    if (real === undefined) return;
    // An npm-installed agent loads sibling packages (codex runs its native binary from
    // @openai/codex-linux-x64): the whole node_modules it was installed into.
    const nm = real.indexOf('/node_modules/');
    dirs.add(nm >= 0 ? real.slice(0, nm + '/node_modules'.length) : dirname(real));
  };
  add(command);
  const real = facts.fs.realpath(command);
  const head = real === undefined ? undefined : facts.fs.readText(real, 256);
  if (head?.startsWith('#!')) {
    const words = head.slice(2).split('\n')[0]!.trim().split(/\s+/);
    const interp =
      basename(words[0] ?? '') === 'env'
        ? words.slice(1).find((w) => !w.startsWith('-'))
        : words[0];
    const found =
      interp === undefined
        ? undefined
        : isAbsolute(interp)
          ? interp
          : findOnPath(facts.fs, interp, facts.env.PATH ?? '');
    if (found !== undefined) add(found);
  }
  return [...dirs];
}
