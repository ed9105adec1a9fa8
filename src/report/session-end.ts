// What bubble does on the host after a session, each step on its own: git state written
// back from the stages, nested repositories' configuration set aside, the change report.
// None of it may throw: a failing step is one line naming it, and the agent's exit status
// stays bubble's. A session that died is finished by the next one (finishDeadSessions).

import { basename, join } from 'node:path';
import { say } from '../cli/say.ts';
import { procStart } from '../sandbox/process-identity.ts';
import { displayText } from '../sandbox/escape.ts';
import { recoverStages, writeBackStages, type WriteBackResult } from '../sandbox/stage.ts';
import { setAsideDir, stagesDir } from '../sandbox/stage-dirs.ts';
import { quarantineNestedGit } from './nested-git.ts';

const oneLine = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Run `fn`; on failure say which step failed, in one line, and go on. */
export function guarded<T>(step: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (e) {
    try {
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
  quiet: boolean;
  /** Git dirs the session could not write directly (staged) or the user opened on purpose. */
  skip: string[];
  /** The change report (report/index.ts), rendered. */
  changes: () => string;
}

export function endSession(s: SessionEnd): void {
  const aside = join(setAsideDir(s.env, s.home), basename(s.stageRoot));
  const wb = guarded(
    'writing back git state',
    () => writeBackStages(s.stageRoot, aside),
    undefined,
  );
  if (wb !== undefined) guarded('reporting git state', () => tellWriteBack(wb, s.quiet), undefined);
  const q = guarded(
    'checking nested git repositories',
    () => quarantineNestedGit(s.project, s.since, s.skip),
    [],
  );
  guarded('reporting nested git repositories', () => tellQuarantine(q, s.quiet), undefined);
  if (!s.quiet) guarded('the change report', () => process.stderr.write(s.changes()), undefined);
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
