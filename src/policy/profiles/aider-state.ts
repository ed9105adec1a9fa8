import type { StagedState, StateName } from '../profile.ts';

const dir = (name: string | RegExp, why: string): StateName => ({ name, type: 'dir', why });
const file = (name: string | RegExp, why: string): StateName => ({ name, type: 'file', why });

// What aider does with ~/.aider. It is a Python package (aider-chat on PyPI) not installed
// here, so the list comes from its source (github.com/Aider-AI/aider at 5dc9490, every
// `Path.home() / ".aider"`): analytics.py (analytics.json), main.py (installs.json, and
// oauth-keys.env, which load_dotenv_files loads into its environment with override, ahead of
// every .env), onboarding.py (writes oauth-keys.env after an OpenRouter login), models.py,
// openrouter.py, versioncheck.py and help.py (caches/: model catalogues, the version check,
// the help index). Its other start-up reads are files beside ~ (profiles/aider.ts) and in
// the project (policy/project.ts).
export const aiderState: StagedState = {
  dir: '.aider',
  write: [
    file('analytics.json', 'analytics id and opt-in answer'),
    file('installs.json', 'first run of each version'),
  ],
  replace: [],
  scratch: [
    // Model catalogues name the model's API base: a planted one would redirect the key.
    dir('caches', 'model catalogues, version check, help index (refetched each session)'),
  ],
  reads: [file('oauth-keys.env', 'loaded into its environment (PATH, AIDER_LINT_CMD)')],
  source: 'the source of aider (see profiles/aider-state.ts)',
};
