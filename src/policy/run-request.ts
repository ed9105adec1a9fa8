// What the user asked for, normalized from the command line and the config files: the
// input of resolvePlan. Plain data.

import type { ApiName } from '../creds/apis.ts';
import type { NetMode } from '../net/modes.ts';
import type { PublishedPort } from '../net/publish.ts';
import type { Limits } from './limits.ts';

export interface RunRequest {
  command: string[];
  profile?: string | undefined;
  rw: string[];
  ro: string[];
  hide: string[];
  env: string[];
  net: NetMode;
  allow: string[];
  deny: string[];
  hostPorts: number[];
  /** Sandbox ports reachable on the host's 127.0.0.1 (`--publish`), filtered mode only. */
  publish?: PublishedPort[] | undefined;
  /** Private destinations reachable on purpose (`--allow-private`). */
  allowPrivate?: string[];
  /** allowlist: only the allow list, even an empty one; ask: hold the rest for bubble watch. */
  netPolicy?: 'allowlist' | 'ask' | undefined;
  /** How long a held connection waits for an answer (ask policy). */
  askTimeoutMs?: number | undefined;
  /** Protected paths the user deliberately opens (`--allow-write`). */
  allowWrite: string[];
  allowRoot: boolean;
  /** Let --rw/--ro name the home directory or an ancestor of it (`--expose-home`). */
  exposeHome?: boolean | undefined;
  /** The sandbox home: an empty tmpfs, or a per-project directory that persists. */
  home?: 'tmp' | 'persist' | undefined;
  /** With a persistent home: more paths that persist, beyond the caches (`--home-keep`). */
  homeKeep?: string[] | undefined;
  /** Give the sandbox bubble's filtering ssh-agent (list and sign only). */
  sshAgent?: boolean | undefined;
  /** The keys it may use (`--ssh-key`): fingerprints, comments, or .pub files. */
  sshKeys?: string[] | undefined;
  /** ~/.gitconfig and ~/.config/git: read-only (default), writable, or hidden. */
  gitconfig?: 'ro' | 'rw' | 'none' | undefined;
  /** Resource limits (`--limit`); the defaults when undefined. */
  limits?: Limits | undefined;
  /** Pass model API credentials into the sandbox instead of adding them outside. */
  passCredentials?: boolean | undefined;
  /** The user's `api_key_command` per model API (trusted config only). */
  apiKeyCommands?: Partial<Record<ApiName, string>> | undefined;
  /** Session logs kept, from the user's config (`log_keep`); BUBBLE_LOG_KEEP wins. */
  logKeep?: string | undefined;
  /** Where --rw/--ro/--hide entries came from when not the command line, keyed `rw:PATH` (a config file). */
  sources?: Record<string, string> | undefined;
}
