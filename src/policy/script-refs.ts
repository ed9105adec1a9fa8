// Scripts that an agent's settings run on the host (statusLine, hooks). They shape every
// later session, sandboxed or not, so they are protected like the settings themselves.

import { isAbsolute, normalize } from 'node:path';

function commandsIn(settings: unknown): string[] {
  if (typeof settings !== 'object' || settings === null) return [];
  const s = settings as Record<string, unknown>;
  const out: string[] = [];
  const status = s.statusLine as Record<string, unknown> | undefined;
  if (typeof status?.command === 'string') out.push(status.command);
  const hooks = s.hooks;
  if (typeof hooks === 'object' && hooks !== null) {
    for (const matchers of Object.values(hooks)) {
      if (!Array.isArray(matchers)) continue;
      for (const m of matchers) {
        const inner = (m as Record<string, unknown> | null)?.hooks;
        if (!Array.isArray(inner)) continue;
        for (const h of inner) {
          const cmd = (h as Record<string, unknown> | null)?.command;
          if (typeof cmd === 'string') out.push(cmd);
        }
      }
    }
  }
  return out;
}

/** Words of a shell command that name a file under $HOME, expanded to absolute paths. */
function pathsInCommand(command: string, home: string): string[] {
  const out: string[] = [];
  for (const raw of command.split(/[\s;|&()<>]+/)) {
    const word = raw.replace(/^['"]|['"]$/g, '');
    let path: string | undefined;
    if (word.startsWith('~/')) path = home + word.slice(1);
    else if (word.startsWith('$HOME/')) path = home + word.slice(5);
    else if (word.startsWith('${HOME}/')) path = home + word.slice(7);
    else if (isAbsolute(word)) path = word;
    if (path === undefined) continue;
    path = normalize(path);
    if (path.startsWith(home + '/')) out.push(path);
  }
  return out;
}

/** Absolute paths under `home` of the scripts a settings.json runs. Bad JSON names none. */
export function referencedScripts(settingsJson: string, home: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(settingsJson);
  } catch {
    return [];
  }
  return [...new Set(commandsIn(parsed).flatMap((c) => pathsInCommand(c, home)))];
}
