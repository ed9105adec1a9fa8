# bash completion for bubble                                  -*- shell-script -*-
# Install: copy to /usr/share/bash-completion/completions/bubble (or
# ~/.local/share/bash-completion/completions/bubble), or source it from ~/.bashrc.
# To add an option: put it in _bubble_run_opts (and in _bubble_run_arg_opts if it
# takes a value); a subcommand: _bubble_commands and the case below.

_bubble_commands='run explain log allow watch doctor selftest trust config profiles help'
_bubble_run_opts='--rw --ro --hide --allow-write --env --net --allow --allow-preset --deny --host-port --publish --allow-private --net-policy --ask --ask-timeout --limit --home --home-keep --ssh-agent --ssh-key --pass-credentials --gitconfig --profile --allow-root --expose-home --no-git-root --quiet --json --help'
_bubble_run_arg_opts='--rw --ro --hide --allow-write --env --net --allow --allow-preset --deny --host-port --publish --allow-private --net-policy --ask-timeout --limit --home --home-keep --ssh-key --gitconfig --profile'
_bubble_net_modes='filtered logged host none'
_bubble_profiles='claude codex gemini opencode aider generic'
_bubble_limits='mem= nproc= fsize= tmp= home= nofile='

_bubble()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n = || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    if ((cword == 1)); then
        COMPREPLY=($(compgen -W "$_bubble_commands --help --version" -- "$cur"))
        return
    fi

    local sub=${words[1]} i
    case $sub in
        run | explain)
            # After the command (the first word that is not an option, or --), complete
            # the command's own arguments as files.
            for ((i = 2; i < cword; i++)); do
                local w=${words[i]}
                if [[ $w == -- ]]; then
                    _bubble_command_args $((i + 1))
                    return
                fi
                if [[ " $_bubble_run_arg_opts " == *" $w "* ]]; then
                    ((i++))
                    continue
                fi
                if [[ $w != -* ]]; then
                    _bubble_command_args $i
                    return
                fi
            done
            case $prev in
                --net) COMPREPLY=($(compgen -W "$_bubble_net_modes" -- "$cur")); return ;;
                --profile | --allow-preset) COMPREPLY=($(compgen -W "$_bubble_profiles" -- "$cur")); return ;;
                --limit) compopt -o nospace 2>/dev/null; COMPREPLY=($(compgen -W "$_bubble_limits" -- "$cur")); return ;;
                --env) COMPREPLY=($(compgen -v -- "$cur")); return ;;
                --net-policy) COMPREPLY=($(compgen -W 'allowlist ask' -- "$cur")); return ;;
                --ask-timeout) return ;;
                --home) COMPREPLY=($(compgen -W 'tmp persist' -- "$cur")); return ;;
                --gitconfig) COMPREPLY=($(compgen -W 'ro rw none' -- "$cur")); return ;;
                --home-keep) return ;;
                --ssh-key) COMPREPLY=($(compgen -f -X '!*.pub' -- "$cur")); return ;;
                --rw | --ro | --hide | --allow-write) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --allow | --deny | --host-port | --publish | --allow-private) return ;;
            esac
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$_bubble_run_opts --" -- "$cur"))
            else
                COMPREPLY=($(compgen -c -- "$cur"))
            fi
            ;;
        log) COMPREPLY=($(compgen -W '--last --limit --json --html --help' -- "$cur")) ;;
        allow) [[ $prev == --since ]] || COMPREPLY=($(compgen -W '--from-log --last --since --dry-run --help' -- "$cur")) ;;
        watch) COMPREPLY=($(compgen -W '--json --help' -- "$cur")) ;;
        doctor) COMPREPLY=($(compgen -W '--json --help' -- "$cur")) ;;
        selftest)
            if [[ $prev == --net ]]; then
                COMPREPLY=($(compgen -W "$_bubble_net_modes" -- "$cur"))
            else
                COMPREPLY=($(compgen -W '--json --net --keep --help' -- "$cur"))
            fi
            ;;
        profiles) COMPREPLY=($(compgen -W '--json --help' -- "$cur")) ;;
        trust | config) COMPREPLY=($(compgen -W '--help' -- "$cur")) ;;
    esac
}

# The sandboxed command's name, then its arguments as files.
_bubble_command_args()
{
    if ((cword == $1)); then
        COMPREPLY=($(compgen -c -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

complete -F _bubble bubble
