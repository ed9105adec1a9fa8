// Usage errors from node:util parseArgs, reworded: Node's messages quote with escaped
// quotes and suggest `-- "--bogus"`, which is wrong advice for every bubble command.

import { BubbleError } from '../errors.ts';

/** The option or argument Node's message names, e.g. `--net` from "Option '--net <value>' ...". */
function named(message: string): string | undefined {
  return /'(-{1,2}[^' <]*|[^']*)(?: <value>)?'/.exec(message)?.[1];
}

/**
 * One line for a parseArgs failure in `bubble SUBCOMMAND`, with the subcommand's help as
 * the hint. `valueHint` names the values an option takes (`--net: filtered, logged...`).
 */
export function usageError(
  subcommand: string,
  err: unknown,
  valueHint: (option: string) => string | undefined = () => undefined,
): BubbleError {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message;
  const what = named(message);
  const help = `bubble ${subcommand} --help`;
  if (what !== undefined) {
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      return new BubbleError('USAGE', `${subcommand}: unknown option ${what}`, { hint: help });
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      return new BubbleError('USAGE', `${subcommand}: unexpected argument ${what}`, {
        hint: help,
      });
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(message))
        return new BubbleError('USAGE', `${subcommand}: ${what} takes no value`, { hint: help });
      const values = valueHint(what);
      return new BubbleError('USAGE', `${subcommand}: ${what} needs a value`, {
        hint: values === undefined ? help : `${what} ${values}`,
      });
    }
  }
  return new BubbleError('USAGE', `${subcommand}: ${message.split('\n')[0]}`, { hint: help });
}
