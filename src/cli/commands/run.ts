import { gatherHostFacts } from '../../sandbox/facts.ts';
import { launch } from '../../sandbox/launch.ts';
import { placeholderDir, reap } from '../../sandbox/placeholders.ts';
import { resolvePlan } from '../../policy/resolve.ts';
import type { SandboxArgs } from '../argv.ts';
import { toRequest } from './request.ts';
import { say } from '../say.ts';

export async function run(args: SandboxArgs): Promise<number> {
  const home = process.env.HOME;
  if (home) reap(placeholderDir(process.env, home));
  const facts = gatherHostFacts();
  const plan = resolvePlan(facts, toRequest(args));
  if (!args.quiet) for (const w of plan.warnings) say(`warning: ${w}`);
  return launch(plan, facts);
}
