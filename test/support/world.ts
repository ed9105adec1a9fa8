// A throwaway host for attack tests: a fake home full of canaries, a project with a git
// repo, and a way to run the built bubble CLI against them as a real process.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const bubbleBin = join(repoRoot, 'dist/cli/bubble.js');
export const bubbleClaudeBin = join(repoRoot, 'dist/cli/bubble-claude.js');

export const CANARY = 'canary-7f3a9c1e-not-for-the-agent';
export const SECRET_ENV = 'BUBBLE_TEST_SECRET_TOKEN';

export interface World {
  root: string;
  home: string;
  project: string;
  /** The sandbox's host environment: a fake HOME, a secret variable. */
  env: Record<string, string>;
  cleanup(): void;
}

export function makeWorld(opts: { claude?: boolean } = {}): World {
  const root = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'bubble-it-')));
  const home = join(root, 'home');
  const project = join(root, 'project');
  fs.mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    join(home, '.ssh', 'id_ed25519'),
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${CANARY}\n`,
    { mode: 0o600 },
  );
  fs.writeFileSync(join(home, '.bashrc'), `# ${CANARY}\n`);
  fs.mkdirSync(join(home, '.aws'));
  fs.writeFileSync(join(home, '.aws', 'credentials'), `aws_secret_access_key = ${CANARY}\n`);
  fs.mkdirSync(project);
  fs.writeFileSync(join(project, 'README'), 'hello\n');
  if (opts.claude) {
    fs.mkdirSync(join(home, '.claude', 'commands'), { recursive: true });
    fs.writeFileSync(
      join(home, '.claude', 'settings.json'),
      JSON.stringify({ statusLine: { type: 'command', command: '~/.claude/statusline.sh' } }),
    );
    fs.writeFileSync(join(home, '.claude', 'statusline.sh'), '#!/bin/sh\necho status\n', {
      mode: 0o755,
    });
    fs.writeFileSync(join(home, '.claude', 'commands', 'review.md'), 'review\n');
    fs.writeFileSync(join(home, '.claude.json'), '{"numStartups":1}\n');
  }
  const env: Record<string, string> = {
    HOME: home,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    USER: process.env.USER ?? 'tester',
    LANG: 'C.UTF-8',
    [SECRET_ENV]: CANARY,
    SSH_AUTH_SOCK: join(root, 'agent.sock'),
    LD_PRELOAD: '',
    NODE_OPTIONS: '--max-old-space-size=4096',
  };
  return {
    root,
    home,
    project,
    env,
    // Retries: a session's watchdog may still be tidying up in the world (its lock file).
    cleanup: () =>
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }),
  };
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  cwd?: string;
  env?: Record<string, string>;
  bin?: string;
  input?: string;
  /** Called once the process is spawned (to send it signals). */
  onSpawn?: (child: ChildProcess) => void;
  timeoutMs?: number;
}

/** Run the built `bubble` CLI (or bubble-claude) in the world's project. */
export function runBubble(world: World, args: string[], opts: RunOpts = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? bubbleBin, ...args], {
      cwd: opts.cwd ?? world.project,
      env: { ...world.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    opts.onSpawn?.(child);
  });
}

/** Run a shell snippet inside the sandbox: `bubble run [args] -- sh -c SCRIPT`. */
export function sandboxSh(
  world: World,
  script: string,
  args: string[] = [],
  opts: RunOpts = {},
): Promise<Result> {
  return runBubble(world, ['run', ...args, '--', 'sh', '-c', script], opts);
}

/** The host home as the user sees it: everything but bubble's own state and cache. */
export function homeView(home: string): Map<string, string> {
  const snap = snapshot(home);
  const own = [join(home, '.local'), join(home, '.cache')];
  for (const k of [...snap.keys()])
    if (own.some((d) => k === d || k.startsWith(d + '/'))) snap.delete(k);
  return snap;
}

/** Every file below `dir` with its content (symlinks as `-> target`), for before/after diffs. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d)) {
      const p = join(d, name);
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) out.set(p, `-> ${fs.readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(p, `dir ${(st.mode & 0o7777).toString(8)}`);
        walk(p);
      } else out.set(p, fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** Host pids whose command line carries `marker` (forks keep their parent's command line). */
export function marked(marker: string): number[] {
  const out: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) out.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Pids carrying `marker` that run inside a sandbox: one pid namespace deeper than this test
 * (bubble's own node and the outer bwrap carry the marker in their argv too, but are not).
 */
export function sandboxed(marker: string): number[] {
  const depth = (pid: number | 'self'): number => {
    const m = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1]!.trim().split(/\s+/).length : 1;
  };
  const own = depth('self');
  return marked(marker).filter((pid) => {
    try {
      return depth(pid) > own;
    } catch {
      return false; // exited meanwhile
    }
  });
}
