// Which directory is the project: the working directory, or the top level of the git
// repository it is in (unless --no-git-root).

import { withGitRoot } from '../../policy/git-root.ts';
import { displayText } from '../../sandbox/escape.ts';
import { gatherHostFacts, type HostFacts } from '../../sandbox/facts.ts';
import type { SandboxArgs } from '../argv.ts';

export function projectFacts(args: SandboxArgs): HostFacts {
  const facts = gatherHostFacts();
  return args.noGitRoot ? facts : withGitRoot(facts);
}

/** One line for stderr or explain, when the project is a repository's top level. */
export function projectLine(facts: HostFacts): string {
  return `project: ${displayText(facts.cwd)} (the git repository's top level; started in ${displayText(facts.workdir ?? facts.cwd)}; --no-git-root mounts only that)`;
}
