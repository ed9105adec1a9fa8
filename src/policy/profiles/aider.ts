import type { Profile } from '../profile.ts';
import { aiderState } from './aider-state.ts';

const json = '{}\n';

// aider. It loads .aider.conf.yml (aider.chat/docs/config/aider_conf.html),
// .aider.model.settings.yml and .aider.model.metadata.json
// (aider.chat/docs/config/adv-model-settings.html) from the home directory, the git root
// and the working directory: the home copies are read-only here, the project copies are
// the project's (protected there: policy/project.ts). Its chat and input history live in
// the project (.aider.*.history*); ~/.aider holds its analytics id, caches and an
// OpenRouter key file it loads into its environment: written by allowlist
// (profiles/aider-state.ts).
export const aider: Profile = {
  name: 'aider',
  summary:
    'aider: its config files in ~ read-only; in ~/.aider only analytics.json and installs.json writable, caches kept for the session',
  commands: ['aider'],
  state: [{ path: '.aider', type: 'dir' }],
  staged: [aiderState],
  protected: [
    { path: '.aider.conf.yml', type: 'file', placeholder: '' },
    { path: '.aider.model.settings.yml', type: 'file', placeholder: '' },
    { path: '.aider.model.metadata.json', type: 'file', placeholder: json },
  ],
  scriptRefs: [],
  env: {
    names: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY'],
    prefixes: ['AIDER_'],
  },
  endpoints: ['api.openai.com', 'api.anthropic.com'],
  credentials: 'ANTHROPIC_API_KEY, OPENAI_API_KEY: kept outside, bubble adds them',
};
