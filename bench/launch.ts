// npm run bench: launch overhead of `bubble run -- true` (with --net host, none, and the
// default filtered mode, which also starts the proxy and the in-sandbox bridge) against bare
// bwrap with the same mount set, `node -e 0`, and the seed's bash wrapper, all measured in
// this run.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePlan } from '../src/policy/resolve.ts';
import { bwrapArgs, fdLayout } from '../src/sandbox/bwrap-args.ts';
import { gatherHostFacts } from '../src/sandbox/facts.ts';
import { median, percentile, timeAll, type Contender } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const asRoot = process.getuid?.() === 0;
if (asRoot)
  console.error(
    'bench: running as root; bubble needs --allow-root and bwrap behaves differently. Run as a normal user for real figures.',
  );

// Not under /tmp: the seed's wrapper mounts its tmpfs over the project there.
const project = fs.mkdtempSync('/var/tmp/bubble-bench-');
// Filtered mode writes a session log per run: keep them out of the user's state dir.
const state = fs.mkdtempSync('/var/tmp/bubble-bench-state-');
process.chdir(project);
const facts = gatherHostFacts();
if (!facts.bwrap) throw new Error('bwrap not found');
const extra = asRoot ? ['--allow-root'] : [];
const plan = resolvePlan(facts, {
  command: ['true'],
  rw: [],
  ro: [],
  hide: [],
  allowWrite: [],
  env: [],
  net: 'host',
  allow: [],
  deny: [],
  hostPorts: [],
  allowRoot: asRoot,
});
// Same namespaces and mounts as bubble's plan, without the seccomp program and status fd.
// bubble creates mount points for missing protected paths before bwrap runs; so does the
// bare run, once, so both mount the same set.
for (const p of plan.placeholders) {
  if (p.type === 'dir') fs.mkdirSync(p.path, { recursive: true });
  else fs.writeFileSync(p.path, '');
}
// Data files (fed through fds by bubble) become binds of /dev/null: the same mount count.
const barePlan = {
  ...plan,
  seccomp: undefined,
  mounts: plan.mounts.map((m) =>
    m.kind === 'data' ? { ...m, kind: 'ro' as const, src: '/dev/null' } : m,
  ),
};
const bare = bwrapArgs(
  barePlan,
  { ...facts.bwrap.features, jsonStatusFd: false },
  fdLayout(barePlan),
);

const contenders: Contender[] = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
  { name: 'bare bwrap (same mounts)', cmd: facts.bwrap.path, args: bare },
  { name: 'seed script (bash + bwrap)', cmd: join(root, 'bench/seed-sandbox.sh'), args: ['true'] },
  {
    name: 'bubble run --net host -- true',
    cmd: process.execPath,
    args: [join(root, 'dist/cli/bubble.js'), 'run', ...extra, '--net', 'host', '--', 'true'],
  },
  {
    name: 'bubble run --net none -- true',
    cmd: process.execPath,
    args: [join(root, 'dist/cli/bubble.js'), 'run', ...extra, '--net', 'none', '--', 'true'],
  },
  {
    name: 'bubble run --net filtered -- true',
    cmd: process.execPath,
    args: [join(root, 'dist/cli/bubble.js'), 'run', ...extra, '--net', 'filtered', '--', 'true'],
    opts: { env: { ...process.env, XDG_STATE_HOME: state } },
  },
];

const times = timeAll(contenders, rounds);
const med = (name: string): number => median(times.get(name)!);
const baseline = med('node -e 0') + med('bare bwrap (same mounts)');
console.log(`launch time, ${rounds} rounds each, interleaved (ms)`);
console.log(
  `${'contender'.padEnd(34)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'x baseline'.padStart(11)}`,
);
for (const c of contenders) {
  const xs = times.get(c.name)!;
  console.log(
    `${c.name.padEnd(34)} ${median(xs).toFixed(1).padStart(8)} ${percentile(xs, 90).toFixed(1).padStart(8)} ${(median(xs) / baseline).toFixed(2).padStart(11)}`,
  );
}
console.log(
  `baseline = median(node -e 0) + median(bare bwrap) = ${baseline.toFixed(1)} ms; goal: bubble (filtered too) <= about 1.5x baseline`,
);
console.log(
  `bubble overhead over bare bwrap: ${(med('bubble run --net host -- true') - med('bare bwrap (same mounts)')).toFixed(1)} ms`,
);
console.log(
  `filtered mode (proxy + bridge) over --net host: ${(med('bubble run --net filtered -- true') - med('bubble run --net host -- true')).toFixed(1)} ms`,
);
fs.rmSync(project, { recursive: true, force: true });
fs.rmSync(state, { recursive: true, force: true });
