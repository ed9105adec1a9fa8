// Composition root: pick the command, run it, map errors to exit statuses.

import { BubbleError, EXIT_SETUP } from '../errors.ts';
import { fsError, isFsError } from '../fs-error.ts';
import { version } from '../version.ts';
import { parseSandboxArgs, splitCommand } from './argv.ts';
import { configHelp, mainHelp, runHelp } from './help.ts';
import { say } from './say.ts';
import { splitWords } from './words.ts';

async function dispatch(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case undefined:
      process.stderr.write(mainHelp);
      return 2;
    case 'help':
      // `bubble help run` is `bubble run --help`.
      if (rest[0] !== undefined && rest[0] !== 'help') return dispatch([rest[0], '--help']);
      process.stdout.write(mainHelp);
      return 0;
    case '-h':
    case '--help':
      process.stdout.write(mainHelp);
      return 0;
    case '--version':
    case '-V':
      process.stdout.write(`bubble ${version()}\n`);
      return 0;
    case 'run':
    case 'explain': {
      const args = parseSandboxArgs(rest, sub);
      if (args.help) {
        process.stdout.write(runHelp);
        return 0;
      }
      if (sub === 'explain') return (await import('./commands/explain.ts')).explain(args);
      return (await import('./commands/run.ts')).run(args);
    }
    case 'log':
      return (await import('./commands/log.ts')).log(rest);
    case 'allow':
      return (await import('./commands/allow.ts')).allow(rest);
    case 'watch':
      return (await import('./commands/watch.ts')).watch(rest);
    case 'trust':
      return (await import('./commands/trust.ts')).trust(rest);
    case 'config': {
      const args = parseSandboxArgs(rest, 'config');
      if (args.help) {
        process.stdout.write(configHelp);
        return 0;
      }
      return (await import('./commands/config.ts')).config(args);
    }
    case 'profiles':
      return (await import('./commands/profiles.ts')).profilesCommand(rest);
    case 'selftest':
      return (await import('./commands/selftest.ts')).selftest(rest);
    case 'doctor':
      return (await import('./commands/doctor.ts')).doctor(rest);
    default:
      throw new BubbleError('USAGE', `unknown command ${JSON.stringify(sub)}`, {
        hint: 'bubble --help lists the commands; to run a program: bubble run -- PROGRAM',
      });
  }
}

/** bubble run options from BUBBLE_OPTS: split like a shell would, options only. */
function bubbleOpts(env: Record<string, string | undefined>): string[] {
  const words = splitWords(env.BUBBLE_OPTS ?? '');
  // A word that would start the command would run something other than the agent.
  const { command } = splitCommand(words);
  const stray = words.includes('--') ? '--' : command[0];
  if (stray !== undefined)
    throw new BubbleError('USAGE', `BUBBLE_OPTS: ${JSON.stringify(stray)} is not an option`, {
      hint: 'BUBBLE_OPTS holds bubble run options only, e.g. BUBBLE_OPTS="--host-port 8080"',
    });
  return words;
}

/** `bubble-AGENT ARGS...`: `bubble run [BUBBLE_OPTS] -- AGENT ARGS...`, every ARG the agent's. */
export function dropIn(agent: string, args: string[], env = process.env): Promise<number> {
  return main(() => {
    // The seed's switch.
    const net = env.BUBBLE_CLAUDE_NO_PROXY ? ['--net', 'host'] : [];
    return ['run', ...net, ...bubbleOpts(env), '--', agent, ...args];
  });
}

/** `argv` may be computed (and fail) inside, so its errors get the same one-line report. */
export async function main(argv: string[] | (() => string[])): Promise<number> {
  try {
    return await dispatch(typeof argv === 'function' ? argv() : argv);
  } catch (err) {
    // A file-system error nobody anticipated is still the user's to fix: one line, no trace.
    const known = err instanceof BubbleError ? err : isFsError(err) ? fsError(err) : undefined;
    if (known !== undefined) {
      say(known.message);
      if (known.hint !== undefined) say(`hint: ${known.hint}`);
      return known.exitCode;
    }
    say(`internal error: ${(err as Error).stack ?? String(err)}`);
    return EXIT_SETUP;
  }
}
