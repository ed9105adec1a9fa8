// Config files meet the command line. Finding them is cheap and dependency-free; only when
// one exists are the parser and schema (zod, smol-toml) imported, so a launch without
// config files pays nothing for them.

import * as fs from 'node:fs';
import { totalmem } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { RunRequest } from '../../policy/resolve.ts';
import { bubbleDirs, configPaths, trustFile } from '../../config/paths.ts';
import type { MergeResult, CliSettings, LimitName, Valued } from '../../config/merge.ts';
import type { SandboxArgs } from '../argv.ts';
import { NET_MODE_TRAITS } from '../../net/modes.ts';
import { say } from '../say.ts';
import { EXIT_USAGE } from '../../errors.ts';
import { fsError, isFsError } from '../../fs-error.ts';
import { toRequest } from './request.ts';

export interface FoundText {
  path: string;
  text: string;
}

export interface FoundConfig {
  /** The project: the working directory's realpath. */
  projectDir: string;
  userPath: string;
  projectPath: string;
  trustPath: string;
  user?: FoundText | undefined;
  project?: FoundText | undefined;
}

function readText(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // The user's own file: a config error (exit 2), named, never a stack trace.
    if (isFsError(err))
      throw fsError(err, { path, what: 'a bubble config file', exitCode: EXIT_USAGE });
    throw err;
  }
}

/** Where the config files are, and the text of those that exist (read once: what is hashed is what is parsed). */
export function findConfig(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): FoundConfig {
  const home = env.HOME ?? '/';
  const dirs = bubbleDirs(env, home);
  const projectDir = fs.realpathSync(cwd);
  const paths = configPaths(dirs, projectDir);
  const user = readText(paths.user);
  const project = readText(paths.project);
  return {
    projectDir,
    userPath: paths.user,
    projectPath: paths.project,
    trustPath: trustFile(dirs),
    user: user === undefined ? undefined : { path: paths.user, text: user },
    project: project === undefined ? undefined : { path: paths.project, text: project },
  };
}

/** The extra options (lead's --home, --ssh-agent, --gitconfig) when this build has them. */
type Extra = {
  apiKeyCommands?: Partial<Record<'anthropic' | 'openai' | 'gemini', string>> | undefined;
  home?: 'tmp' | 'persist' | undefined;
  sshAgent?: boolean | undefined;
  gitconfig?: 'ro' | 'rw' | 'none' | undefined;
};

export function cliSettings(args: SandboxArgs): CliSettings {
  const extra = args as SandboxArgs & Extra;
  const limits: Record<string, string> = {};
  for (const spec of args.limit) {
    const eq = spec.indexOf('=');
    if (eq > 0) limits[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  const some = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);
  return {
    profile: args.profile,
    rw: some(args.rw),
    ro: some(args.ro),
    hide: some(args.hide),
    allow_write: some(args.allowWrite),
    env: some(args.env),
    net: args.net,
    allow: some(args.allow),
    deny: some(args.deny),
    host_ports: some(args.hostPorts),
    allow_private: some(args.allowPrivate),
    net_policy: args.netPolicy,
    ask_timeout: args.askTimeout,
    limits: Object.keys(limits).length > 0 ? limits : undefined,
    home: extra.home,
    ssh_agent: extra.sshAgent === true ? true : undefined,
    ssh_keys: some(args.sshKeys),
    pass_credentials: args.passCredentials ? true : undefined,
    home_keep: some(args.homeKeep),
    gitconfig: extra.gitconfig,
  };
}

/** The soft open-files limit a sandbox inherits from bubble, from /proc/self/limits. */
function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `path` stays inside the project with links followed (its nearest existing ancestor's realpath). */
function insideProject(
  path: string,
  projectDir: string,
  lexicallyInside: (p: string, dir: string) => boolean,
): boolean {
  if (!lexicallyInside(path, projectDir)) return false;
  let p = isAbsolute(path) ? path : resolve(projectDir, path);
  for (;;) {
    try {
      return lexicallyInside(fs.realpathSync(p), projectDir);
    } catch {
      const up = dirname(p);
      if (up === p) return false;
      p = up;
    }
  }
}

export interface Effective {
  found: FoundConfig;
  merged: MergeResult;
  trusted: boolean | undefined;
}

/** Parse, check trust, merge. Throws exit-2 errors for invalid files. */
export async function effectiveConfig(args: SandboxArgs, found: FoundConfig): Promise<Effective> {
  const [
    { parseConfig, sha256 },
    { mergeConfig, lexicallyInside },
    { readStore, isTrusted },
    { profileForCommand },
  ] = await Promise.all([
    import('../../config/load.ts'),
    import('../../config/merge.ts'),
    import('../../config/trust.ts'),
    import('../../policy/profiles/index.ts'),
  ]);
  const user =
    found.user === undefined
      ? undefined
      : { path: found.user.path, config: parseConfig(found.user.path, found.user.text) };
  let project;
  let trusted: boolean | undefined;
  if (found.project !== undefined) {
    trusted = isTrusted(readStore(found.trustPath), found.projectDir, sha256(found.project.text));
    project = {
      path: found.project.path,
      config: parseConfig(found.project.path, found.project.text),
      trusted,
    };
  }
  const merged = mergeConfig({
    user,
    project,
    cli: cliSettings(args),
    commandProfile: profileForCommand(args.command[0] ?? '').name,
    inherited: { nofile: openFilesLimit(), memTotal: totalmem() },
    insideProject: (path) => insideProject(path, found.projectDir, lexicallyInside),
  });
  return { found, merged, trusted };
}

/** The merged options as command-line arguments, plus where each mount came from. */
export function mergedArgs(
  args: SandboxArgs,
  merged: MergeResult,
): { args: SandboxArgs; sources: Record<string, string> } {
  const o = merged.options;
  const values = <T>(list: Valued<T>[]): T[] => list.map((v) => v.value);
  const net = o.net?.value;
  // allow/deny/host ports from a config file do nothing without the proxy: dropped rather
  // than refused (a project file choosing --net none must not break the user's rules).
  const proxied = net === undefined || NET_MODE_TRAITS[net].proxy !== 'none';
  const fromCli = <T>(list: Valued<T>[]): Valued<T>[] =>
    proxied ? list : list.filter((v) => v.source === 'command line');
  const configLimits = (Object.entries(o.limits) as [LimitName, Valued<string | number>][])
    .filter(([, v]) => v.source !== 'command line')
    .map(([name, v]) => `${name}=${v.value}`);
  const out: SandboxArgs & Extra = {
    ...args,
    profile: merged.profile.source.startsWith('default') ? args.profile : merged.profile.value,
    rw: values(o.rw),
    ro: values(o.ro),
    hide: values(o.hide),
    allowWrite: values(o.allow_write),
    env: values(o.env),
    net,
    allow: values(fromCli(o.allow)),
    deny: values(fromCli(o.deny)),
    sshKeys: values(o.ssh_keys),
    homeKeep: values(o.home_keep),
    hostPorts: values(fromCli(o.host_ports)),
    allowPrivate: values(fromCli(o.allow_private)),
    // The command line's own specs last: they win, and keep their error messages.
    limit: [...configLimits, ...args.limit],
  };
  if (proxied && o.net_policy !== undefined) out.netPolicy = o.net_policy.value;
  if (o.ask_timeout !== undefined) out.askTimeout = o.ask_timeout.value;
  if (o.home !== undefined) out.home = o.home.value;
  if (o.ssh_agent !== undefined) out.sshAgent = o.ssh_agent.value;
  if (o.pass_credentials !== undefined) out.passCredentials = o.pass_credentials.value;
  if (o.api_key_command !== undefined) out.apiKeyCommands = o.api_key_command.value;
  if (o.log_keep !== undefined) out.logKeep = o.log_keep.value;
  if (o.gitconfig !== undefined) out.gitconfig = o.gitconfig.value;
  const sources: Record<string, string> = {};
  const keep: Array<
    ['rw' | 'ro' | 'hide' | 'allow' | 'deny' | 'env' | 'host-port', Valued<string | number>[]]
  > = [
    ['rw', o.rw],
    ['ro', o.ro],
    ['hide', o.hide],
    ['env', o.env],
    ['allow', fromCli(o.allow)],
    ['deny', fromCli(o.deny)],
    ['host-port', fromCli(o.host_ports)],
  ];
  for (const [kind, list] of keep)
    for (const v of list)
      if (v.source !== 'command line') sources[`${kind}:${v.value}`] ??= v.source;
  return { args: out, sources };
}

export function ignoredLine(e: Effective): string | undefined {
  if (e.merged.ignored.length === 0 || e.found.project === undefined) return undefined;
  return `${e.found.project.path} is not trusted: ignored ${e.merged.ignored.join(', ')} (they would loosen the sandbox); review it, then run 'bubble trust' in this project to apply them`;
}

/** toRequest with the config files merged in (when there are any). */
export async function configuredRequest(
  args: SandboxArgs,
  projectDir = process.cwd(),
): Promise<RunRequest> {
  const found = findConfig(process.env, projectDir);
  if (found.user === undefined && found.project === undefined) return toRequest(args);
  const e = await effectiveConfig(args, found);
  const line = ignoredLine(e);
  if (line !== undefined && !args.quiet) say(line);
  const { args: merged, sources } = mergedArgs(args, e.merged);
  const req = toRequest(merged);
  const all = { ...req.sources, ...sources };
  return Object.keys(all).length > 0 ? { ...req, sources: all } : req;
}
