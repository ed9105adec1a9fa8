// `--home persist`: a per-project sandbox home under $XDG_STATE_HOME/bubble/homes/. Only
// caches and state persist; the rest of the home starts empty in every session.
//
// Why an allowlist: a home that persists whole joins every session of the project into one
// trust domain. A session with no network (reviewing an untrusted branch) could leave a
// ~/.bashrc, a ~/.gitconfig with core.fsmonitor, a ~/.ssh/config with ProxyCommand, a
// shim in ~/.local/bin or a .pth file in ~/.local/lib for the next session, which may run
// with --ssh-agent or a wider --allow. The files that run code or redirect credentials in
// a home are too many to list (every tool's rc file, every PATH directory, every plugin
// dir), so what persists is named instead, and anything else is written to a tmpfs that
// is gone when the session ends. `--home-keep PATH` keeps one more path, on purpose.

import { createHash } from 'node:crypto';
import { basename, isAbsolute, join, normalize } from 'node:path';
import { bubbleDirs } from '../config/paths.ts';
import { BubbleError, EXIT_SETUP } from '../errors.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import type { MountOp } from '../sandbox/plan.ts';

export interface HomePath {
  /** Relative to the home. */
  path: string;
  why: string;
}

/** What persists: downloads and state that tools check or only append to, never run as config. */
export const PERSISTED: readonly HomePath[] = [
  {
    path: '.cache',
    why: 'XDG cache (pip, uv, go build, node-gyp...): downloads, re-fetched when missing',
  },
  { path: '.local/state', why: 'XDG state (shell and REPL history, logs): read as data' },
  {
    path: '.npm/_cacache',
    why: "npm's content-addressed cache: entries checked by integrity hash",
  },
  { path: '.cargo/registry', why: "cargo's crate downloads: checked against Cargo.lock checksums" },
  {
    path: 'go/pkg/mod',
    why: "Go's module cache: checked against go.sum and the checksum database",
  },
];

/**
 * Named for the record: what does not persist, and what it would let one session plant in
 * the next. Everything else not in PERSISTED resets too; these are the reasons it must.
 */
export const NOT_PERSISTED: readonly HomePath[] = [
  {
    path: '.bashrc',
    why: 'shell rc files (.profile, .bash_profile, .zshenv, .zshrc...) run in every shell',
  },
  {
    path: '.gitconfig',
    why: 'git config runs programs (core.fsmonitor, aliases, core.sshCommand, credential helpers)',
  },
  { path: '.config/git', why: "git's XDG config: the same as ~/.gitconfig" },
  {
    path: '.ssh/config',
    why: 'ProxyCommand, LocalCommand and Match exec run programs; IdentityAgent and Hostname redirect logins',
  },
  {
    path: '.ssh/known_hosts',
    why: 'host-key trust: a planted @cert-authority line makes ssh accept an impersonator',
  },
  { path: '.ssh/authorized_keys', why: 'no sshd reads a sandbox home; nothing needs it kept' },
  {
    path: '.local/bin',
    why: 'a PATH directory: a file there shadows a command (git, node) in the next session',
  },
  { path: '.local/lib', why: "Python's user site: a .pth file runs at every python start" },
  {
    path: '.npmrc',
    why: 'registry redirects and node-options=--require run code in every npm command',
  },
  {
    path: '.cargo/config.toml',
    why: 'build.rustc-wrapper and aliases run programs in every cargo build',
  },
  {
    path: '.config',
    why: "tools' config (pip index-url, gh aliases, nvim, fish...) runs code or redirects downloads",
  },
  { path: '.npm/_npx', why: 'packages npx runs again without downloading them' },
];

/** `$XDG_STATE_HOME/bubble/homes/<name>-<hash of the project path>`. */
function persistentHome(facts: HostFacts, project: string): string {
  const id = createHash('sha256').update(project).digest('hex').slice(0, 12);
  const name =
    basename(project)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 40) || 'root';
  return join(bubbleDirs(facts.env, facts.home).state, 'homes', `${name}-${id}`);
}

/** `--home-keep PATH`: a path inside the home, as given (`~/x`, `x`), made relative. */
export function keptPath(raw: string, home: string): string {
  const rel = raw.startsWith('~/')
    ? raw.slice(2)
    : isAbsolute(raw) && raw.startsWith(home + '/')
      ? raw.slice(home.length + 1)
      : raw;
  const norm = normalize(rel).replace(/\/+$/, '');
  if (isAbsolute(norm) || norm === '.' || norm === '' || norm === '..' || norm.startsWith('../'))
    throw new BubbleError(
      'USAGE',
      `--home-keep ${raw}: expected a path inside your home, e.g. .config/gh`,
    );
  return norm;
}

/**
 * The mounts that make the persistent home: a fresh tmpfs, and on it each persisted path
 * bound from the project's directory. A link on the way there is refused: bubble would
 * follow it out of its own directory (an older bubble persisted the whole home).
 */
export function persistentHomeMounts(
  facts: HostFacts,
  home: string,
  cwd: string,
  homeBytes: number,
  keep: readonly { raw: string; source: string }[],
): { ops: MountOp[]; ensureDirs: string[] } {
  const dir = persistentHome(facts, cwd);
  const ops: MountOp[] = [
    {
      kind: 'tmpfs',
      dest: home,
      sizeBytes: homeBytes,
      mode: 0o700,
      readOnly: false,
      why: `your home is hidden: empty at each start, at most ${homeBytes >> 20} MiB; the caches below persist in ${dir}`,
      source: '--home persist',
    },
  ];
  const ensureDirs: string[] = [];
  const paths = [
    ...PERSISTED.map((p) => ({ ...p, source: '--home persist' })),
    ...keep.map((k) => ({
      path: keptPath(k.raw, home),
      why: 'kept on purpose: the next session of this project reads it',
      source: k.source,
    })),
  ];
  for (const p of paths) {
    let at = dir;
    for (const part of p.path.split('/')) {
      at = join(at, part);
      const info = facts.fs.lstat(at);
      if (info?.type === 'symlink')
        throw new BubbleError(
          'PERSISTENT_HOME_LINK',
          `${at} is a symlink: bubble will not follow it out of the persistent home`,
          {
            exitCode: EXIT_SETUP,
            hint: 'a previous session may have planted it; inspect it, then remove it',
          },
        );
      if (info === undefined) break;
    }
    const src = join(dir, p.path);
    if (facts.fs.lstat(src) === undefined) ensureDirs.push(src);
    ops.push({ kind: 'rw', src, dest: join(home, p.path), why: p.why, source: p.source });
  }
  return { ops, ensureDirs };
}
