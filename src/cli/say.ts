// bubble's own messages: stderr, prefixed, one line each. stdout belongs to the agent.

import { displayText } from '../sandbox/escape.ts';

export function say(message: string): void {
  process.stderr.write(`bubble: ${displayText(message)}\n`);
}
