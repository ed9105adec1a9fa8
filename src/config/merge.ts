// User config + project config + command line -> the options, each value remembering where
// it came from. Pure.
//
// Later layers win for single values and add to lists: user file, its [profiles.NAME]
// table, the project file, its [profiles.NAME] table, then the command line. A project
// file the user has not trusted (`bubble trust`) may only tighten the sandbox: what would
// loosen it is dropped and reported, never applied. A repository must not widen its own
// sandbox.

import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import type { NetMode } from '../net/modes.ts';
import { DEFAULT_LIMITS, parseLimits, type Limits } from '../policy/limits.ts';
import { CONFIG_OPTIONS, type ConfigKey, type ConfigOption, type Untrusted } from './options.ts';
import type { Config, ProfileSettings } from './schema.ts';

export interface Valued<T> {
  value: T;
  /** A config file's path, or 'command line'. */
  source: string;
}

export type LimitName = 'nproc' | 'fsize' | 'nofile' | 'tmp' | 'home' | 'mem';
export const LIMIT_NAMES: readonly LimitName[] = ['nproc', 'fsize', 'nofile', 'tmp', 'home', 'mem'];
export type ListKey =
  | 'rw'
  | 'ro'
  | 'hide'
  | 'allow_write'
  | 'env'
  | 'allow'
  | 'deny'
  | 'ssh_keys'
  | 'home_keep'
  | 'allow_private';
export const LIST_KEYS: readonly ListKey[] = [
  'allow_private',
  'rw',
  'ro',
  'hide',
  'allow_write',
  'env',
  'allow',
  'deny',
  'ssh_keys',
  'home_keep',
];

export interface Options {
  profile?: Valued<string> | undefined;
  rw: Valued<string>[];
  ro: Valued<string>[];
  hide: Valued<string>[];
  allow_write: Valued<string>[];
  env: Valued<string>[];
  allow: Valued<string>[];
  deny: Valued<string>[];
  ssh_keys: Valued<string>[];
  home_keep: Valued<string>[];
  allow_private: Valued<string>[];
  host_ports: Valued<number>[];
  net?: Valued<NetMode> | undefined;
  net_policy?: Valued<'allowlist' | 'ask'> | undefined;
  ask_timeout?: Valued<number> | undefined;
  limits: Partial<Record<LimitName, Valued<string | number>>>;
  home?: Valued<'tmp' | 'persist'> | undefined;
  ssh_agent?: Valued<boolean> | undefined;
  pass_credentials?: Valued<boolean> | undefined;
  /** Only ever from the user's own config: it runs a command on the host. */
  api_key_command?: Valued<Partial<Record<'anthropic' | 'openai' | 'gemini', string>>> | undefined;
  gitconfig?: Valued<'ro' | 'rw' | 'none'> | undefined;
  /** Session logs kept (log/prune.ts); only ever from the user's own config. */
  log_keep?: Valued<string> | undefined;
}

/** What the command line said, in config terms (undefined: not given). */
export type CliSettings = ProfileSettings & { profile?: string | undefined };

export interface LoadedConfig {
  path: string;
  config: Config;
}

export interface MergeInput {
  user?: LoadedConfig | undefined;
  project?: (LoadedConfig & { trusted: boolean }) | undefined;
  cli: CliSettings;
  /** The profile the command selects when nothing names one. */
  commandProfile: string;
  /** What the sandbox gets when no limit is set, to judge whether a project's limit is lower. */
  inherited?: InheritedLimits | undefined;
  /**
   * Whether a path an untrusted project hides lies inside the project once links are
   * followed (the host's file system); without it, judged from the text alone.
   */
  insideProject?: ((path: string) => boolean) | undefined;
}

export interface InheritedLimits {
  /** The open-files limit bubble passes on (Node raises its soft limit to the hard one). */
  nofile?: number | undefined;
  /** Physical memory: the default memory limit is half of it. */
  memTotal?: number | undefined;
}

export interface MergeResult {
  options: Options;
  profile: Valued<string>;
  /** Loosening keys of an untrusted project file that were not applied. */
  ignored: string[];
}

export const CLI = 'command line';

/** A limit's effective number: every limit is tighter when lower; unset ones are inherited. */
function limitValue(
  name: LimitName,
  value: string | number | undefined,
  base: Limits,
  inherited: InheritedLimits,
): number {
  const l = value === undefined ? base : parseLimits([`${name}=${value}`], base);
  const v = {
    nproc: l.nproc,
    fsize: l.fsizeBytes,
    nofile: l.nofile ?? inherited.nofile,
    tmp: l.tmpBytes,
    home: l.homeBytes,
    mem: l.memBytes ?? (inherited.memTotal === undefined ? undefined : inherited.memTotal / 2),
  }[name];
  return v === 'unlimited' || v === undefined ? Infinity : v;
}

/** `path` (as a config file writes it) is the project or below it, judged from the text. */
export function lexicallyInside(path: string, projectDir: string): boolean {
  if (path.startsWith('~')) return false;
  const p = isAbsolute(path) ? normalize(path) : resolve(projectDir, path);
  return p === projectDir || p.startsWith(projectDir.endsWith('/') ? projectDir : projectDir + '/');
}

function emptyOptions(): Options {
  return {
    rw: [],
    ro: [],
    hide: [],
    allow_write: [],
    env: [],
    allow: [],
    deny: [],
    ssh_keys: [],
    home_keep: [],
    allow_private: [],
    host_ports: [],
    limits: {},
  };
}

/** The part of an untrusted project layer that tightens, and the names of what it dropped. */
function tightenOnly(
  layer: ProfileSettings,
  current: Options,
  prefix = '',
  judge: { insideProject: (path: string) => boolean; inherited?: InheritedLimits | undefined } = {
    insideProject: () => false,
  },
): { kept: ProfileSettings; dropped: string[] } {
  const kept: ProfileSettings = {};
  const dropped: string[] = [];
  const drop = (key: string, value?: unknown): void => {
    dropped.push(`${prefix}${key}${value === undefined ? '' : ` = ${JSON.stringify(value)}`}`);
  };
  const layerOf = layer as Record<ConfigKey, unknown>;
  const keep = (key: ConfigKey, value: unknown): void => {
    (kept as Record<string, unknown>)[key] = value;
  };
  // The option table says what each key does (options.ts). Paths hidden outside the
  // project first, then the loosening lists, then the rest: the order of the report.
  const byRule = (rules: Untrusted['rule'][]): ConfigOption[] =>
    CONFIG_OPTIONS.filter((o) => rules.includes(o.config.untrusted.rule));
  for (const option of [
    ...byRule(['inside']),
    ...byRule(['drop']),
    ...byRule(['keep', 'ranked', 'only', 'limits']),
  ]) {
    const key = option.config.key;
    const value = layerOf[key];
    if (value === undefined) continue;
    const rule: Untrusted = option.config.untrusted;
    switch (rule.rule) {
      case 'keep':
        keep(key, value);
        break;
      case 'drop':
        if ((value as unknown[]).length > 0) drop(key);
        break;
      case 'inside': {
        const paths = value as string[];
        const inside = paths.filter((p) => judge.insideProject(p));
        if (inside.length > 0) keep(key, inside);
        for (const p of paths.filter((q) => !inside.includes(q))) drop(key, p);
        break;
      }
      case 'ranked': {
        const now = (current[key as keyof Options] as Valued<string> | undefined)?.value;
        const rank = (v: string): number => rule.loosestFirst.indexOf(v);
        if (rank(value as string) >= rank(now ?? rule.unset)) keep(key, value);
        else drop(key, value);
        break;
      }
      case 'only':
        if (rule.values.includes(value as string | boolean)) keep(key, value);
        else drop(key, value);
        break;
      case 'limits':
        tightenLimits(value as NonNullable<ProfileSettings['limits']>, current, judge, kept, drop);
        break;
    }
  }
  return { kept, dropped };
}

/** Each limit of an untrusted layer, kept when not above the one in force. */
function tightenLimits(
  limits: NonNullable<ProfileSettings['limits']>,
  current: Options,
  judge: { inherited?: InheritedLimits | undefined },
  kept: ProfileSettings,
  drop: (key: string, value?: unknown) => void,
): void {
  const base = currentLimits(current);
  const inherited = judge.inherited ?? {};
  for (const name of LIMIT_NAMES) {
    const v = limits[name];
    if (v === undefined) continue;
    let tighter: boolean;
    try {
      tighter =
        limitValue(name, v, base, inherited) <= limitValue(name, undefined, base, inherited);
    } catch {
      tighter = false; // a value no sandbox can run with
    }
    if (tighter) (kept.limits ??= {})[name] = v as never;
    else drop(`limits.${name}`, v);
  }
}

/** The limits in force so far (defaults under config values). */
function currentLimits(o: Options): Limits {
  return parseLimits(
    LIMIT_NAMES.flatMap((n) => (o.limits[n] === undefined ? [] : [`${n}=${o.limits[n].value}`])),
    DEFAULT_LIMITS,
  );
}

function apply(o: Options, layer: ProfileSettings, source: string): void {
  for (const key of LIST_KEYS) for (const v of layer[key] ?? []) o[key].push({ value: v, source });
  for (const v of layer.host_ports ?? [])
    if (!o.host_ports.some((p) => p.value === v)) o.host_ports.push({ value: v, source });
  if (layer.net !== undefined) o.net = { value: layer.net, source };
  if (layer.net_policy !== undefined) o.net_policy = { value: layer.net_policy, source };
  if (layer.ask_timeout !== undefined) o.ask_timeout = { value: layer.ask_timeout, source };
  if (layer.home !== undefined) o.home = { value: layer.home, source };
  if (layer.ssh_agent !== undefined) o.ssh_agent = { value: layer.ssh_agent, source };
  if (layer.pass_credentials !== undefined)
    o.pass_credentials = { value: layer.pass_credentials, source };
  if (layer.api_key_command !== undefined)
    o.api_key_command = { value: layer.api_key_command, source };
  if (layer.gitconfig !== undefined) o.gitconfig = { value: layer.gitconfig, source };
  for (const name of LIMIT_NAMES) {
    const v = layer.limits?.[name];
    if (v !== undefined) o.limits[name] = { value: v, source };
  }
}

function settingsOf(c: Config): ProfileSettings {
  const { profile: _p, profiles: _ps, log_keep: _k, ...rest } = c;
  return rest;
}

export function mergeConfig(input: MergeInput): MergeResult {
  const { user, project, cli } = input;
  const ignored: string[] = [];
  // The profile first: it picks the [profiles.NAME] tables. An untrusted project cannot
  // pick one (a profile decides which agent state is mounted read-write).
  let profile: Valued<string> = {
    value: input.commandProfile,
    source: 'default (from the command)',
  };
  if (user?.config.profile !== undefined)
    profile = { value: user.config.profile, source: user.path };
  if (project?.config.profile !== undefined) {
    if (project.trusted) profile = { value: project.config.profile, source: project.path };
    else ignored.push(`profile = ${JSON.stringify(project.config.profile)}`);
  }
  if (cli.profile !== undefined) profile = { value: cli.profile, source: CLI };

  const o = emptyOptions();
  if (user !== undefined) {
    apply(o, settingsOf(user.config), user.path);
    const own = user.config.profiles?.[profile.value];
    if (own !== undefined) apply(o, own, user.path);
  }
  if (user?.config.log_keep !== undefined)
    o.log_keep = { value: String(user.config.log_keep), source: user.path };
  // How much of the user's own audit trail stays is not a repository's to say.
  if (project?.config.log_keep !== undefined)
    ignored.push('log_keep (read from your own config only)');
  if (project !== undefined) {
    const layers: [ProfileSettings, string][] = [[settingsOf(project.config), '']];
    const own = project.config.profiles?.[profile.value];
    if (own !== undefined) layers.push([own, `profiles.${profile.value}.`]);
    for (const [withCommand, prefix] of layers) {
      // A command the repository names would run on the host at every launch.
      const { api_key_command: command, ...layer } = withCommand;
      if (command !== undefined)
        ignored.push(`${prefix}api_key_command (read from your own config only)`);
      if (project.trusted) {
        apply(o, layer, project.path);
      } else {
        const projectDir = dirname(project.path);
        const { kept, dropped } = tightenOnly(layer, o, prefix, {
          insideProject:
            input.insideProject ?? ((p: string): boolean => lexicallyInside(p, projectDir)),
          inherited: input.inherited,
        });
        apply(o, kept, project.path);
        ignored.push(...dropped);
      }
    }
  }
  const { profile: _cp, ...cliSettings } = cli;
  apply(o, cliSettings, CLI);
  o.profile = profile;
  return { options: o, profile, ignored };
}
