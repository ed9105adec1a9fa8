import { gatherHostFacts } from '../../sandbox/facts.ts';
import { bwrapArgs, fdLayout } from '../../sandbox/bwrap-args.ts';
import { renderPlan, planJson } from '../../sandbox/render.ts';
import { resolvePlan } from '../../policy/resolve.ts';
import type { SandboxArgs } from '../argv.ts';
import { configuredRequest } from './configured.ts';

const ALL_FEATURES = {
  disableUserns: true,
  size: true,
  perms: true,
  jsonStatusFd: true,
  seccomp: true,
  roBindData: true,
};

export async function explain(args: SandboxArgs): Promise<number> {
  const facts = gatherHostFacts();
  const plan = resolvePlan(facts, await configuredRequest(args));
  const bwrap = facts.bwrap ?? { path: 'bwrap', version: 'not installed', features: ALL_FEATURES };
  const argv = [bwrap.path, ...bwrapArgs(plan, bwrap.features, fdLayout(plan))];
  process.stdout.write(
    args.json ? JSON.stringify(planJson(plan, argv), null, 2) + '\n' : renderPlan(plan, argv),
  );
  return 0;
}
