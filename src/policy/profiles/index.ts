import { basename } from 'node:path';
import { BubbleError } from '../../errors.ts';
import type { Profile } from '../profile.ts';
import { aider } from './aider.ts';
import { claude } from './claude.ts';
import { codex } from './codex.ts';
import { gemini } from './gemini.ts';
import { generic } from './generic.ts';
import { opencode } from './opencode.ts';

export const profiles: readonly Profile[] = [claude, codex, gemini, opencode, aider, generic];

export function profileByName(name: string): Profile | undefined {
  return profiles.find((p) => p.name === name);
}

/** The profile a command selects by its basename; anything unknown is generic. */
export function profileForCommand(command: string): Profile {
  const base = basename(command);
  return profiles.find((p) => p.commands.includes(base)) ?? generic;
}

/** The endpoints of the named profiles, in order, without repeats (`--allow-preset`). */
export function presetEndpoints(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const p = profileByName(name);
    if (p === undefined) {
      throw new BubbleError('USAGE', `--allow-preset ${JSON.stringify(name)}: no such profile`, {
        hint: `one of: ${profiles
          .filter((x) => x.endpoints.length > 0)
          .map((x) => x.name)
          .join(', ')} (bubble profiles lists their endpoints)`,
      });
    }
    if (p.endpoints.length === 0) {
      throw new BubbleError('USAGE', `--allow-preset ${name}: that profile names no endpoints`, {
        hint: 'use --allow PATTERN',
      });
    }
    for (const e of p.endpoints) if (!out.includes(e)) out.push(e);
  }
  return out;
}
