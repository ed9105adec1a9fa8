// Runs the selftest: builds the world, starts the host listeners, runs the probes through
// the built bubble CLI as real child processes (one shared launch for most probes, then a
// pty launch, a fork-bomb launch alone, and the host-side two-run probes), judges each
// probe, and removes everything (unless kept).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as osConstants, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetMode } from '../net/modes.ts';
import { ABSTRACT_PY, BOMB_PY, DRIVER, PTY_RUN_PY, SYS_PY, TTY_PY } from './inside.ts';
import {
  judge,
  PROBES,
  type Calibration,
  type Category,
  type HostView,
  type Probe,
  type Ran,
  type Result,
  type Verdict,
} from './probes.ts';
import {
  changes,
  hasPython,
  makeWorld,
  removeWorld,
  SECRET_VARS,
  snapshot,
  startListeners,
  type Listeners,
  type World,
} from './world.ts';

export interface ProbeResult {
  id: string;
  category: Category;
  attack: string;
  result: Result;
  detail: string;
}

export interface SelftestReport {
  net: NetMode;
  results: ProbeResult[];
  seconds: number;
  /** The world's directory when kept. */
  kept?: string;
}

/** The bubble CLI of this installation: dist/cli/bubble.js beside this file's dist/selftest. */
const BUBBLE = fileURLToPath(new URL('../cli/bubble.js', import.meta.url));

/** The process limit the fork bomb runs under (the mechanism is what is probed). */
const BOMB_NPROC = 64;

/** Probes that disturb the ones after them (the proxy socket, .git itself, memory) run last. */
const LAST = ['writes-proxy-socket-dir', 'persist-git-rename-reinit', 'res-tmpfs-fill'];

/** Launches still running: each leads its own process group (spawned detached). */
const live = new Set<ChildProcess>();
/** Set once selftest was interrupted: nothing new is launched. */
let interrupted = false;

/**
 * Ctrl-C (or SIGTERM/SIGHUP) while probes run: the launches are in their own process
 * groups, so the terminal's signal does not reach them. Ask each to stop (bubble stops its
 * sandbox), kill what is left after a grace period, then remove the world.
 */
async function stopLaunches(graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    for (const child of live) {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    }
  };
  const allClosed = (): Promise<void> =>
    Promise.all([...live].map((c) => new Promise((done) => c.once('close', done)))).then(() => {});
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((done) => (timer = setTimeout(() => done('late'), graceMs)));
  if ((await Promise.race([allClosed(), late])) === 'late') {
    signal('SIGKILL');
    await allClosed();
  }
  clearTimeout(timer);
}

function spawnCapture(
  cmd: string,
  args: string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    timeoutMs: number;
    extraFd?: number;
    /** Kill the command (-9, the process alone) once this holds (asked as output comes, and every 10 ms). */
    killWhen?: (stdout: string) => boolean;
  },
): Promise<Ran> {
  return new Promise((resolve) => {
    // Interrupted: this launch never happens, and none ends, so the run stops where it is
    // while the signal handler tidies up and exits.
    if (interrupted) return;
    const stdio: ('pipe' | 'ignore' | number)[] = ['ignore', 'pipe', 'pipe'];
    if (opts.extraFd !== undefined) stdio.push(opts.extraFd);
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio, detached: true });
    live.add(child);
    child.once('close', () => live.delete(child));
    child.once('error', () => live.delete(child));
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      stdout = (stdout + s).slice(-1_000_000);
      if (opts.killWhen?.(stdout) === true) child.kill('SIGKILL');
    });
    const poll =
      opts.killWhen &&
      setInterval(() => {
        if (opts.killWhen!(stdout)) child.kill('SIGKILL');
      }, 10);
    child
      .stderr!.setEncoding('utf8')
      .on('data', (s: string) => (stderr = (stderr + s).slice(-100_000)));
    const timer = setTimeout(() => {
      timedOut = true;
      // bubble kills the sandbox when it dies; the group catches a pty helper too.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${e.message}`, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      if (!interrupted) resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function bubble(w: World, args: string[], timeoutMs: number, extraFd?: number): Promise<Ran> {
  return spawnCapture(process.execPath, [BUBBLE, 'run', '--quiet', ...args], {
    cwd: w.project,
    env: w.env,
    timeoutMs,
    extraFd,
  });
}

/** `@@selftest {...}` lines from the driver. */
function parseDriver(stdout: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('@@selftest ')) continue;
    try {
      const { id, r } = JSON.parse(line.slice('@@selftest '.length)) as { id: string; r: unknown };
      out.set(id, r);
    } catch {
      // a torn line: that probe reports no result
    }
  }
  return out;
}

function lastJson(text: string): unknown {
  const line = text
    .split(/\r?\n/)
    .filter((l) => l.trim().startsWith('{'))
    .pop();
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line.trim());
  } catch {
    return undefined;
  }
}

function why(r: Ran): string {
  const last =
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.includes('ld.so'))
      .pop() ?? '';
  return r.timedOut
    ? 'timed out'
    : `exit ${r.code ?? r.signal}${last ? `: ${last.slice(0, 200)}` : ''}`;
}

function ipcKeys(): string[] {
  const keys: string[] = [];
  for (const f of ['shm', 'msg', 'sem']) {
    try {
      for (const l of fs.readFileSync(`/proc/sysvipc/${f}`, 'utf8').trim().split('\n').slice(1))
        keys.push(`${f}:${l.trim().split(/\s+/)[0]}`);
    } catch {
      // no SysV IPC in this kernel
    }
  }
  return keys;
}

/** A SysV message queue on the host for ipc-sysv to look for; removed afterwards. */
function makeIpcObject(): (() => void) | undefined {
  const r = spawnSync('ipcmk', ['-Q'], { encoding: 'utf8', timeout: 5000 });
  const id = /(\d+)\s*$/.exec(r.stdout ?? '')?.[1];
  if (r.status !== 0 || id === undefined) return undefined;
  return () => void spawnSync('ipcrm', ['-q', id], { stdio: 'ignore', timeout: 5000 });
}

export async function runSelftest(opts: { net: NetMode; keep: boolean }): Promise<SelftestReport> {
  const t0 = Date.now();
  const mode = opts.net;
  const w = makeWorld();
  let l: Listeners | undefined;
  let removeIpc: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    void stopLaunches()
      .then(async () => {
        removeIpc?.();
        await l?.close();
        if (!opts.keep) removeWorld(w);
      })
      .finally(() => process.exit(128 + (osConstants.signals[sig] ?? 2)));
  };
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of SIGNALS) process.on(sig, onSignal);
  try {
    l = await startListeners(w);
    removeIpc = makeIpcObject();
    const python = hasPython();
    for (const [name, text] of [
      ['driver.mjs', DRIVER],
      ['syscalls.py', SYS_PY],
      ['abstract.py', ABSTRACT_PY],
      ['tiocsti.py', TTY_PY],
      ['bomb.py', BOMB_PY],
      ['pty-run.py', PTY_RUN_PY],
    ] as const) {
      fs.writeFileSync(join(w.probes, name), text);
    }
    const snapSkip = [
      w.probes,
      join(w.root, 'run'),
      join(w.home, '.local'),
      join(w.home, '.cache'),
    ];
    const before = snapshot(w.root, snapSkip);
    const hostIpc = ipcKeys();

    const verdicts = new Map<string, Verdict>();
    const openHere = (p: Probe): boolean => p.openIn?.includes(mode) ?? false;
    const notRun = (p: Probe): boolean => openHere(p) && p.runWhenOpen !== true;
    for (const p of PROBES)
      if (notRun(p))
        verdicts.set(p.id, { result: 'SKIP', detail: `not protected in --net ${mode}` });

    // 1. The shared launch, and the pty launch beside it.
    const main = PROBES.filter((p) => p.launch === 'main' && !notRun(p));
    main.sort((a, b) => LAST.indexOf(a.id) - LAST.indexOf(b.id));
    const ctx = {
      canary: w.canary,
      id: w.tag,
      home: w.home,
      project: w.project,
      root: w.root,
      probes: w.probes,
      sibling: w.sibling,
      tcpPort: l.tcpPort,
      udpPort: l.udpPort,
      tcp6: l.tcp6,
      own: l.own,
      abstract: l.abstract ?? null,
      agentSock: w.agentSock,
      busSock: w.busSock,
      hostPid: process.pid,
      mode,
      secretVars: SECRET_VARS,
    };
    fs.writeFileSync(join(w.probes, 'ctx.json'), JSON.stringify(ctx));
    fs.writeFileSync(
      join(w.probes, 'main.json'),
      JSON.stringify(main.map((p) => ({ id: p.id, body: p.body, timeoutMs: p.timeoutMs }))),
    );
    // bubble's parent leaves a descriptor open on a canary file: it must not reach inside.
    const leakFd = fs.openSync(join(w.sibling, 'secret.txt'), 'r');
    const sandbox = ['--net', mode, '--profile', 'claude', '--ro', w.probes];
    const mainRun = bubble(
      w,
      [
        ...sandbox,
        '--',
        process.execPath,
        join(w.probes, 'driver.mjs'),
        join(w.probes, 'ctx.json'),
        join(w.probes, 'main.json'),
      ],
      90_000,
      leakFd,
    ).finally(() => fs.closeSync(leakFd));
    // After the main run, not beside it: two sessions setting up in one project at once can
    // fail (placeholders they share), which would read as probe failures.
    const ttyRun = python
      ? mainRun.then(() =>
          spawnCapture(
            'python3',
            [
              join(w.probes, 'pty-run.py'),
              process.execPath,
              BUBBLE,
              'run',
              '--quiet',
              ...sandbox,
              '--',
              'python3',
              join(w.probes, 'tiocsti.py'),
            ],
            { cwd: w.project, env: w.env, timeoutMs: 30_000 },
          ),
        )
      : undefined;
    // Calibration: the same attempts outside the sandbox (only those that merely read or
    // probe this process itself), so an attempt that cannot work on this machine at all is
    // reported as not applicable instead of passing or failing.
    const calibrating = main.filter((p) => p.calibrate === true);
    fs.writeFileSync(
      join(w.probes, 'outside.json'),
      JSON.stringify(calibrating.map((p) => ({ id: p.id, body: p.body, timeoutMs: p.timeoutMs }))),
    );
    const outsideRun = spawnCapture(
      process.execPath,
      [join(w.probes, 'driver.mjs'), join(w.probes, 'ctx.json'), join(w.probes, 'outside.json')],
      { cwd: w.project, env: w.env, timeoutMs: 60_000 },
    );
    const syscallsOutside = python
      ? spawnCapture('python3', [join(w.probes, 'syscalls.py')], {
          cwd: w.project,
          env: w.env,
          timeoutMs: 60_000,
        })
      : undefined;
    const [mainRes, ttyRes, outsideRes, sysRes] = await Promise.all([
      mainRun,
      ttyRun,
      outsideRun,
      syscallsOutside,
    ]);
    const outside: Calibration = {
      probes: parseDriver(outsideRes.stdout),
      syscalls:
        sysRes === undefined
          ? undefined
          : ((lastJson(sysRes.stdout) as Record<string, string> | undefined) ?? {
              error: `syscalls.py outside gave no result (${why(sysRes)})`,
            }),
    };
    for (const p of calibrating)
      if (!outside.probes.has(p.id))
        outside.probes.set(p.id, { error: `no result outside (${why(outsideRes)})` });
    const mainOut = parseDriver(mainRes.stdout);
    const inside = new Map<string, unknown>(mainOut);
    for (const p of main) {
      if (!inside.has(p.id))
        inside.set(p.id, { error: `the sandbox run gave no result (${why(mainRes)})` });
    }
    for (const p of PROBES.filter((q) => q.launch === 'tty')) {
      if (ttyRes === undefined)
        inside.set(p.id, { skip: 'no python3 on this machine to run a pseudo-terminal' });
      else
        inside.set(
          p.id,
          lastJson(ttyRes.stdout) ?? { error: `the pty run gave no result (${why(ttyRes)})` },
        );
    }

    // 2. The fork bomb, alone.
    const bomb = PROBES.find((p) => p.launch === 'bomb');
    if (bomb !== undefined) {
      if (!python) inside.set(bomb.id, { skip: 'no python3 on this machine' });
      else {
        // A small process limit: the bomb is bounded by a count, never by time, so a slow
        // or loaded machine gives the same verdict as a fast one.
        const hostForksBefore =
          spawnSync('/bin/sh', ['-c', 'true'], { timeout: 10_000 }).status === 0;
        const r = await bubble(
          w,
          [
            '--net',
            'none',
            '--limit',
            `nproc=${BOMB_NPROC}`,
            '--ro',
            w.probes,
            '--',
            'python3',
            `${w.probes}/bomb.py`,
          ],
          120_000,
        );
        const res = lastJson(r.stdout) as Record<string, unknown> | undefined;
        const hostForks = spawnSync('/bin/sh', ['-c', 'true'], { timeout: 10_000 }).status === 0;
        inside.set(
          bomb.id,
          !hostForksBefore
            ? { skip: 'the host could not fork before the bomb' }
            : res
              ? { ...res, hostForks, expected: BOMB_NPROC }
              : { error: `the bomb run gave no result (${why(r)})` },
        );
      }
    }

    // 3. Judge everything so far against the host.
    const after = snapshot(w.root, snapSkip);
    const host: HostView = {
      w,
      l,
      mode,
      before,
      now: (p) =>
        after.get(p) ??
        (fs.lstatSync(p, { throwIfNoEntry: false }) === undefined ? undefined : 'exists'),
      got: (payload) => {
        const word = new RegExp(`(^|[^\\w-])${payload.replace(/[^\w]/g, '\\$&')}(?![\\w-])`);
        return l!.received.filter((x) => word.test(x));
      },
      hostname: hostname(),
      hostIpcKeys: hostIpc,
      outside,
    };
    for (const p of PROBES) {
      if (verdicts.has(p.id) || p.launch === 'host' || p.check === undefined) continue;
      {
        const v = judge(p, inside.get(p.id), host);
        // Run where the mode does not protect it: what happened is information, not a failure.
        verdicts.set(
          p.id,
          openHere(p)
            ? {
                result: 'SKIP',
                detail: `not protected in --net ${mode}: ${v.result === 'PASS' ? 'held anyway' : 'got through'} (${v.detail})`,
              }
            : v,
        );
      }
    }

    // 4. Host-side probes: plants between runs, the second run, and leftovers.
    for (const p of PROBES.filter((q) => q.launch === 'host' && !verdicts.has(q.id))) {
      try {
        verdicts.set(
          p.id,
          await p.hostRun!({
            w,
            l,
            mode,
            bubble: (args, ms = 20_000) => bubble(w, ['--net', 'none', ...args], ms),
            reporting: (args, env = {}) =>
              spawnCapture(process.execPath, [BUBBLE, 'run', '--net', 'none', ...args], {
                cwd: w.project,
                env: { ...w.env, ...env },
                timeoutMs: 30_000,
              }),
            proxied: (args, opts = {}) =>
              spawnCapture(
                opts.wrap?.[0] ?? process.execPath,
                [
                  ...(opts.wrap?.slice(1) ?? []),
                  ...(opts.wrap ? [process.execPath] : []),
                  BUBBLE,
                  'run',
                  '--quiet',
                  '--net',
                  mode === 'logged' ? 'logged' : 'filtered',
                  ...args,
                ],
                {
                  cwd: w.project,
                  env: w.env,
                  timeoutMs: opts.timeoutMs ?? 30_000,
                  killWhen: opts.killWhen,
                },
              ),
          }),
        );
      } catch (e) {
        verdicts.set(p.id, { result: 'FAIL', detail: `could not run: ${(e as Error).message}` });
      }
    }
    // The nested-repository probe works in the project as an agent may (vendor/, the index,
    // and what bubble set aside): its harm is judged by that probe, not here.
    const workspace = [join(w.project, 'vendor'), join(w.project, '.git', 'index')];
    const left = changes(before, snapshot(w.root, snapSkip)).filter(
      (c) => !workspace.some((x) => c.includes(x)),
    );
    verdicts.set(
      'persist-no-leftovers',
      left.length > 0
        ? {
            result: 'FAIL',
            detail: `the host home or project changed: ${left
              .slice(0, 6)
              .map((c) => c.replace(w.root + '/', ''))
              .join(', ')}${left.length > 6 ? ` (+${left.length - 6})` : ''}`,
          }
        : { result: 'PASS', detail: 'home and project exactly as before every run' },
    );

    const results: ProbeResult[] = [...PROBES, LEFTOVERS].map((p) => ({
      id: p.id,
      category: p.category,
      attack: p.attack,
      ...verdicts.get(p.id)!,
    }));
    return {
      net: mode,
      results,
      seconds: (Date.now() - t0) / 1000,
      ...(opts.keep ? { kept: w.root } : {}),
    };
  } finally {
    if (!interrupted) {
      for (const sig of SIGNALS) process.off(sig, onSignal);
      removeIpc?.();
      await l?.close();
      if (!opts.keep) removeWorld(w);
    }
  }
}

/** The catch-all, judged last: nothing in the fake home or project changed after all runs. */
const LEFTOVERS = {
  id: 'persist-no-leftovers',
  category: 'persistence' as const,
  attack: 'anything left in the home or project after all runs (plants, placeholders)',
};
