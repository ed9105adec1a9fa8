// The config file schema (TOML, validated strictly: an unknown key or a wrong type stops
// bubble). Keys mirror the command-line options; `[profiles.NAME]` tables hold per-profile
// overrides with the same keys. Loaded only when a config file exists (see load.ts). Which
// keys there are and what they mean come from the option table (options.ts); what values
// each takes is said here.

import { z } from 'zod';
import { parseKeep } from '../log/prune.ts';
import { NET_MODES } from '../net/modes.ts';
import { configOption, type ConfigKey } from './options.ts';

/** The option table's description of a key. */
const describe = (key: ConfigKey): string => configOption(key).config.describe;

const path = z.string().min(1);
const paths = z.array(path);

/** Sizes as `--limit` takes them: 512M, 2G, or a number of bytes. */
const SIZE = /^\d+[kmgt]?(i?b)?$/i;
const size = z.union([
  z.int().positive(),
  z.string().regex(SIZE, 'expected a size like 512M or 2G'),
]);
const countOrUnlimited = z.union([z.int().positive(), z.literal('unlimited')]);
const sizeOrUnlimited = z.union([size, z.literal('unlimited')]);

const limitsSchema = z.strictObject({
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
});

const settings = {
  rw: paths.optional().describe(describe('rw')),
  ro: paths.optional().describe(describe('ro')),
  hide: paths.optional().describe(describe('hide')),
  allow_write: paths.optional().describe(describe('allow_write')),
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(=[\s\S]*)?$/, 'expected NAME or NAME=VALUE'))
    .optional()
    .describe(describe('env')),
  net: z.enum(NET_MODES).optional().describe(describe('net')),
  allow: z.array(z.string().min(1)).optional().describe(describe('allow')),
  deny: z.array(z.string().min(1)).optional().describe(describe('deny')),
  allow_private: z.array(z.string().min(1)).optional().describe(describe('allow_private')),
  net_policy: z.enum(['allowlist', 'ask']).optional().describe(describe('net_policy')),
  ask_timeout: z.int().min(1).max(3600).optional().describe(describe('ask_timeout')),
  host_ports: z
    .array(z.int().min(1024, 'ports below 1024 cannot be opened inside the sandbox').max(65535))
    .optional()
    .describe(describe('host_ports')),
  limits: limitsSchema.optional().describe(describe('limits')),
  home: z.enum(['tmp', 'persist']).optional().describe(describe('home')),
  home_keep: z.array(z.string().min(1)).optional().describe(describe('home_keep')),
  ssh_agent: z.boolean().optional().describe(describe('ssh_agent')),
  ssh_keys: z.array(z.string().min(1)).optional().describe(describe('ssh_keys')),
  pass_credentials: z.boolean().optional().describe(describe('pass_credentials')),
  api_key_command: z
    .strictObject({
      anthropic: z.string().min(1).optional(),
      openai: z.string().min(1).optional(),
      gemini: z.string().min(1).optional(),
    })
    .optional()
    .describe('a command that prints the API key, per model API (your own config only)'),
  gitconfig: z.enum(['ro', 'rw', 'none']).optional().describe(describe('gitconfig')),
} satisfies Record<ConfigKey | 'api_key_command', z.ZodType>;

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
