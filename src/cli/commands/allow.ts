// `bubble allow --from-log (SESSION... | --last | --since DATE) [--dry-run]`: what sessions
// contacted, as allow rules in the user's config. With an allow list, anything else is
// refused: learning is how a user switches from "log everything" to an allowlist.

import { parseArgs } from 'node:util';
import { BubbleError } from '../../errors.ts';
import { addAllowRules, currentAllow, withAllowRules } from '../../config/add-rules.ts';
import { learnRules, type Learned, type LearnSource } from '../../log/learn.ts';
import { listSessions, readLog, type SessionEntry } from '../../log/reader.ts';
import { defaultSessionsDir } from '../../log/writer.ts';
import { say } from '../say.ts';
import { usageError } from '../usage.ts';
import { findConfig } from './configured.ts';

const allowHelp = `Usage: bubble allow --from-log (SESSION... | --last | --since DATE) [--dry-run]

Turn the destinations sessions contacted into allow rules in your config
($XDG_CONFIG_HOME/bubble/config.toml), after a comment naming the sessions. One exact
rule per destination: the host for ports 443 and 80, host:port otherwise. Wildcards
(*.example.com) are only suggested, when several names under one domain were seen.
Refused and failed connections are not learned; bubble log shows them.

With an allow list in your config, bubble refuses every destination not in it: this is
how to lock a setup down after watching it work. bubble run --ask instead holds a new
destination until you answer it in bubble watch.

Options:
  --from-log     learn from session logs (bubble log lists them)
  --last         the most recent session
  --since DATE   every session started since DATE: 2026-01-31, an ISO time, or 3d / 12h ago
  --dry-run      print the TOML that would be added, write nothing
  -h, --help     this help
`;

/** `2026-01-31`, an ISO time, or `3d` / `12h` / `30m` ago; null when it is none of those. */
export function parseSince(text: string, now: Date): Date | null {
  const ago = /^(\d+)([dhm])$/.exec(text);
  if (ago) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[ago[2] as 'd' | 'h' | 'm'];
    return new Date(now.getTime() - Number(ago[1]) * unit);
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return null;
  const t = Date.parse(text.replace(' ', 'T'));
  return Number.isNaN(t) ? null : new Date(t);
}

function pickSessions(
  sessions: SessionEntry[],
  ids: string[],
  last: boolean,
  since: Date | null,
  dir: string,
): SessionEntry[] {
  if (last) {
    if (sessions[0] === undefined)
      throw new BubbleError('NO_SESSIONS', `no sessions logged yet in ${dir}`);
    return [sessions[0]];
  }
  if (since !== null)
    return sessions.filter((s) => {
      const start = Date.parse(readLog(s.path).session?.startTime ?? '');
      return (Number.isNaN(start) ? s.mtimeMs : start) >= since.getTime();
    });
  return ids.map((id) => {
    const found = sessions.filter((s) => s.id === id || s.id.startsWith(id));
    if (found.length !== 1)
      throw new BubbleError(
        found.length === 0 ? 'NO_SUCH_SESSION' : 'USAGE',
        found.length === 0
          ? `no session ${JSON.stringify(id)} in ${dir}`
          : `${JSON.stringify(id)} names ${found.length} sessions`,
        { hint: 'bubble log lists them' },
      );
    return found[0]!;
  });
}

function sourceComment(ids: string[], now: Date): string {
  const shown =
    ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
  return `learned from session${ids.length === 1 ? '' : 's'} ${shown} (bubble allow --from-log, ${now.toISOString().slice(0, 10)})`;
}

function suggestionLines(learned: Learned): string[] {
  return learned.suggestions.map(
    (s) =>
      `suggestion, not applied: "${s.pattern}" would cover ${s.hosts.join(', ')} and every other name under ${s.pattern.slice(2)}`,
  );
}

export function allow(words: string[]): number {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: words,
      allowPositionals: true,
      options: {
        'from-log': { type: 'boolean' },
        last: { type: 'boolean' },
        since: { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw usageError('allow', err, (o) => (o === '--since' ? 'DATE (2026-01-31, 3d)' : undefined));
  }
  if (values.help) {
    process.stdout.write(allowHelp);
    return 0;
  }
  const now = new Date();
  const selectors = [positionals.length > 0, values.last === true, values.since !== undefined];
  if (values['from-log'] !== true || selectors.filter(Boolean).length !== 1)
    throw new BubbleError('USAGE', 'allow: name the sessions to learn from', {
      hint: 'bubble allow --from-log --last (or SESSION..., or --since DATE); bubble allow --help',
    });
  const since = values.since === undefined ? null : parseSince(values.since, now);
  if (values.since !== undefined && since === null)
    throw new BubbleError(
      'USAGE',
      `--since: expected a date, got ${JSON.stringify(values.since)}`,
      {
        hint: '--since 2026-01-31, --since 2026-01-31T09:00Z, --since 3d, --since 12h',
      },
    );
  const dir = defaultSessionsDir(process.env);
  const chosen = pickSessions(listSessions(dir), positionals, values.last === true, since, dir);
  if (chosen.length === 0) {
    say(`no sessions started since ${since?.toISOString() ?? '?'} in ${dir}`);
    return 0;
  }
  const sources: LearnSource[] = chosen
    .map((s) => ({ sessionId: s.id, connections: readLog(s.path).connections }))
    .reverse(); // oldest first: rules in the order they were first needed
  const { userPath } = findConfig();
  const learned = learnRules(sources, currentAllow(userPath));
  const used = [...new Set(learned.rules.flatMap((r) => r.sessions))];
  const comment = sourceComment(used.length > 0 ? used : chosen.map((s) => s.id), now);
  const patterns = learned.rules.map((r) => r.pattern);
  const notes: string[] = [];
  if (learned.alreadyAllowed.length > 0)
    notes.push(`already allowed: ${learned.alreadyAllowed.join(', ')}`);
  if (learned.notLearned > 0)
    notes.push(
      `${learned.notLearned} refused or failed connection${learned.notLearned === 1 ? '' : 's'} not learned (bubble log shows them)`,
    );
  if (values['dry-run']) {
    const toml = patterns.length === 0 ? '' : withAllowRules(userPath, '', patterns, comment);
    process.stdout.write(
      toml +
        suggestionLines(learned)
          .map((l) => `# ${l}\n`)
          .join(''),
    );
    for (const n of notes) say(n);
    say(`dry run: nothing written to ${userPath}`);
    return 0;
  }
  for (const n of notes) say(n);
  if (patterns.length === 0) {
    say('nothing new to allow');
    for (const l of suggestionLines(learned)) say(l);
    return 0;
  }
  addAllowRules(userPath, patterns, comment);
  say(
    `added ${patterns.length} allow rule${patterns.length === 1 ? '' : 's'} to ${userPath}: ${patterns.join(', ')}`,
  );
  for (const l of suggestionLines(learned)) say(l);
  say(
    'bubble now refuses every destination not in your allow list (a refusal says what to add; with --ask, bubble watch can answer instead)',
  );
  return 0;
}
