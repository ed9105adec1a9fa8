// What git's normal work writes in a git dir, and how each entry is shown inside (see
// staged.ts). Taken from git's own source (setup.c, path.c, refs/, sequencer.c,
// builtin/am.c, builtin/gc.c): data directories are written in place; the state files
// at the top are replaced by lock-then-rename, so they live in the stage and go back
// after the session, checked; everything git reads as configuration (config,
// config.worktree, commondir, gitdir, hooks/, info/, branches/, remotes/...) is read-only,
// and anything new there is never written back.

import { parseGitConfig } from './git-config.ts';
import type { StageEntry, StagedContent, WriteBackRule } from './staged.ts';

/** Written in place by objects, refs and reflog updates (and git-lfs, reftable). */
const GIT_DATA_DIRS = ['objects', 'refs', 'logs', 'reftable', 'lfs'] as const;

/** Created on the host first when missing, else what git writes there would stay in the stage. */
export const GIT_CREATE_DIRS = ['objects', 'refs', 'logs'] as const;

/** Holds other git dirs (submodules' and linked worktrees'), each staged on its own. */
const GIT_NESTED_DIRS = ['modules', 'worktrees'] as const;

const HASH = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const MAX_TEXT = 16 << 20;

function text(c: StagedContent): string | undefined {
  if (c.type !== 'file' || c.bytes.length > MAX_TEXT || c.bytes.includes(0)) return undefined;
  return c.bytes.toString('utf8');
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

/** A ref name as git would accept it in HEAD: under refs/, no `..`, no control characters. */
function refName(name: string): boolean {
  return (
    name.startsWith('refs/') &&
    !name.includes('..') &&
    !name.includes('//') &&
    !/[\x00-\x20\x7f~^:?*[\\]/.test(name) &&
    !name.endsWith('/') &&
    !name.endsWith('.lock')
  );
}

const checkHead = (c: StagedContent): string | undefined => {
  const t = text(c);
  if (t === undefined) return 'not a text file';
  const v = t.replace(/\n$/, '');
  if (HASH.test(v)) return undefined;
  const ref = /^ref: (.+)$/.exec(v)?.[1];
  return ref !== undefined && refName(ref) ? undefined : 'not a ref or an object name';
};

const checkHashes = (c: StagedContent): string | undefined => {
  const t = text(c);
  if (t === undefined) return 'not a text file';
  return lines(t).every((l) => HASH.test(l.trim())) ? undefined : 'not a list of object names';
};

const checkText = (c: StagedContent): string | undefined =>
  text(c) === undefined ? 'not a text file' : undefined;

const checkFetchHead = (c: StagedContent): string | undefined => {
  const t = text(c);
  if (t === undefined) return 'not a text file';
  return lines(t).every((l) => /^[0-9a-f]{40,64}\t/.test(l)) ? undefined : 'not a FETCH_HEAD';
};

const checkPackedRefs = (c: StagedContent): string | undefined => {
  const t = text(c);
  if (t === undefined) return 'not a text file';
  const ok = lines(t).every(
    (l) =>
      l.startsWith('# pack-refs with:') ||
      /^\^[0-9a-f]{40,64}$/.test(l) ||
      (/^[0-9a-f]{40,64} (.+)$/.test(l) && refName(l.slice(l.indexOf(' ') + 1))),
  );
  return ok ? undefined : 'not a packed-refs file';
};

const checkIndex = (c: StagedContent): string | undefined =>
  c.type === 'file' && c.bytes.subarray(0, 4).toString('latin1') === 'DIRC'
    ? undefined
    : 'not a git index';

/** Todo-list commands that run nothing but git itself (`exec`/`x` run a shell command). */
const TODO_COMMANDS = new Set([
  'pick',
  'p',
  'revert',
  'edit',
  'e',
  'reword',
  'r',
  'fixup',
  'f',
  'squash',
  's',
  'break',
  'b',
  'label',
  'l',
  'reset',
  't',
  'merge',
  'm',
  'update-ref',
  'u',
  'noop',
  'drop',
  'd',
]);

/** Merge strategies built into git: any other name runs a program `git-merge-NAME`. */
const STRATEGIES = new Set(['ort', 'recursive', 'resolve', 'octopus', 'ours', 'subtree']);

/** A todo list the host would run on `--continue`: only git's own commands, no `exec`. */
export function unsafeTodo(todo: string): string | undefined {
  for (const raw of todo.split('\n')) {
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const word = /^[^ \t]*/.exec(line)![0];
    if (!TODO_COMMANDS.has(word)) return `its todo list runs \`${word}\` on the host's --continue`;
  }
  return undefined;
}

/** rebase-merge/, rebase-apply/, sequencer/: what the host's `--continue` would run. */
const checkSequencerDir = (c: StagedContent): string | undefined => {
  if (c.type !== 'dir') return 'not a directory';
  for (const [rel, bytes] of c.files) {
    if (bytes.includes(0) && !/^\d{4}$/.test(rel)) return `${rel} is not a text file`;
    const t = bytes.toString('utf8');
    if (rel === 'git-rebase-todo' || rel === 'todo') {
      const why = unsafeTodo(t);
      if (why !== undefined) return why;
    }
    if (rel === 'strategy' && !STRATEGIES.has(t.trim()))
      return `it names the merge strategy ${JSON.stringify(t.trim())}, a program git would run`;
    if (rel === 'opts') {
      // A config-format file; only options.*, and a strategy git knows.
      for (const line of t.split('\n').map((l) => l.trim())) {
        if (line === '' || line === '[options]' || line.startsWith('#')) continue;
        const kv = /^([A-Za-z-]+)\s*=\s*(.*)$/.exec(line);
        if (!kv) return 'sequencer/opts has a line git would read as more than an option';
        if (kv[1]!.toLowerCase() === 'strategy' && !STRATEGIES.has(kv[2]!.replace(/"/g, '')))
          return `it names the merge strategy ${JSON.stringify(kv[2])}, a program git would run`;
      }
    }
  }
  return undefined;
};

/**
 * Config keys git's normal work writes (remote add, upstream tracking, submodule init and
 * update), each with the values that run nothing. Any other key added, changed or removed
 * keeps the whole file from going back.
 */
const CONFIG_KEYS: Array<[RegExp, (v: string) => boolean]> = [
  [/^remote\.[^\n]+\.(url|pushurl)$/, (v) => !v.includes('::') && !v.startsWith('-')],
  [/^remote\.[^\n]+\.fetch$/, (v) => /^\+?[^\s]*$/.test(v)],
  [/^branch\.[^\n]+\.(remote|merge)$/, (v) => !v.startsWith('-')],
  [/^branch\.[^\n]+\.rebase$/, (v) => /^(true|false|merges|interactive)$/i.test(v)],
  [/^submodule\.[^\n]+\.url$/, (v) => !v.includes('::') && !v.startsWith('-')],
  [/^submodule\.[^\n]+\.active$/, (v) => /^(true|false)$/i.test(v)],
  [/^submodule\.[^\n]+\.update$/, (v) => /^(checkout|rebase|merge|none)$/.test(v)],
  [
    /^core\.(repositoryformatversion|filemode|bare|logallrefupdates|ignorecase|symlinks|precomposeunicode)$/,
    (v) => /^(true|false|\d+)$/i.test(v),
  ],
];

/** Keys that describe a line-for-line rewrite of the same file (git rewrites what it sets). */
const key = (e: { key: string; value: string }): string => `${e.key}\0${e.value}`;

function checkConfig(c: StagedContent, before: StagedContent | null): string | undefined {
  const t = text(c);
  if (t === undefined) return 'not a text file';
  const parsed = parseGitConfig(t, { strict: true });
  if (parsed === undefined) return 'config git could read differently from bubble';
  const old = before === null ? [] : (parseGitConfig(text(before) ?? '') ?? []);
  const was = new Map<string, number>();
  for (const e of old) was.set(key(e), (was.get(key(e)) ?? 0) + 1);
  const added: Array<{ key: string; value: string }> = [];
  for (const e of parsed) {
    const n = was.get(key(e)) ?? 0;
    if (n > 0) was.set(key(e), n - 1);
    else added.push(e);
  }
  const removed = [...was].filter(([, n]) => n > 0).map(([k]) => k.split('\0')[0]!);
  for (const e of added) {
    const ok = CONFIG_KEYS.find(([re]) => re.test(e.key));
    if (ok === undefined || !ok[1](e.value))
      return `the session set ${e.key}, which git's normal work does not`;
  }
  for (const k of removed)
    if (!CONFIG_KEYS.some(([re]) => re.test(k))) return `the session removed ${k}`;
  return undefined;
}

/** Top-level state git writes in a git dir (the common one or a worktree's own). */
export const GIT_RULES: readonly WriteBackRule[] = [
  { name: 'HEAD', type: 'file', why: 'the current branch', check: checkHead },
  { name: 'config', type: 'file', why: 'remotes, upstreams, submodules', check: checkConfig },
  { name: 'index', type: 'file', why: 'the staging area', check: checkIndex },
  { name: /^sharedindex\.[0-9a-f]{40,64}$/, type: 'file', why: 'split index', check: checkIndex },
  { name: 'packed-refs', type: 'file', why: 'packed refs', check: checkPackedRefs },
  ...[
    'ORIG_HEAD',
    'MERGE_HEAD',
    'CHERRY_PICK_HEAD',
    'REVERT_HEAD',
    'REBASE_HEAD',
    'AUTO_MERGE',
    'BISECT_HEAD',
    'BISECT_EXPECTED_REV',
    'MERGE_AUTOSTASH',
    'shallow',
  ].map((name): WriteBackRule => ({
    name,
    type: 'file',
    why: 'operation state',
    check: checkHashes,
  })),
  { name: 'FETCH_HEAD', type: 'file', why: 'what fetch got', check: checkFetchHead },
  ...[
    'COMMIT_EDITMSG',
    'MERGE_MSG',
    'MERGE_MODE',
    'MERGE_RR',
    'SQUASH_MSG',
    'TAG_EDITMSG',
    'NOTES_MERGE_PARTIAL',
    'NOTES_MERGE_REF',
    'BISECT_START',
    'BISECT_LOG',
    'BISECT_NAMES',
    'BISECT_TERMS',
    'BISECT_ANCESTORS_OK',
  ].map((name): WriteBackRule => ({ name, type: 'file', why: 'messages', check: checkText })),
  ...['rebase-merge', 'rebase-apply', 'sequencer'].map((name): WriteBackRule => ({
    name,
    type: 'dir',
    why: 'a rebase, am, cherry-pick or revert in progress',
    check: checkSequencerDir,
  })),
];

/** info/: repack's list of refs for dumb http goes back; exclude, attributes never do. */
export const GIT_INFO_RULES: readonly WriteBackRule[] = [
  {
    name: 'refs',
    type: 'file',
    why: 'update-server-info (run by repack and gc)',
    check: checkText,
  },
];

/** objects/info: gc's commit-graph and dumb-http pack list go back; alternates never do. */
export const GIT_OBJECTS_INFO_RULES: readonly WriteBackRule[] = [
  {
    name: 'commit-graph',
    type: 'file',
    why: 'gc',
    check: (c) =>
      c.type === 'file' && c.bytes.subarray(0, 4).toString('latin1') === 'CGPH'
        ? undefined
        : 'not a commit-graph',
  },
  { name: 'packs', type: 'file', why: 'update-server-info', check: checkText },
];

/**
 * Files git reads as configuration or redirection: read-only, whatever else happens.
 * (`config` itself is copied: remote add, upstreams and submodule update write it, and
 * only those keys go back.)
 */
const GIT_CONFIG_FILES = ['config.worktree', 'commondir', 'gitdir', 'description', 'locked'];

/** How an entry present at the top of a git dir at start is shown inside (undefined: not at all). */
export function gitEntry(
  name: string,
  type: 'file' | 'dir' | 'symlink' | 'other',
): StageEntry | undefined {
  const ruled = GIT_RULES.some((r) =>
    typeof r.name === 'string' ? r.name === name : r.name.test(name),
  );
  switch (type) {
    case 'dir':
      if ((GIT_DATA_DIRS as readonly string[]).includes(name)) return 'rw';
      if ((GIT_NESTED_DIRS as readonly string[]).includes(name)) return 'dir';
      // Configuration (hooks, info, branches, remotes) or another tool's tree (annex, svn).
      return ruled ? 'copy' : 'ro';
    case 'file':
      return GIT_CONFIG_FILES.includes(name) ? 'ro' : 'copy';
    case 'symlink':
      // Recreated as a link in the stage (never followed by bubble): it resolves inside.
      return 'copy';
    default:
      return undefined; // a socket or FIFO: nothing git needs
  }
}
