// `bubble trust [--revoke]`: let this project's .bubble.toml loosen the sandbox, as it is
// now. The file's sha256 goes into the user's state dir, outside every sandbox; an edit
// changes the hash and the file is untrusted again.

import { parseArgs } from 'node:util';
import { usageError } from '../usage.ts';
import { BubbleError } from '../../errors.ts';
import { parseConfig, sha256 } from '../../config/load.ts';
import { readStore, withoutTrust, withTrust, writeStore } from '../../config/trust.ts';
import { say } from '../say.ts';
import { findConfig } from './configured.ts';

const trustHelp = `Usage: bubble trust [--revoke]

Trust this project's .bubble.toml as it is now: its settings apply in full, including
those that loosen the sandbox (rw, ro, env, allow, host_ports, net, bigger limits...).
Without trust a project file may only tighten. Any change to the file untrusts it.
Review the file first: it comes with the repository.

  --revoke    forget the trust for this project
`;

export function trust(words: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: words,
      options: { revoke: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw usageError('trust', err);
  }
  if (values.help) {
    process.stdout.write(trustHelp);
    return 0;
  }
  const found = findConfig();
  const store = readStore(found.trustPath);
  if (values.revoke) {
    const had = store.projects[found.projectDir] !== undefined;
    writeStore(found.trustPath, withoutTrust(store, found.projectDir));
    say(
      had
        ? `no longer trusting ${found.projectPath}: it may only tighten the sandbox`
        : `${found.projectDir} was not trusted`,
    );
    return 0;
  }
  if (found.project === undefined) {
    throw new BubbleError('NO_PROJECT_CONFIG', `no ${found.projectPath}: nothing to trust`, {
      hint: 'run bubble trust in the project directory that holds .bubble.toml',
    });
  }
  // Refuse to trust a file bubble would reject anyway.
  parseConfig(found.project.path, found.project.text);
  const hash = sha256(found.project.text);
  writeStore(found.trustPath, withTrust(store, found.projectDir, hash, new Date()));
  say(
    `trusted ${found.projectPath} (sha256 ${hash.slice(0, 12)}): its settings apply until it changes`,
  );
  return 0;
}
