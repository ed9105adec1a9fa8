import { bwrapArgs, fdLayout } from '../../sandbox/bwrap-args.ts';
import { renderPlan, planJson } from '../../sandbox/render.ts';
import { resolvePlan } from '../../policy/resolve.ts';
import type { SandboxArgs } from '../argv.ts';
import { configuredRequest } from './configured.ts';
import { projectFacts, projectLine } from './project.ts';

const ALL_FEATURES = {
  disableUserns: true,
  size: true,
  perms: true,
  jsonStatusFd: true,
  seccomp: true,
  roBindData: true,
};

export async function explain(args: SandboxArgs): Promise<number> {
  const facts = projectFacts(args);
  const plan = resolvePlan(facts, await configuredRequest(args, facts.cwd));
  const bwrap = facts.bwrap ?? { path: 'bwrap', version: 'not installed', features: ALL_FEATURES };
  const argv = [bwrap.path, ...bwrapArgs(plan, bwrap.features, fdLayout(plan))];
  const project = { dir: facts.cwd, gitTopLevel: facts.workdir !== undefined };
  process.stdout.write(
    args.json
      ? JSON.stringify({ ...(planJson(plan, argv) as object), project }, null, 2) + '\n'
      : (project.gitTopLevel ? `${projectLine(facts)}\n` : '') + renderPlan(plan, argv),
  );
  return 0;
}
