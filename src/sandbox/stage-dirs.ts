// Where bubble keeps staged directories and what it set aside from them: its own state
// directory, never inside a project (the host's git must never see a stage).

import { join } from 'node:path';
import { bubbleDirs } from '../config/paths.ts';

export const stagesDir = (env: Record<string, string | undefined>, home: string): string =>
  join(bubbleDirs(env, home).state, 'stages');

export const setAsideDir = (env: Record<string, string | undefined>, home: string): string =>
  join(bubbleDirs(env, home).state, 'set-aside');
