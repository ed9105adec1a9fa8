// Help texts: hand-written around the option table's lines (config/options.ts).

import { CONFIG_OPTIONS, RUN_OPTIONS } from '../config/options.ts';

export const mainHelp = `bubble: run AI coding agents inside a bubblewrap sandbox

Usage:
  bubble run [options] [--] COMMAND [ARGS...]   run COMMAND in the sandbox
  bubble explain [options] [--] COMMAND [ARGS...]
                                                show what the sandbox will see, run nothing
  bubble log [--last | SESSION] [--json|--html] where sandboxed sessions connected
  bubble allow --from-log (SESSION | --last | --since DATE) [--dry-run]
                                                turn what sessions contacted into allow
                                                rules in your config (an allowlist)
  bubble watch [--json]                         answer the connections sessions run with
                                                --ask hold (in a terminal of its own)
  bubble config [options] [--json] [COMMAND]    the effective configuration, and where
                                                each value came from
  bubble trust [--revoke]                       let this project's .bubble.toml loosen
                                                the sandbox (until the file changes)
  bubble profiles [--json]                      the agent profiles: what each keeps, protects, allows
  bubble selftest [--json] [--net MODE] [--keep]
                                                attack the sandbox on this machine, report
  bubble doctor [--json]                        can bubble work on this machine? how to fix it
  bubble-claude [CLAUDE ARGS...]                same as: bubble run -- claude [CLAUDE ARGS...]

Options:
  -h, --help      this help (bubble run --help for the run options)
  --version       print the version

Exit status: the command's own; 128+n if it was killed by signal n; 125 if bubble or the
sandbox could not be set up; 126 not executable; 127 not found; 2 usage or config error.
`;

export const runHelp = `Usage: bubble run [options] [--] COMMAND [ARGS...]
       bubble explain [options] [--json] [--] COMMAND [ARGS...]

The working directory is the project: read-write. Your home directory is hidden (an empty
tmpfs); system directories are read-only. Options end at the first word that is not an
option, or at --; everything after belongs to COMMAND.

Options:
${RUN_OPTIONS.map((o) => o.help).join('\n')}
`;

/** Words filled into lines of at most `width` characters. */
function wrap(text: string, width = 90): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line].join('\n');
}

/** The config file keys, from the option table. */
const configKeys = [
  ...CONFIG_OPTIONS.map((o) =>
    o.config.key === 'limits' ? 'limits (mem, nproc, fsize, nofile, tmp, home)' : o.config.key,
  ),
  'profile',
  'api_key_command and log_keep (yours only)',
].join(', ');

export const configHelp = `Usage: bubble config [options] [--json] [COMMAND]

Print the configuration bubble would use to run COMMAND here (the run options, merged over
the config files), and where each value came from.

${wrap(`Files: $XDG_CONFIG_HOME/bubble/config.toml (yours), .bubble.toml in the project. Keys mirror the options: ${configKeys}, and [profiles.NAME] tables with the same keys. A project file may only tighten the sandbox until you run bubble trust.`)}
`;
