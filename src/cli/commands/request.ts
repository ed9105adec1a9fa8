import { BubbleError } from '../../errors.ts';
import type { RunRequest } from '../../policy/resolve.ts';
import { DEFAULT_NET_MODE, NET_MODE_TRAITS, proxied } from '../../net/modes.ts';
import { parseRules } from '../../net/rules.ts';
import { parsePrivateGrant } from '../../net/private-grants.ts';
import { parseLimits } from '../../policy/limits.ts';
import { presetEndpoints } from '../../policy/profiles/index.ts';
import type { SandboxArgs } from '../argv.ts';

export function toRequest(args: SandboxArgs): RunRequest {
  if (args.command.length === 0) {
    throw new BubbleError('USAGE', 'no command given', {
      hint: 'bubble run [options] [--] COMMAND [ARGS...]',
    });
  }
  const net = args.net ?? DEFAULT_NET_MODE;
  const allow = [...args.allow];
  const sources: Record<string, string> = {};
  for (const name of args.allowPreset) {
    for (const e of presetEndpoints([name])) {
      if (allow.includes(e)) continue;
      allow.push(e);
      sources[`allow:${e}`] = `--allow-preset ${name}`;
    }
  }
  if (
    (allow.length > 0 ||
      args.deny.length > 0 ||
      args.hostPorts.length > 0 ||
      args.allowPrivate.length > 0 ||
      args.netPolicy !== undefined) &&
    !proxied(net)
  ) {
    throw new BubbleError(
      'USAGE',
      `--allow, --allow-preset, --deny, --allow-private, --host-port and --ask need the proxy: they do nothing with --net ${net}`,
      { hint: 'use --net filtered (the default) or --net logged' },
    );
  }
  if (args.publish.length > 0 && NET_MODE_TRAITS[net].proxy !== 'socket')
    throw new BubbleError(
      'USAGE',
      `--publish needs the sandbox's own network (--net filtered, the default): with --net ${net} ${net === 'none' ? 'there is no way in' : "the sandbox's ports are the host's own"}`,
    );
  try {
    parseRules({ allow, deny: args.deny });
  } catch (err) {
    throw new BubbleError('USAGE', (err as Error).message, {
      hint: 'patterns: example.com, *.example.com, example.com:443',
    });
  }
  return {
    command: args.command,
    profile: args.profile,
    rw: args.rw,
    ro: args.ro,
    hide: args.hide,
    allowWrite: args.allowWrite,
    limits: parseLimits(args.limit),
    home: args.home ?? 'tmp',
    homeKeep: args.homeKeep,
    sshAgent: args.sshAgent || args.sshKeys.length > 0,
    sshKeys: args.sshKeys,
    passCredentials: args.passCredentials,
    apiKeyCommands: args.apiKeyCommands,
    ...(args.logKeep !== undefined ? { logKeep: args.logKeep } : {}),
    gitconfig: args.gitconfig ?? 'ro',
    env: args.env,
    net,
    allow,
    deny: args.deny,
    hostPorts: args.hostPorts,
    ...(args.publish.length > 0 ? { publish: args.publish } : {}),
    allowPrivate: checkedGrants(args.allowPrivate),
    ...(args.netPolicy !== undefined ? { netPolicy: args.netPolicy } : {}),
    ...(args.askTimeout !== undefined ? { askTimeoutMs: args.askTimeout * 1000 } : {}),
    allowRoot: args.allowRoot,
    ...(args.exposeHome ? { exposeHome: true } : {}),
    ...(Object.keys(sources).length > 0 ? { sources } : {}),
  };
}

/** `--allow-private` values are checked before anything starts: a usage error, exit 2. */
function checkedGrants(grants: string[]): string[] {
  for (const g of grants) {
    try {
      parsePrivateGrant(g);
    } catch (err) {
      throw new BubbleError('USAGE', (err as Error).message);
    }
  }
  return grants;
}
