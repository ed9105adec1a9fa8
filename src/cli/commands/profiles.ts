// `bubble profiles`: what each agent profile keeps writable, protects, passes and allows.

import { parseArgs } from 'node:util';
import { usageError } from '../usage.ts';
import type { Profile } from '../../policy/profile.ts';
import { profiles } from '../../policy/profiles/index.ts';

const profilesHelp = `Usage: bubble profiles [--json]

Lists the agent profiles: the commands that select each one (or --profile NAME), what it
keeps writable and reaching your home, what it makes read-only (never creatable), the
environment variables it passes, the endpoints --allow-preset NAME allows, and how its
model credentials are handled (kept outside and added by bubble, or passed in).

Options:
  --json        machine-readable output
  -h, --help    this help
`;

/** The profile as JSON output shows it: paths as ~/..., env split into names and prefixes. */
export function profileRecord(p: Profile): Record<string, unknown> {
  const home = (path: string, type: 'file' | 'dir'): string =>
    `~/${path}${type === 'dir' ? '/' : ''}`;
  return {
    name: p.name,
    summary: p.summary,
    commands: p.commands,
    // A staged state dir: only the names it writes, everything else there read-only.
    writable: p.state.flatMap((s) => {
      const staged = p.staged?.find((x) => x.dir === s.path);
      if (staged === undefined) return [home(s.path, s.type)];
      return [...staged.write, ...staged.replace].map((n) =>
        typeof n.name === 'string'
          ? home(`${s.path}/${n.name}`, n.type)
          : `~/${s.path}/ (${n.why})`,
      );
    }),
    protected: [
      ...p.protected.map((s) => home(s.path, s.type)),
      ...(p.staged ?? []).map((s) => `everything else in ~/${s.dir}/ (no new names)`),
    ],
    scriptRefs: p.scriptRefs.map((s) => `~/${s}`),
    env: { names: p.env.names, prefixes: p.env.prefixes.map((x) => `${x}*`) },
    endpoints: p.endpoints,
    credentials: p.credentials,
  };
}

const WIDTH = 96;
const INDENT = ' '.repeat(13);

/** Items joined with commas, wrapped under the value column. */
function list(items: readonly string[]): string {
  if (items.length === 0) return '-';
  const lines = [''];
  items.forEach((item, i) => {
    const word = i < items.length - 1 ? `${item},` : item;
    const last = lines.length - 1;
    if (lines[last] !== '' && INDENT.length + lines[last]!.length + 1 + word.length > WIDTH)
      lines.push(word);
    else lines[last] = lines[last] === '' ? word : `${lines[last]} ${word}`;
  });
  return lines.join(`\n${INDENT}`);
}

export function renderProfiles(all: readonly Profile[]): string {
  const lines: string[] = [];
  for (const p of all) {
    const r = profileRecord(p) as {
      writable: string[];
      protected: string[];
      scriptRefs: string[];
      env: { names: string[]; prefixes: string[] };
    };
    lines.push(`${p.name}: ${p.summary}`);
    lines.push(
      `  commands   ${p.commands.length === 0 ? 'any other command (the default)' : list(p.commands)}`,
    );
    lines.push(`  writable   ${list(r.writable)}`);
    lines.push(`  read-only  ${list(r.protected)}`);
    if (r.scriptRefs.length > 0)
      lines.push(`${INDENT}and the scripts that ${list(r.scriptRefs)} run`);
    lines.push(`  env        ${list([...r.env.names, ...r.env.prefixes])}`);
    lines.push(`  endpoints  ${list(p.endpoints)}`);
    if (p.endpoints.length > 0)
      lines.push(`${INDENT}(--allow-preset ${p.name} allows exactly these)`);
    lines.push(
      `  api keys   ${list(p.credentials.split(/(?<=,) /).map((w) => w.replace(/,$/, '')))}`,
    );
    lines.push('');
  }
  return lines.join('\n');
}

export function profilesCommand(words: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: words,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    throw usageError('profiles', err);
  }
  if (values.help) {
    process.stdout.write(profilesHelp);
    return 0;
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(profiles.map(profileRecord), null, 2) + '\n');
  } else {
    process.stdout.write(renderProfiles(profiles));
  }
  return 0;
}
