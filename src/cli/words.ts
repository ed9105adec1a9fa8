// Shell-like word splitting for option strings in the environment (BUBBLE_OPTS), without a
// shell: quotes and backslashes group words; nothing is expanded, nothing is run.

import { BubbleError } from '../errors.ts';

/**
 * Split `text` into words as sh would, minus expansion: whitespace separates; '...' is
 * literal; "..." keeps spaces, with \" \\ \$ \` escaped; a backslash outside quotes
 * escapes the next character.
 */
export function splitWords(text: string, name = 'BUBBLE_OPTS'): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const fail = (what: string): never => {
    throw new BubbleError('USAGE', `${name}: ${what}`, {
      hint: `quote like a shell: ${name}="--rw '/path with spaces' --net logged"`,
    });
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) fail('unterminated single quote');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      word ??= '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated double quote');
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) {
          word += text[i + 1]!;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) fail('a backslash at the end');
      word = (word ?? '') + text[i + 1]!;
      i += 2;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
