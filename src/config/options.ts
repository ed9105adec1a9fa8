// The run options (`bubble run`, `bubble explain`, `bubble config`), each declared once:
// its flag, what its value looks like, its config-file key, how a project file the user has
// not trusted may set it, and its help. The command-line parser, the config schema's keys
// and descriptions, the merge of untrusted project files and the help are driven from here.
// A leaf: it imports only the network modes.

import { DEFAULT_NET_MODE, NET_MODES, NET_MODE_TRAITS } from '../net/modes.ts';

/**
 * What a value from an untrusted project file does (config/merge.ts):
 *   drop:    it loosens the sandbox (new paths, variables, destinations): never applied;
 *   keep:    it tightens, or changes nothing about what is allowed: applied;
 *   inside:  it tightens inside the project only (hiding a path): applied there;
 *   ranked:  values loosest first: applied when at least as strict as what is in force;
 *   only:    applied when it is one of these values;
 *   limits:  each limit applied when not above what is in force.
 */
export type Untrusted =
  | { rule: 'drop' }
  | { rule: 'keep' }
  | { rule: 'inside' }
  | { rule: 'ranked'; loosestFirst: readonly string[]; unset: string }
  | { rule: 'only'; values: readonly (string | boolean)[] }
  | { rule: 'limits' };

export interface RunOption {
  /** The long flag: the option's name in messages. */
  readonly flag: `--${string}`;
  readonly short?: string;
  /** A value, a repeatable value, or none (a switch). */
  readonly takes: 'value' | 'values' | 'nothing';
  /** The values it accepts, when they are a fixed list. */
  readonly values?: readonly string[];
  /** What its value looks like, for "--net needs a value". */
  readonly hint?: string;
  /** Its key in config files, the schema's description, and the untrusted-project rule. */
  readonly config?: {
    readonly key: string;
    readonly describe: string;
    readonly untrusted: Untrusted;
  };
  /** Its lines in `bubble run --help`. */
  readonly help: string;
}

const PATTERN = 'PATTERN (example.com, *.example.com, example.com:443)';
const DROP = { rule: 'drop' } as const;

/** Network modes, loosest first (an untrusted project may only move right). */
const NET_LOOSEST_FIRST = [...NET_MODES].sort(
  (a, b) => NET_MODE_TRAITS[a].strictness - NET_MODE_TRAITS[b].strictness,
);

export const RUN_OPTIONS = [
  {
    flag: '--rw',
    takes: 'values',
    hint: 'PATH',
    config: {
      key: 'rw',
      describe:
        'paths visible and writable inside (--rw); ~ is your home, relative paths are under the project',
      untrusted: DROP,
    },
    help: '  --rw PATH          make PATH visible and writable (repeatable)',
  },
  {
    flag: '--ro',
    takes: 'values',
    hint: 'PATH',
    config: { key: 'ro', describe: 'paths visible read-only inside (--ro)', untrusted: DROP },
    help: '  --ro PATH          make PATH visible, read-only (repeatable)',
  },
  {
    flag: '--hide',
    takes: 'values',
    hint: 'PATH',
    // Hiding elsewhere would take away the user's own rules (the agent's settings with their
    // deny rules and hooks, an administrator's managed settings under /etc).
    config: {
      key: 'hide',
      describe: 'paths masked with an empty file or directory (--hide)',
      untrusted: { rule: 'inside' },
    },
    help: '  --hide PATH        mask PATH with an empty file or directory (repeatable)',
  },
  {
    flag: '--allow-write',
    takes: 'values',
    hint: 'PATH',
    config: {
      key: 'allow_write',
      describe: 'protected paths the sandbox may change (--allow-write), e.g. .git/hooks',
      untrusted: DROP,
    },
    help: '  --allow-write PATH let the sandbox change a protected path (e.g. .git/hooks, .vscode)',
  },
  {
    flag: '--env',
    takes: 'values',
    hint: 'NAME or NAME=VALUE',
    config: {
      key: 'env',
      describe: 'variables passed in (NAME, from your environment) or set (NAME=VALUE) (--env)',
      untrusted: DROP,
    },
    help: `  --env NAME         pass the variable NAME from your environment (repeatable)
  --env NAME=VALUE   set NAME inside the sandbox (repeatable)`,
  },
  {
    flag: '--net',
    takes: 'value',
    values: NET_MODES,
    hint: NET_MODES.join('|'),
    config: {
      key: 'net',
      describe: 'network mode (--net)',
      untrusted: { rule: 'ranked', loosestFirst: NET_LOOSEST_FIRST, unset: DEFAULT_NET_MODE },
    },
    help: `  --net MODE         filtered (default): own network, only through bubble's proxy;
                     logged: host network, proxy variables set (bypassable);
                     host: host network, no proxy; none: no network`,
  },
  {
    flag: '--allow',
    takes: 'values',
    hint: PATTERN,
    config: {
      key: 'allow',
      describe: 'allowed destinations: example.com, *.example.com, example.com:443 (--allow)',
      untrusted: DROP,
    },
    help: `  --allow PATTERN    allow only these destinations (repeatable): example.com,
                     *.example.com, example.com:443; anything else is denied`,
  },
  {
    flag: '--allow-preset',
    takes: 'values',
    hint: 'PROFILE (bubble profiles lists them)',
    help: `  --allow-preset NAME
                     allow the endpoints profile NAME needs (repeatable; bubble profiles)`,
  },
  {
    flag: '--deny',
    takes: 'values',
    hint: PATTERN,
    // More denied destinations always tighten.
    config: {
      key: 'deny',
      describe: 'denied destinations; deny wins over allow (--deny)',
      untrusted: { rule: 'keep' },
    },
    help: '  --deny PATTERN     deny these destinations (repeatable; deny wins)',
  },
  {
    flag: '--net-policy',
    takes: 'value',
    values: ['allowlist', 'ask'],
    hint: 'allowlist|ask',
    // Asking lets a person open what the allow list does not; allowlist never does.
    config: {
      key: 'net_policy',
      describe:
        'allowlist: only the allow list, even when empty; ask: hold the rest for bubble watch (--net-policy, --ask)',
      untrusted: { rule: 'ranked', loosestFirst: ['open', 'ask', 'allowlist'], unset: 'open' },
    },
    help: `  --net-policy allowlist|ask
                     allowlist: only what --allow names, even when nothing is named;
                     ask: hold what no rule allows until you answer it in bubble watch`,
  },
  {
    flag: '--ask',
    takes: 'nothing',
    help: '  --ask              the same as --net-policy ask',
  },
  {
    flag: '--ask-timeout',
    takes: 'value',
    hint: 'SECONDS (default 60)',
    // How long a held connection waits changes nothing about what is allowed.
    config: {
      key: 'ask_timeout',
      describe:
        'seconds a held connection waits for bubble watch before it is refused (--ask-timeout)',
      untrusted: { rule: 'keep' },
    },
    help: `  --ask-timeout SECONDS
                     how long a held connection waits before it is refused (default 60)`,
  },
  {
    flag: '--host-port',
    takes: 'values',
    hint: 'PORT',
    config: {
      key: 'host_ports',
      describe: 'host 127.0.0.1 ports reachable inside (--host-port)',
      untrusted: DROP,
    },
    help: "  --host-port PORT   make the host's 127.0.0.1:PORT reachable inside (repeatable)",
  },
  {
    flag: '--publish',
    takes: 'values',
    hint: 'PORT[:HOSTPORT]',
    help: `  --publish PORT[:HOSTPORT]
                     make the sandbox's 127.0.0.1:PORT reachable on the host's 127.0.0.1 (repeatable)`,
  },
  {
    flag: '--allow-private',
    takes: 'values',
    hint: 'HOST or CIDR (db.lan, 10.0.0.0/8)',
    config: {
      key: 'allow_private',
      describe:
        'private destinations reachable on purpose: a host name or CIDR (--allow-private); never from an untrusted project file',
      untrusted: DROP,
    },
    help: `  --allow-private HOST|CIDR  reach a private destination on purpose (10.0.0.0/8, db.lan);
                     never loopback or this host's own addresses (repeatable)`,
  },
  {
    flag: '--profile',
    takes: 'value',
    hint: 'NAME (bubble profiles lists them)',
    // A profile decides which agent state is mounted read-write: merge.ts picks it first.
    help: `  --profile NAME     agent profile: claude, codex, gemini, opencode, aider, generic
                     (default: from COMMAND's name; bubble profiles lists them)`,
  },
  {
    flag: '--limit',
    takes: 'values',
    hint: 'NAME=VALUE (nproc, fsize, nofile, tmp, home)',
    config: {
      key: 'limits',
      describe: 'resource limits, as --limit NAME=VALUE',
      untrusted: { rule: 'limits' },
    },
    help: `  --limit NAME=VALUE resource limits (repeatable): mem=4G all memory (default: half
                     the RAM), nproc=2048 tasks, fsize=8G per file, tmp=1G and
                     home=1G (tmpfs sizes; /dev/shm as tmp), nofile=N; 'unlimited'
                     for mem, nproc and fsize`,
  },
  {
    flag: '--home',
    takes: 'value',
    values: ['tmp', 'persist'],
    hint: 'tmp|persist',
    config: {
      key: 'home',
      describe: 'the sandbox home: tmp (empty, ephemeral) or persist (kept per project) (--home)',
      untrusted: { rule: 'only', values: ['tmp'] },
    },
    help: `  --home tmp|persist the sandbox home: empty tmpfs (default), or this project's own
                     directory under $XDG_STATE_HOME/bubble/homes/: caches survive
                     (~/.cache, ~/.local/state, package stores), the rest starts empty`,
  },
  {
    flag: '--home-keep',
    takes: 'values',
    config: {
      key: 'home_keep',
      describe: 'with home = "persist": more paths it keeps, e.g. ".config/gh" (--home-keep)',
      untrusted: DROP,
    },
    help: `  --home-keep PATH   with --home persist: keep PATH too (repeatable), e.g. .config/gh;
                     what it holds reaches the next session of this project`,
  },
  {
    flag: '--ssh-agent',
    takes: 'nothing',
    config: {
      key: 'ssh_agent',
      describe: 'a filtered ssh-agent inside: lists and signs with ssh_keys only (--ssh-agent)',
      untrusted: { rule: 'only', values: [false] },
    },
    help: `  --ssh-agent        a filtered ssh-agent inside: lists and signs with the keys named by
                     --ssh-key only (nothing else), every signature in the session log`,
  },
  {
    flag: '--ssh-key',
    takes: 'values',
    config: {
      key: 'ssh_keys',
      describe: 'keys the ssh-agent may use: SHA256 fingerprint, comment or .pub file (--ssh-key)',
      untrusted: DROP,
    },
    help: `  --ssh-key KEY      a key it may use (repeatable; implies --ssh-agent): SHA256:...
                     fingerprint, comment, or .pub file (ssh-add -l lists them)`,
  },
  {
    flag: '--gitconfig',
    takes: 'value',
    values: ['ro', 'rw', 'none'],
    hint: 'ro|rw|none',
    // none hides ~/.gitconfig, ro shows it; rw lets the sandbox change what the host runs.
    config: {
      key: 'gitconfig',
      describe: '~/.gitconfig inside: ro, rw or none (--gitconfig)',
      untrusted: { rule: 'ranked', loosestFirst: ['rw', 'ro', 'none'], unset: 'ro' },
    },
    help: '  --gitconfig MODE   ~/.gitconfig inside: ro (default), rw, or none',
  },
  {
    flag: '--pass-credentials',
    takes: 'nothing',
    config: {
      key: 'pass_credentials',
      describe:
        'pass model API keys and logins into the sandbox instead of adding them outside (--pass-credentials)',
      untrusted: { rule: 'only', values: [false] },
    },
    help: `  --pass-credentials pass model API keys and logins in (default: they stay outside and
                     bubble adds them to the agent's API requests)`,
  },
  {
    flag: '--allow-root',
    takes: 'nothing',
    help: '  --allow-root       run even as root (capabilities dropped; not recommended)',
  },
  {
    flag: '--no-git-root',
    takes: 'nothing',
    help: `  --no-git-root      in a subdirectory of a git repository, mount only the working
                     directory (default: the repository's top level, so git works)`,
  },
  {
    flag: '--expose-home',
    takes: 'nothing',
    help: `  --expose-home      let --rw/--ro name your home directory or its ancestors (refused
                     otherwise: it would undo the hidden home)`,
  },
  {
    flag: '--quiet',
    short: 'q',
    takes: 'nothing',
    help: '  -q, --quiet        no messages from bubble on stderr',
  },
  {
    flag: '--json',
    takes: 'nothing',
    help: '  --json             (explain) print the plan as JSON',
  },
  { flag: '--help', short: 'h', takes: 'nothing', help: '  -h, --help         this help' },
] as const satisfies readonly RunOption[];

/** An option a config file may set. */
export type ConfigOption = Extract<(typeof RUN_OPTIONS)[number], { config: object }>;
export type ConfigKey = ConfigOption['config']['key'];

/** The options a config file may set, in table order. */
export const CONFIG_OPTIONS: readonly ConfigOption[] = RUN_OPTIONS.filter(
  (o): o is ConfigOption => 'config' in o,
);

/** The option whose config key is `key`. */
export function configOption(key: ConfigKey): ConfigOption {
  return CONFIG_OPTIONS.find((o) => o.config.key === key)!;
}
