// Policy: host facts + the user's request + the agent profile -> Plan. Pure: it reads the
// host only through facts.fs (a memoized view), and never changes anything.

import { basename, dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { BubbleError, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_SETUP } from '../errors.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import { findOnPath } from '../sandbox/facts.ts';
import type { MountOp, NetMode, Placeholder, Plan } from '../sandbox/plan.ts';
import { seccompRules, seccompSupported } from '../sandbox/seccomp.ts';
import { ancestors, expandUserPath, isUnder } from './paths.ts';
import type { Profile } from './profile.ts';
import {
  connectScript,
  INSIDE_SOCKET_DIR,
  netPlan,
  proxyEnv,
  procNetTcpPort,
  SOCKET_NAME,
  trampoline,
  type Forwarder,
} from './network.ts';
import { DEFAULT_LIMITS, ulimitLine, type Limits } from './limits.ts';
import { planGitDirs } from './git-dirs.ts';
import { projectProtections, type Protection } from './project.ts';
import { stageMounts, type StageSpec } from './staged.ts';
import { profileByName, profileForCommand } from './profiles/index.ts';
import { referencedScripts } from './script-refs.ts';
import { persistentHomeMounts } from './persistent-home.ts';
import { FINGERPRINT, fingerprint, parsePublicKey, type KeySelector } from '../ssh/keys.ts';
import type { ApiName } from '../creds/apis.ts';
import { credentialPlan } from '../creds/plan.ts';
import { innerSandboxSwitch } from './inner-sandbox.ts';
import { cacheMounts } from './caches.ts';
import { refusePlannedLinks } from './links.ts';

export interface RunRequest {
  command: string[];
  profile?: string | undefined;
  rw: string[];
  ro: string[];
  hide: string[];
  env: string[];
  net: NetMode;
  allow: string[];
  deny: string[];
  hostPorts: number[];
  /** Private destinations reachable on purpose (`--allow-private`). */
  allowPrivate?: string[];
  /** Protected paths the user deliberately opens (`--allow-write`). */
  allowWrite: string[];
  allowRoot: boolean;
  /** Let --rw/--ro name the home directory or an ancestor of it (`--expose-home`). */
  exposeHome?: boolean | undefined;
  /** The sandbox home: an empty tmpfs, or a per-project directory that persists. */
  home?: 'tmp' | 'persist' | undefined;
  /** With a persistent home: more paths that persist, beyond the caches (`--home-keep`). */
  homeKeep?: string[] | undefined;
  /** Give the sandbox bubble's filtering ssh-agent (list and sign only). */
  sshAgent?: boolean | undefined;
  /** The keys it may use (`--ssh-key`): fingerprints, comments, or .pub files. */
  sshKeys?: string[] | undefined;
  /** ~/.gitconfig and ~/.config/git: read-only (default), writable, or hidden. */
  gitconfig?: 'ro' | 'rw' | 'none' | undefined;
  /** Resource limits (`--limit`); the defaults when undefined. */
  limits?: Limits | undefined;
  /** logged mode: the host port bubble's proxy listens on (unknown to explain). */
  hostProxyPort?: number | undefined;
  /** Pass model API credentials into the sandbox instead of adding them outside. */
  passCredentials?: boolean | undefined;
  /** The user's `api_key_command` per model API (trusted config only). */
  apiKeyCommands?: Partial<Record<ApiName, string>> | undefined;
  /** Where --rw/--ro/--hide entries came from when not the command line, keyed `rw:PATH` (a config file). */
  sources?: Record<string, string> | undefined;
}

const MiB = 1 << 20;

/** Read-only system trees; on a merged-/usr host the /bin-style entries are symlinks. */
const SYSTEM_TREES = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc',
  '/opt',
];

/** Working directories that are never a project. */
const REFUSED_EXACT = new Set([
  '/',
  '/usr',
  '/etc',
  '/var',
  '/boot',
  '/proc',
  '/sys',
  '/dev',
  '/tmp',
  '/run',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/opt',
  '/home',
  '/root',
  '/srv',
  '/mnt',
  '/media',
  '/var/tmp',
]);
const REFUSED_TREES = ['/proc', '/sys', '/dev', '/etc', '/boot', '/run'];

const BASE_ENV = [
  'TERM',
  'COLORTERM',
  'TERM_PROGRAM',
  'LANG',
  'TZ',
  'USER',
  'LOGNAME',
  'SHELL',
  'EDITOR',
  'VISUAL',
  'NO_COLOR',
  'FORCE_COLOR',
];
const BASE_ENV_PREFIXES = ['LC_'];
/** TLS trust settings: paths, not secrets; passed when the path exists inside. */
const CA_ENV = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

class Mounts {
  readonly ops: MountOp[] = [];

  push(op: MountOp): void {
    this.ops.push(op);
  }

  /** The last mount whose destination contains `path`: the one that decides what is seen there. */
  covering(path: string): MountOp | undefined {
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i]!;
      if (isUnder(path, op.dest)) return op;
    }
    return undefined;
  }

  /** A path inside whose writes reach the host (under a read-write bind). */
  persistsToHost(path: string): boolean {
    return this.covering(path)?.kind === 'rw';
  }

  /** Whether `path` exists inside, following bind sources and symlink mounts. */
  visible(path: string, facts: HostFacts, depth = 0): boolean {
    const op = this.covering(path);
    if (op === undefined || depth > 8) return false;
    switch (op.kind) {
      case 'ro':
      case 'rw':
        return facts.fs.realpath(op.src + path.slice(op.dest.length)) !== undefined;
      case 'symlink':
        return this.visible(op.target + path.slice(op.dest.length), facts, depth + 1);
      default:
        return path === op.dest;
    }
  }

  /**
   * Parents of a mount point that no other mount provides are made by bwrap; make them
   * search-only (0111) so the sandbox can pass through but not list them.
   */
  parentsOf(dest: string): void {
    for (const dir of ancestors(dest).reverse()) {
      if (this.covering(dir) !== undefined) continue;
      this.push({
        kind: 'dir',
        dest: dir,
        mode: 0o111,
        why: 'parent of a mount: passable, not listable',
        source: 'default',
      });
    }
  }
}

/**
 * Git dirs are shown through stages (staged.ts): writable only where git's normal work
 * writes. A stage's mount point cannot be renamed away; the directories between the
 * project and a nested repository's git dir are pinned the same way.
 */
function stageGitDirs(m: Mounts, stages: StageSpec[]): void {
  for (const spec of stages) {
    const nested = stages.some((s) => s !== spec && isUnder(spec.real, s.real));
    if (!nested) {
      const cover = m.covering(spec.real);
      if (cover?.kind === 'rw') {
        for (const dir of ancestors(spec.real).reverse()) {
          if (
            !isUnder(dir, cover.dest) ||
            dir === cover.dest ||
            m.ops.some((op) => op.dest === dir)
          )
            continue;
          m.push({
            kind: 'rw',
            src: dir,
            dest: dir,
            why: 'holds a git dir: pinned in place',
            source: spec.source,
          });
        }
      } else m.parentsOf(spec.real);
    }
    for (const op of stageMounts(spec)) m.push(op);
  }
}

export function refuseCwd(cwd: string, homeReal: string): void {
  const hint = 'cd into a project directory and run bubble there';
  if (isUnder(homeReal, cwd)) {
    throw new BubbleError(
      'CWD_HOME',
      `refusing to run in ${cwd}: it would expose your whole home directory`,
      { hint },
    );
  }
  if (REFUSED_EXACT.has(cwd) || REFUSED_TREES.some((t) => isUnder(cwd, t))) {
    throw new BubbleError(
      'CWD_SYSTEM',
      `refusing to run in ${cwd}: it is a system directory, not a project`,
      { hint },
    );
  }
}

/**
 * `--rw /` would cover the sandbox's own root (bwrap then fails on its first mount), and
 * `--rw ~` (or /home) quietly undoes the hidden home, keys and tokens included.
 */
function refuseUserMount(option: string, src: string, homeReal: string, exposeHome: boolean): void {
  if (src === '/')
    throw new BubbleError('MOUNT_ROOT', `${option}: the whole file system cannot be mounted`, {
      hint: 'name the directories the command needs (e.g. --ro /srv/data)',
    });
  if (!exposeHome && isUnder(homeReal, src))
    throw new BubbleError(
      'MOUNT_HOME',
      `${option}: refusing to mount ${src}: it would expose your whole home directory (SSH keys, tokens, shell startup files)`,
      {
        hint: 'name the directories the command needs (e.g. --ro ~/src/lib); --expose-home overrides this',
      },
    );
}

/** The command's host path: `./x` and `/x` as given, a bare name through PATH. */
function resolveCommand(facts: HostFacts, name: string): string {
  if (name === '')
    throw new BubbleError('NO_COMMAND', 'no command given', {
      hint: 'bubble run -- COMMAND [ARGS...]',
    });
  let path: string | undefined;
  if (name.includes('/')) {
    path = isAbsolute(name) ? name : resolvePath(facts.cwd, name);
    if (facts.fs.realpath(path) === undefined) path = undefined;
  } else {
    path = findOnPath(facts.fs, name, facts.env.PATH ?? '');
  }
  if (path === undefined) {
    throw new BubbleError('NOT_FOUND', `command not found: ${name}`, {
      exitCode: EXIT_NOT_FOUND,
      hint: name.includes('/') ? 'check the path' : 'is it installed and on your PATH?',
    });
  }
  const info = facts.fs.lstat(facts.fs.realpath(path)!);
  if (info?.type !== 'file' || (info.mode & 0o111) === 0) {
    throw new BubbleError('NOT_EXECUTABLE', `not an executable file: ${path}`, {
      exitCode: EXIT_NOT_EXECUTABLE,
    });
  }
  return path;
}

/** Directories that must be visible for the command to run: its own and its interpreter's. */
function commandDirs(facts: HostFacts, command: string): string[] {
  const dirs = new Set<string>();
  const add = (p: string): void => {
    dirs.add(dirname(p));
    const real = facts.fs.realpath(p);
    if (real === undefined) return;
    // An npm-installed agent loads sibling packages (codex runs its native binary from
    // @openai/codex-linux-x64): the whole node_modules it was installed into.
    const nm = real.indexOf('/node_modules/');
    dirs.add(nm >= 0 ? real.slice(0, nm + '/node_modules'.length) : dirname(real));
  };
  add(command);
  const real = facts.fs.realpath(command);
  const head = real === undefined ? undefined : facts.fs.readText(real, 256);
  if (head?.startsWith('#!')) {
    const words = head.slice(2).split('\n')[0]!.trim().split(/\s+/);
    const interp =
      basename(words[0] ?? '') === 'env'
        ? words.slice(1).find((w) => !w.startsWith('-'))
        : words[0];
    const found =
      interp === undefined
        ? undefined
        : isAbsolute(interp)
          ? interp
          : findOnPath(facts.fs, interp, facts.env.PATH ?? '');
    if (found !== undefined) add(found);
  }
  return [...dirs];
}

function requestEnv(
  req: RunRequest,
  facts: HostFacts,
  warnings: string[],
): [Record<string, string>, Record<string, string>] {
  const env: Record<string, string> = {};
  const why: Record<string, string> = {};
  for (const spec of req.env) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    if (!ENV_NAME.test(name)) {
      throw new BubbleError('BAD_ENV', `--env ${JSON.stringify(spec)}: not a variable name`, {
        hint: 'use --env NAME or --env NAME=VALUE',
      });
    }
    const from = req.sources?.[`env:${spec}`];
    if (eq >= 0) {
      env[name] = spec.slice(eq + 1);
      why[name] = from ?? '--env NAME=VALUE';
    } else if (facts.env[name] !== undefined) {
      env[name] = facts.env[name];
      why[name] = from ?? '--env NAME';
    } else {
      warnings.push(`--env ${name}: not set in your environment, not passed`);
    }
  }
  return [env, why];
}

function kernelBefore(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  return Number(m[1]) < major || (Number(m[1]) === major && Number(m[2]) < minor);
}

const SSH_AGENT_INSIDE = '/run/bubble-ssh/agent.sock';
const SSH_AGENT_SOCKET_NAME = 'ssh-agent.sock';

/** `--ssh-key SPEC`: a fingerprint as ssh-keygen -l prints it, a .pub file, or a comment. */
function keySelector(facts: HostFacts, spec: string, home: string, cwd: string): KeySelector {
  if (FINGERPRINT.test(spec)) return { spec, fingerprint: spec };
  if (!spec.includes('/') && !spec.endsWith('.pub')) return { spec, comment: spec };
  const given = expandUserPath(spec, home, cwd);
  // A private key's path names its .pub beside it; the private key itself is never read.
  const path = given.endsWith('.pub') ? given : `${given}.pub`;
  const text = facts.fs.readText(path, 65536);
  const parsed = text === undefined ? `${path}: no such file` : parsePublicKey(text);
  if (typeof parsed === 'string')
    throw new BubbleError('BAD_SSH_KEY', `--ssh-key ${spec}: ${parsed}`, {
      hint: 'name a key by its fingerprint (ssh-add -l), its comment, or its .pub file',
    });
  return { spec, fingerprint: fingerprint(parsed.blob) };
}

const GIT_IGNORE_INSIDE = '/run/bubble-git-ignore';

/** The user's global git ignore file plus the project's placeholder files, or undefined. */
function projectPlaceholderIgnore(
  facts: HostFacts,
  placeholders: Placeholder[],
  cwd: string,
): string | undefined {
  const files = placeholders.filter((p) => p.type === 'file' && isUnder(p.path, cwd));
  if (files.length === 0) return undefined;
  const home = facts.home;
  const configured = /^\s*excludesfile\s*=\s*(.+?)\s*$/im.exec(
    facts.fs.readText(join(home, '.gitconfig'), 65536) ?? '',
  )?.[1];
  const xdgConfig =
    facts.env.XDG_CONFIG_HOME && isAbsolute(facts.env.XDG_CONFIG_HOME)
      ? facts.env.XDG_CONFIG_HOME
      : join(home, '.config');
  const userFile =
    configured === undefined
      ? join(xdgConfig, 'git', 'ignore')
      : expandUserPath(configured, home, home);
  const user = facts.fs.readText(userFile, 65536) ?? '';
  const ours = files.map(
    (p) => '/' + p.path.slice(cwd.length + 1).replace(/[\\*?[\]!# ]/g, (c) => `\\${c}`),
  );
  return `${user}${user === '' || user.endsWith('\n') ? '' : '\n'}# bubble: placeholders for protected files, present only during the session\n${ours.join('\n')}\n`;
}

/** The memory limit and its cgroup, or the one-line warning why there is none. */
function memoryPlan(limits: Limits, facts: HostFacts): Plan['memory'] | string | undefined {
  if (limits.memBytes === 'unlimited') return undefined;
  const bytes = limits.memBytes ?? Math.floor(facts.memTotal / 2);
  const cg = facts.memoryCgroup;
  if (cg.kind === 'none')
    return `no memory limit: ${cg.why}; the sandbox can use all of the RAM (bubble doctor says how to get one)`;
  return { bytes, cgroup: cg };
}

export function resolvePlan(facts: HostFacts, req: RunRequest): Plan {
  const limits = req.limits ?? DEFAULT_LIMITS;
  const warnings: string[] = [];
  const home = facts.home;
  const homeReal = facts.fs.realpath(home) ?? home;
  const cwd = facts.cwd;

  if (facts.uid === 0 && !req.allowRoot) {
    throw new BubbleError(
      'ROOT',
      'refusing to run as root: uid 0 stays root to the kernel inside the sandbox',
      {
        hint: 'run as your normal user; --allow-root overrides this',
      },
    );
  }
  if (facts.uid === 0)
    warnings.push(
      'running as root (--allow-root): capabilities dropped, but files owned by root stay reachable',
    );
  refuseCwd(cwd, homeReal);

  let profile: Profile;
  if (req.profile !== undefined) {
    const p = profileByName(req.profile);
    if (p === undefined)
      throw new BubbleError('BAD_PROFILE', `--profile ${req.profile}: no such profile`, {
        hint: 'bubble profiles lists them',
      });
    profile = p;
  } else {
    profile = profileForCommand(req.command[0] ?? '');
  }
  const command = resolveCommand(facts, req.command[0] ?? '');

  const m = new Mounts();
  const placeholders: Placeholder[] = [];
  const ensureDirs: string[] = [];
  const ensureFiles: Plan['ensureFiles'] = [];

  // 1. The system, read-only. bwrap does not recreate symlinks at the root, so /bin -> usr/bin
  // is rebuilt explicitly (Node's exec and every script hard-code /bin/sh).
  for (const tree of SYSTEM_TREES) {
    const info = facts.fs.lstat(tree);
    if (info?.type === 'symlink') {
      const target = facts.fs.realpath(tree);
      if (target !== undefined)
        m.push({
          kind: 'symlink',
          target,
          dest: tree,
          why: 'merged /usr: same link as the host',
          source: 'default',
        });
    } else if (info?.type === 'dir') {
      m.push({ kind: 'ro', src: tree, dest: tree, why: 'system files', source: 'default' });
    }
  }
  if (req.net === 'host' || req.net === 'logged') {
    // resolv.conf often points into /run (systemd-resolved), which is not in the sandbox.
    const resolv = facts.fs.realpath('/etc/resolv.conf');
    if (resolv !== undefined && !m.visible(resolv, facts)) {
      m.parentsOf(resolv);
      m.push({
        kind: 'ro',
        src: resolv,
        dest: resolv,
        why: '/etc/resolv.conf points here',
        source: 'default',
      });
    }
  }
  m.push({
    kind: 'proc',
    dest: '/proc',
    why: "the sandbox's own processes only",
    source: 'default',
  });
  m.push({
    kind: 'dev',
    dest: '/dev',
    shmBytes: limits.tmpBytes,
    why: `minimal devices (null, zero, random, tty, pts), read-only; /dev/shm at most ${limits.tmpBytes / MiB} MiB`,
    source: 'default',
  });
  m.push({
    kind: 'tmpfs',
    dest: '/tmp',
    sizeBytes: limits.tmpBytes,
    readOnly: false,
    why: `private, ephemeral, at most ${limits.tmpBytes / MiB} MiB`,
    source: 'default',
  });

  // 2. An empty home (or this project's persistent sandbox home), then the project.
  m.parentsOf(home);
  if (req.home === 'persist') {
    const keep = (req.homeKeep ?? []).map((raw) => ({
      raw,
      source: req.sources?.[`home-keep:${raw}`] ?? '--home-keep',
    }));
    const persisted = persistentHomeMounts(facts, home, cwd, limits.homeBytes, keep);
    for (const op of persisted.ops) m.push(op);
    ensureDirs.push(...persisted.ensureDirs);
  } else {
    if ((req.homeKeep ?? []).length > 0)
      warnings.push('--home-keep: ignored without --home persist (the home is a tmpfs)');
    m.push({
      kind: 'tmpfs',
      dest: home,
      sizeBytes: limits.homeBytes,
      mode: 0o700,
      readOnly: false,
      why: `your home is hidden: empty and ephemeral, at most ${limits.homeBytes / MiB} MiB`,
      source: 'default',
    });
  }
  m.parentsOf(cwd);
  m.push({
    kind: 'rw',
    src: cwd,
    dest: cwd,
    why: 'the project (working directory)',
    source: 'default',
  });

  // Package caches: the project's own, writable; the host's read-only (caches.ts).
  const caches = cacheMounts(facts, cwd, (p) => m.persistsToHost(p));
  for (const op of caches.ops) {
    m.parentsOf(op.dest);
    m.push(op);
  }
  ensureDirs.push(...caches.ensureDirs);

  // 3. The agent's state, read-write.
  for (const s of profile.state) {
    const p = join(home, s.path);
    const info = facts.fs.lstat(p);
    if (info === undefined) {
      if (s.type === 'dir') {
        ensureDirs.push(p);
        m.push({
          kind: 'rw',
          src: p,
          dest: p,
          why: `${profile.name} state (created)`,
          source: `profile ${profile.name}`,
        });
      } else if (s.initial !== undefined) {
        // As the agent would on its first run: bubble makes it (0600, the agent's starting
        // content) so what the agent writes there persists from the first session on.
        ensureFiles.push({ path: p, mode: 0o600, content: s.initial });
        m.push({
          kind: 'rw',
          src: p,
          dest: p,
          why: `${profile.name} state (created)`,
          source: `profile ${profile.name}`,
        });
      } else {
        warnings.push(`${p} does not exist: what the agent writes there will not persist`);
      }
      continue;
    }
    const src = info.type === 'symlink' ? facts.fs.realpath(p) : p;
    if (src === undefined) {
      warnings.push(`${p} is a dangling symlink: not mounted`);
      continue;
    }
    m.push({
      kind: 'rw',
      src,
      dest: p,
      why: `${profile.name} state`,
      source: `profile ${profile.name}`,
    });
  }

  // 4. What the command needs to run, read-only, when it lives in the hidden home.
  for (const dir of commandDirs(facts, command)) {
    if (m.visible(dir, facts)) continue;
    m.parentsOf(dir);
    m.push({
      kind: 'ro',
      src: dir,
      dest: dir,
      why: `holds ${basename(command)} or its interpreter`,
      source: 'command',
    });
  }
  const gitconfig = req.gitconfig ?? 'ro';
  for (const rel of gitconfig === 'none' ? [] : ['.gitconfig', '.config/git']) {
    const p = join(home, rel);
    const real = facts.fs.realpath(p);
    if (real === undefined || m.covering(p)?.kind === 'ro') continue;
    m.push({
      kind: gitconfig === 'rw' ? 'rw' : 'ro',
      src: real,
      dest: p,
      why: 'git identity and settings',
      source: gitconfig === 'rw' ? '--gitconfig rw' : 'default',
    });
  }
  if (gitconfig === 'rw')
    warnings.push(
      '--gitconfig rw: the agent can change your git config, which host git obeys (core.fsmonitor, aliases, core.sshCommand run programs); its diff is shown after the session',
    );

  // 5. The user's own mounts, in the order given.
  for (const [kind, list] of [
    ['ro', req.ro],
    ['rw', req.rw],
  ] as const) {
    for (const raw of list) {
      const dest = expandUserPath(raw, home, cwd);
      const src = facts.fs.realpath(dest);
      if (src === undefined)
        throw new BubbleError('NO_SUCH_PATH', `--${kind} ${raw}: no such file or directory`);
      refuseUserMount(`--${kind} ${raw}`, src, homeReal, req.exposeHome === true);
      m.parentsOf(dest);
      m.push({
        kind,
        src,
        dest,
        why: `--${kind}`,
        source: req.sources?.[`${kind}:${raw}`] ?? 'command line',
      });
    }
  }

  // The ssh-agent, on request: bubble's filter in front of the user's agent (see
  // ssh/agent-filter.ts), so the sandbox lists and signs with the named keys only.
  let sshSock: string | undefined;
  let sshAgent: Plan['sshAgent'];
  if (req.sshAgent) {
    const sock = facts.env.SSH_AUTH_SOCK;
    if (sock === undefined || !isAbsolute(sock) || facts.fs.lstat(sock)?.type !== 'other') {
      throw new BubbleError(
        'NO_SSH_AGENT',
        `--ssh-agent: SSH_AUTH_SOCK ${sock === undefined ? 'is not set' : `(${sock}) is not a socket`}`,
        { hint: 'start an agent (eval "$(ssh-agent)") and ssh-add your key' },
      );
    }
    sshAgent = {
      upstream: sock,
      socket: join(facts.bubble.runtimeDir, SSH_AGENT_SOCKET_NAME),
      keys: (req.sshKeys ?? []).map((spec) => keySelector(facts, spec, home, cwd)),
    };
    sshSock = SSH_AGENT_INSIDE;
    m.parentsOf(sshSock);
    m.push({
      kind: 'ro',
      src: sshAgent.socket,
      dest: sshSock,
      why: `bubble's filter of your ssh-agent: lists and signs with ${sshAgent.keys.map((k) => k.spec).join(', ') || 'the keys you name'} only, every signature logged`,
      source: '--ssh-agent',
    });
  }

  // The network bridge (filtered mode): the proxy's socket dir, node and the bridge script.
  const ruleSources = Object.fromEntries(
    Object.entries(req.sources ?? {}).filter(([k]) => /^(allow|deny|host-port):/.test(k)),
  );
  const net = {
    ...netPlan(
      { mode: req.net, allow: req.allow, deny: req.deny, hostPorts: req.hostPorts },
      req.hostProxyPort,
    ),
    ...(Object.keys(ruleSources).length > 0 ? { sources: ruleSources } : {}),
    ...((req.allowPrivate ?? []).length > 0 ? { allowPrivate: req.allowPrivate } : {}),
  };
  let bridgeArgs: string[] = [];
  let forwarder: Forwarder | undefined;
  if (req.net === 'filtered') {
    m.parentsOf(INSIDE_SOCKET_DIR);
    m.push({
      kind: 'ro',
      src: facts.bubble.runtimeDir,
      dest: INSIDE_SOCKET_DIR,
      why: "bubble's proxy socket: the only way out",
      source: '--net filtered',
    });
    // socat starts in a millisecond where Node takes tens; published ports need the bridge,
    // which asks the proxy for each one (decided and logged like any connection).
    forwarder = facts.bubble.socat !== undefined && req.hostPorts.length === 0 ? 'socat' : 'node';
    // Node and bubble's net scripts in both cases: connect.js is ssh's ProxyCommand.
    const runs = [...commandDirs(facts, facts.bubble.node), dirname(facts.bubble.bridge)];
    if (forwarder === 'socat') runs.push(...commandDirs(facts, facts.bubble.socat!));
    for (const dir of runs) {
      if (m.visible(dir, facts)) continue;
      m.parentsOf(dir);
      m.push({
        kind: 'ro',
        src: dir,
        dest: dir,
        why: "runs the network forwarder and ssh's proxy command",
        source: '--net filtered',
      });
    }
    const socket = `${INSIDE_SOCKET_DIR}/${SOCKET_NAME}`;
    bridgeArgs =
      forwarder === 'socat'
        ? [facts.bubble.socat!, String(net.proxyPort), socket, procNetTcpPort(net.proxyPort!)]
        : [
            facts.bubble.node,
            facts.bubble.bridge,
            String(net.proxyPort),
            socket,
            req.hostPorts.join(','),
          ];
  }

  // 6. Protected paths, read-only on top. Ones that do not exist are made uncreatable.
  const agentSource = `profile ${profile.name}`;
  const protections: Protection[] = profile.protected.map((p) => ({
    path: join(home, p.path),
    type: p.type,
    why: 'shapes the agent: read-only',
    source: agentSource,
    ...(p.placeholder === undefined ? {} : { placeholder: p.placeholder }),
  }));
  for (const rel of profile.scriptRefs) {
    const text = facts.fs.readText(join(home, rel));
    if (text === undefined) continue;
    for (const path of referencedScripts(text, homeReal)) {
      protections.push({
        path: join(home, path.slice(homeReal.length)),
        type: 'file',
        placeholder: '',
        why: 'run by the agent settings',
        source: agentSource,
      });
    }
  }
  protections.push(...projectProtections(facts, cwd));
  const allowWrite = req.allowWrite.map((raw) => expandUserPath(raw, home, cwd));
  const git = planGitDirs(facts.fs, cwd, home, facts.env, {
    stageRoot: facts.bubble.stageRoot,
    allowWrite,
    source: 'project',
  });
  warnings.push(...git.warnings);
  stageGitDirs(m, git.stages);
  protections.push(...git.protections);
  const seen = new Set<string>();
  const protectedExisting: string[] = [];
  const isPlaceholder = (p: string): boolean => placeholders.some((x) => x.path === p);
  for (const p of protections) {
    if (seen.has(p.path) || allowWrite.some((a) => isUnder(p.path, a))) continue;
    seen.add(p.path);
    const info = facts.fs.lstat(p.path);
    if (p.expose && info?.type === 'dir' && !m.persistsToHost(p.path)) {
      m.parentsOf(p.path);
      m.push({ kind: 'rw', src: p.path, dest: p.path, why: p.why, source: p.source });
      continue;
    }
    if (!m.persistsToHost(p.path)) {
      // Writes there cannot reach the host; only make it visible so the agent can use it.
      if (info !== undefined && info.type !== 'symlink' && !m.visible(p.path, facts)) {
        m.parentsOf(p.path);
        m.push({ kind: 'ro', src: p.path, dest: p.path, why: p.why, source: p.source });
      }
      continue;
    }
    if (info?.type === 'symlink') {
      throw new BubbleError(
        'PROTECTED_SYMLINK',
        `${p.path} is a symlink: a protected path must be a real ${p.type}`,
        {
          exitCode: EXIT_SETUP,
          hint: `a previous session may have planted it; inspect it, then remove it or replace it with the real ${p.type} (or pass --allow-write ${p.path})`,
        },
      );
    }
    if (info?.type === 'file' && info.nlink > 1) {
      throw new BubbleError(
        'PROTECTED_HARDLINK',
        `${p.path} has ${info.nlink} hard links: its other names would be writable`,
        {
          exitCode: EXIT_SETUP,
          hint: 'replace it with a copy (cp --remove-destination) so it has a single link',
        },
      );
    }
    // Missing: bwrap needs a mount point, which lies on the host. bubble creates it (and any
    // missing parent) before launch and removes it after (see placeholders.ts).
    if (info === undefined) {
      for (const dir of ancestors(p.path).reverse()) {
        if (facts.fs.lstat(dir) === undefined && !ensureDirs.includes(dir) && !isPlaceholder(dir))
          placeholders.push({ path: dir, type: 'dir' });
      }
      placeholders.push({ path: p.path, type: p.type });
    }
    // A directory holding a mount point can still be renamed away, taking the protection
    // with it: pin every directory between the writable mount and the protected path.
    const root = m.covering(p.path)!.dest;
    for (const dir of ancestors(p.path).reverse()) {
      if (!isUnder(dir, root) || dir === root || m.ops.some((op) => op.dest === dir)) continue;
      m.push({
        kind: 'rw',
        src: dir,
        dest: dir,
        why: 'holds protected paths: pinned in place',
        source: p.source,
      });
    }
    if (info !== undefined) {
      protectedExisting.push(p.path);
      m.push({
        kind: p.pin ? 'rw' : 'ro',
        src: p.path,
        dest: p.path,
        why: p.pin ? p.why : `${p.why}: read-only`,
        source: p.source,
      });
    } else if (p.type === 'dir') {
      m.push({
        kind: 'tmpfs',
        dest: p.path,
        sizeBytes: 64 * 1024,
        mode: 0o555,
        readOnly: true,
        why: `${p.why}: absent, cannot be created`,
        source: p.source,
      });
    } else {
      m.push({
        kind: 'data',
        dest: p.path,
        content: p.placeholder ?? '',
        why: `${p.why}: absent, cannot be created`,
        source: p.source,
      });
    }
  }

  // Placeholder files in the project would show up in `git status` and `git add -A`: have
  // git inside ignore them, on top of the user's own global ignore file.
  const gitIgnore = projectPlaceholderIgnore(facts, placeholders, cwd);
  if (gitIgnore !== undefined) {
    m.parentsOf(GIT_IGNORE_INSIDE);
    m.push({
      kind: 'data',
      dest: GIT_IGNORE_INSIDE,
      content: gitIgnore,
      why: "git ignores bubble's placeholders (and what your global ignore file lists)",
      source: 'default',
    });
  }

  // Model API credentials stay on the host: bubble's reverse proxy adds them (src/creds).
  const credentials = credentialPlan({
    profile: profile.name,
    command: basename(command),
    home,
    env: facts.env,
    readText: (p) => facts.fs.readText(p, 1 << 20),
    // logged mode's port is known only once the proxy listens (the second resolve).
    proxyPort: req.net === 'filtered' || req.net === 'logged' ? (net.proxyPort ?? 0) : undefined,
    pass: req.passCredentials ?? false,
    commands: req.apiKeyCommands ?? {},
  });
  warnings.push(...credentials.notes);
  for (const mask of credentials.masked) {
    if (!m.visible(mask.path, facts)) continue;
    m.push({
      kind: 'data',
      dest: mask.path,
      content: mask.content,
      why: mask.why,
      source: 'default',
    });
  }

  // 7. --hide last, so it covers anything mounted beneath.
  for (const raw of req.hide) {
    const dest = expandUserPath(raw, home, cwd);
    if (!m.visible(dest, facts)) continue;
    const info = facts.fs.lstat(facts.fs.realpath(dest) ?? dest);
    if (info?.type === 'dir') {
      m.push({
        kind: 'tmpfs',
        dest,
        sizeBytes: 64 * 1024,
        mode: 0o555,
        readOnly: true,
        why: '--hide',
        source: req.sources?.[`hide:${raw}`] ?? 'command line',
      });
    } else {
      m.push({
        kind: 'data',
        dest,
        content: '',
        why: '--hide',
        source: req.sources?.[`hide:${raw}`] ?? 'command line',
      });
    }
  }

  // Environment: an allowlist, nothing else.
  const env: Record<string, string> = {};
  const envWhy: Record<string, string> = {};
  const prefixes = [...BASE_ENV_PREFIXES, ...profile.env.prefixes];
  for (const [name, value] of Object.entries(facts.env)) {
    if (BASE_ENV.includes(name) || prefixes.some((p) => name.startsWith(p))) {
      env[name] = value;
      envWhy[name] =
        BASE_ENV.includes(name) || name.startsWith('LC_')
          ? 'terminal and locale'
          : `profile ${profile.name}`;
    } else if (profile.env.names.includes(name)) {
      env[name] = value;
      envWhy[name] = `profile ${profile.name}`;
    }
  }
  for (const name of CA_ENV) {
    const value = facts.env[name];
    if (value !== undefined && isAbsolute(value) && m.visible(value, facts)) {
      env[name] = value;
      envWhy[name] = 'TLS trust (a path, visible inside)';
    }
  }
  Object.assign(env, caches.env);
  Object.assign(envWhy, caches.envWhy);
  const [extraEnv, extraWhy] = requestEnv(req, facts, warnings);
  Object.assign(env, extraEnv);
  Object.assign(envWhy, extraWhy);
  for (const name of credentials.withheld) {
    if (name in extraEnv && !(name in credentials.env)) {
      warnings.push(
        `--env ${name}: kept outside, bubble adds it to API requests (--pass-credentials passes it)`,
      );
    }
    delete env[name];
    delete envWhy[name];
  }
  Object.assign(env, credentials.env);
  Object.assign(envWhy, credentials.envWhy);
  const pathDirs = (facts.env.PATH ?? '')
    .split(':')
    .filter((d) => isAbsolute(d) && m.visible(d, facts));
  env.PATH = [...new Set(pathDirs)].join(':') || '/usr/local/bin:/usr/bin:/bin';
  envWhy.PATH = 'your PATH, less directories the sandbox does not have';
  env.HOME = home;
  envWhy.HOME = 'same path as outside (an empty tmpfs)';
  if (net.proxyPort !== undefined) {
    // connect.js (ssh's ProxyCommand) is bound in beside the bridge in filtered mode only.
    const tools =
      req.net === 'filtered'
        ? { node: facts.bubble.node, connect: connectScript(facts.bubble.bridge) }
        : undefined;
    for (const [k, v] of Object.entries(proxyEnv(net.proxyPort, tools))) {
      if (k === 'GIT_SSH_COMMAND' && k in extraEnv) continue; // --env GIT_SSH_COMMAND wins
      // The JVM takes the last of a repeated -D: the user's options come after ours.
      env[k] = k === 'JAVA_TOOL_OPTIONS' && k in extraEnv ? `${v} ${extraEnv[k]}` : v;
      envWhy[k] = `bubble's proxy (--net ${net.mode})`;
    }
  }
  if (gitIgnore !== undefined && !('GIT_CONFIG_COUNT' in env)) {
    Object.assign(env, {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.excludesFile',
      GIT_CONFIG_VALUE_0: GIT_IGNORE_INSIDE,
    });
    for (const k of ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0'])
      envWhy[k] = "git ignores bubble's placeholder files";
  }
  if (sshSock !== undefined) {
    env.SSH_AUTH_SOCK = sshSock;
    envWhy.SSH_AUTH_SOCK = '--ssh-agent';
  }
  const inner = innerSandboxSwitch(profile.innerSandbox, facts, cwd);
  for (const [k, v] of Object.entries(inner?.env ?? {})) {
    env[k] = v;
    envWhy[k] = `${profile.name}'s own sandbox cannot start inside bubble: off`;
  }
  // The flags are the agent's own: not for another command run with --profile.
  const innerArgs = profile.commands.includes(basename(command)) ? (inner?.args ?? []) : [];
  if (inner?.notice !== undefined && (innerArgs.length > 0 || (inner.args ?? []).length === 0))
    warnings.push(inner.notice);
  env.BUBBLE_SANDBOX = '1';
  envWhy.BUBBLE_SANDBOX = 'tells programs they run inside bubble';

  // Before Linux 5.14 RLIMIT_NPROC counts all of the user's processes, not the sandbox's.
  let effective = limits;
  if (limits.nproc !== 'unlimited' && kernelBefore(facts.kernel, 5, 14)) {
    effective = { ...limits, nproc: 'unlimited' };
    warnings.push(
      `kernel ${facts.kernel} counts process limits per user, not per sandbox: no process limit`,
    );
  }
  const signalEnv = facts.stdinIsTTY ? facts.signalEnv : undefined;
  const script = trampoline(ulimitLine(effective), forwarder, signalEnv !== undefined);
  const wrapper = script === 'exec "$@"' ? [] : ['/bin/sh', '-c', script, 'bubble', ...bridgeArgs];

  const seccompOk = seccompSupported(facts.arch);
  if (!seccompOk)
    warnings.push(
      `no seccomp filter for architecture ${facts.arch}: terminal injection and kernel attack surface are not filtered`,
    );
  const features = facts.bwrap?.features;
  if (features !== undefined && !features.size)
    warnings.push(
      `bwrap ${facts.bwrap!.version} has no --size: /tmp, /dev/shm and the hidden home may fill up to half the RAM (upgrade bubblewrap to 0.8 or later)`,
    );
  const memory = memoryPlan(limits, facts);
  if (typeof memory === 'string') warnings.push(memory);
  refusePlannedLinks(m.ops, facts.fs);

  return {
    profile: profile.name,
    argv: [command, ...innerArgs, ...credentials.argv, ...req.command.slice(1)],
    wrapper,
    limits: effective,
    memory: typeof memory === 'string' ? undefined : memory,
    cwd: facts.workdir ?? cwd,
    mounts: m.ops,
    env,
    envWhy,
    namespaces: {
      user: true,
      pid: true,
      ipc: true,
      uts: true,
      cgroup: true,
      net: req.net !== 'host' && req.net !== 'logged',
    },
    process: {
      dieWithParent: true,
      newSession: !facts.stdinIsTTY,
      signalEnv,
      disableUserns: features?.disableUserns ?? true,
      asRoot: facts.uid === 0,
    },
    net,
    seccomp: seccompOk
      ? { rules: seccompRules({ allowUserns: false }), allowUserns: false }
      : undefined,
    placeholders,
    protectedExisting,
    stages: git.stages,
    ensureDirs,
    ensureFiles,
    ...(sshAgent === undefined ? {} : { sshAgent }),
    caches: caches.caches,
    credentials,
    warnings,
  };
}
