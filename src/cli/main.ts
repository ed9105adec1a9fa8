// Composition root: pick the command, run it, map errors to exit statuses.

import { BubbleError, EXIT_SETUP } from '../errors.ts';
import { fsError, isFsError } from '../fs-error.ts';
import { version } from '../version.ts';
import { parseSandboxArgs } from './argv.ts';
import { configHelp, mainHelp, runHelp } from './help.ts';
import { say } from './say.ts';

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

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
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
