// A session's change report (the log's report record) as text for `bubble log`. Pure. Paths,
// keys and lines were partly chosen by the agent: everything is escaped for the terminal.
import { displayText } from '../sandbox/escape.ts';
import { renderChangeLine } from '../report/render.ts';
import type { ReportRecord } from './record.ts';

export interface ReportSection {
  readonly title: string;
  /** Escaped for a terminal. */
  readonly lines: readonly string[];
}

/** The report's non-empty parts, titled; empty when the session changed nothing bubble watches. */
export function reportSections(r: ReportRecord): ReportSection[] {
  const sections: ReportSection[] = [
    {
      title:
        'files that run code on your machine, changed by the agent (review before running them)',
      lines: r.changed.map(renderChangeLine),
    },
    {
      title: "set aside: written in git dirs or the agent's state dir beyond the state they write",
      lines: r.setAside.map(displayText),
    },
    {
      title: 'set aside: written into nested git repositories (git quarantine)',
      lines: r.quarantined.map(displayText),
    },
    { title: 'also', lines: r.notes.map((l) => displayText(l.replace(/^bubble: /, ''))) },
    { title: 'steps that failed', lines: r.errors.map(displayText) },
  ];
  return sections.filter((s) => s.lines.length > 0);
}

/** `change report: ...` and its sections, for the terminal; ends in a newline. */
export function renderReportText(r: ReportRecord | null): string {
  if (r === null)
    return 'change report: not in the log (the session was killed or is running, or bubble was older)\n';
  const sections = reportSections(r);
  if (sections.length === 0)
    return 'change report: nothing the agent changed runs code on your machine; nothing set aside\n';
  return (
    'change report:\n' +
    sections.map((s) => `  ${s.title}:\n${s.lines.map((l) => `    ${l}\n`).join('')}`).join('')
  );
}
