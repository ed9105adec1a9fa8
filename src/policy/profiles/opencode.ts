import type { Profile } from '../profile.ts';
import { opencodeConfigState, opencodeDataState } from './opencode-state.ts';

// opencode. ~/.config/opencode holds opencode.json (providers, permissions, MCP servers),
// tui.json, agents, commands, plugins and themes (opencode.ai/docs/config): all of it
// shapes the agent, so all of it is read-only. ~/.local/share/opencode holds its
// database, logs and logins, and git dirs host git would obey: written by allowlist
// (profiles/opencode-state.ts). Project-level opencode.json(c) and .opencode/ are
// protected with the project (policy/project.ts).
export const opencode: Profile = {
  name: 'opencode',
  summary:
    'opencode: in ~/.local/share/opencode only what it writes (database, logs, tool output) is writable, auth.json back only with new tokens, undo snapshots kept for the session; ~/.config/opencode read-only',
  commands: ['opencode'],
  state: [
    { path: '.local/share/opencode', type: 'dir' },
    { path: '.config/opencode', type: 'dir' },
  ],
  staged: [opencodeDataState, opencodeConfigState],
  protected: [],
  scriptRefs: [],
  env: {
    names: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
    prefixes: ['OPENCODE_'],
  },
  // Its two default providers, plus opencode.ai and models.dev, where it reads the model
  // catalogue.
  endpoints: ['api.anthropic.com', 'api.openai.com', 'opencode.ai', 'models.dev'],
  credentials:
    'ANTHROPIC_API_KEY, OPENAI_API_KEY: kept outside, bubble adds them; its own logins (~/.local/share/opencode/auth.json) go in',
};
