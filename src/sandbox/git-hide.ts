// Placeholders kept out of the user's `git status` while a session runs.
//
// A missing protected file (.envrc, .mcp.json, mise.toml...) needs a mount point, and in
// the project that is a file on the host for the length of the session: `git status` in a
// second terminal lists it, and `git add -A` would commit it. Nothing but a mount point
// keeps the name uncreatable inside (a mount needs a dentry; an overlay or a staged top
// level would make the project's own files unmovable), so the files stay and git is told
// to ignore them where it looks per repository and nowhere else: the repository's own
// .git/info/exclude (never committed, never shared), in a block named by the session,
// removed when the session ends (by the watchdog or the next session if it was killed).
// The file is rewritten in place, never replaced: other sessions mount it read-only, and
// one that is starting holds it open for bwrap (--ro-bind-fd), which fails if the path
// names another file by the time it mounts.
// Empty placeholder directories need nothing: git does not list them. The README says so.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { isUnder } from '../policy/paths.ts';
import { openBelow, readBelow, rewriteBelow } from './nofollow.ts';

const excludeOf = (project: string): string => join(project, '.git', 'info', 'exclude');

const begin = (tag: string): string =>
  `# bubble ${tag}: placeholders of a running session, removed when it ends`;
const end = (tag: string): string => `# bubble ${tag}: end`;

/** A gitignore line matching exactly `rel` (relative to the work tree). */
function ignoreLine(rel: string): string {
  return '/' + rel.replace(/[\\*?[\]!# ]/g, (c) => `\\${c}`);
}

/** The exclude file's text without session `tag`'s block. */
function withoutBlock(text: string, tag: string): string {
  const lines = text.split('\n');
  const from = lines.indexOf(begin(tag));
  const to = lines.indexOf(end(tag), from);
  if (from < 0 || to < 0) return text;
  lines.splice(from, to - from + 1);
  return lines.join('\n');
}

/** The exclude file as it is now, or undefined when there is no plain one to edit. */
function current(project: string): string | undefined {
  try {
    const fd = openBelow(project, join(project, '.git', 'info'));
    const dir = fs.fstatSync(fd);
    fs.closeSync(fd);
    if (!dir.isDirectory()) return undefined;
    return readBelow(project, excludeOf(project)).toString('utf8');
  } catch {
    return undefined; // no repository here, a link on the way, or not a regular file
  }
}

/**
 * Add session `tag`'s block listing `files` (placeholder files in the project). True when
 * written (the journal then records it); false when the project has no exclude file.
 */
export function hidePlaceholders(project: string, tag: string, files: string[]): boolean {
  const rels = files.filter((f) => isUnder(f, project) && f !== project);
  if (rels.length === 0) return false;
  const now = current(project);
  if (now === undefined) return false;
  const base = withoutBlock(now, tag);
  const lines = rels.map((f) => ignoreLine(f.slice(project.length + 1)));
  const sep = base === '' || base.endsWith('\n') ? '' : '\n';
  const text = `${base}${sep}${begin(tag)}\n${lines.join('\n')}\n${end(tag)}\n`;
  try {
    rewriteBelow(project, excludeOf(project), text);
    return true;
  } catch {
    return false;
  }
}

/** Remove session `tag`'s block, leaving whatever else the file holds as it is now. */
export function unhidePlaceholders(project: string, tag: string): void {
  const now = current(project);
  if (now === undefined) return;
  const text = withoutBlock(now, tag);
  if (text === now) return;
  try {
    rewriteBelow(project, excludeOf(project), text);
  } catch {
    // the next session's sweep tries again
  }
}
