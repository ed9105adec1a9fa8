// The agent's own sandbox, switched off inside bubble (see InnerSandbox in profile.ts). Pure:
// reads the settings files through facts.fs, never changes them.

import { join } from 'node:path';
import type { HostFacts } from '../sandbox/facts.ts';
import type { InnerSandbox } from './profile.ts';

export interface InnerSandboxSwitch {
  args: string[];
  env: Record<string, string>;
  /** One line for the user, or undefined when the user never turned that sandbox on. */
  notice: string | undefined;
}

/** Whether `key` in the JSON text is on (true, or a non-empty string such as "docker"). */
function isOn(text: string | undefined, key: string[]): boolean {
  if (text === undefined) return false;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  for (const k of key) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    value = (value as Record<string, unknown>)[k];
  }
  return value === true || (typeof value === 'string' && !['', 'false', '0'].includes(value));
}

export function innerSandboxSwitch(
  spec: InnerSandbox | undefined,
  facts: HostFacts,
  project: string,
): InnerSandboxSwitch | undefined {
  if (spec === undefined) return undefined;
  const env = spec.env ?? {};
  const file = (f: string): string =>
    f.startsWith('~/') ? join(facts.home, f.slice(2)) : join(project, f.slice(2));
  const userTurnedOn =
    spec.onWhen === undefined ||
    spec.onWhen.files.some((f) => isOn(facts.fs.readText(file(f), 1 << 20), spec.onWhen!.key)) ||
    Object.entries(env).some(([k, v]) => facts.env[k] !== undefined && facts.env[k] !== v);
  return {
    // Only when it is on: otherwise the agent gets exactly the arguments it was given.
    args: userTurnedOn ? (spec.args ?? []) : [],
    env,
    notice: userTurnedOn
      ? `${spec.what}: bubble already confines the whole agent, and it could not start inside`
      : undefined,
  };
}
