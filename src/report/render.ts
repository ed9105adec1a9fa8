// The after-session report on stderr: one line per changed file, git-status letters, and
// either the keys that changed or why the file matters. Paths and script names were chosen
// by the agent, so they are escaped; and the list is capped so a flood of files cannot
// scroll the rest of the session's output away.

import { displayText, quoteArg } from '../sandbox/escape.ts';
import type { ChangedFile } from '../log/record.ts';

const MAX_LINES = 20;
const MAX_KEYS = 8;

const LETTER: Record<ChangedFile['kind'], string> = { added: 'A', removed: 'D', changed: 'M' };

function capped(names: readonly string[]): string {
  const shown = names.slice(0, MAX_KEYS).join(', ');
  return names.length > MAX_KEYS ? `${shown}, +${names.length - MAX_KEYS} more` : shown;
}

/** `scripts: test, postinstall; packageManager`, or the reason when no key is known. */
function details(change: ChangedFile): string {
  if (change.keys.length === 0) return change.reason;
  const scripts = change.keys
    .filter((k) => k.startsWith('scripts.'))
    .map((k) => quoteArg(k.slice(8)));
  const others = change.keys.filter((k) => !k.startsWith('scripts.')).map(displayText);
  const groups: string[] = [];
  if (scripts.length > 0) groups.push(`scripts: ${capped(scripts)}`);
  if (others.length > 0) groups.push(capped(others));
  return groups.join('; ');
}

/** `M package.json (scripts: test)`: escaped for a terminal. */
export function renderChangeLine(c: ChangedFile): string {
  return `${LETTER[c.kind]} ${displayText(c.path)} (${details(c)})`;
}

/** The stderr block for these changes, ending in a newline; empty when there are none. */
export function renderChanges(changes: readonly ChangedFile[]): string {
  if (changes.length === 0) return '';
  const lines = [
    'bubble: the agent changed files that run code on your machine; review before running them:',
  ];
  for (const c of changes.slice(0, MAX_LINES)) {
    lines.push(`  ${renderChangeLine(c)}`);
  }
  if (changes.length > MAX_LINES) lines.push(`  ... and ${changes.length - MAX_LINES} more`);
  return lines.join('\n') + '\n';
}
