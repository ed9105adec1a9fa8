import type { Profile } from '../profile.ts';

// opencode. ~/.config/opencode holds opencode.json (providers, permissions, MCP servers),
// tui.json, agents, commands, plugins and themes (opencode.ai/docs/config): all of it
// shapes the agent, so the whole directory is read-only. ~/.local/share/opencode holds
// auth.json, sessions and logs: state. Project-level opencode.json / .opencode/ are part
// of the project.
export const opencode: Profile = {
  name: 'opencode',
  summary: 'opencode: ~/.local/share/opencode writable, ~/.config/opencode read-only',
  commands: ['opencode'],
  state: [{ path: '.local/share/opencode', type: 'dir' }],
  protected: [{ path: '.config/opencode', type: 'dir' }],
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
