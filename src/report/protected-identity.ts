// Protection that the host's own edits undo. A read-only bind of a single host file (the
// project's .claude/settings.json, .git-adjacent config, a hook script) hangs on that
// file's directory entry: when the host replaces the file by rename during the session
// (an editor saving, `git config`, an agent running on the host), the kernel detaches the
// mount inside, and from then on the sandbox sees, and can write, the new file. Agent
// state dirs and git dirs are staged (policy/staged.ts), so their mounts sit in bubble's
// stage and survive this; for the single-file mounts that remain, bubble records each
// protected path's identity before the session and names, after it, the ones replaced.
//
// Never throws: a path that cannot be read is compared as absent.

import * as fs from 'node:fs';
import { displayText } from '../sandbox/escape.ts';

interface Identity {
  path: string;
  /** `dev:ino`, or undefined when absent. */
  id: string | undefined;
}

function identity(path: string): string | undefined {
  try {
    const st = fs.lstatSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Record the protected paths now; the returned function, after the session, renders one
 * line naming those the host replaced meanwhile (empty when none).
 */
export function replacedReporter(paths: readonly string[], home: string): () => string {
  const before: Identity[] = paths.map((path) => ({ path, id: identity(path) }));
  return () => {
    const replaced = before.filter((b) => identity(b.path) !== b.id).map((b) => b.path);
    if (replaced.length === 0) return '';
    const show = (p: string): string =>
      displayText(p.startsWith(`${home}/`) ? `~${p.slice(home.length)}` : p);
    return `bubble: replaced on the host during the session, so read-only inside only until then (check what they hold now): ${replaced.map(show).join(', ')}\n`;
  };
}
