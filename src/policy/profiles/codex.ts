import type { Profile } from '../profile.ts';
import { codexState } from './codex-state.ts';

// OpenAI Codex CLI. Its home is ~/.codex ($CODEX_HOME): config.toml holds the user's
// defaults, model providers, MCP servers and the approval/sandbox policy
// (developers.openai.com/codex/config-file/config-basic); AGENTS.md (and
// AGENTS.override.md) are global instructions; prompts/ are custom prompts, rules/ the
// execution-policy rules, agents/ custom sub-agents (~/.codex/agents/*.toml). auth.json,
// sessions/ and history.jsonl are state (github.com/openai/codex docs/authentication.md).
// Not covered: `--profile NAME` files ($CODEX_HOME/NAME.config.toml) cannot be listed ahead.
export const codex: Profile = {
  name: 'codex',
  summary:
    'OpenAI Codex CLI: in ~/.codex only what it writes (sessions, its databases, history) is writable; config, .env, hooks, AGENTS.md, skills, rules and the rest read-only',
  commands: ['codex'],
  state: [{ path: '.codex', type: 'dir' }],
  staged: [codexState],
  protected: [
    { path: '.codex/config.toml', type: 'file', placeholder: '' },
    { path: '.codex/AGENTS.md', type: 'file', placeholder: '' },
    { path: '.codex/AGENTS.override.md', type: 'file', placeholder: '' },
    { path: '.codex/rules', type: 'dir' },
    { path: '.codex/prompts', type: 'dir' },
    { path: '.codex/agents', type: 'dir' },
  ],
  scriptRefs: [],
  env: {
    names: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    prefixes: ['CODEX_'],
  },
  // The API; auth.openai.com is the sign-in issuer and chatgpt.com/backend-api serves
  // "Sign in with ChatGPT" sessions (developers.openai.com/codex/auth).
  endpoints: ['api.openai.com', 'auth.openai.com', 'chatgpt.com'],
  // On by default; `-c` overrides config.toml for every subcommand
  // (developers.openai.com/codex/config-reference: sandbox_mode).
  innerSandbox: {
    what: "Codex's own sandbox is off for this session (-c sandbox_mode=danger-full-access)",
    args: ['-c', 'sandbox_mode="danger-full-access"'],
    source: 'developers.openai.com/codex/security',
  },
  credentials:
    "OPENAI_API_KEY, api_key_command and an API key in ~/.codex/auth.json: kept outside, bubble adds them; a ChatGPT login too: placeholder tokens inside, bubble adds the access token to ChatGPT's backend (model, usage, start-up reads; not the connectors or cloud tasks) and refreshes it on the host",
};
