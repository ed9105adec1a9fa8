import { basename } from 'node:path';
import type { Profile } from '../profile.ts';
import { claude } from './claude.ts';
import { generic } from './generic.ts';

export const profiles: readonly Profile[] = [claude, generic];

export function profileByName(name: string): Profile | undefined {
  return profiles.find((p) => p.name === name);
}

/** The profile a command selects by its basename; anything unknown is generic. */
export function profileForCommand(command: string): Profile {
  const base = basename(command);
  return profiles.find((p) => p.commands.includes(base)) ?? generic;
}
