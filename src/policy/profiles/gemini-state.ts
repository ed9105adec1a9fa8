import type { StagedState, StateName } from '../profile.ts';

const dir = (name: string | RegExp, why: string): StateName => ({ name, type: 'dir', why });
const file = (name: string | RegExp, why: string): StateName => ({ name, type: 'file', why });

// What Gemini CLI does with ~/.gemini. Traced with `strace -f -e trace=file` on the real
// CLI (@google/gemini-cli 0.61.0, `gemini -p` against a stand-in Gemini API on loopback,
// first run). projects.json is replaced by rename (projects.json.<uuid>.tmp, under a
// projects.json.lock dir): a copy in the stage, which goes back after the session.
export const geminiState: StagedState = {
  dir: '.gemini',
  write: [
    dir('tmp', 'per-project chats, logs, checkpoints, tool output'),
    dir('history', 'per-project shell history'),
    file('installation_id', 'installation id'),
    file('user_id', 'user id'),
    file('google_accounts.json', 'the signed-in account'),
    file('oauth_creds.json', 'the Google login (kept outside by default: src/creds)'),
    file('mcp-oauth-tokens.json', 'MCP servers\u2019 tokens'),
  ],
  replace: [file('projects.json', 'project short names')],
  scratch: [file(/^projects\.json\..+\.tmp$/, 'projects.json being written')],
  reads: [
    file('settings.json', 'settings: tools, MCP servers, hooks, sandbox'),
    file('GEMINI.md', 'global context memory'),
    file('.env', 'loaded into its environment (can replace the system prompt)'),
    file('trustedFolders.json', 'which projects\u2019 own settings apply'),
    file('trusted_hooks.json', 'hooks approved to run'),
    dir('commands', 'custom commands'),
    dir('extensions', 'extensions: commands and MCP servers'),
    dir('skills', 'skills'),
    dir('agents', 'sub-agents'),
    dir('policies', 'policy files (can auto-approve shell commands)'),
  ],
  source: 'strace of @google/gemini-cli 0.61.0 (see profiles/gemini-state.ts)',
};
