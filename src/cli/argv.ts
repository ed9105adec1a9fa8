// Command-line parsing for `bubble run` and `bubble explain`: pure.
// Options come first; the first word that is not an option (or everything after `--`)
// is the command, and every word from there on belongs to it, untouched.

import { parseArgs } from 'node:util';
import type { PublishedPort } from '../net/publish.ts';
import { BubbleError } from '../errors.ts';
import { RUN_OPTIONS, type RunOption } from '../config/options.ts';
import { isNetMode, NET_MODES, type NetMode } from '../net/modes.ts';
import { usageError } from './usage.ts';

export const NET_POLICIES = ['allowlist', 'ask'] as const;
export type NetPolicy = (typeof NET_POLICIES)[number];

type Flag = (typeof RUN_OPTIONS)[number]['flag'];
/** The values an option with a fixed list accepts, as a type. */
type ChoiceOf<F extends Flag> =
  Extract<(typeof RUN_OPTIONS)[number], { flag: F }> extends { values: readonly (infer V)[] }
    ? V
    : never;

/** node:util parseArgs's options, from the option table. */
const options = Object.fromEntries(
  RUN_OPTIONS.map((o: RunOption) => [
    o.flag.slice(2),
    {
      type: o.takes === 'nothing' ? 'boolean' : 'string',
      ...(o.takes === 'values' ? { multiple: true } : {}),
      ...(o.short === undefined ? {} : { short: o.short }),
    } as const,
  ]),
) as Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** What each option's value looks like, for "--net needs a value". */
function valueHint(flag: string): string | undefined {
  return (RUN_OPTIONS as readonly RunOption[]).find((o) => o.flag === flag)?.hint;
}

const takesValue = new Set<string>(
  (RUN_OPTIONS as readonly RunOption[]).filter((o) => o.takes !== 'nothing').map((o) => o.flag),
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
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: optionWords, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw usageError(subcommand, err, valueHint);
  }
  const list = (flag: Flag): string[] => (values[flag.slice(2)] as string[] | undefined) ?? [];
  const one = (flag: Flag): string | undefined => values[flag.slice(2)] as string | undefined;
  const on = (flag: Flag): boolean => values[flag.slice(2)] === true;
  /** A value from the option's own list (the table's `values`). */
  const choice = <F extends Flag>(flag: F): ChoiceOf<F> | undefined => {
    const allowed = (RUN_OPTIONS as readonly RunOption[]).find((o) => o.flag === flag)!.values!;
    return oneOf(flag, one(flag), allowed) as ChoiceOf<F> | undefined;
  };
  const net = one('--net');
  if (net !== undefined && !isNetMode(net)) {
    throw new BubbleError(
      'USAGE',
      `--net: expected one of ${NET_MODES.join(', ')}, got ${JSON.stringify(net)}`,
    );
  }
  const hostPorts = list('--host-port').map((p) => {
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
  const publish = list('--publish').map(parsePublish);
  let netPolicy = choice('--net-policy');
  if (on('--ask')) {
    if (netPolicy === 'allowlist')
      throw new BubbleError('USAGE', '--ask and --net-policy allowlist contradict each other');
    netPolicy = 'ask';
  }
  const rawTimeout = one('--ask-timeout');
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
    allow: list('--allow'),
    allowPreset: list('--allow-preset'),
    deny: list('--deny'),
    hostPorts,
    publish,
    allowPrivate: list('--allow-private'),
    rw: list('--rw'),
    ro: list('--ro'),
    hide: list('--hide'),
    allowWrite: list('--allow-write'),
    limit: list('--limit'),
    home: choice('--home'),
    homeKeep: list('--home-keep'),
    sshAgent: on('--ssh-agent'),
    sshKeys: list('--ssh-key'),
    passCredentials: on('--pass-credentials'),
    gitconfig: choice('--gitconfig'),
    env: list('--env'),
    net,
    profile: one('--profile'),
    allowRoot: on('--allow-root'),
    exposeHome: on('--expose-home'),
    noGitRoot: on('--no-git-root'),
    quiet: on('--quiet'),
    json: on('--json'),
    help: on('--help'),
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
