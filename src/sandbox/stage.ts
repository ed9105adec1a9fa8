// Staged directories on the host (the shape: policy/staged.ts). Before the session: each
// stage is filled (mount points, copies of the rest) and a manifest records what every
// copied entry held, so that after the session only the entries the session changed are
// looked at, and an entry the host changed meanwhile is never overwritten. After the
// session: what the rules allow goes back to the real directory (a new file, then a
// rename; never through a link); everything else the session changed is moved to
// bubble's set-aside directory and reported. A session that died does this at the start
// of the next one (recoverStages).

import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GIT_INFO_RULES, GIT_OBJECTS_INFO_RULES, GIT_RULES } from '../policy/git-state.ts';
import { agentStateRules } from '../policy/agent-state.ts';
import { isUnder } from '../policy/paths.ts';
import {
  inPlainDir,
  lstatBelow,
  mkdirsBelow as mkdirsNoFollow,
  readdirBelow,
  renameOutBelow,
} from './nofollow.ts';
import {
  ruleFor,
  type StageSpec,
  type StagedContent,
  type WriteBackRule,
} from '../policy/staged.ts';

/** Write-back allowlists by name (StageSpec.rules). */
const STAGE_RULES: Record<string, readonly WriteBackRule[]> = {
  git: GIT_RULES,
  'git-info': GIT_INFO_RULES,
  'git-objects-info': GIT_OBJECTS_INFO_RULES,
};

/** The allowlist a stage was made with: git's, or an agent state dir's (its profile's). */
export const stageRules = (key: string): readonly WriteBackRule[] =>
  STAGE_RULES[key] ?? agentStateRules(key) ?? [];

interface Manifest {
  version: 1;
  pid: number;
  start: string;
  /** The project the session ran in (for the report's relative paths and the next session). */
  project: string;
  since: number;
  specs: StageSpec[];
  /** stage -> name -> digest of what the host held at start (null: absent). */
  baseline: Record<string, Record<string, string | null>>;
}

const MANIFEST = 'manifest.json';
const MAX_DIR_FILES = 10_000;

/** A path with no symlink anywhere in it (every component checked). */
function isPlainDir(path: string): boolean {
  try {
    return fs.realpathSync.native(path) === path && fs.lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readNoFollow(path: string): Buffer {
  const fd = fs.openSync(
    path,
    fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
  );
  try {
    if (!fs.fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** What an entry holds, for comparison: null when absent. Never follows a link. */
export function digest(path: string): string | null {
  const st = fs.lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return null;
  const h = createHash('sha256');
  if (st.isSymbolicLink()) return `link:${fs.readlinkSync(path)}`;
  if (st.isFile()) return `file:${h.update(readNoFollow(path)).digest('hex')}`;
  if (!st.isDirectory()) return `other:${st.mode}`;
  const walk = (dir: string, rel: string, count: { n: number }): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      if (++count.n > MAX_DIR_FILES) throw new Error(`${path}: too many entries`);
      const p = join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const s = fs.lstatSync(p);
      h.update(`${r}\0${s.mode}\0`);
      if (s.isDirectory()) walk(p, r, count);
      else if (s.isFile()) h.update(readNoFollow(p));
      else if (s.isSymbolicLink()) h.update(fs.readlinkSync(p));
      h.update('\0');
    }
  };
  walk(path, '', { n: 0 });
  return `dir:${h.digest('hex')}`;
}

/** Copy a file, link or small directory tree into the stage, never following links. */
function copyEntry(src: string, dest: string): void {
  const st = fs.lstatSync(src);
  if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dest);
  else if (st.isFile()) {
    fs.writeFileSync(dest, readNoFollow(src), { mode: st.mode & 0o777, flag: 'wx' });
  } else if (st.isDirectory()) {
    fs.mkdirSync(dest, { mode: st.mode & 0o777 });
    for (const name of fs.readdirSync(src)) copyEntry(join(src, name), join(dest, name));
  }
}

/** mkdir every missing component of `rel` below `base`, never through a link. */
const mkdirsBelow = (base: string, rel: string): void =>
  mkdirsNoFollow(base, join(base, rel), 0o755);

/** The nearest stage whose real directory holds `spec`'s (its mount point lives there). */
function parentSpec(specs: StageSpec[], spec: StageSpec): StageSpec | undefined {
  let best: StageSpec | undefined;
  for (const s of specs)
    if (
      s !== spec &&
      isUnder(spec.real, s.real) &&
      (best === undefined || s.real.length > best.real.length)
    )
      best = s;
  return best;
}

/**
 * Fill the stages before the session. `root` is this session's stage directory (named by
 * its session tag); the manifest is written first, so a session killed while filling is
 * recovered like any other.
 */
export function materializeStages(
  root: string,
  specs: StageSpec[],
  session: { pid: number; start: string; project: string; since: number },
): void {
  if (specs.length === 0) return;
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const manifest: Manifest = { version: 1, ...session, specs, baseline: {} };
  const save = (): void => {
    const tmp = join(root, `${MANIFEST}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(manifest), { mode: 0o600 });
    fs.renameSync(tmp, join(root, MANIFEST));
  };
  save();
  for (const spec of specs) {
    if (!isPlainDir(spec.real) && spec.create.length === 0 && parentSpec(specs, spec) === undefined)
      throw new Error(`${spec.real} is not a plain directory`);
    for (const rel of spec.create) mkdirsBelow(spec.real, rel);
    if (!isPlainDir(spec.real)) throw new Error(`${spec.real} is not a plain directory`);
    fs.mkdirSync(spec.stage, { mode: 0o755 });
    const base: Record<string, string | null> = {};
    for (const [name, e] of Object.entries(spec.entries)) {
      const src = join(spec.real, name);
      const dest = join(spec.stage, name);
      if (e.show === 'copy') {
        base[name] = digest(src);
        if (base[name] !== null) copyEntry(src, dest);
      } else if (e.type === 'dir' || e.show === 'dir')
        fs.mkdirSync(dest, { mode: e.show === 'mount' ? 0o555 : 0o755 });
      else fs.writeFileSync(dest, '', { mode: 0o444, flag: 'wx' }); // a file mount point
    }
    // Only names that may come back need a baseline (a bound entry is written in place).
    for (const rule of stageRules(spec.rules))
      if (
        typeof rule.name === 'string' &&
        !rule.discard &&
        !(rule.name in base) &&
        spec.entries[rule.name] === undefined
      )
        base[rule.name] = digest(join(spec.real, rule.name));
    manifest.baseline[spec.stage] = base;
    // Its mount point inside the parent's stage (modules/NAME, worktrees/NAME).
    const parent = parentSpec(specs, spec);
    if (parent !== undefined) {
      const rel = spec.real.slice(parent.real.length + 1);
      if (parent.entries[rel.split('/')[0]!]?.show === 'dir') mkdirsBelow(parent.stage, rel);
    }
  }
  save();
}

function readContent(path: string): StagedContent | undefined {
  const st = fs.lstatSync(path);
  if (st.isFile()) return { type: 'file', bytes: readNoFollow(path) };
  if (!st.isDirectory()) return undefined;
  const files = new Map<string, Buffer>();
  const walk = (dir: string, rel: string): boolean => {
    for (const name of fs.readdirSync(dir)) {
      const p = join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const s = fs.lstatSync(p);
      if (s.isDirectory()) {
        if (!walk(p, r)) return false;
      } else if (s.isFile() && files.size < MAX_DIR_FILES) files.set(r, readNoFollow(p));
      else return false; // a link, a FIFO: never written back
    }
    return true;
  };
  return walk(path, '') ? { type: 'dir', files } : undefined;
}

/**
 * Put `content` at `dir/name` on the host: built beside it, then renamed over it, all in
 * the directory `dir` is now (held by a descriptor; never one reached through a link).
 */
function replaceOnHost(
  dir: string,
  name: string,
  content: StagedContent | null,
  mode: number,
): void {
  inPlainDir(dir, (here) => replaceIn(here, name, content, mode));
}

function replaceIn(dir: string, name: string, content: StagedContent | null, mode: number): void {
  const target = join(dir, name);
  const tmp = join(dir, `.bubble-${randomBytes(6).toString('hex')}`);
  const old = fs.lstatSync(target, { throwIfNoEntry: false });
  const removeOld = (): void => {
    if (old === undefined) return;
    if (old.isDirectory()) {
      const aside = `${tmp}-old`;
      fs.renameSync(target, aside);
      fs.rmSync(aside, { recursive: true, force: true });
    } else fs.unlinkSync(target);
  };
  if (content === null) return removeOld();
  if (content.type === 'file') {
    fs.writeFileSync(tmp, content.bytes, { mode, flag: 'wx' });
    if (old?.isDirectory()) removeOld();
    fs.renameSync(tmp, target);
    return;
  }
  fs.mkdirSync(tmp, { mode: 0o755 });
  for (const [rel, bytes] of content.files) {
    if (rel.includes('/')) mkdirsBelow(tmp, dirname(rel));
    fs.writeFileSync(join(tmp, rel), bytes, { mode: 0o644, flag: 'wx' });
  }
  removeOld();
  fs.renameSync(tmp, target);
}

export interface WriteBackResult {
  /** Entries written to (or removed from) the host. */
  kept: string[];
  /** One line per entry set aside: its path and why. */
  setAside: string[];
  /** Steps that failed, one line each. */
  errors: string[];
}

const oneLine = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/**
 * After the session: the allowlisted state the session changed goes back to the host;
 * everything else it changed is moved under `asideRoot`. Never throws: each entry's
 * failure is one line in `errors`, and the stage stays for the next session to retry.
 */
export function writeBackStages(root: string, asideRoot: string): WriteBackResult {
  const result: WriteBackResult = { kept: [], setAside: [], errors: [] };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(join(root, MANIFEST), 'utf8')) as Manifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      result.errors.push(`${root}: unreadable stage manifest (${oneLine(e)})`);
    else fs.rmSync(root, { recursive: true, force: true });
    return result;
  }
  const show = (p: string): string =>
    isUnder(p, manifest.project) && p !== manifest.project
      ? p.slice(manifest.project.length + 1)
      : p;
  let failed = false;
  for (const spec of manifest.specs) {
    const base = manifest.baseline[spec.stage];
    if (base === undefined) continue; // never filled: nothing ran in it
    const rules = stageRules(spec.rules);
    let names: string[];
    try {
      names = fs.readdirSync(spec.stage);
    } catch (e) {
      result.errors.push(`${spec.stage}: ${oneLine(e)}`);
      failed = true;
      continue;
    }
    const seen = new Set<string>([...names, ...Object.keys(base)]);
    for (const name of [...seen].sort()) {
      const entry = spec.entries[name];
      if (entry !== undefined && entry.show !== 'copy') {
        // A mount point; under a 'dir' entry, anything but the nested stages' mount points is new.
        // Not a mount point, so it could be renamed away and a link put in its place: the
        // link is what is set aside, never what it points to.
        const st =
          entry.show === 'dir' ? lstatBelow(spec.stage, join(spec.stage, name)) : undefined;
        if (st !== undefined && !st.isDirectory()) {
          aside(spec, name, 'replaced during the session (a link or a file; not followed)');
          continue;
        }
        if (st !== undefined) {
          const nested = manifest.specs
            .filter((s) => isUnder(s.real, join(spec.real, name)))
            .map((s) => s.real.slice(spec.real.length + 1));
          let extra: string[] = [];
          try {
            extra = listBelow(spec.stage, name).filter(
              (rel) => !nested.some((n) => isUnder(n, rel)),
            );
          } catch (e) {
            failed = true;
            result.errors.push(`${show(join(spec.real, name))}: not checked (${oneLine(e)})`);
          }
          for (const rel of extra)
            aside(spec, rel, 'a new git dir or file here (not kept; git reads it as a repository)');
        }
        continue;
      }
      if (name.endsWith('.lock')) continue; // an interrupted git command's lock: never back
      const path = join(spec.stage, name);
      const real = join(spec.real, name);
      try {
        const now = digest(path);
        const before = base[name] ?? null;
        if (now === before) continue;
        const st = fs.lstatSync(path, { throwIfNoEntry: false });
        const type = st?.isDirectory() ? 'dir' : 'file';
        const rule = ruleFor(
          rules,
          name,
          st === undefined ? (before?.startsWith('dir:') ? 'dir' : 'file') : type,
        );
        if (rule === undefined) {
          if (now !== null)
            aside(
              spec,
              name,
              spec.aside ?? 'not state git writes: git would read it as configuration',
            );
          continue;
        }
        if (rule.discard) {
          fs.rmSync(path, { recursive: true, force: true });
          continue;
        }
        const content = now === null ? null : readContent(path);
        if (content === undefined) {
          aside(spec, name, 'holds a link or a special file');
          continue;
        }
        const hostNow = fs.lstatSync(real, { throwIfNoEntry: false }) ? readContent(real) : null;
        const why =
          content === null
            ? undefined
            : rule.check?.(content, hostNow === undefined ? null : hostNow);
        if (why !== undefined) {
          aside(spec, name, why);
          continue;
        }
        if (digest(real) !== before) {
          if (now !== null)
            aside(spec, name, 'changed on the host during the session: the host version stays');
          continue;
        }
        replaceOnHost(spec.real, name, content, st === undefined ? 0o644 : st.mode & 0o666);
        result.kept.push(show(real));
      } catch (e) {
        failed = true;
        result.errors.push(`${show(real)}: not written back (${oneLine(e)})`);
      }
    }
  }

  /** What is below `rel` in `stage`, walked without following a link the agent left there. */
  function listBelow(stage: string, rel: string): string[] {
    const out: string[] = [];
    for (const name of readdirBelow(stage, join(stage, rel))) {
      const r = `${rel}/${name}`;
      const st = lstatBelow(stage, join(stage, r))!;
      // Intermediate directories of nested mount points are walked; anything else is one entry.
      if (
        st.isDirectory() &&
        manifest.specs.some((s) => s.real.includes(`/${r}/`) || s.real.endsWith(`/${r}`))
      ) {
        if (!manifest.specs.some((s) => s.real.endsWith(`/${r}`))) out.push(...listBelow(stage, r));
        continue;
      }
      out.push(r);
    }
    return out;
  }

  function aside(spec: StageSpec, rel: string, why: string): void {
    const dest = join(asideRoot, basename(spec.stage), rel);
    try {
      fs.mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
      renameOutBelow(spec.stage, join(spec.stage, rel), dest);
      result.setAside.push(`${show(join(spec.real, rel))}: ${why} (kept at ${dest})`);
    } catch (e) {
      failed = true;
      result.errors.push(`${show(join(spec.real, rel))}: could not be set aside (${oneLine(e)})`);
    }
  }

  if (!failed) fs.rmSync(root, { recursive: true, force: true });
  return result;
}

export interface Recovered {
  project: string;
  since: number;
  /** The git dirs that were staged. */
  skip: string[];
  result: WriteBackResult;
}

/**
 * Write back what sessions that died (kill -9, a crash, a reboot) left in their stages.
 * Run at the start of a session, after orphaned sandboxes were stopped (placeholders.ts).
 */
export function recoverStages(
  stagesRoot: string,
  asideRoot: string,
  alive: (pid: number, start: string) => boolean,
): Recovered[] {
  const out: Recovered[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(stagesRoot);
  } catch {
    return out;
  }
  for (const name of names) {
    const m = /^(\d+)-(\d*)$/.exec(name);
    if (!m || alive(Number(m[1]), m[2]!)) continue;
    const root = join(stagesRoot, name);
    let meta: { project?: string; since?: number; specs?: StageSpec[] } = {};
    try {
      meta = JSON.parse(fs.readFileSync(join(root, MANIFEST), 'utf8')) as typeof meta;
    } catch {
      // never filled, or half-written: writeBackStages says so or removes it
    }
    out.push({
      project: meta.project ?? '',
      since: meta.since ?? 0,
      skip: (meta.specs ?? []).map((s) => s.real),
      result: writeBackStages(root, join(asideRoot, name)),
    });
  }
  return out;
}
