// An agent's state dir (~/.claude, ~/.codex, ~/.gemini, opencode's, ~/.aider) written by allowlist, through a
// stage (staged.ts says why write access is an allowlist). The names the agent writes in
// place are bound read-write from the host; what it replaces by rename is a copy that goes
// back after the session; everything else there is read-only; a new name exists only in
// the stage, and after the session it is set aside and reported, or, for the agent's known
// scratch, dropped. The lists are the profile's (profiles/*-state.ts), each traced on the
// real binary.
//
// The stage is also what makes the protection survive the host's own edits: the read-only
// mounts sit on mount points in bubble's stage, not on the host's files, so an editor (or
// the agent on the host) replacing ~/.claude/settings.json by rename detaches nothing.
//
// Pure: the shape of the stages and their mounts (facts.fs only).

import { join } from 'node:path';
import { BubbleError, EXIT_SETUP } from '../errors.ts';
import type { HostFs } from '../sandbox/host-fs.ts';
import type { MountOp, Plan } from '../sandbox/plan.ts';
import { isUnder } from './paths.ts';
import type { Profile, StagedState, StateName } from './profile.ts';
import { profileByName } from './profiles/index.ts';
import { stageMounts, type StageSpec, type WriteBackRule } from './staged.ts';

const find = (
  list: readonly StateName[],
  name: string,
  type: 'file' | 'dir',
): StateName | undefined =>
  list.find(
    (n) => n.type === type && (typeof n.name === 'string' ? n.name === name : n.name.test(name)),
  );
const matches = (list: readonly StateName[], name: string, type: 'file' | 'dir'): boolean =>
  find(list, name, type) !== undefined;

/** SQLite databases (WAL mode keeps -wal and -shm beside them). */
const SQLITE = /\.(?:sqlite|db)$/;

const ASIDE = 'not state the agent writes: its next run could read it as configuration or run it';

export interface AgentStatePlan {
  specs: StageSpec[];
  /** State paths (relative to $HOME) shown through a stage, not bound whole. */
  staged: string[];
  ensureDirs: string[];
  ensureFiles: Plan['ensureFiles'];
}

/** The mounts a stage plan needs, in the order to push them. */
export interface MountSink {
  push(op: MountOp): void;
  parentsOf(dest: string): void;
  /** Marks a stage's directory: writes under it stay in the stage, not on the host. */
  stagedSource(src: string): void;
}

function entryFor(
  fs: HostFs,
  s: StagedState,
  real: string,
  name: string,
  isProtected: (name: string) => boolean,
): { show: 'rw' | 'ro' | 'copy'; type: 'file' | 'dir' } | undefined {
  const path = join(real, name);
  const info = fs.lstat(path);
  const type = info?.type;
  // Every name here is mounted: a link would be followed (on the host for the source), and
  // one left by an earlier session could lead anywhere. Refused, naming it.
  if (type === 'symlink')
    throw new BubbleError('PROTECTED_SYMLINK', `${path} is a symlink in the agent's state dir`, {
      exitCode: EXIT_SETUP,
      hint: `a previous session may have planted it; inspect it, then remove it or replace it with what it points to (or pass --allow-write ${path})`,
    });
  if (type !== 'file' && type !== 'dir') return undefined; // a socket, a FIFO: not shown
  const scratch = find(s.scratch, name, type);
  // The agent's own, in the stage only; or, when host code imports the host's, read-only.
  if (scratch !== undefined) return scratch.readOnlyWhenPresent ? { show: 'ro', type } : undefined;
  if (matches(s.write, name, type)) return { show: 'rw', type };
  if (matches(s.replace, name, type)) return { show: 'copy', type };
  // Read-only through this name, but writable through another (a second hard link): the
  // two-run escalation. Refused, as for every protected path.
  if (info?.type === 'file' && info.nlink > 1 && isProtected(name))
    throw new BubbleError(
      'PROTECTED_HARDLINK',
      `${path} has ${info.nlink} hard links: its other names would be writable`,
      {
        exitCode: EXIT_SETUP,
        hint: 'replace it with a copy (cp --remove-destination) so it has a single link',
      },
    );
  return { show: 'ro', type };
}

export function planAgentState(
  fs: HostFs,
  home: string,
  profile: Profile,
  opts: { stageRoot: string; allowWrite: string[] },
): AgentStatePlan {
  const out: AgentStatePlan = {
    specs: [],
    staged: [],
    ensureDirs: [],
    ensureFiles: [],
  };
  for (const [i, s] of (profile.staged ?? []).entries()) {
    const path = join(home, s.dir);
    // --allow-write on the dir or anything in it: the whole dir as before, on purpose.
    if (opts.allowWrite.some((a) => isUnder(a, path) || isUnder(path, a))) continue;
    const info = fs.lstat(path);
    let real = path;
    if (info === undefined) out.ensureDirs.push(path);
    else if (info.type === 'symlink') {
      const target = fs.realpath(path);
      if (target === undefined || fs.lstat(target)?.type !== 'dir') continue; // bound as before
      real = target;
    } else if (info.type !== 'dir') continue;
    const entries: StageSpec['entries'] = {};
    const isProtected = (name: string): boolean =>
      profile.protected.some((p) => p.path === join(s.dir, name));
    for (const name of fs.readdir(real) ?? []) {
      const e = entryFor(fs, s, real, name, isProtected);
      if (e !== undefined) entries[name] = e;
    }
    // The profile's protected paths, when missing, are there read-only, empty or with their
    // placeholder, as the agent is used to. Other missing names are left missing: an empty
    // `local/` or `.config.json` would change what it does.
    for (const p of profile.protected) {
      const name = p.path.slice(s.dir.length + 1);
      if (!isUnder(p.path, s.dir) || name.includes('/') || entries[name] !== undefined) continue;
      entries[name] =
        p.type === 'dir'
          ? { show: 'mount', type: 'dir' }
          : { show: 'mount', type: 'file', content: p.placeholder ?? '' };
    }
    // SQLite in WAL mode keeps -wal and -shm beside the database: one made in the stage
    // while the database is the host's would split it from a host session's (corruption).
    for (const [name, e] of Object.entries(entries)) {
      if (e.show !== 'rw' || !SQLITE.test(name)) continue;
      for (const suffix of ['-wal', '-shm'])
        if (entries[name + suffix] === undefined) {
          out.ensureFiles.push({ path: join(real, name + suffix), mode: 0o644, content: '' });
          entries[name + suffix] = { show: 'rw', type: 'file' };
        }
    }
    out.specs.push({
      real,
      ...(real === path ? {} : { dest: path }),
      stage: join(opts.stageRoot, `${profile.name}-${i}`),
      rules: `agent:${profile.name}:${s.dir}`,
      entries,
      create: [],
      why: `${profile.name} state (${s.source})`,
      source: `profile ${profile.name}`,
      aside: ASIDE,
    });
    out.staged.push(s.dir);
  }
  return out;
}

/** Push a stage plan's mounts: each stage where its state dir is seen. */
export function mountAgentState(m: MountSink, plan: AgentStatePlan): void {
  for (const spec of plan.specs) {
    m.parentsOf(spec.dest ?? spec.real);
    m.stagedSource(spec.stage);
    for (const op of stageMounts(spec)) m.push(op);
  }
}

/** The write-back allowlist of a stage made by planAgentState (`agent:PROFILE:DIR`). */
export function agentStateRules(key: string): WriteBackRule[] | undefined {
  const m = /^agent:([^:]+):(.+)$/.exec(key);
  if (!m) return undefined;
  const s = profileByName(m[1]!)?.staged?.find((x) => x.dir === m[2]);
  if (s === undefined) return undefined;
  return [
    ...s.write.filter((n) => n.existingOnly !== true),
    ...s.replace,
    ...s.scratch.map((n) => ({ ...n, discard: true })),
  ].map((n) => ({
    name: n.name,
    type: n.type,
    why: n.why,
    ...(n.check === undefined ? {} : { check: n.check }),
    ...('discard' in n ? { discard: true } : {}),
  }));
}
