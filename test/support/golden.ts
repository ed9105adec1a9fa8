// Golden files: compare text with test/golden/NAME; UPDATE_GOLDEN=1 rewrites them.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bwrapArgs, fdLayout } from '../../src/sandbox/bwrap-args.ts';
import { quoteArg } from '../../src/sandbox/escape.ts';
import type { HostFacts } from '../../src/sandbox/facts.ts';
import type { Plan } from '../../src/sandbox/plan.ts';

const dir = fileURLToPath(new URL('../golden/', import.meta.url));

export function assertGolden(name: string, actual: string): void {
  const file = dir + name;
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(
    fs.existsSync(file),
    `missing golden file ${name}: run with UPDATE_GOLDEN=1 and review it`,
  );
  assert.equal(
    actual,
    fs.readFileSync(file, 'utf8'),
    `${name} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`,
  );
}

/** A plan's bwrap argv, one quoted argument a line: what the golden argv files hold. */
export function argvText(facts: HostFacts, plan: Plan): string {
  return bwrapArgs(plan, facts.bwrap!.features, fdLayout(plan)).map(quoteArg).join('\n') + '\n';
}
