// `bubble log`: recent sessions, or one session's per-host summary.

import { parseArgs } from 'node:util';
import { usageError } from '../usage.ts';
import { BubbleError } from '../../errors.ts';
import { listSessions, readLog } from '../../log/reader.ts';
import { renderSummary, summarize } from '../../log/summary.ts';
import { asciiText } from '../../sandbox/escape.ts';
import { defaultSessionsDir } from '../../log/writer.ts';
import { renderReportText } from '../../log/report-text.ts';

const logHelp = `Usage: bubble log [--json] [--limit N]       recent sessions, newest first
       bubble log [--json] (--last | SESSION)    hosts one session contacted, its change report
       bubble log --html (--last | SESSION)      the session as a self-contained HTML page

Options:
  --last        the most recent session
  --limit N     how many sessions to list (default 20)
  --json        machine-readable output
  --html        one HTML page on stdout (no scripts, no external assets): the session's
                header, per-host totals, timeline and change report;
                e.g. bubble log --last --html > s.html
  -h, --help    this help

Old logs go when a session starts (default: older than 30 days, beyond the newest 1000);
log_keep in your config (7d, 200, 7d,200 or all) or BUBBLE_LOG_KEEP says how many stay.
`;

export async function log(words: string[]): Promise<number> {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: words,
      allowPositionals: true,
      options: {
        last: { type: 'boolean' },
        json: { type: 'boolean' },
        html: { type: 'boolean' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw usageError('log', err);
  }
  if (values.help) {
    process.stdout.write(logHelp);
    return 0;
  }
  const dir = defaultSessionsDir(process.env);
  const sessions = listSessions(dir);
  const wanted = values.last ? sessions[0]?.id : positionals[0];
  if (wanted === undefined) {
    if (values.html)
      throw new BubbleError('USAGE', 'log: --html needs a session', {
        hint: 'bubble log --last --html > session.html',
      });
    if (values.last) throw new BubbleError('NO_SESSIONS', `no sessions logged yet in ${dir}`);
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new BubbleError(
        'USAGE',
        `--limit: expected a positive number, got ${JSON.stringify(values.limit)}`,
      );
    const rows = sessions.slice(0, limit).map((s) => {
      const parsed = readLog(s.path);
      const sum = summarize(parsed.connections);
      return {
        id: s.id,
        start: parsed.session?.startTime ?? null,
        mode: parsed.session?.netMode ?? null,
        command: parsed.session?.argv ?? [],
        hosts: sum.contacted,
        connections: sum.connections,
        denied: sum.denied,
        failed: sum.failed,
        failures: sum.failures,
        exitCode: parsed.end?.exitCode ?? null,
        cutShort: parsed.cutShort,
      };
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return 0;
    }
    if (rows.length === 0) {
      process.stderr.write(`bubble: no sessions logged yet in ${dir}\n`);
      return 0;
    }
    for (const r of rows) {
      const exit = r.cutShort ? 'cut short/running' : `exit ${r.exitCode ?? '?'}`;
      process.stdout.write(
        `${r.id}  ${String(r.mode).padEnd(8)}  ${String(r.hosts).padStart(3)} hosts  ${String(r.denied).padStart(3)} denied  ${String(r.failed).padStart(3)} failed  ${exit.padEnd(17)}  ${asciiText(r.command.join(' ')).slice(0, 60)}\n`,
      );
    }
    return 0;
  }
  const entry = sessions.find((s) => s.id === wanted || s.id.startsWith(wanted));
  if (entry === undefined)
    throw new BubbleError('NO_SUCH_SESSION', `no session ${JSON.stringify(wanted)} in ${dir}`, {
      hint: 'bubble log lists them',
    });
  const parsed = readLog(entry.path);
  const summary = summarize(parsed.connections);
  if (values.html) {
    const { renderHtml } = await import('../../log/html.ts');
    process.stdout.write(renderHtml(entry.id, parsed, summary));
    return 0;
  }
  if (values.json) {
    process.stdout.write(
      JSON.stringify(
        {
          id: entry.id,
          path: entry.path,
          session: parsed.session,
          end: parsed.end,
          cutShort: parsed.cutShort,
          summary,
          connections: parsed.connections,
          report: parsed.report,
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  process.stdout.write(
    `session ${entry.id} (${parsed.session?.netMode ?? '?'}): ${asciiText((parsed.session?.argv ?? []).join(' '))}\n`,
  );
  if (parsed.cutShort)
    process.stdout.write(
      'cut short: the session has no end record (bubble was killed, or it is still running); connections open then are counted as cut short\n',
    );
  process.stdout.write(renderSummary(summary));
  process.stdout.write(renderReportText(parsed.report));
  return 0;
}
