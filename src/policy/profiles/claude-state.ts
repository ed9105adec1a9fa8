import type { StagedState, StateName } from '../profile.ts';

const dir = (name: string, why: string): StateName => ({ name, type: 'dir', why });
const file = (name: string, why: string): StateName => ({ name, type: 'file', why });

// What Claude Code does with ~/.claude. Traced with `strace -f -e trace=file` on the real
// binary (@anthropic-ai/claude-code 2.1.332, `claude -p` with Bash, Write and TodoWrite
// turns against test/fixtures/fake-anthropic.ts, first run and second run), plus the names
// its binary joins to its config dir (strings: `rt(),"NAME"`). Everything it creates on a
// normal run is in `write` (a missing one is made in the stage and goes back after the
// session); everything it only reads is read-only.
export const claudeState: StagedState = {
  dir: '.claude',
  write: [
    dir('projects', 'transcripts, per project'),
    dir('sessions', 'live session records'),
    dir('session-env', 'per-session environment'),
    dir('shell-snapshots', 'the shell snapshot each session takes'),
    dir('backups', 'backups of ~/.claude.json'),
    dir('todos', 'todo lists'),
    dir('file-history', 'checkpoints of edited files'),
    dir('plans', 'plan-mode plans'),
    dir('debug', 'debug logs'),
    dir('cache', 'caches (model catalogue)'),
    dir('statsig', 'feature flag cache'),
    dir('telemetry', 'telemetry spool'),
    dir('usage-data', 'usage statistics'),
    dir('tasks', 'background task records'),
    dir('paste-cache', 'pasted text'),
    dir('image-cache', 'pasted images'),
    dir('uploads', 'files attached to prompts'),
    dir('shares', 'shared transcripts'),
    dir('traces', 'trace spool'),
    dir('startup-perf', 'start-up timings'),
    dir('feedback-bundles', '/bug reports'),
    dir('dump-prompts', 'prompt dumps'),
    file('history.jsonl', 'prompt history'),
    file('stats-cache.json', '/stats cache'),
    file('mcp-needs-auth-cache.json', 'MCP auth cache'),
    file('gh-pr-status-cache.json', 'PR status cache'),
    file('.last-cleanup', 'when old transcripts were last pruned'),
    file('.credentials.json', 'the login (kept outside by default: src/creds)'),
    {
      ...file('.config.json', 'its global config when it exists (preferred to ~/.claude.json)'),
      existingOnly: true,
    },
  ],
  replace: [],
  scratch: [
    file('.update.lock', 'updater lock'),
    file('.last-update-result.json', 'updater result'),
    file('.deep-link-register-failed', 'deep-link registration marker'),
    file('.storage-write.lock', 'storage lock'),
    file('.hybrid_oauth_refresh.lock', 'token refresh lock'),
  ],
  reads: [
    file('settings.json', 'user settings: hooks, permissions, env, statusLine'),
    file('settings.local.json', 'local user settings'),
    file('CLAUDE.md', 'user memory: instructions in every session'),
    file('loop.md', 'loop instructions'),
    file('keybindings.json', 'key bindings'),
    file('remote-settings.json', 'remotely managed settings'),
    file('cowork_settings.json', 'cowork settings'),
    file('daemon.json', 'daemon configuration'),
    file('hfi-auth.json', 'auth for a feedback service'),
    file('.device-keys.json', 'device keys'),
    dir('agents', 'sub-agents'),
    dir('commands', 'slash commands'),
    dir('skills', 'skills'),
    dir('hooks', 'hook scripts'),
    dir('plugins', 'plugins: code, hooks, MCP servers'),
    dir('output-styles', 'output styles (system prompt)'),
    dir('rules', 'user rules (instructions)'),
    dir('workflows', 'workflows'),
    dir('jobs', 'scheduled jobs'),
    dir('themes', 'themes'),
    dir('state', 'hybrid settings and consent state'),
    dir('daemon', 'daemon state'),
    dir('cowork_plugins', 'cowork plugins'),
    dir('dev-mods', 'development modifications'),
    dir('remote', 'remote run configuration'),
    dir('local', 'the "local" install: its own executable'),
    dir('ide', 'IDE lock files (ports and tokens of the IDE to connect to)'),
    dir('chrome', 'the Chrome native host it installs (run by the browser)'),
  ],
  // Not listed, so read-only when present and, when made, kept in the stage and reported:
  // memory/, agent-memory/, teams/, mcp-discovery-cache/ (read as instructions or servers,
  // not made on an ordinary run).
  source: 'strace of @anthropic-ai/claude-code 2.1.332 (see profiles/claude-state.ts)',
};
