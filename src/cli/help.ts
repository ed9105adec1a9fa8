// Hand-written help texts.

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
  --rw PATH          make PATH visible and writable (repeatable)
  --ro PATH          make PATH visible, read-only (repeatable)
  --hide PATH        mask PATH with an empty file or directory (repeatable)
  --allow-write PATH let the sandbox change a protected path (e.g. .git/hooks, .vscode)
  --env NAME         pass the variable NAME from your environment (repeatable)
  --env NAME=VALUE   set NAME inside the sandbox (repeatable)
  --net MODE         filtered (default): own network, only through bubble's proxy;
                     logged: host network, proxy variables set (bypassable);
                     host: host network, no proxy; none: no network
  --allow PATTERN    allow only these destinations (repeatable): example.com,
                     *.example.com, example.com:443; anything else is denied
  --allow-preset NAME
                     allow the endpoints profile NAME needs (repeatable; bubble profiles)
  --deny PATTERN     deny these destinations (repeatable; deny wins)
  --net-policy allowlist|ask
                     allowlist: only what --allow names, even when nothing is named;
                     ask: hold what no rule allows until you answer it in bubble watch
  --ask              the same as --net-policy ask
  --ask-timeout SECONDS
                     how long a held connection waits before it is refused (default 60)
  --host-port PORT   make the host's 127.0.0.1:PORT reachable inside (repeatable)
  --publish PORT[:HOSTPORT]
                     make the sandbox's 127.0.0.1:PORT reachable on the host's 127.0.0.1 (repeatable)
  --allow-private HOST|CIDR  reach a private destination on purpose (10.0.0.0/8, db.lan);
                     never loopback or this host's own addresses (repeatable)
  --profile NAME     agent profile: claude, codex, gemini, opencode, aider, generic
                     (default: from COMMAND's name; bubble profiles lists them)
  --limit NAME=VALUE resource limits (repeatable): mem=4G all memory (default: half
                     the RAM), nproc=2048 tasks, fsize=8G per file, tmp=1G and
                     home=1G (tmpfs sizes; /dev/shm as tmp), nofile=N; 'unlimited'
                     for mem, nproc and fsize
  --home tmp|persist the sandbox home: empty tmpfs (default), or this project's own
                     directory under $XDG_STATE_HOME/bubble/homes/: caches survive
                     (~/.cache, ~/.local/state, package stores), the rest starts empty
  --home-keep PATH   with --home persist: keep PATH too (repeatable), e.g. .config/gh;
                     what it holds reaches the next session of this project
  --ssh-agent        a filtered ssh-agent inside: lists and signs with the keys named by
                     --ssh-key only (nothing else), every signature in the session log
  --ssh-key KEY      a key it may use (repeatable; implies --ssh-agent): SHA256:...
                     fingerprint, comment, or .pub file (ssh-add -l lists them)
  --gitconfig MODE   ~/.gitconfig inside: ro (default), rw, or none
  --pass-credentials pass model API keys and logins in (default: they stay outside and
                     bubble adds them to the agent's API requests)
  --allow-root       run even as root (capabilities dropped; not recommended)
  --no-git-root      in a subdirectory of a git repository, mount only the working
                     directory (default: the repository's top level, so git works)
  --expose-home      let --rw/--ro name your home directory or its ancestors (refused
                     otherwise: it would undo the hidden home)
  -q, --quiet        no messages from bubble on stderr
  --json             (explain) print the plan as JSON
  -h, --help         this help
`;

export const configHelp = `Usage: bubble config [options] [--json] [COMMAND]

Print the configuration bubble would use to run COMMAND here (the run options, merged over
the config files), and where each value came from.

Files: $XDG_CONFIG_HOME/bubble/config.toml (yours), .bubble.toml in the project. Keys mirror
the options: rw, ro, hide, allow_write, env, net, net_policy, ask_timeout, allow, deny,
allow_private, host_ports, limits (mem,
nproc, fsize, nofile, tmp, home), profile, home, ssh_agent, ssh_keys, gitconfig,
pass_credentials, api_key_command and log_keep (yours only), and [profiles.NAME] tables
with the same keys. A project file may only tighten the sandbox until you run bubble trust.
`;
