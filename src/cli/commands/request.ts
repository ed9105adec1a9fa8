import { BubbleError } from '../../errors.ts';
import type { RunRequest } from '../../policy/resolve.ts';
import type { SandboxArgs } from '../argv.ts';

/** The default network mode until the filtered proxy lands. */
export const DEFAULT_NET = 'host';

export function toRequest(args: SandboxArgs): RunRequest {
  if (args.command.length === 0) {
    throw new BubbleError('USAGE', 'no command given', { hint: 'bubble run [options] [--] COMMAND [ARGS...]' });
  }
  if (args.net === 'filtered' || args.net === 'logged') {
    throw new BubbleError('USAGE', `--net ${args.net}: not available yet`, { hint: 'use --net host or --net none' });
  }
  return {
    command: args.command,
    profile: args.profile,
    rw: args.rw,
    ro: args.ro,
    hide: args.hide,
    env: args.env,
    net: args.net ?? DEFAULT_NET,
    allowRoot: args.allowRoot,
  };
}
