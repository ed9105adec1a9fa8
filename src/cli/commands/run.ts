import { launch, refuseLongArgv } from '../../sandbox/launch.ts';
import { placeholderDir, reap } from '../../sandbox/placeholders.ts';
import { expandUserPath } from '../../policy/paths.ts';
import { resolvePlan } from '../../policy/resolve.ts';
import { withHostProxyPort } from '../../policy/logged-port.ts';
import { EXIT_SETUP } from '../../errors.ts';
import type { AgentSession } from '../../ssh/session.ts';
import { changeLister } from '../../report/index.ts';
import { reportRecord, type ReportRecordInput } from '../../log/record.ts';
import { hostConfigReporter } from '../../report/host-config.ts';
import { replacedReporter } from '../../report/protected-identity.ts';
import {
  collectSessionEnd,
  finishDeadSessions,
  guarded,
  tellSessionEnd,
} from '../../report/session-end.ts';
import type { SandboxArgs } from '../argv.ts';
import type { RunRequest } from '../../policy/resolve.ts';
import { version } from '../../version.ts';
import { apiPorts } from './api-ports.ts';
import { configuredRequest } from './configured.ts';
import { projectFacts, projectLine } from './project.ts';
import { say } from '../say.ts';
import { bubbleDirs, configPaths } from '../../config/paths.ts';
import { DEFAULT_ASK_TIMEOUT_MS } from '../../net/ask.ts';
import { NET_MODE_TRAITS, proxied } from '../../net/modes.ts';

/** What the user deliberately opened, for the session header. */
function optIns(req: RunRequest): string[] {
  return [
    ...(req.sshAgent ? ['--ssh-agent', ...(req.sshKeys ?? []).map((k) => `--ssh-key ${k}`)] : []),
    ...(req.gitconfig === 'rw' ? ['--gitconfig rw'] : []),
    ...(req.home === 'persist'
      ? ['--home persist', ...(req.homeKeep ?? []).map((p) => `--home-keep ${p}`)]
      : []),
    ...(req.allowRoot ? ['--allow-root'] : []),
    ...req.allowWrite.map((p) => `--allow-write ${p}`),
    ...req.rw.map((p) => `--rw ${p}`),
    ...req.env.map((e) => `--env ${e.split('=')[0]}`),
    ...(req.passCredentials ? ['--pass-credentials'] : []),
    ...(req.publish ?? []).map((p) => `--publish ${p.inside}:${p.host}`),
  ];
}

export async function run(args: SandboxArgs): Promise<number> {
  const home = process.env.HOME;
  if (home) {
    reap(placeholderDir(process.env, home));
    finishDeadSessions(process.env, home, args.quiet === true);
  }
  const facts = projectFacts(args);
  if (facts.workdir !== undefined && !args.quiet) say(projectLine(facts));
  let req = await configuredRequest(args, facts.cwd);
  // Resolve first: refusals and usage errors come before anything starts.
  let plan = resolvePlan(facts, req);
  const api = apiPorts(facts, plan, req.hostPorts);
  if (!args.quiet) for (const line of api.lines) say(line);
  if (api.publish.length > 0) {
    req = { ...req, hostPorts: [...req.hostPorts, ...api.publish] };
    plan = resolvePlan(facts, req);
  }
  refuseLongArgv(plan, facts);
  const warn = (): void => {
    if (!args.quiet) for (const w of plan.warnings) say(`warning: ${w}`);
  };
  // What runs code on the host later (package.json scripts, Makefile, CI workflows...):
  // looked at now, compared after the session.
  const projectChanges = guarded(
    'the change report',
    () => changeLister(facts.cwd, facts.home),
    () => [],
  );
  const gitconfigChanges = guarded(
    'the git config report',
    () =>
      hostConfigReporter(
        plan.mounts.flatMap((op) =>
          op.kind === 'rw' && op.source === '--gitconfig rw'
            ? [{ hostPath: op.src, display: `~${op.dest.slice(facts.home.length)}` }]
            : [],
        ),
        'your git config changed during the session (--gitconfig rw); host git obeys it, review:',
      ),
    () => '',
  );
  const replaced = guarded(
    'recording protected paths',
    () =>
      replacedReporter(
        plan.protectedExisting.map((p) => p.path),
        facts.home,
      ),
    () => '',
  );
  const since = Date.now();
  // After the session: collected first, so the session log keeps it, then told.
  const collectEnd = (): ReportRecordInput =>
    collectSessionEnd({
      project: facts.cwd,
      since,
      stageRoot: facts.bubble.stageRoot,
      env: facts.env,
      home: facts.home,
      skip: [
        ...plan.stages.map((s) => s.real),
        ...req.allowWrite.map((raw) => expandUserPath(raw, facts.home, facts.cwd)),
      ],
      changed: projectChanges,
      notes: () => gitconfigChanges() + replaced(),
    });
  const tellEnd = (report: ReportRecordInput): void => tellSessionEnd(report, args.quiet === true);
  // The session's host side, when it has one (the proxy, or the ssh-agent filter): its
  // runtime dir and log exist before the sandbox starts, which sees their sockets.
  const session =
    proxied(plan.net.mode) || plan.sshAgent !== undefined
      ? (await import('../../net/session.ts')).openSession({
          plan,
          runtimeDir: facts.bubble.runtimeDir,
          userConfigPath: configPaths(bubbleDirs(facts.env, facts.home), facts.cwd).user,
          env: facts.env,
          argv: req.command,
          cwd: facts.cwd,
          version: version(),
          optIns: optIns(req),
          logKeep: req.logKeep,
        })
      : undefined;
  let agent: AgentSession | undefined;
  const failed = new AbortController();
  try {
    if (plan.sshAgent !== undefined) {
      const { startAgentSession } = await import('../../ssh/session.ts');
      agent = await startAgentSession(plan.sshAgent, () => session?.log);
    }
    const proxy = NET_MODE_TRAITS[plan.net.mode].proxy;
    if (session !== undefined && proxy === 'port') {
      // The agent's variables name the proxy's host port: it must exist first.
      const port = await session.startProxy();
      if (port !== undefined) plan = withHostProxyPort(plan, port);
    } else if (session !== undefined && proxy === 'socket') {
      // The proxy starts listening in the socket's directory while the sandbox starts (the
      // bridge inside waits briefly for the socket to appear).
      session.startProxy().catch((err: unknown) => {
        say(`${(err as Error).message}: stopping the sandbox, which would have no network`);
        failed.abort();
      });
    }
  } catch (err) {
    await agent?.close();
    await session?.close(EXIT_SETUP);
    throw err;
  }
  warn();
  if (plan.net.policy === 'ask' && !args.quiet)
    say(
      `destinations not in the allow list wait up to ${Math.round((plan.net.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS) / 1000)} s for an answer: run bubble watch in another terminal`,
    );
  let exit = 125;
  try {
    exit = await launch(plan, facts, { signal: failed.signal });
    return exit;
  } finally {
    if (agent !== undefined) {
      await agent.close();
      if (!args.quiet) say(agent.summary());
    }
    const report = collectEnd();
    const line = await session?.close(exit, reportRecord(report));
    if (line !== undefined && !args.quiet) process.stderr.write(line + '\n');
    tellEnd(report);
  }
}
