// Policy: host facts + the user's request + the agent profile -> Plan. Pure: it reads the
// host only through facts.fs (a memoized view), and never changes anything. Each step is a
// decision with its own file; the order of the mount steps is the order bwrap applies them
// (broad to specific: later mounts cover earlier ones).

import { basename } from 'node:path';
import { credentialPlan } from '../creds/plan.ts';
import { proxied } from '../net/modes.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import type { Plan } from '../sandbox/plan.ts';
import { chooseProfile, resolveCommand } from './command.ts';
import { sandboxEnv } from './environment.ts';
import { innerSandboxSwitch } from './inner-sandbox.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { refusePlannedLinks } from './links.ts';
import { Mounts } from './mount-list.ts';
import {
  agentStateMounts,
  commandMounts,
  credentialMasks,
  gitconfigMounts,
  hideMounts,
  homeAndProjectMounts,
  packageCacheMounts,
  systemMounts,
  userMounts,
} from './mounts.ts';
import { planNetwork } from './network-plan.ts';
import { processPlan } from './process.ts';
import { protectPaths } from './protection.ts';
import { refuseCwd, refuseRoot } from './refuse.ts';
import type { RunRequest } from './run-request.ts';
import { sshAgentMount } from './ssh-agent.ts';
import { caBundleMounts, registryConfigMounts } from './trust-mounts.ts';

export type { RunRequest } from './run-request.ts';

export function resolvePlan(facts: HostFacts, req: RunRequest): Plan {
  const limits = req.limits ?? DEFAULT_LIMITS;
  const { home, cwd } = facts;
  const homeReal = facts.fs.realpath(home) ?? home;

  const warnings = refuseRoot(facts.uid, req.allowRoot);
  refuseCwd(cwd, homeReal);
  const profile = chooseProfile(req.profile, req.command[0] ?? '');
  const command = resolveCommand(facts, req.command[0] ?? '');

  // Mounts, broad to specific.
  const m = new Mounts();
  systemMounts(m, facts, req.net, limits);
  const homeMounts = homeAndProjectMounts(m, facts, req, limits);
  const caches = packageCacheMounts(m, facts);
  const state = agentStateMounts(m, facts, profile, req.allowWrite);
  commandMounts(m, facts, command);
  const gitconfigWarnings = gitconfigMounts(m, facts, req.gitconfig ?? 'ro');
  userMounts(m, facts, req, homeReal);
  const ssh = sshAgentMount(m, facts, req);
  const network = planNetwork(m, facts, req);
  const ensureDirs = [...homeMounts.ensureDirs, ...caches.ensureDirs, ...state.ensureDirs];
  const protection = protectPaths(m, facts, {
    profile,
    homeReal,
    allowWrite: req.allowWrite,
    ensureDirs,
  });
  // Model API credentials stay on the host: bubble's reverse proxy adds them (src/creds).
  const credentials = credentialPlan({
    profile: profile.name,
    command: basename(command),
    home,
    env: facts.env,
    readText: (p) => facts.fs.readText(p, 1 << 20),
    // logged mode's port is known only once the proxy listens: 0 until withHostProxyPort.
    proxyPort: proxied(req.net) ? (network.net.proxyPort ?? 0) : undefined,
    pass: req.passCredentials ?? false,
    commands: req.apiKeyCommands ?? {},
  });
  credentialMasks(m, facts, credentials.masked);
  const trustWarnings = [...caBundleMounts(m, facts), ...registryConfigMounts(m, facts)];
  hideMounts(m, facts, req);

  const inner = innerSandboxSwitch(profile.innerSandbox, facts, cwd);
  const environment = sandboxEnv(m, facts, {
    req,
    profile,
    credentials,
    net: network.net,
    gitIgnore: protection.gitIgnore !== undefined,
    sshSock: ssh?.inside,
    innerEnv: inner?.env ?? {},
    caches,
  });
  // The flags are the agent's own: not for another command run with --profile.
  const innerArgs = profile.commands.includes(basename(command)) ? (inner?.args ?? []) : [];
  const innerNotice =
    inner?.notice !== undefined && (innerArgs.length > 0 || (inner.args ?? []).length === 0)
      ? [inner.notice]
      : [];
  const proc = processPlan(facts, {
    limits,
    net: req.net,
    forwarder: network.forwarder,
    bridgeArgs: network.bridgeArgs,
  });
  // Last, over the whole plan: a link the project or the agent controls is never followed.
  refusePlannedLinks(m.ops, facts.fs);

  return {
    profile: profile.name,
    argv: [command, ...innerArgs, ...credentials.argv, ...req.command.slice(1)],
    wrapper: proc.wrapper,
    limits: proc.limits,
    memory: proc.memory,
    cwd: facts.workdir ?? cwd,
    mounts: m.ops,
    env: environment.env,
    envWhy: environment.envWhy,
    namespaces: proc.namespaces,
    process: {
      ...proc.process,
      ...(caches.outerUserns === undefined
        ? {}
        : { outerUserns: { uid: facts.uid, gid: facts.gid, ...caches.outerUserns } }),
    },
    net: network.net,
    seccomp: proc.seccomp,
    placeholders: protection.placeholders,
    protectedExisting: protection.protectedExisting,
    stages: [...state.stages, ...protection.stages],
    ensureDirs,
    ensureFiles: state.ensureFiles,
    ...(ssh === undefined ? {} : { sshAgent: ssh.agent }),
    caches: caches.caches,
    credentials,
    warnings: [
      ...warnings,
      ...homeMounts.warnings,
      ...state.warnings,
      ...gitconfigWarnings,
      ...protection.warnings,
      ...credentials.notes,
      ...trustWarnings,
      ...environment.warnings,
      ...innerNotice,
      ...proc.warnings,
    ],
  };
}
