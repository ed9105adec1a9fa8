// The sandbox's environment: an allowlist, nothing else. The terminal and locale, what the
// profile names, TLS trust paths visible inside, the package caches, what the user passes with --env (less the
// credentials kept on the host), then bubble's own variables (PATH, HOME, the proxy, git's
// ignore file, the ssh-agent, the agent's own sandbox switched off). Pure.

import { isAbsolute } from 'node:path';
import { BubbleError } from '../errors.ts';
import { NET_MODE_TRAITS } from '../net/modes.ts';
import type { CredentialPlan } from '../creds/plan.ts';
import type { CacheMounts } from './caches.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import type { NetPlan } from '../sandbox/plan.ts';
import type { Mounts } from './mount-list.ts';
import { connectScript, proxyEnv } from './network.ts';
import type { Profile } from './profile.ts';
import { GIT_IGNORE_INSIDE } from './protection.ts';
import type { RunRequest } from './run-request.ts';
import { CA_FILE_ENV } from './trust-mounts.ts';

const BASE_ENV = [
  'TERM',
  'COLORTERM',
  'TERM_PROGRAM',
  'LANG',
  'TZ',
  'USER',
  'LOGNAME',
  'SHELL',
  'EDITOR',
  'VISUAL',
  'NO_COLOR',
  'FORCE_COLOR',
];
const BASE_ENV_PREFIXES = ['LC_'];
/** TLS trust settings: paths, not secrets; passed when the path exists inside. */
const CA_ENV = [...CA_FILE_ENV, 'SSL_CERT_DIR'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function requestEnv(
  req: Pick<RunRequest, 'env' | 'sources'>,
  facts: HostFacts,
  warnings: string[],
): [Record<string, string>, Record<string, string>] {
  const env: Record<string, string> = {};
  const why: Record<string, string> = {};
  for (const spec of req.env) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    if (!ENV_NAME.test(name)) {
      throw new BubbleError('BAD_ENV', `--env ${JSON.stringify(spec)}: not a variable name`, {
        hint: 'use --env NAME or --env NAME=VALUE',
      });
    }
    const from = req.sources?.[`env:${spec}`];
    if (eq >= 0) {
      env[name] = spec.slice(eq + 1);
      why[name] = from ?? '--env NAME=VALUE';
    } else if (facts.env[name] !== undefined) {
      env[name] = facts.env[name];
      why[name] = from ?? '--env NAME';
    } else {
      warnings.push(`--env ${name}: not set in your environment, not passed`);
    }
  }
  return [env, why];
}

export interface Environment {
  env: Record<string, string>;
  /** Why each variable is set, shown by `bubble explain`. */
  envWhy: Record<string, string>;
  warnings: string[];
}

export function sandboxEnv(
  m: Mounts,
  facts: HostFacts,
  opts: {
    req: Pick<RunRequest, 'env' | 'sources' | 'net'>;
    profile: Profile;
    credentials: CredentialPlan;
    net: NetPlan;
    /** Whether the project has placeholder files git inside should ignore. */
    gitIgnore: boolean;
    /** SSH_AUTH_SOCK inside, with --ssh-agent. */
    sshSock: string | undefined;
    /** The agent's own sandbox, switched off. */
    innerEnv: Record<string, string>;
    /** Where the package tools find the project's caches (caches.ts). */
    caches: Pick<CacheMounts, 'env' | 'envWhy'>;
  },
): Environment {
  const { req, profile, credentials, net } = opts;
  const warnings: string[] = [];
  const env: Record<string, string> = {};
  const envWhy: Record<string, string> = {};
  const prefixes = [...BASE_ENV_PREFIXES, ...profile.env.prefixes];
  for (const [name, value] of Object.entries(facts.env)) {
    if (BASE_ENV.includes(name) || prefixes.some((p) => name.startsWith(p))) {
      env[name] = value;
      envWhy[name] =
        BASE_ENV.includes(name) || name.startsWith('LC_')
          ? 'terminal and locale'
          : `profile ${profile.name}`;
    } else if (profile.env.names.includes(name)) {
      env[name] = value;
      envWhy[name] = `profile ${profile.name}`;
    }
  }
  for (const name of CA_ENV) {
    const value = facts.env[name];
    if (value !== undefined && isAbsolute(value) && m.visible(value, facts)) {
      env[name] = value;
      envWhy[name] = 'TLS trust (a path, visible inside)';
    }
  }
  Object.assign(env, opts.caches.env);
  Object.assign(envWhy, opts.caches.envWhy);
  const [extraEnv, extraWhy] = requestEnv(req, facts, warnings);
  Object.assign(env, extraEnv);
  Object.assign(envWhy, extraWhy);
  for (const name of credentials.withheld) {
    if (name in extraEnv && !(name in credentials.env)) {
      warnings.push(
        `--env ${name}: kept outside, bubble adds it to API requests (--pass-credentials passes it)`,
      );
    }
    delete env[name];
    delete envWhy[name];
  }
  Object.assign(env, credentials.env);
  Object.assign(envWhy, credentials.envWhy);
  const pathDirs = (facts.env.PATH ?? '')
    .split(':')
    .filter((d) => isAbsolute(d) && m.visible(d, facts));
  env.PATH = [...new Set(pathDirs)].join(':') || '/usr/local/bin:/usr/bin:/bin';
  envWhy.PATH = 'your PATH, less directories the sandbox does not have';
  env.HOME = facts.home;
  envWhy.HOME = 'same path as outside (an empty tmpfs)';
  if (net.proxyPort !== undefined) {
    // connect.js (ssh's ProxyCommand) is bound in beside the bridge (filtered mode) only.
    const tools =
      NET_MODE_TRAITS[req.net].proxy === 'socket'
        ? { node: facts.bubble.node, connect: connectScript(facts.bubble.bridge) }
        : undefined;
    for (const [k, v] of Object.entries(proxyEnv(net.proxyPort, tools))) {
      if (k === 'GIT_SSH_COMMAND' && k in extraEnv) continue; // --env GIT_SSH_COMMAND wins
      // The JVM takes the last of a repeated -D: the user's options come after ours.
      env[k] = k === 'JAVA_TOOL_OPTIONS' && k in extraEnv ? `${v} ${extraEnv[k]}` : v;
      envWhy[k] = `bubble's proxy (--net ${net.mode})`;
    }
  }
  if (opts.gitIgnore && !('GIT_CONFIG_COUNT' in env)) {
    Object.assign(env, {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.excludesFile',
      GIT_CONFIG_VALUE_0: GIT_IGNORE_INSIDE,
    });
    for (const k of ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0'])
      envWhy[k] = "git ignores bubble's placeholder files";
  }
  if (opts.sshSock !== undefined) {
    env.SSH_AUTH_SOCK = opts.sshSock;
    envWhy.SSH_AUTH_SOCK = '--ssh-agent';
  }
  for (const [k, v] of Object.entries(opts.innerEnv)) {
    env[k] = v;
    envWhy[k] = `${profile.name}'s own sandbox cannot start inside bubble: off`;
  }
  env.BUBBLE_SANDBOX = '1';
  envWhy.BUBBLE_SANDBOX = 'tells programs they run inside bubble';
  return { env, envWhy, warnings };
}
