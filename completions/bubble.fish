# fish completion for bubble. Install: copy to ~/.config/fish/completions/bubble.fish
# (or /usr/share/fish/vendor_completions.d/). To add a run/explain option: one line
# below, with -n __bubble_run_opts.

set -l bubble_commands run explain log allow watch doctor selftest trust config profiles

function __bubble_run_opts
    # In run/explain, before the sandboxed command (the first non-option word, or --).
    set -l words (commandline -opc)
    set -e words[1]
    contains -- $words[1] run explain; or return 1
    set -e words[1]
    set -l takes_value --rw --ro --hide --allow-write --env --net --allow --allow-preset --deny --host-port --publish --allow-private --limit --home --home-keep --ssh-key --gitconfig --profile
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        test "$w" = --; and return 1
        if contains -- $w $takes_value
            set skip 1
            continue
        end
        string match -q -- '-*' $w; or return 1
    end
    return 0
end

complete -c bubble -f
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -s h -l help -d 'show help'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -l version -d 'print the version'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a run -d 'run COMMAND in the sandbox'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a explain -d 'show what the sandbox will see'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a log -d 'where sandboxed sessions connected'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a allow -d 'learn allow rules from sessions'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a watch -d 'answer held connections (--ask)'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a doctor -d 'can bubble work on this machine?'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a selftest -d 'attack the sandbox on this machine'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a trust -d "trust this project's .bubble.toml"
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a config -d 'print the effective configuration'
complete -c bubble -n "not __fish_seen_subcommand_from $bubble_commands" -a profiles -d 'the agent profiles'

# run / explain
complete -c bubble -n __bubble_run_opts -l rw -r -F -d 'make PATH visible and writable'
complete -c bubble -n __bubble_run_opts -l ro -r -F -d 'make PATH visible, read-only'
complete -c bubble -n __bubble_run_opts -l hide -r -F -d 'mask PATH with an empty file or directory'
complete -c bubble -n __bubble_run_opts -l allow-write -r -F -d 'let the sandbox change a protected path'
complete -c bubble -n __bubble_run_opts -l env -x -a '(set -n)' -d 'pass NAME or set NAME=VALUE inside'
complete -c bubble -n __bubble_run_opts -l net -x -a 'filtered logged host none' -d 'network mode'
complete -c bubble -n __bubble_run_opts -l allow -x -d 'allow only these destinations'
complete -c bubble -n __bubble_run_opts -l allow-preset -x -a 'claude codex gemini opencode aider' -d "allow a profile's endpoints"
complete -c bubble -n __bubble_run_opts -l deny -x -d 'deny these destinations'
complete -c bubble -n __bubble_run_opts -l host-port -x -d "make the host's 127.0.0.1:PORT reachable"
complete -c bubble -n __bubble_run_opts -l publish -x -d "make the sandbox's 127.0.0.1:PORT reachable on the host"
complete -c bubble -n __bubble_run_opts -l allow-private -x -d "reach a private destination (HOST or CIDR) on purpose"
complete -c bubble -n __bubble_run_opts -l net-policy -x -a 'allowlist ask' -d 'only the allow list, or ask for the rest'
complete -c bubble -n __bubble_run_opts -l ask -d 'hold what no rule allows for bubble watch'
complete -c bubble -n __bubble_run_opts -l ask-timeout -x -d 'seconds a held connection waits'
complete -c bubble -n __bubble_run_opts -l limit -x -a 'mem= nproc= fsize= tmp= home= nofile=' -d 'resource limit NAME=VALUE'
complete -c bubble -n __bubble_run_opts -l home -x -a 'tmp persist' -d 'the sandbox home'
complete -c bubble -n __bubble_run_opts -l home-keep -x -d 'with --home persist: keep this path too'
complete -c bubble -n __bubble_run_opts -l ssh-agent -d 'a filtered ssh-agent: list and sign only'
complete -c bubble -n __bubble_run_opts -l ssh-key -r -F -d 'a key the ssh-agent may use (fingerprint, comment, .pub)'
complete -c bubble -n __bubble_run_opts -l pass-credentials -d 'pass model API keys and logins in'
complete -c bubble -n __bubble_run_opts -l gitconfig -x -a 'ro rw none' -d 'your git config inside'
complete -c bubble -n __bubble_run_opts -l profile -x -a 'claude codex gemini opencode aider generic' -d 'agent profile'
complete -c bubble -n __bubble_run_opts -l allow-root -d 'run even as root'
complete -c bubble -n __bubble_run_opts -l no-git-root -d 'mount only the working directory'
complete -c bubble -n __bubble_run_opts -l expose-home -d 'let --rw/--ro name your home directory'
complete -c bubble -n __bubble_run_opts -s q -l quiet -d 'no messages from bubble'
complete -c bubble -n __bubble_run_opts -l json -d '(explain) print the plan as JSON'
complete -c bubble -n __bubble_run_opts -s h -l help -d 'show help'
complete -c bubble -n __bubble_run_opts -a '(__fish_complete_command)' -d command
complete -c bubble -n '__fish_seen_subcommand_from run explain; and test (commandline -opc)[-1] = --' -a '(__fish_complete_command)' -d command

# the others
complete -c bubble -n '__fish_seen_subcommand_from log' -l last -d 'the most recent session'
complete -c bubble -n '__fish_seen_subcommand_from log' -l limit -x -d 'how many sessions'
complete -c bubble -n '__fish_seen_subcommand_from log' -l html -d 'a self-contained HTML page'
complete -c bubble -n '__fish_seen_subcommand_from allow' -l from-log -d 'learn from session logs'
complete -c bubble -n '__fish_seen_subcommand_from allow' -l last -d 'the most recent session'
complete -c bubble -n '__fish_seen_subcommand_from allow' -l since -x -d 'sessions since DATE (2026-01-31, 3d)'
complete -c bubble -n '__fish_seen_subcommand_from allow' -l dry-run -d 'print the TOML, write nothing'
complete -c bubble -n '__fish_seen_subcommand_from log selftest doctor profiles watch' -l json -d 'JSON output'
complete -c bubble -n '__fish_seen_subcommand_from selftest' -l net -x -a 'filtered logged host none' -d 'network mode'
complete -c bubble -n '__fish_seen_subcommand_from selftest' -l keep -d 'keep the temporary world'
complete -c bubble -n '__fish_seen_subcommand_from log allow watch doctor selftest trust config profiles' -s h -l help -d 'show help'

# after the sandboxed command: its own arguments, as files
complete -c bubble -n '__fish_seen_subcommand_from run explain; and not __bubble_run_opts' -F
