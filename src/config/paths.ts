// XDG base directories (https://specifications.freedesktop.org/basedir-spec/latest/).
// Pure: takes the environment and HOME, returns paths.

import { isAbsolute, join } from 'node:path';

function xdg(env: Record<string, string | undefined>, name: string, fallback: string): string {
  const value = env[name];
  // The spec says relative values are invalid and must be ignored.
  return value !== undefined && isAbsolute(value) ? value : fallback;
}

export interface BubbleDirs {
  config: string;
  state: string;
  cache: string;
}

export function bubbleDirs(env: Record<string, string | undefined>, home: string): BubbleDirs {
  return {
    config: join(xdg(env, 'XDG_CONFIG_HOME', join(home, '.config')), 'bubble'),
    state: join(xdg(env, 'XDG_STATE_HOME', join(home, '.local', 'state')), 'bubble'),
    cache: join(xdg(env, 'XDG_CACHE_HOME', join(home, '.cache')), 'bubble'),
  };
}

/** The project config file: `.bubble.toml` at the project root (the working directory's realpath). */
const PROJECT_CONFIG = '.bubble.toml';

/** Where the user and project config files would be (they may not exist). */
export function configPaths(dirs: BubbleDirs, project: string): { user: string; project: string } {
  return { user: join(dirs.config, 'config.toml'), project: join(project, PROJECT_CONFIG) };
}

/** The project's trust records: the sha256 of each trusted `.bubble.toml`, by project. */
export function trustFile(dirs: BubbleDirs): string {
  return join(dirs.state, 'trust.json');
}
