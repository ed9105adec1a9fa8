// `bubble doctor`'s effects: read what checks.ts judges. The host basics come from
// sandbox/facts.ts; this adds the kernel knobs, a bare bwrap trial and the live
// self-check (a real sandbox through the built CLI, tunnelling to a loopback echo).

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bubbleDirs } from '../config/paths.ts';
import { profileForCommand } from '../policy/profiles/index.ts';
import { gatherHostFacts, type HostFacts } from '../sandbox/facts.ts';
import { findOnPath } from '../sandbox/host-fs.ts';
import type { DoctorFacts } from './checks.ts';

export const AGENTS = ['claude', 'codex', 'gemini', 'opencode', 'aider'] as const;

function read(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, env: {}, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        done({
          code,
          stdout,
          stderr,
          ...(error !== null && typeof error.code !== 'number' ? { error } : {}),
        });
      },
    );
  });
}

async function probeBwrap(facts: HostFacts): Promise<DoctorFacts['bwrap']> {
  const b = facts.bwrap;
  if (b === undefined) return undefined;
  // --overlay is not among the features bubble caches (it does not use it): ask once.
  const help = await run(b.path, ['--help'], 5000);
  const st = fs.statSync(b.path, { throwIfNoEntry: false });
  return {
    path: b.path,
    version: b.version,
    features: { ...b.features, overlay: /^\s+--overlay\b/m.test(help.stdout) },
    setuid: st !== undefined && (st.mode & 0o4000) !== 0,
  };
}

/** The smallest sandbox with its own user namespace: does the kernel let bwrap make one? */
async function bwrapTrial(path: string): Promise<{ ok: boolean; detail: string }> {
  const r = await run(
    path,
    [
      '--unshare-all',
      '--unshare-user',
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--die-with-parent',
      '--',
      'true',
    ],
    10_000,
  );
  if (r.code === 0) return { ok: true, detail: 'bwrap started a sandbox' };
  const msg = r.stderr.trim().split('\n').at(-1) ?? '';
  return {
    ok: false,
    detail: r.error ? r.error.message : `bwrap exited with ${r.code}${msg ? `: ${msg}` : ''}`,
  };
}

function container(): string | undefined {
  if (fs.existsSync('/.dockerenv')) return 'docker';
  if (fs.existsSync('/run/.containerenv')) return 'podman';
  const cg = read('/proc/1/cgroup') ?? '';
  for (const [pattern, name] of [
    [/kubepods/, 'kubernetes'],
    [/docker/, 'docker'],
    [/libpod|podman/, 'podman'],
    [/containerd/, 'containerd'],
    [/\/lxc/, 'lxc'],
  ] as const) {
    if (pattern.test(cg)) return name;
  }
  return undefined;
}

function resolvConf(): DoctorFacts['resolvConf'] {
  const path = '/etc/resolv.conf';
  const st = fs.lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return undefined;
  let symlinkTarget: string | undefined;
  if (st.isSymbolicLink()) {
    try {
      symlinkTarget = fs.realpathSync(path);
    } catch {
      symlinkTarget = resolve(dirname(path), fs.readlinkSync(path));
    }
  }
  const text = read(path) ?? '';
  const nameservers = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!);
  return { symlinkTarget, nameservers };
}

/** Writable, or (when missing) creatable: the nearest existing ancestor is writable. */
function writable(path: string): { writable: boolean; detail?: string } {
  let p = path;
  while (!fs.existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return { writable: true };
  } catch (err) {
    return {
      writable: false,
      detail: `${p}: ${(err as NodeJS.ErrnoException).code ?? 'not writable'}`,
    };
  }
}

/** A loopback TCP echo server on an ephemeral port. */
function echoServer(): Promise<{ server: Server; port: number; seen: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return new Promise((done, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      done({
        server,
        port: addr !== null && typeof addr === 'object' ? addr.port : 0,
        seen: () => connections,
      });
    });
  });
}

// Runs inside: connect to the published port (the bridge tunnels it through bubble's
// proxy on the host), send a nonce, print what comes back.
const INSIDE = `const [port, nonce] = process.argv.slice(1);
const s = require('net').connect(Number(port), '127.0.0.1');
let got = '';
const t = setTimeout(() => { console.log('timeout'); process.exit(4); }, 10000);
s.setEncoding('utf8');
s.on('connect', () => s.write(nonce + '\\n'));
s.on('data', (d) => { got += d; if (got.includes('\\n')) { console.log('echo:' + got.trim()); clearTimeout(t); s.destroy(); } });
s.on('error', (e) => { console.log('error:' + e.message); clearTimeout(t); process.exitCode = 3; });`;

/** Start a real sandbox with the built CLI and check the echo came back. */
export async function liveCheck(uid: number): Promise<NonNullable<DoctorFacts['live']>> {
  const cli = fileURLToPath(new URL('../cli/bubble.js', import.meta.url));
  if (!fs.existsSync(cli))
    return { ok: false, detail: `${cli} does not exist (run npm run build)` };
  const echo = await echoServer();
  const project = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'bubble-doctor-')));
  // Its own state directory: the check's session log does not clutter `bubble log`.
  const state = fs.mkdtempSync(join(tmpdir(), 'bubble-doctor-state-'));
  const nonce = `bubble-doctor-${randomBytes(8).toString('hex')}`;
  const started = Date.now();
  try {
    const args = [
      cli,
      'run',
      '--quiet',
      '--host-port',
      String(echo.port),
      ...(uid === 0 ? ['--allow-root'] : []),
      '--',
      process.execPath,
      '-e',
      INSIDE,
      String(echo.port),
      nonce,
    ];
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, args, {
        cwd: project,
        env: { ...process.env, XDG_STATE_HOME: state },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        done({ code: null, stdout, stderr: stderr + e.message });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code, stdout, stderr });
      });
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (r.code === 0 && r.stdout.includes(`echo:${nonce}`) && echo.seen() > 0) {
      return {
        ok: true,
        detail: `a sandbox (--net filtered) reached a loopback echo server on the host through bubble's proxy (--host-port ${echo.port}) in ${seconds} s`,
      };
    }
    const why = (r.stdout.trim() || r.stderr.trim()).split('\n').slice(-2).join(' / ');
    return {
      ok: false,
      detail: `bubble run exited with ${r.code ?? 'a signal'}${why ? `: ${why}` : ''}`,
      ...(r.code === 2 ? { refused: true } : {}),
    };
  } finally {
    echo.server.close();
    fs.rmSync(project, { recursive: true, force: true });
    // Retries: the session's watchdog may still be tidying up its journal there.
    fs.rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}

export async function gatherDoctorFacts(
  opts: { live: boolean } = { live: true },
): Promise<DoctorFacts> {
  const facts = gatherHostFacts();
  const bwrap = await probeBwrap(facts);
  const trial = bwrap === undefined ? undefined : await bwrapTrial(bwrap.path);
  const seccompLine = /^Seccomp:\s*(\d+)/m.exec(read('/proc/self/status') ?? '');
  const dirs = bubbleDirs(facts.env, facts.home);
  const live = opts.live && trial?.ok === true ? await liveCheck(facts.uid) : undefined;
  return {
    uid: facts.uid,
    bwrap,
    bwrapTrial: trial,
    sysctl: {
      unprivilegedUsernsClone: read('/proc/sys/kernel/unprivileged_userns_clone'),
      maxUserNamespaces: read('/proc/sys/user/max_user_namespaces'),
      apparmorRestrictUnprivilegedUserns: read(
        '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
      ),
      legacyTiocsti: read('/proc/sys/dev/tty/legacy_tiocsti'),
      seccompActionsAvail: read('/proc/sys/kernel/seccomp/actions_avail'),
    },
    seccompStatus: seccompLine?.[1],
    lsm: read('/sys/kernel/security/lsm'),
    container: container(),
    resolvConf: resolvConf(),
    socat: facts.bubble.socat,
    agents: AGENTS.map((name) => {
      const path = findOnPath(facts.fs, name, facts.env.PATH ?? '');
      return { name, path, profile: profileForCommand(path ?? name).name };
    }),
    dirs: (['config', 'state', 'cache'] as const).map((name) => ({
      name,
      path: dirs[name],
      ...writable(dirs[name]),
    })),
    memoryCgroup: facts.memoryCgroup,
    live,
  };
}
