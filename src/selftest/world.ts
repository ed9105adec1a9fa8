// The selftest's throwaway host: a fake home full of canaries, a fake project with a real
// git repository, a secret environment, and host services on loopback (TCP, UDP, an
// abstract Unix socket, path sockets named by SSH_AUTH_SOCK and DBUS_SESSION_BUS_ADDRESS)
// that record whatever reaches them. Everything lives under one temporary directory.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface World {
  root: string;
  /** The random part of root's name: marks files the probes try to create outside the world. */
  tag: string;
  home: string;
  project: string;
  /** Beside the project: hidden inside. */
  sibling: string;
  /** The sandbox's host side reads its probe scripts here (mounted read-only). */
  probes: string;
  /** A secret that must never be seen inside. */
  canary: string;
  /** The environment bubble runs with: fake HOME, secrets, IPC pointers, preload variables. */
  env: Record<string, string>;
  /** Path sockets on the host that nothing inside may reach. */
  agentSock: string;
  busSock: string;
}

/** Variables planted in bubble's environment; none may be seen inside. */
export const SECRET_VARS = [
  'BUBBLE_SELFTEST_SECRET',
  'AWS_SECRET_ACCESS_KEY',
  'GITHUB_TOKEN',
  'OPENAI_API_KEY',
] as const;

export function makeWorld(): World {
  const root = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'bubble-selftest-')));
  const canary = `canary-${randomBytes(8).toString('hex')}-not-for-the-agent`;
  const home = join(root, 'home');
  const project = join(root, 'project');
  const sibling = join(root, 'sibling');
  const probes = join(root, 'probes');
  const w = (path: string, text: string, mode = 0o644): void => {
    fs.mkdirSync(join(path, '..'), { recursive: true });
    fs.writeFileSync(path, text, { mode });
  };

  // The fake home: the secrets an agent should never see, and Claude Code's config.
  fs.mkdirSync(home, { mode: 0o700 });
  fs.mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  w(
    join(home, '.ssh/id_ed25519'),
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${canary}\n-----END OPENSSH PRIVATE KEY-----\n`,
    0o600,
  );
  w(join(home, '.ssh/authorized_keys'), `ssh-ed25519 AAAA${canary} user@host\n`);
  w(join(home, '.aws/credentials'), `[default]\naws_secret_access_key = ${canary}\n`, 0o600);
  w(join(home, '.bashrc'), `# ${canary}\n`);
  w(join(home, '.profile'), `# ${canary}\n`);
  w(
    join(home, '.claude/settings.json'),
    JSON.stringify({ statusLine: { type: 'command', command: '~/.claude/statusline.sh' } }) + '\n',
  );
  w(join(home, '.claude/statusline.sh'), '#!/bin/sh\necho status\n', 0o755);
  w(join(home, '.claude/commands/review.md'), 'Review the diff.\n');
  w(join(home, '.claude.json'), '{"numStartups":1}\n');

  // The fake project: a real repository with one commit, identity from the environment so
  // the user's git config plays no part.
  fs.mkdirSync(project);
  w(join(project, 'README.md'), 'selftest project\n');
  w(join(project, '.claude/settings.json'), '{"permissions":{}}\n');
  const gitEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'bubble selftest',
    GIT_AUTHOR_EMAIL: 'selftest@bubble.invalid',
    GIT_COMMITTER_NAME: 'bubble selftest',
    GIT_COMMITTER_EMAIL: 'selftest@bubble.invalid',
  };
  const git = (...args: string[]): void => {
    execFileSync('git', args, { cwd: project, env: gitEnv, stdio: 'ignore', timeout: 10_000 });
  };
  git('init', '-q');
  // A config file the repository's config includes from inside the project: host git obeys it.
  w(join(project, 'project.gitconfig'), '[user]\n\tname = bubble selftest\n');
  git('config', 'include.path', '../project.gitconfig');
  git('add', 'README.md', '.claude/settings.json');
  git('commit', '-q', '-m', 'selftest');

  w(join(sibling, 'secret.txt'), `${canary}\n`);
  w(join(root, 'outside.json'), '{"mcpServers":{}}\n');
  fs.mkdirSync(probes);
  fs.mkdirSync(join(root, 'run'), { mode: 0o700 });

  const agentSock = join(root, 'agent.sock');
  const busSock = join(root, 'bus.sock');
  const env: Record<string, string> = {
    HOME: home,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    USER: process.env.USER ?? 'user',
    LOGNAME: process.env.LOGNAME ?? process.env.USER ?? 'user',
    LANG: process.env.LANG ?? 'C.UTF-8',
    TERM: process.env.TERM ?? 'dumb',
    // bubble's proxy socket directory, inside the world.
    XDG_RUNTIME_DIR: join(root, 'run'),
    SSH_AUTH_SOCK: agentSock,
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${busSock}`,
    DISPLAY: ':97',
    WAYLAND_DISPLAY: 'wayland-97',
    // A library that does not exist: the dynamic loader only warns; the point is the name.
    LD_PRELOAD: `libbubble-selftest-${canary}.so`,
    NODE_OPTIONS: `--title=${canary}`,
  };
  for (const name of SECRET_VARS) env[name] = canary;
  for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR']) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  return {
    root,
    tag: root.slice(root.lastIndexOf('-') + 1),
    home,
    project,
    sibling,
    probes,
    canary,
    env,
    agentSock,
    busSock,
  };
}

export function removeWorld(w: World): void {
  fs.rmSync(w.root, { recursive: true, force: true, maxRetries: 3 });
}

/** A file tree with contents, for before/after comparison. Symlinks as `-> target`. */
export function snapshot(dir: string, skip: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      if (skip.includes(p)) continue;
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (st === undefined) continue;
      if (st.isSymbolicLink()) out.set(p, `-> ${fs.readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(p, `dir ${(st.mode & 0o7777).toString(8)}`);
        walk(p);
      } else if (st.isFile()) out.set(p, `${st.nlink} ${fs.readFileSync(p).toString('base64')}`);
      else out.set(p, 'other');
    }
  };
  walk(dir);
  return out;
}

/** Paths whose entry differs between two snapshots. */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of after)
    if (before.get(k) !== v) out.push(before.has(k) ? `changed ${k}` : `new ${k}`);
  for (const k of before.keys()) if (!after.has(k)) out.push(`removed ${k}`);
  return out;
}

export interface Listeners {
  tcpPort: number;
  udpPort: number;
  /** Also listening on [::1]:tcpPort. */
  tcp6: boolean;
  /** Abstract socket name (without the leading NUL), or undefined without python3. */
  abstract: string | undefined;
  /**
   * Listeners on this machine's own addresses (not loopback), each reached from here first;
   * only those that were are listed.
   */
  own: { address: string; port: number }[];
  /** Everything that reached a listener, as "kind:payload". */
  received: string[];
  close(): Promise<void>;
}

/** An abstract socket listener (Node/libuv pads abstract names, so python3 does it). */
const ABSTRACT_LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\\0" + sys.argv[1])
s.listen(16)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        print("got", c.recv(200).decode(errors="replace").strip(), flush=True)
    except OSError:
        print("got", flush=True)
    c.close()
`;

function listenOn(server: net.Server, ...args: unknown[]): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    (server.listen as (...a: unknown[]) => void)(...args, () => resolve(true));
  });
}

export function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'pass'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

/** This machine's addresses but loopback and link-local (which a URL cannot give a zone). */
function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((i) => i?.address ?? '')
    .filter((a) => a !== '' && a !== '::1' && !a.startsWith('127.') && !/^fe[89ab]/i.test(a));
}

/** Whether a connection from here to address:port is accepted (the calibration). */
function reaches(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port, timeout: 5000 });
    s.once('connect', () => {
      s.end('calibrate\n');
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startListeners(w: World): Promise<Listeners> {
  const received: string[] = [];
  const record =
    (kind: string) =>
    (s: net.Socket): void => {
      s.setTimeout(5000, () => s.destroy());
      s.on('data', (d) => received.push(`${kind}:${d.toString('utf8').trim()}`));
      s.on('end', () => s.end());
      s.on('error', () => {});
      received.push(`${kind}:connected`);
    };
  const tcp = net.createServer(record('tcp'));
  if (!(await listenOn(tcp, 0, '127.0.0.1')))
    throw new Error('selftest: cannot listen on 127.0.0.1');
  const tcpPort = (tcp.address() as net.AddressInfo).port;
  const tcp6Server = net.createServer(record('tcp6'));
  const tcp6 = await listenOn(tcp6Server, tcpPort, '::1');
  const agent = net.createServer(record('ssh-agent'));
  await listenOn(agent, w.agentSock);
  const bus = net.createServer(record('dbus'));
  await listenOn(bus, w.busSock);
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m) => received.push(`udp:${m.toString('utf8').trim()}`));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));

  const own: { address: string; port: number }[] = [];
  const ownServers: net.Server[] = [];
  for (const address of ownAddresses()) {
    const server = net.createServer(record('own'));
    if (!(await listenOn(server, 0, address))) continue;
    ownServers.push(server);
    const port = (server.address() as net.AddressInfo).port;
    if (await reaches(address, port)) own.push({ address, port });
  }

  let abstract: string | undefined;
  let abs: ChildProcess | undefined;
  if (hasPython()) {
    const name = `bubble-selftest-${randomBytes(6).toString('hex')}`;
    abs = spawn('python3', ['-c', ABSTRACT_LISTENER, name], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      abs!.stdout!.setEncoding('utf8').once('data', () => {
        clearTimeout(timer);
        resolve(true);
      });
      abs!.once('exit', () => resolve(false));
    });
    if (ready) {
      abstract = name;
      abs.stdout!.on('data', (d: string) => {
        for (const line of d.split('\n').filter(Boolean)) received.push(`abstract:${line}`);
      });
    }
  }
  return {
    tcpPort,
    udpPort: udp.address().port,
    tcp6,
    own,
    abstract,
    received,
    close: async () => {
      abs?.kill('SIGKILL');
      udp.close();
      await Promise.all(
        [tcp, tcp6Server, agent, bus, ...ownServers].map(
          (s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r())),
        ),
      );
    },
  };
}
