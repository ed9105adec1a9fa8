// Command-line parsing for `bubble run` and `bubble explain`: pure.
// Options come first; the first word that is not an option (or everything after `--`)
// is the command, and every word from there on belongs to it, untouched.

import { parseArgs } from 'node:util';
import type { PublishedPort } from '../net/publish.ts';
import { BubbleError } from '../errors.ts';
import { isNetMode, NET_MODES, type NetMode } from '../net/modes.ts';
import { usageError } from './usage.ts';

export const NET_POLICIES = ['allowlist', 'ask'] as const;
export type NetPolicy = (typeof NET_POLICIES)[number];

const options = {
  rw: { type: 'string', multiple: true },
  ro: { type: 'string', multiple: true },
  hide: { type: 'string', multiple: true },
  'allow-write': { type: 'string', multiple: true },
  limit: { type: 'string', multiple: true },
  home: { type: 'string' },
  'home-keep': { type: 'string', multiple: true },
  'ssh-agent': { type: 'boolean' },
  'ssh-key': { type: 'string', multiple: true },
  'pass-credentials': { type: 'boolean' },
  gitconfig: { type: 'string' },
  env: { type: 'string', multiple: true },
  net: { type: 'string' },
  allow: { type: 'string', multiple: true },
  'allow-preset': { type: 'string', multiple: true },
  deny: { type: 'string', multiple: true },
  'host-port': { type: 'string', multiple: true },
  publish: { type: 'string', multiple: true },
  'allow-private': { type: 'string', multiple: true },
  'net-policy': { type: 'string' },
  ask: { type: 'boolean' },
  'ask-timeout': { type: 'string' },
  profile: { type: 'string' },
  'allow-root': { type: 'boolean' },
  'expose-home': { type: 'boolean' },
  'no-git-root': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What each option's value looks like, for "--net needs a value". */
const VALUE_HINTS: Record<string, string> = {
  '--net': `${NET_MODES.join('|')}`,
  '--home': 'tmp|persist',
  '--gitconfig': 'ro|rw|none',
  '--rw': 'PATH',
  '--ro': 'PATH',
  '--hide': 'PATH',
  '--allow-write': 'PATH',
  '--limit': 'NAME=VALUE (nproc, fsize, nofile, tmp, home)',
  '--env': 'NAME or NAME=VALUE',
  '--allow': 'PATTERN (example.com, *.example.com, example.com:443)',
  '--deny': 'PATTERN (example.com, *.example.com, example.com:443)',
  '--allow-preset': 'PROFILE (bubble profiles lists them)',
  '--host-port': 'PORT',
  '--publish': 'PORT[:HOSTPORT]',
  '--allow-private': 'HOST or CIDR (db.lan, 10.0.0.0/8)',
  '--net-policy': 'allowlist|ask',
  '--ask-timeout': 'SECONDS (default 60)',
  '--profile': 'NAME (bubble profiles lists them)',
};

const takesValue = new Set(
  Object.entries(options)
    .filter(([, o]) => o.type === 'string')
    .map(([k]) => `--${k}`),
);

export interface SandboxArgs {
  command: string[];
  rw: string[];
  ro: string[];
  hide: string[];
  allowWrite: string[];
  limit: string[];
  home: 'tmp' | 'persist' | undefined;
  /** More paths a persistent home keeps (`--home-keep`). */
  homeKeep: string[];
  sshAgent: boolean;
  /** Keys the filtered ssh-agent may use (`--ssh-key`); naming one implies --ssh-agent. */
  sshKeys: string[];
  passCredentials: boolean;
  /** From the user's config file only (`api_key_command`); never a flag. */
  apiKeyCommands?: Partial<Record<'anthropic' | 'openai' | 'gemini', string>> | undefined;
  /** From the user's config file only (`log_keep`); BUBBLE_LOG_KEEP wins; never a flag. */
  logKeep?: string | undefined;
  gitconfig: 'ro' | 'rw' | 'none' | undefined;
  env: string[];
  net: NetMode | undefined;
  allow: string[];
  /** Profiles whose endpoints are allowed (`--allow-preset NAME`). */
  allowPreset: string[];
  deny: string[];
  hostPorts: number[];
  /** Sandbox ports reachable on the host's 127.0.0.1 (`--publish`). */
  publish: PublishedPort[];
  /** Private destinations reachable on purpose (`--allow-private HOST|CIDR`). */
  allowPrivate: string[];
  /** Only the allow list (`--net-policy allowlist`), or ask for the rest (`--ask`). */
  netPolicy: NetPolicy | undefined;
  /** How long a held connection waits for bubble watch, in seconds (`--ask-timeout`). */
  askTimeout: number | undefined;
  profile: string | undefined;
  allowRoot: boolean;
  /** Let --rw/--ro name the home directory or one of its ancestors. */
  exposeHome: boolean;
  /** Keep the project to the working directory, not its git repository's top level. */
  noGitRoot: boolean;
  quiet: boolean;
  json: boolean;
  help: boolean;
}

function oneOf<T extends string>(
  option: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BubbleError(
      'USAGE',
      `${option}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** Split `[options] [--] COMMAND [ARGS...]` into option words and the command. */
export function splitCommand(words: readonly string[]): {
  optionWords: string[];
  command: string[];
} {
  let i = 0;
  while (i < words.length) {
    const w = words[i]!;
    if (w === '--') return { optionWords: words.slice(0, i), command: words.slice(i + 1) };
    if (!w.startsWith('-') || w === '-') break;
    i += takesValue.has(w) ? 2 : 1;
  }
  return { optionWords: words.slice(0, i), command: words.slice(i) };
}

export function parseSandboxArgs(words: readonly string[], subcommand: string): SandboxArgs {
  const { optionWords, command } = splitCommand(words);
  let values;
  try {
    ({ values } = parseArgs({ args: optionWords, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw usageError(subcommand, err, (option) => VALUE_HINTS[option]);
  }
  const net = values.net;
  if (net !== undefined && !isNetMode(net)) {
    throw new BubbleError(
      'USAGE',
      `--net: expected one of ${NET_MODES.join(', ')}, got ${JSON.stringify(net)}`,
    );
  }
  const hostPorts = (values['host-port'] ?? []).map((p) => {
    const n = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
    if (!(n >= 1 && n <= 65535))
      throw new BubbleError(
        'USAGE',
        `--host-port: expected a port number (1024-65535), got ${JSON.stringify(p)}`,
      );
    if (n < 1024) {
      // The sandbox has no capabilities, so it cannot listen on a privileged port.
      throw new BubbleError(
        'USAGE',
        `--host-port ${n}: ports below 1024 cannot be opened inside the sandbox`,
        { hint: 'run the host service on a port >= 1024' },
      );
    }
    return n;
  });
  const publish = (values.publish ?? []).map(parsePublish);
  let netPolicy = oneOf('--net-policy', values['net-policy'], NET_POLICIES);
  if (values.ask === true) {
    if (netPolicy === 'allowlist')
      throw new BubbleError('USAGE', '--ask and --net-policy allowlist contradict each other');
    netPolicy = 'ask';
  }
  const rawTimeout = values['ask-timeout'];
  const askTimeout =
    rawTimeout === undefined ? undefined : /^\d{1,4}$/.test(rawTimeout) ? Number(rawTimeout) : NaN;
  if (askTimeout !== undefined && !(askTimeout >= 1 && askTimeout <= 3600))
    throw new BubbleError(
      'USAGE',
      `--ask-timeout: expected seconds (1-3600), got ${JSON.stringify(rawTimeout)}`,
    );
  return {
    command,
    netPolicy,
    askTimeout,
    allow: values.allow ?? [],
    allowPreset: values['allow-preset'] ?? [],
    deny: values.deny ?? [],
    hostPorts,
    publish,
    allowPrivate: values['allow-private'] ?? [],
    rw: values.rw ?? [],
    ro: values.ro ?? [],
    hide: values.hide ?? [],
    allowWrite: values['allow-write'] ?? [],
    limit: values.limit ?? [],
    home: oneOf('--home', values.home, ['tmp', 'persist'] as const),
    homeKeep: values['home-keep'] ?? [],
    sshAgent: values['ssh-agent'] ?? false,
    sshKeys: values['ssh-key'] ?? [],
    passCredentials: values['pass-credentials'] ?? false,
    gitconfig: oneOf('--gitconfig', values.gitconfig, ['ro', 'rw', 'none'] as const),
    env: values.env ?? [],
    net,
    profile: values.profile,
    allowRoot: values['allow-root'] ?? false,
    exposeHome: values['expose-home'] ?? false,
    noGitRoot: values['no-git-root'] ?? false,
    quiet: values.quiet ?? false,
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

/** `--publish PORT[:HOSTPORT]`: the sandbox's PORT on the host's 127.0.0.1:HOSTPORT (default PORT). */
function parsePublish(text: string): PublishedPort {
  const m = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(text);
  const inside = Number(m?.[1]);
  const host = Number(m?.[2] ?? m?.[1]);
  if (m === null || !(inside >= 1 && inside <= 65535) || !(host >= 1024 && host <= 65535))
    throw new BubbleError(
      'USAGE',
      `--publish: expected PORT or PORT:HOSTPORT (host ports 1024-65535), got ${JSON.stringify(text)}`,
    );
  return { inside, host };
}
