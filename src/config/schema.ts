// The config file schema (TOML, validated strictly: an unknown key or a wrong type stops
// bubble). Keys mirror the command-line options; `[profiles.NAME]` tables hold per-profile
// overrides with the same keys. Loaded only when a config file exists (see load.ts).

import { z } from 'zod';
import { NET_MODES } from '../net/modes.ts';
import { parseKeep } from '../log/prune.ts';

const path = z.string().min(1);
const paths = (what: string) => z.array(path).describe(what);

/** Sizes as `--limit` takes them: 512M, 2G, or a number of bytes. */
const SIZE = /^\d+[kmgt]?(i?b)?$/i;
const size = z.union([
  z.int().positive(),
  z.string().regex(SIZE, 'expected a size like 512M or 2G'),
]);
const countOrUnlimited = z.union([z.int().positive(), z.literal('unlimited')]);
const sizeOrUnlimited = z.union([size, z.literal('unlimited')]);

const limitsSchema = z
  .strictObject({
    nproc: countOrUnlimited
      .optional()
      .describe("tasks (processes and threads) in the sandbox, or 'unlimited'"),
    fsize: sizeOrUnlimited
      .optional()
      .describe("the largest file the sandbox can write (e.g. 8G), or 'unlimited'"),
    nofile: z.int().positive().optional().describe('open files per process'),
    tmp: size.optional().describe('size of the private /tmp tmpfs (e.g. 1G)'),
    home: size.optional().describe('size of the hidden home tmpfs (e.g. 1G)'),
    mem: sizeOrUnlimited
      .optional()
      .describe("all memory of the sandbox, swap included (e.g. 4G), or 'unlimited'"),
  })
  .describe('resource limits, as --limit NAME=VALUE');

const settings = {
  rw: paths(
    'paths visible and writable inside (--rw); ~ is your home, relative paths are under the project',
  ).optional(),
  ro: paths('paths visible read-only inside (--ro)').optional(),
  hide: paths('paths masked with an empty file or directory (--hide)').optional(),
  allow_write: paths(
    'protected paths the sandbox may change (--allow-write), e.g. .git/hooks',
  ).optional(),
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(=[\s\S]*)?$/, 'expected NAME or NAME=VALUE'))
    .optional()
    .describe('variables passed in (NAME, from your environment) or set (NAME=VALUE) (--env)'),
  net: z.enum(NET_MODES).optional().describe('network mode (--net)'),
  allow: z
    .array(z.string().min(1))
    .optional()
    .describe('allowed destinations: example.com, *.example.com, example.com:443 (--allow)'),
  deny: z
    .array(z.string().min(1))
    .optional()
    .describe('denied destinations; deny wins over allow (--deny)'),
  allow_private: z
    .array(z.string().min(1))
    .optional()
    .describe(
      'private destinations reachable on purpose: a host name or CIDR (--allow-private); never from an untrusted project file',
    ),
  net_policy: z
    .enum(['allowlist', 'ask'])
    .optional()
    .describe(
      'allowlist: only the allow list, even when empty; ask: hold the rest for bubble watch (--net-policy, --ask)',
    ),
  ask_timeout: z
    .int()
    .min(1)
    .max(3600)
    .optional()
    .describe(
      'seconds a held connection waits for bubble watch before it is refused (--ask-timeout)',
    ),
  host_ports: z
    .array(z.int().min(1024, 'ports below 1024 cannot be opened inside the sandbox').max(65535))
    .optional()
    .describe('host 127.0.0.1 ports reachable inside (--host-port)'),
  limits: limitsSchema.optional(),
  home: z
    .enum(['tmp', 'persist'])
    .optional()
    .describe('the sandbox home: tmp (empty, ephemeral) or persist (kept per project) (--home)'),
  home_keep: z
    .array(z.string().min(1))
    .optional()
    .describe('with home = "persist": more paths it keeps, e.g. ".config/gh" (--home-keep)'),
  ssh_agent: z
    .boolean()
    .optional()
    .describe('a filtered ssh-agent inside: lists and signs with ssh_keys only (--ssh-agent)'),
  ssh_keys: z
    .array(z.string().min(1))
    .optional()
    .describe('keys the ssh-agent may use: SHA256 fingerprint, comment or .pub file (--ssh-key)'),
  pass_credentials: z
    .boolean()
    .optional()
    .describe(
      'pass model API keys and logins into the sandbox instead of adding them outside (--pass-credentials)',
    ),
  api_key_command: z
    .strictObject({
      anthropic: z.string().min(1).optional(),
      openai: z.string().min(1).optional(),
      gemini: z.string().min(1).optional(),
    })
    .optional()
    .describe('a command that prints the API key, per model API (your own config only)'),
  gitconfig: z
    .enum(['ro', 'rw', 'none'])
    .optional()
    .describe('~/.gitconfig inside: ro, rw or none (--gitconfig)'),
};

const profileSettingsSchema = z
  .strictObject(settings)
  .describe('overrides that apply when this profile is in use');

export const configSchema = z
  .strictObject({
    ...settings,
    profile: z.string().min(1).optional().describe('the agent profile to use (--profile)'),
    log_keep: z
      .union([z.int().positive(), z.string()])
      .refine((v) => parseKeep(String(v)) !== null, {
        message: 'expected 30d (days), 500 (sessions), 30d,500 or "all"',
      })
      .optional()
      .describe(
        'session logs kept: 30d, 500, 30d,500 or "all" (default 30d,1000); BUBBLE_LOG_KEEP wins; your own config only',
      ),
    profiles: z
      .record(z.string(), profileSettingsSchema)
      .optional()
      .describe('[profiles.NAME]: per-profile overrides'),
  })
  .describe(
    'bubble configuration: $XDG_CONFIG_HOME/bubble/config.toml (user) or .bubble.toml (project)',
  );

export type ProfileSettings = z.infer<typeof profileSettingsSchema>;
export type Config = z.infer<typeof configSchema>;
export type Limits = z.infer<typeof limitsSchema>;
