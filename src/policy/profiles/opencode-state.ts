import type { StagedState, StateName } from '../profile.ts';
import { opencodeAuthCheck } from './opencode-auth.ts';

const dir = (name: string | RegExp, why: string): StateName => ({ name, type: 'dir', why });
const file = (name: string | RegExp, why: string): StateName => ({ name, type: 'file', why });

// What opencode does with its XDG dirs. The npm package is a launcher that downloads the
// real binary from GitHub at install time, so the lists come from its source
// (github.com/sst/opencode, now anomalyco/opencode, packages/opencode/src and packages/core/src
// as of 1.18): global/index.ts (data, log, bin, repos), database/database.ts
// (opencode.db, opencode-CHANNEL.db, WAL), snapshot/index.ts (one git dir per project,
// snapshot/PROJECT/HASH, on which it runs `git add`, `checkout`, `gc`), tool/truncate.ts
// (tool-output/), auth/index.ts (auth.json), config/config.ts (what it reads at start-up:
// auth.json's `wellknown` entries make it fetch a remote config; ~/.config/opencode's
// opencode.json(c), config.json, agent(s)/, command(s)/, mode(s)/, plugin(s)/, and the
// package.json, bun.lock and node_modules it installs plugin dependencies into),
// worktree/index.ts (git worktrees under worktree/PROJECT).
export const opencodeDataState: StagedState = {
  dir: '.local/share/opencode',
  write: [
    file(/^opencode(?:-[a-z0-9]+)?\.db(?:-wal|-shm|-journal)?$/, 'sessions, messages (SQLite)'),
    dir('storage', 'sessions, messages and diffs (JSON; older versions)'),
    dir('log', 'logs'),
    dir('tool-output', 'long tool output'),
    dir('plans', 'plan-mode plans'),
    file('mcp-auth.json', 'MCP servers\u2019 tokens'),
  ],
  // Its logins, rewritten when a token is refreshed: back after the session unless the
  // agent added or changed what makes opencode fetch config or send the key elsewhere.
  replace: [{ ...file('auth.json', 'logins (API keys, OAuth tokens)'), check: opencodeAuthCheck }],
  scratch: [
    dir(
      'snapshot',
      'undo snapshots: git dirs whose config and hooks host git would obey (kept for the session only)',
    ),
    file('models.json', 'the model catalogue (names provider packages it installs): never kept'),
  ],
  reads: [
    dir('bin', 'language servers and tools it downloaded and runs'),
    dir('repos', 'git clones it reads (their config runs with host git)'),
    dir('worktree', 'git worktrees it makes (their .git files point git elsewhere)'),
  ],
  source: 'the source of opencode 1.18 (see profiles/opencode-state.ts)',
};

export const opencodeConfigState: StagedState = {
  dir: '.config/opencode',
  write: [],
  replace: [],
  // It installs its plugin SDK here at every start (bun add): the host's copy is what host
  // opencode imports, so it is read-only; one made inside stays in the stage.
  scratch: [
    { ...file('package.json', 'plugin dependencies'), readOnlyWhenPresent: true },
    { ...file('bun.lock', 'plugin dependencies'), readOnlyWhenPresent: true },
    { ...file('.gitignore', 'written beside its plugin dependencies'), readOnlyWhenPresent: true },
    { ...dir('node_modules', 'plugin dependencies (code)'), readOnlyWhenPresent: true },
  ],
  reads: [
    file(/^(?:opencode\.jsonc?|config\.json)$/, 'settings: providers, MCP servers, permissions'),
    file('tui.json', 'TUI settings'),
    file('AGENTS.md', 'global instructions'),
    dir(/^(?:agents?|commands?|modes?)$/, 'agents, commands and modes (prompts)'),
    dir(/^(?:plugins?|tools?)$/, 'plugins and custom tools (code)'),
    dir(/^skills?$/, 'skills'),
    dir('themes', 'themes'),
  ],
  source: 'the source of opencode 1.18 (see profiles/opencode-state.ts)',
};
