import type { Profile } from '../profile.ts';
import { claudeState } from './claude-state.ts';

const json = '{}\n';

export const claude: Profile = {
  name: 'claude',
  summary:
    'Claude Code: ~/.claude.json and, in ~/.claude, only what it writes (transcripts, sessions, todos, history) writable; settings, memory, hooks, commands, agents, skills, plugins and the rest read-only',
  commands: ['claude'],
  state: [
    { path: '.claude', type: 'dir' },
    // Claude Code starts from `{}` as from no file, and fills it in (tried with 2.1.332); a
    // missing file would be created inside the sandbox and lost.
    { path: '.claude.json', type: 'file', initial: '{}\n' },
  ],
  staged: [claudeState],
  protected: [
    { path: '.claude/settings.json', type: 'file', placeholder: json },
    { path: '.claude/settings.local.json', type: 'file', placeholder: json },
    { path: '.claude/CLAUDE.md', type: 'file', placeholder: '' },
    { path: '.claude/agents', type: 'dir' },
    { path: '.claude/commands', type: 'dir' },
    { path: '.claude/skills', type: 'dir' },
    { path: '.claude/hooks', type: 'dir' },
    { path: '.claude/plugins', type: 'dir' },
    { path: '.claude/output-styles', type: 'dir' },
    { path: '.claude/rules', type: 'dir' },
    { path: '.claude/workflows', type: 'dir' },
    { path: '.claude/jobs', type: 'dir' },
  ],
  scriptRefs: ['.claude/settings.json', '.claude/settings.local.json'],
  env: {
    names: [],
    prefixes: ['ANTHROPIC_', 'CLAUDE_', 'DISABLE_'],
  },
  // The API, feature flags and error reports: the list Anthropic's own devcontainer firewall
  // allows (anthropics/claude-code .devcontainer/init-firewall.sh, minus registry.npmjs.org);
  // claude.ai, console.anthropic.com and platform.claude.com for the sign-in flows.
  // downloads.claude.ai: the interactive client's update check.
  // `--settings` outranks user and project settings, below managed ones
  // (code.claude.com/docs/en/settings#settings-precedence, code.claude.com/docs/en/cli-reference).
  innerSandbox: {
    what: "Claude Code's own sandbox (sandbox.enabled) is off for this session (--settings)",
    args: ['--settings', '{"sandbox":{"enabled":false}}'],
    onWhen: {
      files: [
        '~/.claude/settings.json',
        './.claude/settings.json',
        './.claude/settings.local.json',
      ],
      key: ['sandbox', 'enabled'],
    },
    source: 'code.claude.com/docs/en/sandboxing',
  },
  endpoints: [
    'api.anthropic.com',
    'downloads.claude.ai',
    'statsig.anthropic.com',
    'statsig.com',
    'sentry.io',
    'claude.ai',
    'console.anthropic.com',
    'platform.claude.com',
  ],
  credentials:
    'ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN, api_key_command and the login in ~/.claude/.credentials.json: kept outside, bubble adds them (placeholders inside)',
};
