// `bubble config [options] [--json] [COMMAND]`: the effective configuration for running
// COMMAND here, and where each value came from.

import { DEFAULT_LIMITS } from '../../policy/limits.ts';
import { displayText } from '../../sandbox/escape.ts';
import type { SandboxArgs } from '../argv.ts';
import { effectiveConfig, findConfig, ignoredLine } from './configured.ts';
import { DEFAULT_NET_MODE } from '../../net/modes.ts';
import { LIMIT_NAMES, LIST_KEYS, type Valued } from '../../config/merge.ts';

interface Row {
  key: string;
  value: string | number | boolean;
  source: string;
}

const LIMIT_DEFAULTS: Record<string, string | number> = {
  nproc: DEFAULT_LIMITS.nproc,
  fsize: '8G',
  nofile: 'inherited',
  tmp: '1G',
  home: '1G',
  mem: 'half of the RAM',
};

export async function config(args: SandboxArgs): Promise<number> {
  const found = findConfig();
  const e = await effectiveConfig(args, found);
  const o = e.merged.options;
  const rows: Row[] = [];
  const one = <T extends string | number | boolean>(
    key: string,
    v: Valued<T> | undefined,
    fallback: T,
  ): void => {
    rows.push(
      v === undefined
        ? { key, value: fallback, source: 'default' }
        : { key, value: v.value, source: v.source },
    );
  };
  one('profile', e.merged.profile, '');
  one('net', o.net, DEFAULT_NET_MODE);
  one('net_policy', o.net_policy, 'open');
  one('ask_timeout', o.ask_timeout, 60);
  one('home', o.home, 'tmp');
  one('ssh_agent', o.ssh_agent, false);
  one('pass_credentials', o.pass_credentials, false);
  for (const [api, command] of Object.entries(o.api_key_command?.value ?? {}))
    rows.push({ key: `api_key_command.${api}`, value: command, source: o.api_key_command!.source });
  one('gitconfig', o.gitconfig, 'ro');
  const keepEnv = process.env.BUBBLE_LOG_KEEP;
  if (keepEnv !== undefined && keepEnv.trim() !== '')
    rows.push({ key: 'log_keep', value: keepEnv, source: 'BUBBLE_LOG_KEEP' });
  else one('log_keep', o.log_keep, '30d,1000');
  for (const name of LIMIT_NAMES) one(`limits.${name}`, o.limits[name], LIMIT_DEFAULTS[name]!);
  for (const key of [...LIST_KEYS, 'host_ports'] as const)
    for (const v of o[key]) rows.push({ key, value: v.value, source: v.source });
  const files = {
    user: { path: found.userPath, exists: found.user !== undefined },
    project: {
      path: found.projectPath,
      exists: found.project !== undefined,
      trusted: e.trusted ?? false,
    },
  };
  if (args.json) {
    process.stdout.write(
      JSON.stringify({ files, settings: rows, ignored: e.merged.ignored }, null, 2) + '\n',
    );
    return 0;
  }
  const out: string[] = [];
  out.push(`user config     ${displayText(files.user.path)}${files.user.exists ? '' : ' (none)'}`);
  out.push(
    `project config  ${displayText(files.project.path)}${!files.project.exists ? ' (none)' : files.project.trusted ? ' (trusted)' : ' (not trusted: may only tighten)'}`,
  );
  out.push('');
  const w = Math.max(...rows.map((r) => r.key.length));
  const vw = Math.min(40, Math.max(...rows.map((r) => displayText(String(r.value)).length)));
  for (const r of rows)
    out.push(
      `${r.key.padEnd(w)}  ${displayText(String(r.value)).padEnd(vw)}  [${displayText(r.source)}]`,
    );
  const line = ignoredLine(e);
  if (line !== undefined) out.push('', `ignored: ${displayText(line)}`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
