// Adding to the user's config file without rewriting it. Pure: text in, text out.
//
// The file is the user's: their comments, order and spacing stay as they are. New list
// items go at the end of the top-level array (before its `]`), or into a new top-level
// array placed before the first [table] (top-level keys cannot follow one). The caller
// parses the result and checks it says what was meant before writing it.

export interface TopLevel {
  /** Where the first [table] header's block starts (its comment lines included), or the end. */
  readonly tablesAt: number;
  /** Top-level keys: where each one's line starts and its value's span. */
  readonly keys: ReadonlyMap<string, KeySpan>;
}

export interface KeySpan {
  readonly lineStart: number;
  readonly valueStart: number;
  /** For an array value: the index of its closing `]`. */
  readonly close: number | null;
  /** For an array value: the end of its last item, when no comma follows it. */
  readonly needsComma: number | null;
}

const KEY = /("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[A-Za-z0-9_-]+)[ \t]*=[ \t]*/y;

function keyName(raw: string): string {
  if (raw.startsWith('"')) return JSON.parse(raw) as string;
  if (raw.startsWith("'")) return raw.slice(1, -1);
  return raw;
}

/** Index just past the string that starts at `i`. */
function skipString(text: string, i: number): number {
  const q = text[i]!;
  if (text.startsWith(q.repeat(3), i)) {
    let j = i + 3;
    for (;;) {
      const end = text.indexOf(q.repeat(3), j);
      if (end < 0) return text.length;
      if (q === '"' && isEscaped(text, end)) {
        j = end + 1;
        continue;
      }
      // Up to two more quotes may close it (`""""` ends with a quote in the string).
      let k = end + 3;
      while (text[k] === q && k < end + 5) k++;
      return k;
    }
  }
  let j = i + 1;
  while (j < text.length && text[j] !== '\n') {
    if (q === '"' && text[j] === '\\') j += 2;
    else if (text[j] === q) return j + 1;
    else j++;
  }
  return j;
}

function isEscaped(text: string, i: number): boolean {
  let n = 0;
  while (text[i - 1 - n] === '\\') n++;
  return n % 2 === 1;
}

/** The top level of a TOML document: its keys, and where the tables start. */
function scanTopLevel(text: string): TopLevel {
  const keys = new Map<string, KeySpan>();
  let i = 0;
  while (i < text.length) {
    const lineStart = i;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '[') return { tablesAt: blockStart(text, lineStart), keys };
    KEY.lastIndex = i;
    const m = KEY.exec(text);
    let j = i;
    if (m !== null) {
      const valueStart = KEY.lastIndex;
      const array = text[valueStart] === '[' ? scanArray(text, valueStart) : null;
      j =
        array?.end ??
        (text[valueStart] === '"' || text[valueStart] === "'"
          ? skipString(text, valueStart)
          : valueStart);
      keys.set(keyName(m[1]!), {
        lineStart,
        valueStart,
        close: array?.close ?? null,
        needsComma: array?.needsComma ?? null,
      });
    }
    // The rest of the line: a comment, or something the parser will complain about.
    const nl = text.indexOf('\n', j);
    i = nl < 0 ? text.length : nl + 1;
  }
  return { tablesAt: text.length, keys };
}

/** The array that starts at `open`: its closing `]`, and where a comma is missing before it. */
function scanArray(
  text: string,
  open: number,
): { close: number | null; needsComma: number | null; end: number } {
  let depth = 0;
  let pending: number | null = null;
  let j = open;
  while (j < text.length) {
    const ch = text[j]!;
    if (ch === '"' || ch === "'") {
      j = skipString(text, j);
      if (depth === 1) pending = j;
      continue;
    }
    if (ch === '#') {
      const nl = text.indexOf('\n', j);
      j = nl < 0 ? text.length : nl;
      continue;
    }
    if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return { close: j, needsComma: pending, end: j + 1 };
      if (depth === 1) pending = j + 1;
    } else if (depth === 1 && ch === ',') pending = null;
    else if (depth === 1 && !/\s/.test(ch)) pending = j + 1;
    j++;
  }
  return { close: null, needsComma: null, end: text.length };
}

/** The start of the comment lines directly above `lineStart` (no blank line between). */
function blockStart(text: string, lineStart: number): number {
  let start = lineStart;
  while (start > 0) {
    const prev = text.lastIndexOf('\n', start - 2) + 1;
    if (!/^[ \t]*#/.test(text.slice(prev, start - 1))) break;
    start = prev;
  }
  return start;
}

function oneLineComment(comment: string): string {
  return `# ${comment.replace(/[\x00-\x1f\x7f]+/g, ' ')}`;
}

/**
 * `text` with `items` added to the top-level array `key` (created when missing), after a
 * comment line. Items are written as TOML basic strings.
 */
export function appendToArray(
  text: string,
  key: string,
  items: readonly string[],
  comment: string,
): string {
  const lines = [oneLineComment(comment), ...items.map((v) => `${JSON.stringify(v)},`)];
  const top = scanTopLevel(text);
  const span = top.keys.get(key);
  if (span !== undefined && span.close !== null) {
    const close = span.close;
    const closeLineStart = text.lastIndexOf('\n', close - 1) + 1;
    const ownLine = /^[ \t]*$/.test(text.slice(closeLineStart, close));
    const block = lines.map((l) => `  ${l}\n`).join('');
    const before = ownLine ? closeLineStart : close;
    let out = text.slice(0, before) + (ownLine ? block : `\n${block}`) + text.slice(before);
    if (span.needsComma !== null)
      out = out.slice(0, span.needsComma) + ',' + out.slice(span.needsComma);
    return out;
  }
  if (span !== undefined) throw new Error(`${key} is not an array in this file`);
  const block = `${lines[0]}\n${key} = [\n${lines
    .slice(1)
    .map((l) => `  ${l}\n`)
    .join('')}]\n`;
  const at = top.tablesAt;
  if (at === text.length) {
    const sep = text === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    return text + sep + block;
  }
  return text.slice(0, at) + block + '\n' + text.slice(at);
}
