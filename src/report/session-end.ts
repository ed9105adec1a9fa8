// What bubble does on the host after a session, each step on its own: git state written
// back from the stages, nested repositories' configuration set aside, the change report;
// collected first (for the session log), then told.
// None of it may throw: a failing step is one line naming it, and the agent's exit status
// stays bubble's. A session that died is finished by the next one (finishDeadSessions).

import { basename, join } from 'node:path';
import { say } from '../cli/say.ts';
import { procStart } from '../sandbox/process-identity.ts';
import { displayText } from '../sandbox/escape.ts';
import { recoverStages, writeBackStages, type WriteBackResult } from '../sandbox/stage.ts';
import { setAsideDir, stagesDir } from '../sandbox/stage-dirs.ts';
import { quarantineNestedGit } from './nested-git.ts';
import { renderChanges } from './render.ts';
import type { Change } from './snapshot.ts';
import type { ReportRecordInput } from '../log/record.ts';

const oneLine = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Run `fn`; on failure say which step failed, in one line (also to `failed`), and go on. */
export function guarded<T>(
  step: string,
  fn: () => T,
  fallback: T,
  failed?: (line: string) => void,
): T {
  try {
    return fn();
  } catch (e) {
    try {
      failed?.(`${step} failed: ${oneLine(e)}`);
      say(`${step} failed: ${oneLine(e)}`);
    } catch {
      // stderr gone: nothing left to tell
    }
    return fallback;
  }
}

function tellWriteBack(r: WriteBackResult, quiet: boolean): void {
  for (const line of r.errors) say(`staged state: ${line}`);
  if (quiet || r.setAside.length === 0) return;
  say(
    "set aside what the session wrote in git dirs and the agent's state dir beyond the state they write (the host would read it as configuration or run it):",
  );
  for (const line of r.setAside) process.stderr.write(`  ${displayText(line)}\n`);
}

function tellQuarantine(lines: string[], quiet: boolean): void {
  if (quiet || lines.length === 0) return;
  say(
    'set aside what the session wrote into nested git repositories (it could run commands on your next git status):',
  );
  for (const line of lines) process.stderr.write(`  ${displayText(line)}\n`);
}

export interface SessionEnd {
  project: string;
  since: number;
  stageRoot: string;
  env: Record<string, string | undefined>;
  home: string;
  /** Git dirs the session could not write directly (staged) or the user opened on purpose. */
  skip: string[];
  /** Files that run code on the host the agent changed (report/index.ts changeLister). */
  changed: () => Change[];
  /** The other report blocks, rendered ('' when none): a --gitconfig rw diff, replaced protected paths. */
  notes: () => string;
}

/**
 * After the session, on the host: git state written back from the stages, nested
 * repositories' configuration set aside, the change report taken. What it found is the
 * session log's report record (log/record.ts); tellSessionEnd prints it. A failing step is
 * said at once and kept in `errors`.
 */
export function collectSessionEnd(s: SessionEnd): ReportRecordInput {
  const errors: string[] = [];
  const step = <T>(name: string, fn: () => T, fallback: T): T =>
    guarded(name, fn, fallback, (line) => errors.push(line));
  const aside = join(setAsideDir(s.env, s.home), basename(s.stageRoot));
  const wb = step('writing back git state', () => writeBackStages(s.stageRoot, aside), undefined);
  const quarantined = step(
    'checking nested git repositories',
    () => quarantineNestedGit(s.project, s.since, s.skip),
    [],
  );
  const changed = step('the change report', s.changed, []);
  const notes = step('the change report', s.notes, '');
  return {
    time: new Date().toISOString(),
    changed,
    setAside: wb?.setAside ?? [],
    quarantined,
    notes: notes === '' ? [] : notes.replace(/\n$/, '').split('\n'),
    errors: [...(wb?.errors ?? []).map((line) => `staged state: ${line}`), ...errors],
  };
}

/** The report on stderr: failures always, the rest unless quiet. Never throws. */
export function tellSessionEnd(r: ReportRecordInput, quiet: boolean): void {
  guarded(
    'reporting the session end',
    () => {
      for (const line of r.errors) if (line.startsWith('staged state: ')) say(line);
      tellWriteBack({ kept: [], setAside: [...r.setAside], errors: [] }, quiet);
      tellQuarantine([...r.quarantined], quiet);
      if (quiet) return;
      process.stderr.write(renderChanges(r.changed));
      if (r.notes.length > 0) process.stderr.write(r.notes.join('\n') + '\n');
    },
    undefined,
  );
}

/** At the start of a session: write back and check what sessions killed before the end left. */
export function finishDeadSessions(
  env: Record<string, string | undefined>,
  home: string,
  quiet: boolean,
): void {
  const recovered = guarded(
    'finishing a killed session',
    () =>
      recoverStages(
        stagesDir(env, home),
        setAsideDir(env, home),
        (pid, start) => procStart(pid) === start,
      ),
    [],
  );
  for (const r of recovered) {
    if (!quiet && (r.result.kept.length > 0 || r.result.setAside.length > 0))
      say(`a killed session in ${r.project} left git state: written back now`);
    tellWriteBack(r.result, quiet);
    if (r.project !== '') {
      const q = guarded(
        'checking nested git repositories',
        () => quarantineNestedGit(r.project, r.since, r.skip),
        [],
      );
      tellQuarantine(q, quiet);
    }
  }
}
