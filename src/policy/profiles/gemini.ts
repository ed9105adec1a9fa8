import type { Profile } from '../profile.ts';
import { geminiState } from './gemini-state.ts';

const json = '{}\n';

// Google Gemini CLI. ~/.gemini/settings.json is the user settings file
// (geminicli.com/docs/reference/configuration); GEMINI.md the global context memory;
// commands/ user custom commands (geminicli.com/docs/cli/custom-commands); extensions/
// bring their own commands and MCP servers; .env is loaded into the environment;
// trustedFolders.json decides which projects' own .gemini settings apply. settings.json
// hooks use Claude's format, so the scripts they run are protected too.
// oauth_creds.json, tmp/ and history are state.
export const gemini: Profile = {
  name: 'gemini',
  summary:
    'Gemini CLI: in ~/.gemini only what it writes (tmp, history, projects.json) is writable; settings.json, GEMINI.md, .env, commands, extensions, policies and the rest read-only',
  commands: ['gemini'],
  state: [{ path: '.gemini', type: 'dir' }],
  staged: [geminiState],
  protected: [
    { path: '.gemini/settings.json', type: 'file', placeholder: json },
    { path: '.gemini/GEMINI.md', type: 'file', placeholder: '' },
    { path: '.gemini/.env', type: 'file', placeholder: '' },
    { path: '.gemini/trustedFolders.json', type: 'file', placeholder: json },
    { path: '.gemini/commands', type: 'dir' },
    { path: '.gemini/extensions', type: 'dir' },
  ],
  scriptRefs: ['.gemini/settings.json'],
  env: {
    names: [
      'GEMINI_API_KEY',
      'GOOGLE_API_KEY',
      'GOOGLE_CLOUD_PROJECT',
      'GOOGLE_CLOUD_LOCATION',
      'GOOGLE_GENAI_USE_VERTEXAI',
    ],
    prefixes: ['GEMINI_'],
  },
  // The Gemini API (API key); "Login with Google" talks to Code Assist (cloudcode-pa) and
  // Google's OAuth endpoints. Vertex AI uses regional hosts (REGION-aiplatform.googleapis.com):
  // add them with --allow.
  // GEMINI_SANDBOX outranks --sandbox and tools.sandbox (geminicli.com/docs/cli/sandbox;
  // getSandboxCommand in gemini-cli 0.61). Not covered: security.toolSandboxing, which only
  // settings can turn off.
  innerSandbox: {
    what: "Gemini CLI's own sandbox is off for this session (GEMINI_SANDBOX=false)",
    env: { GEMINI_SANDBOX: 'false' },
    onWhen: {
      files: ['~/.gemini/settings.json', './.gemini/settings.json'],
      key: ['tools', 'sandbox'],
    },
    source: 'geminicli.com/docs/cli/sandbox',
  },
  endpoints: [
    'generativelanguage.googleapis.com',
    'cloudcode-pa.googleapis.com',
    'oauth2.googleapis.com',
    'accounts.google.com',
  ],
  credentials:
    "GEMINI_API_KEY, GOOGLE_API_KEY, api_key_command: kept outside, bubble adds them; a Google login (~/.gemini/oauth_creds.json) goes in, since Gemini CLI checks it at start, with Google's tokeninfo endpoint (fixed in google-auth-library), and a placeholder fails it (CODE_ASSIST_ENDPOINT moves only the model calls)",
};
