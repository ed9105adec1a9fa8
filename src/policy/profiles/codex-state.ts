import type { StagedState, StateName } from '../profile.ts';

const dir = (name: string | RegExp, why: string): StateName => ({ name, type: 'dir', why });
const file = (name: string | RegExp, why: string): StateName => ({ name, type: 'file', why });

// What the Codex CLI does with ~/.codex. Traced with `strace -f -e trace=file` on the real
// binary (@openai/codex 0.171.0, `codex exec` against a stand-in Responses API on
// loopback, first run), plus the names in its binary (strings). Its databases are SQLite
// in WAL mode beside each other at the top (name_N.sqlite, -wal, -shm, -journal): bound
// read-write when present, so the host's codex and the sandbox's share one WAL.
export const codexState: StagedState = {
  dir: '.codex',
  write: [
    dir('sessions', 'transcripts (rollout files)'),
    dir('archived_sessions', 'archived transcripts'),
    dir('shell_snapshots', 'the shell snapshot each session takes'),
    dir('thread-writer-locks', 'per-thread locks'),
    dir('log', 'logs'),
    file(
      /^[a-z][a-z0-9_]*_\d+\.sqlite(?:-wal|-shm|-journal)?$/,
      'state, logs, queue, goals, memories, thread history (SQLite)',
    ),
    file('history.jsonl', 'prompt history'),
    file('installation_id', 'installation id'),
    file('version.json', 'update check'),
    file('.sandbox_migration', 'migration marker'),
    file('auth.json', 'the login (kept outside by default: src/creds)'),
  ],
  replace: [],
  scratch: [
    dir('.tmp', 'plugin and marketplace checkouts (code it would run: never kept)'),
    file(/^\.tmp[A-Za-z0-9]{6}$/, 'temporary files renamed into place'),
    file('models_cache.json', 'the model catalogue, which carries instructions: never kept'),
  ],
  reads: [
    file('config.toml', 'settings, model providers, MCP servers, approval and sandbox policy'),
    file(/\.config\.toml$/, 'per-profile config'),
    file('.env', 'loaded into its environment (PATH)'),
    file('hooks.json', 'hooks: commands it runs'),
    file('AGENTS.md', 'global instructions'),
    file('AGENTS.override.md', 'global instructions'),
    file('environments.toml', 'environments'),
    file('requirements.toml', 'requirements'),
    file('managed_config.toml', 'managed config'),
    dir('hooks', 'hook scripts'),
    dir('rules', 'execution policy rules'),
    dir('prompts', 'custom prompts'),
    dir('agents', 'sub-agents'),
    dir('skills', 'skills (it rewrites skills/.system at start-up; read-only here)'),
    dir('plugins', 'plugins'),
    dir('memories', 'memories (instructions)'),
    dir('themes', 'themes'),
  ],
  source: 'strace of @openai/codex 0.171.0 (see profiles/codex-state.ts)',
};
