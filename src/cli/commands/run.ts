import { gatherHostFacts } from '../../sandbox/facts.ts';
import { launch } from '../../sandbox/launch.ts';
import { placeholderDir, reap } from '../../sandbox/placeholders.ts';
import { resolvePlan } from '../../policy/resolve.ts';
import type { SandboxArgs } from '../argv.ts';
import { version } from '../../version.ts';
import { toRequest } from './request.ts';
import { say } from '../say.ts';

export async function run(args: SandboxArgs): Promise<number> {
  const home = process.env.HOME;
  if (home) reap(placeholderDir(process.env, home));
  const facts = gatherHostFacts();
  const req = toRequest(args);
  // Resolve first: refusals and usage errors come before anything starts.
  let plan = resolvePlan(facts, req);
  if (req.net !== 'filtered' && req.net !== 'logged') {
    if (!args.quiet) for (const w of plan.warnings) say(`warning: ${w}`);
    return launch(plan, facts);
  }
  const { startNetSession } = await import('../../net/session.ts');
  const net = await startNetSession({
    mode: req.net,
    allow: req.allow,
    deny: req.deny,
    hostPorts: req.hostPorts,
    runtimeDir: facts.bubble.runtimeDir,
    env: facts.env,
    argv: req.command,
    cwd: facts.cwd,
    version: version(),
  });
  let exit = 125;
  try {
    if (req.net === 'logged') plan = resolvePlan(facts, { ...req, hostProxyPort: net.hostPort });
    if (!args.quiet) for (const w of plan.warnings) say(`warning: ${w}`);
    exit = await launch(plan, facts);
    return exit;
  } finally {
    const line = await net.close(exit);
    if (!args.quiet) process.stderr.write(line + '\n');
  }
}
