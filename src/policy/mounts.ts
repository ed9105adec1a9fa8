// What the sandbox sees, broad to specific: the system read-only, an empty (or persistent)
// home, the project, package caches, the agent's state, what the command needs to run, the user's git
// config, the user's own mounts, and last --hide. Pure: each step reads the host only
// through facts.fs and appends to the mount list it is given.

import { basename, join } from 'node:path';
import { BubbleError } from '../errors.ts';
import type { CredentialPlan } from '../creds/plan.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import type { Plan } from '../sandbox/plan.ts';
import { NET_MODE_TRAITS, type NetMode } from '../net/modes.ts';
import { mountAgentState, planAgentState } from './agent-state.ts';
import { cacheMounts, type CacheMounts } from './caches.ts';
import { commandDirs } from './command.ts';
import type { Limits } from './limits.ts';
import type { Mounts } from './mount-list.ts';
import { expandUserPath } from './paths.ts';
import { persistentHomeMounts } from './persistent-home.ts';
import type { Profile } from './profile.ts';
import { refuseUserMount } from './refuse.ts';
import type { RunRequest } from './run-request.ts';
import type { StageSpec } from './staged.ts';

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

/**
 * The system, read-only, and the sandbox's own /proc, /dev and /tmp. bwrap does not
 * recreate symlinks at the root, so /bin -> usr/bin is rebuilt explicitly (Node's exec and
 * every script hard-code /bin/sh).
 */
export function systemMounts(m: Mounts, facts: HostFacts, net: NetMode, limits: Limits): void {
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
  if (NET_MODE_TRAITS[net].network === 'host') {
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
}

export interface HomeMounts {
  /** Directories bubble creates on the host before launch. */
  ensureDirs: string[];
  warnings: string[];
}

/** An empty home (or this project's persistent sandbox home), then the project read-write. */
export function homeAndProjectMounts(
  m: Mounts,
  facts: HostFacts,
  req: Pick<RunRequest, 'home' | 'homeKeep' | 'sources'>,
  limits: Limits,
): HomeMounts {
  const { home, cwd } = facts;
  const out: HomeMounts = { ensureDirs: [], warnings: [] };
  m.parentsOf(home);
  if (req.home === 'persist') {
    const keep = (req.homeKeep ?? []).map((raw) => ({
      raw,
      source: req.sources?.[`home-keep:${raw}`] ?? '--home-keep',
    }));
    const persisted = persistentHomeMounts(facts, home, cwd, limits.homeBytes, keep);
    for (const op of persisted.ops) m.push(op);
    out.ensureDirs.push(...persisted.ensureDirs);
  } else {
    if ((req.homeKeep ?? []).length > 0)
      out.warnings.push('--home-keep: ignored without --home persist (the home is a tmpfs)');
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
  return out;
}

/** Package caches: the project's own, writable; the host's read-only (caches.ts). */
export function packageCacheMounts(m: Mounts, facts: HostFacts): CacheMounts {
  const caches = cacheMounts(facts, facts.cwd, (p) => m.persistsToHost(p));
  for (const op of caches.ops) {
    m.parentsOf(op.dest);
    m.push(op);
  }
  return caches;
}

export interface AgentStateMounts {
  ensureDirs: string[];
  ensureFiles: Plan['ensureFiles'];
  warnings: string[];
  stages: StageSpec[];
}

/**
 * The agent's state in the home, so it persists across sessions: its state dirs by
 * allowlist (agent-state.ts), the rest read-write.
 */
export function agentStateMounts(
  m: Mounts,
  facts: HostFacts,
  profile: Profile,
  allowWrite: readonly string[],
): AgentStateMounts {
  const staged = planAgentState(facts.fs, facts.home, profile, {
    stageRoot: facts.bubble.stageRoot,
    allowWrite: allowWrite.map((raw) => expandUserPath(raw, facts.home, facts.cwd)),
  });
  mountAgentState(m, staged);
  const out: AgentStateMounts = {
    ensureDirs: [...staged.ensureDirs],
    ensureFiles: [...staged.ensureFiles],
    warnings: [],
    stages: staged.specs,
  };
  for (const s of profile.state) {
    if (staged.staged.includes(s.path)) continue;
    const p = join(facts.home, s.path);
    const info = facts.fs.lstat(p);
    if (info === undefined) {
      if (s.type === 'dir') {
        out.ensureDirs.push(p);
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
        out.ensureFiles.push({ path: p, mode: 0o600, content: s.initial });
        m.push({
          kind: 'rw',
          src: p,
          dest: p,
          why: `${profile.name} state (created)`,
          source: `profile ${profile.name}`,
        });
      } else {
        out.warnings.push(`${p} does not exist: what the agent writes there will not persist`);
      }
      continue;
    }
    const src = info.type === 'symlink' ? facts.fs.realpath(p) : p;
    if (src === undefined) {
      out.warnings.push(`${p} is a dangling symlink: not mounted`);
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
  return out;
}

/** What the command needs to run, read-only, when it lives in the hidden home. */
export function commandMounts(m: Mounts, facts: HostFacts, command: string): void {
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
}

/** ~/.gitconfig and ~/.config/git: read-only, writable (with a warning), or not at all. */
export function gitconfigMounts(
  m: Mounts,
  facts: HostFacts,
  gitconfig: 'ro' | 'rw' | 'none',
): string[] {
  for (const rel of gitconfig === 'none' ? [] : ['.gitconfig', '.config/git']) {
    const p = join(facts.home, rel);
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
  return gitconfig === 'rw'
    ? [
        '--gitconfig rw: the agent can change your git config, which host git obeys (core.fsmonitor, aliases, core.sshCommand run programs); its diff is shown after the session',
      ]
    : [];
}

/** The user's own mounts (--ro, then --rw), in the order given. */
export function userMounts(
  m: Mounts,
  facts: HostFacts,
  req: Pick<RunRequest, 'ro' | 'rw' | 'exposeHome' | 'sources'>,
  homeReal: string,
): void {
  for (const [kind, list] of [
    ['ro', req.ro],
    ['rw', req.rw],
  ] as const) {
    for (const raw of list) {
      const dest = expandUserPath(raw, facts.home, facts.cwd);
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
}

/** Credential files the sandbox sees masked (the real credential stays on the host). */
export function credentialMasks(
  m: Mounts,
  facts: HostFacts,
  masked: CredentialPlan['masked'],
): void {
  for (const mask of masked) {
    if (!m.visible(mask.path, facts)) continue;
    m.push({
      kind: 'data',
      dest: mask.path,
      content: mask.content,
      why: mask.why,
      source: 'default',
    });
  }
}

/** --hide last, so it covers anything mounted beneath. */
export function hideMounts(
  m: Mounts,
  facts: HostFacts,
  req: Pick<RunRequest, 'hide' | 'sources'>,
): void {
  for (const raw of req.hide) {
    const dest = expandUserPath(raw, facts.home, facts.cwd);
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
}
