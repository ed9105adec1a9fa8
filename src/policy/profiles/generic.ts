import type { Profile } from '../profile.ts';

export const generic: Profile = {
  name: 'generic',
  summary: 'any command: the project writable, the home directory hidden, no agent state',
  commands: [],
  state: [],
  protected: [],
  scriptRefs: [],
  env: { names: [], prefixes: [] },
  endpoints: [],
  credentials: 'none: --env passes what you name',
};
