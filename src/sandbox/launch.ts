// Launch: the only place that spawns the sandbox. Prepares the host (state dirs,
// placeholders), starts bwrap with a scrubbed environment and its setup fds, forwards
// signals, and turns bwrap's end into bubble's exit status.

import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BubbleError, EXIT_SETUP, EXIT_USAGE } from '../errors.ts';
import { fsError, isFsError } from '../fs-error.ts';
import { linkRaced, sourceAnchor, writableRoot, writableSources } from '../policy/links.ts';
import { mkdirsBelow, openBelow } from './nofollow.ts';
import { isUnder } from '../policy/paths.ts';
import { quoteArg } from './escape.ts';
import { bwrapArgs, fdLayout, type FdLayout } from './bwrap-args.ts';
import { overlayPrefix } from './overlay-mounts.ts';
import {
  enterCgroupArgs,
  makeSessionCgroup,
  removeStaleSessionCgroups,
  systemdScopeArgs,
} from './cgroup.ts';
import { sandboxExit, signalExit } from './exit.ts';
import type { HostFacts } from './facts.ts';
import {
  claimPlaceholders,
  ourSessionTag,
  placeholderDir,
  releasePlaceholders,
  spawnWatchdog,
  type Claim,
} from './placeholders.ts';
import type { Placeholder, Plan } from './plan.ts';
import { procStart } from './process-identity.ts';
import { seccompProgram } from './seccomp.ts';
import { materializeStages } from './stage.ts';

// Spelled from dist/'s top so that it holds in the bundled bin (dist/cli/) too.
const reaperScript = fileURLToPath(new URL('../sandbox/reaper.js', import.meta.url));

/** The agent is the first child of the sandbox's pid 1 (bwrap's init), which ignores signals. */
function agentPid(initPid: number): number | undefined {
  try {
    const children = fs
      .readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8')
      .trim()
      .split(/\s+/);
    const pid = Number(children[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Descriptors bubble inherited from its parent (a terminal emulator, an IDE, a shell's
 * `3<file`) would otherwise pass through bwrap into the sandbox: Node's spawn leaves them
 * open. Everything Node opens itself is close-on-exec, so those without the flag are
 * exactly the inherited ones.
 */
function closeInheritedFds(): void {
  let fds: string[];
  try {
    fds = fs.readdirSync('/proc/self/fd');
  } catch {
    return;
  }
  for (const name of fds) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const flags = /^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags && (parseInt(flags[1]!, 8) & 0o2000000) === 0) fs.closeSync(fd);
    } catch {
      // gone already (the readdir's own fd)
    }
  }
}

/**
 * Make a missing state dir: from its nearest existing ancestor (the user's, links and all),
 * every missing component created without following a link that appeared there since the
 * plan looked.
 */
function ensureDir(dir: string): void {
  let anchor = dir;
  while (fs.lstatSync(anchor, { throwIfNoEntry: false }) === undefined) anchor = dirname(anchor);
  if (anchor !== dir) mkdirsBelow(anchor, dir, 0o700);
}

async function prepareHost(
  plan: Plan,
  facts: HostFacts,
): Promise<{ claim: Claim; stopWatchdog: () => void }> {
  for (const dir of plan.ensureDirs) ensureDir(dir);
  for (const f of plan.ensureFiles) {
    // O_EXCL|O_NOFOLLOW: never over an existing file, never through a link planted there.
    let fd: number;
    try {
      fd = fs.openSync(
        f.path,
        fs.constants.O_WRONLY |
          fs.constants.O_CREAT |
          fs.constants.O_EXCL |
          fs.constants.O_NOFOLLOW,
        f.mode,
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    try {
      fs.writeSync(fd, f.content);
    } finally {
      fs.closeSync(fd);
    }
  }
  const dir = placeholderDir(facts.env, facts.home);
  // Always journaled and watched, placeholders or not: the journal also names the sandbox,
  // which the watchdog kills if bubble dies before bwrap's own death signal is armed.
  // Protected paths that existed when the plan looked may be another session's
  // placeholders, or gone since: checked again and claimed under the lock.
  let claim: Claim;
  const anchored = (p: Placeholder): Placeholder => ({
    ...p,
    anchor: writableRoot(plan.mounts, p.path),
  });
  const placeholders = plan.placeholders.map(anchored);
  const existing = plan.protectedExisting.map(anchored);
  try {
    claim = claimPlaceholders(dir, placeholders, existing, facts.cwd);
  } catch (err) {
    // The project changed between the plan and now: a link, or a path that came or went.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOENT' || code === 'ENOTDIR' || code === 'EEXIST')
      throw linkRaced((err as NodeJS.ErrnoException).path ?? '');
    // Typically a project the user cannot write: bubble needs a mount point there.
    if (isFsError(err) && err.path !== undefined && isUnder(err.path, facts.cwd))
      throw fsError(err, {
        what: 'a mount point that keeps a protected path uncreatable inside',
        exitCode: EXIT_USAGE,
        hint: `the project ${quoteArg(facts.cwd)} must be writable by you (bubble removes the mount point after the session): chmod u+w, or run bubble in a directory you own`,
      });
    throw err;
  }
  const stopWatchdog = spawnWatchdog(dir, reaperScript);
  try {
    materializeStages(facts.bubble.stageRoot, plan.stages, {
      pid: process.pid,
      start: procStart(process.pid) ?? '',
      project: facts.cwd,
      since: Date.now(),
    });
  } catch (err) {
    await releasePlaceholders(claim);
    stopWatchdog();
    throw new BubbleError(
      'STAGE',
      `cannot prepare the git dirs and agent state: ${(err as Error).message}`,
      {
        exitCode: EXIT_SETUP,
        hint: 'a path in a git dir may be a symlink or unreadable; check it, or pass --allow-write for it',
      },
    );
  }
  return { claim, stopWatchdog };
}

/** The sources fdLayout put on descriptors, opened below their writable directory. */
function openSources(plan: Plan, fds: FdLayout, writable: string[]): number[] {
  const out: number[] = [];
  try {
    for (const i of fds.binds.keys()) {
      const op = plan.mounts[i]!;
      if (op.kind !== 'ro' && op.kind !== 'rw')
        throw new Error('fd layout does not match the plan');
      out.push(openBelow(sourceAnchor(writable, op)!, op.src));
    }
  } catch (err) {
    for (const fd of out) fs.closeSync(fd);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ELOOP' || e.code === 'ENOENT' || e.code === 'ENOTDIR')
      throw linkRaced(e.path ?? '');
    throw new BubbleError('MOUNT_SOURCE', `cannot open a mount's source: ${e.message}`, {
      exitCode: EXIT_SETUP,
      hint: 'it changed while bubble started; start again',
    });
  }
  return out;
}

/** bwrap 0.8 refuses more than this many arguments in all, its own and the command's. */
const BWRAP_MAX_ARGS = 9000;
const TOO_LONG_HINT =
  "pass long lists in a file (xargs, or the program's own @file / --files-from option)";

function argvBytes(argv: readonly string[]): number {
  return argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
}

/**
 * Said before anything starts, rather than bwrap's "Exceeded maximum number of arguments"
 * (bwrap counts what `--args FD` passes too, so only a shorter command line helps).
 */
export function refuseLongArgv(plan: Plan, facts: HostFacts): void {
  if (facts.bwrap === undefined) return;
  refuseLongArgs(plan, bwrapArgs(plan, facts.bwrap.features, fdLayout(plan), ourSessionTag()));
}

function refuseLongArgs(plan: Plan, args: readonly string[]): void {
  const commandArgs = plan.argv.length;
  if (args.length <= BWRAP_MAX_ARGS) return;
  throw new BubbleError(
    'ARGV_TOO_LONG',
    `the command has ${commandArgs} arguments; bubblewrap accepts at most ${BWRAP_MAX_ARGS} in all, and the sandbox's setup takes ${args.length - commandArgs}`,
    { exitCode: EXIT_USAGE, hint: TOO_LONG_HINT },
  );
}

/** After a setup failure: can this bwrap make a sandbox at all? (one short trial run) */
function bareSandboxStarts(bwrapPath: string): boolean {
  const r = spawnSync(
    bwrapPath,
    ['--unshare-all', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--', 'true'],
    { stdio: 'ignore', env: {}, timeout: 10_000 },
  );
  return r.status === 0;
}

export interface LaunchOptions {
  /** Aborting (a host-side service failed) kills the sandbox: exit 125. */
  signal?: AbortSignal;
}

export async function launch(
  plan: Plan,
  facts: HostFacts,
  opts: LaunchOptions = {},
): Promise<number> {
  const bwrap = facts.bwrap;
  if (bwrap === undefined) {
    throw new BubbleError('NO_BWRAP', 'bwrap (bubblewrap) not found', {
      exitCode: EXIT_SETUP,
      hint: 'install it: sudo apt-get install bubblewrap (Debian/Ubuntu), sudo dnf install bubblewrap (Fedora)',
    });
  }
  // Sources below a directory the agent writes go to bwrap as descriptors bubble opened
  // without following links (--bind-fd: bwrap 0.10, and Debian 12's 0.8 has it backported).
  // bwrap turns the descriptor back into a path, mounts that path, and checks that what it
  // mounted is the descriptor's file: a source swapped or removed meanwhile fails the start
  // ("Race condition binding dirfd", "Can't find source path /proc/self/fd/N") instead of
  // mounting a link's target. So bubble itself never swaps or removes a source another
  // session may be mounting: placeholders are claimed under a lock before their sources
  // are opened (placeholders.ts), and .git/info/exclude is edited in place (git-hide.ts).
  // A bwrap without it gets paths: links are still refused when the plan is made
  // (policy/links.ts), but a swap between that look and the mount is not caught.
  const writable = writableSources(plan.mounts);
  const fds = fdLayout(
    plan,
    bwrap.features.bindFd === true ? (op) => sourceAnchor(writable, op) !== undefined : undefined,
  );
  const args = bwrapArgs(plan, bwrap.features, fds, ourSessionTag());
  refuseLongArgs(plan, args);
  closeInheritedFds();
  const { claim, stopWatchdog } = await prepareHost(plan, facts);
  let sources: number[];
  try {
    sources = openSources(plan, fds, writable);
  } catch (err) {
    await releasePlaceholders(claim);
    stopWatchdog();
    throw err;
  }

  const memory = memoryPrefix(plan);

  // Most data mounts are empty files (protected paths that do not exist): bwrap reads each
  // from /dev/null, one descriptor shared by all, instead of a pipe apiece that Node makes,
  // feeds and closes.
  const dataOps = plan.mounts.filter((op) => op.kind === 'data');
  let devNull: number | undefined;
  try {
    if (dataOps.some((op) => op.content === '')) devNull = fs.openSync('/dev/null', 'r');
  } catch (err) {
    for (const fd of sources) fs.closeSync(fd);
    await releasePlaceholders(claim);
    stopWatchdog();
    throw err;
  }
  const stdio: StdioOptions = ['inherit', 'inherit', 'inherit', 'pipe'];
  if (fds.seccomp !== undefined) stdio.push('pipe');
  for (const op of dataOps) stdio.push(op.content === '' ? devNull! : 'pipe');
  stdio.push(...sources);

  // The environment bwrap starts with is the sandbox's: bwrap passes it on, and its own
  // pid 1 inside shows it in /proc/1/environ. Secrets never go in argv (--setenv).
  // On a terminal bwrap shares the agent's process group, so ^C would kill bwrap and the
  // sandbox with it: bwrap ignores INT and QUIT; the trampoline gives them back to the agent.
  const sig = plan.process.signalEnv;
  const command = [
    ...memory.prefix,
    ...(sig === undefined ? [] : [sig, '--ignore-signal=INT', '--ignore-signal=QUIT']),
    ...overlayPrefix(plan, bwrap.features),
    bwrap.path,
    ...args,
  ];
  const child = spawn(command[0]!, command.slice(1), { stdio, env: plan.env });
  for (const fd of sources) fs.closeSync(fd);
  if (devNull !== undefined) fs.closeSync(devNull);

  const feed = (fd: number, data: Buffer | string): void => {
    const stream = child.stdio[fd] as NodeJS.WritableStream | null;
    stream?.on('error', () => {}); // bwrap exiting early must not crash us
    stream?.end(data);
  };
  if (fds.seccomp !== undefined && plan.seccomp)
    feed(fds.seccomp, seccompProgram(facts.arch, { allowUserns: plan.seccomp.allowUserns }));
  fds.data.forEach((fd, i) => {
    if (dataOps[i]!.content !== '') feed(fd, dataOps[i]!.content);
  });

  let initPid: number | undefined;
  let agentExit: number | undefined;
  let statusBuf = '';
  const status = child.stdio[fds.status] as NodeJS.ReadableStream;
  status.setEncoding('utf8');
  status.on('data', (chunk: string) => {
    statusBuf += chunk;
    let nl: number;
    while ((nl = statusBuf.indexOf('\n')) >= 0) {
      const line = statusBuf.slice(0, nl);
      statusBuf = statusBuf.slice(nl + 1);
      try {
        const msg = JSON.parse(line) as { 'child-pid'?: number; 'exit-code'?: number };
        if (typeof msg['child-pid'] === 'number') initPid = msg['child-pid'];
        if (typeof msg['exit-code'] === 'number') agentExit = msg['exit-code'];
      } catch {
        // bwrap adds fields and record types over time; ignore what we don't know
      }
    }
  });
  const statusDone = new Promise<void>((resolve) => status.on('close', resolve));

  // Signals. On a terminal the kernel already delivers ^C, ^\ and window changes to the
  // whole foreground process group, the agent included: forwarding them would double them.
  let received: NodeJS.Signals | undefined;
  const forward = (sig: NodeJS.Signals): void => {
    received ??= sig;
    const pid = initPid === undefined ? undefined : agentPid(initPid);
    try {
      if (pid !== undefined) process.kill(pid, sig);
      else child.kill(sig); // not started yet: stop bwrap, which takes the sandbox with it
    } catch {
      // already gone
    }
  };
  const forwarded: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];
  const fromTerminal: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGWINCH'];
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of forwarded) handlers.set(sig, () => forward(sig));
  for (const sig of fromTerminal)
    handlers.set(sig, plan.process.newSession ? () => forward(sig) : () => {});
  for (const [sig, h] of handlers) process.on(sig, h);

  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    child.kill('SIGKILL');
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.on('error', (err) =>
          reject(
            (err as NodeJS.ErrnoException).code === 'E2BIG'
              ? new BubbleError(
                  'ARGV_TOO_LONG',
                  `the command line is too long for the kernel (${argvBytes(plan.argv)} bytes of arguments; one argument may hold at most 128 KiB)`,
                  { exitCode: EXIT_USAGE, hint: TOO_LONG_HINT, cause: err },
                )
              : new BubbleError('SPAWN', `cannot start ${bwrap.path}: ${err.message}`, {
                  exitCode: EXIT_SETUP,
                  cause: err,
                }),
          ),
        );
        child.on('exit', (c, s) => resolve([c, s]));
      },
    );
    await statusDone;
    if (aborted) return EXIT_SETUP;
    const exit = sandboxExit(code, signal, agentExit, bwrap.features.jsonStatusFd);
    // A signal that reached us before the agent existed ends bubble as that signal would.
    if (agentExit === undefined && received !== undefined) return signalExit(received);
    if (agentExit === undefined && signal === null && bwrap.features.jsonStatusFd) {
      // bwrap said why above (typically user namespaces blocked by the kernel or AppArmor).
      // A bare sandbox that starts means the machine is fine: this session's options are not.
      process.stderr.write(
        bareSandboxStarts(bwrap.path)
          ? "bubble: the sandbox could not be set up with these options (bwrap's message is above); 'bubble explain' with the same options shows every mount\n"
          : "bubble: the sandbox could not be set up (bwrap's message is above); fix: run 'bubble doctor', it checks this machine and prints the one-line fix\n",
      );
    }
    return exit;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    for (const [sig, h] of handlers) process.off(sig, h);
    await releasePlaceholders(claim);
    stopWatchdog();
    memory.remove();
  }
}

function isLive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What bwrap is started through so the whole sandbox is inside its memory limit. */
function memoryPrefix(plan: Plan): { prefix: string[]; remove: () => void } {
  const m = plan.memory;
  if (m === undefined) return { prefix: [], remove: () => {} };
  if (m.cgroup.kind === 'systemd')
    return { prefix: systemdScopeArgs(m.cgroup.systemdRun, m.bytes), remove: () => {} };
  removeStaleSessionCgroups(m.cgroup.parent, isLive);
  try {
    const cg = makeSessionCgroup(m.cgroup, m.bytes, `bubble-${process.pid}`);
    return { prefix: enterCgroupArgs(cg.procs), remove: cg.remove };
  } catch (e) {
    throw new BubbleError(
      'CGROUP',
      `cannot set the memory limit in ${m.cgroup.parent}: ${(e as Error).message}`,
      {
        exitCode: EXIT_SETUP,
        hint: "--limit mem=unlimited runs without one; 'bubble doctor' checks the cgroup",
      },
    );
  }
}
