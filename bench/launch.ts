// npm run bench: launch overhead of `bubble run -- true` (with --net host, none, and the
// default filtered mode, which also starts the proxy and the in-sandbox forwarder; in a plain
// directory and in a git repository) and of the short commands (--version, log, explain)
// against bare bwrap with the same mount set, `node -e 0`, the seed's bash wrapper and
// Anthropic's sandbox-runtime (`srt`, when on PATH), all measured in this run, interleaved.
// Medians, p90 and ratios; goals are printed, never asserted.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePlan } from '../src/policy/resolve.ts';
import { bwrapArgs, fdLayout } from '../src/sandbox/bwrap-args.ts';
import { gatherHostFacts } from '../src/sandbox/facts.ts';
import { findOnPath, realHostFs } from '../src/sandbox/host-fs.ts';
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
// The same project as a git repository (one commit): what most sessions run in.
const repo = fs.mkdtempSync('/var/tmp/bubble-bench-repo-');
const git = (...args: string[]): void => {
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@invalid', ...args], {
    cwd: repo,
    stdio: 'ignore',
  });
};
fs.writeFileSync(join(repo, 'README'), 'bench\n');
git('init', '-q');
git('add', 'README');
git('commit', '-q', '-m', 'bench');
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
// So are the directories and files bubble makes before every launch (package caches...).
for (const dir of plan.ensureDirs) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
for (const f of plan.ensureFiles)
  if (!fs.existsSync(f.path)) fs.writeFileSync(f.path, f.content, { mode: f.mode });
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

const bubble = join(root, 'dist/cli/bubble.js');
// Every bubble contender logs into the bench's own state dir (filtered mode writes a session
// log; `bubble log` lists those).
const env = { ...process.env, XDG_STATE_HOME: state };
const bubbleRun = (name: string, args: string[], cwd?: string): Contender => ({
  name,
  cmd: process.execPath,
  args: [bubble, 'run', ...extra, ...args, '--', 'true'],
  opts: { env, ...(cwd === undefined ? {} : { cwd }) },
});
const NODE = 'node -e 0';
const BARE = 'bare bwrap (same mounts)';
const srt = findOnPath(realHostFs(), 'srt', process.env.PATH ?? '');
const contenders: Contender[] = [
  { name: NODE, cmd: process.execPath, args: ['-e', '0'] },
  { name: BARE, cmd: facts.bwrap.path, args: bare },
  { name: 'seed script (bash + bwrap)', cmd: join(root, 'bench/seed-sandbox.sh'), args: ['true'] },
  ...(srt === undefined ? [] : [{ name: 'srt -c true', cmd: srt, args: ['-c', 'true'] }]),
  { name: 'bubble --version', cmd: process.execPath, args: [bubble, '--version'], opts: { env } },
  { name: 'bubble log', cmd: process.execPath, args: [bubble, 'log'], opts: { env } },
  {
    name: 'bubble explain -- true',
    cmd: process.execPath,
    args: [bubble, 'explain', ...extra, '--', 'true'],
    opts: { env },
  },
  bubbleRun('bubble run --net host -- true', ['--net', 'host']),
  bubbleRun('bubble run --net none -- true', ['--net', 'none']),
  bubbleRun('bubble run -- true (filtered)', ['--net', 'filtered']),
  bubbleRun('  the same in a git repository', ['--net', 'filtered'], repo),
];

/** What each contender is compared with, and the issue's goal for the ratio. */
const goals: Record<string, { base: 'node' | 'node+bwrap'; goal: number }> = {
  'bubble --version': { base: 'node', goal: 1.15 },
  'bubble log': { base: 'node', goal: 1.15 },
  'bubble run --net host -- true': { base: 'node+bwrap', goal: 1.3 },
  'bubble run --net none -- true': { base: 'node+bwrap', goal: 1.3 },
  'bubble run -- true (filtered)': { base: 'node+bwrap', goal: 1.5 },
  '  the same in a git repository': { base: 'node+bwrap', goal: 1.5 },
};

const times = timeAll(contenders, rounds);
const med = (name: string): number => median(times.get(name)!);
const baseline = med(NODE) + med(BARE);
console.log(
  `launch time: node ${process.version}, bwrap ${facts.bwrap.version}, kernel ${release()}, ${cpus().length} cpus, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
console.log(`${rounds} rounds each, interleaved, after 2 warm-up rounds (ms)`);
const w = 32;
console.log(
  `${'contender'.padEnd(w)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'x node+bwrap'.padStart(13)} ${'x node'.padStart(7)}  goal`,
);
for (const c of contenders) {
  const xs = times.get(c.name)!;
  const g = goals[c.name];
  const ratio =
    g === undefined ? '' : (median(xs) / (g.base === 'node' ? med(NODE) : baseline)).toFixed(2);
  console.log(
    `${c.name.padEnd(w)} ${median(xs).toFixed(1).padStart(8)} ${percentile(xs, 90).toFixed(1).padStart(8)} ${(median(xs) / baseline).toFixed(2).padStart(13)} ${(median(xs) / med(NODE)).toFixed(2).padStart(7)}  ${g === undefined ? '' : `<= ${g.goal}x ${g.base}: ${ratio}x ${Number(ratio) <= g.goal ? 'met' : 'NOT met'}`}`,
  );
}
console.log(
  `node+bwrap = median(node -e 0) + median(bare bwrap) = ${baseline.toFixed(1)} ms; the machine's noise shows in p90`,
);
console.log(
  `bubble overhead over bare bwrap (--net host): ${(med('bubble run --net host -- true') - med(BARE)).toFixed(1)} ms; filtered mode (proxy + forwarder) over --net host: ${(med('bubble run -- true (filtered)') - med('bubble run --net host -- true')).toFixed(1)} ms`,
);
fs.rmSync(project, { recursive: true, force: true });
fs.rmSync(repo, { recursive: true, force: true });
fs.rmSync(state, { recursive: true, force: true });
