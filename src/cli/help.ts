// Hand-written help texts.

export const mainHelp = `bubble: run AI coding agents inside a bubblewrap sandbox

Usage:
  bubble run [options] [--] COMMAND [ARGS...]   run COMMAND in the sandbox
  bubble explain [options] [--] COMMAND [ARGS...]
                                                show what the sandbox will see, run nothing
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
  --rw PATH          make PATH visible and writable (repeatable)
  --ro PATH          make PATH visible, read-only (repeatable)
  --hide PATH        mask PATH with an empty file or directory (repeatable)
  --env NAME         pass the variable NAME from your environment (repeatable)
  --env NAME=VALUE   set NAME inside the sandbox (repeatable)
  --net MODE         host (default for now) or none
  --profile NAME     agent profile: claude, generic (default: from COMMAND's name)
  --allow-root       run even as root (capabilities dropped; not recommended)
  -q, --quiet        no messages from bubble on stderr
  --json             (explain) print the plan as JSON
  -h, --help         this help
`;
