// Rendering paths and argv for display. Paths can be named by an attacker (a repository's
// directory names), so control characters never reach the terminal raw.

const SAFE = /^[A-Za-z0-9_\-+=.,:/@%^]+$/;
// C0, DEL, C1, and Unicode line/paragraph separators and bidi controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function ansiC(s: string): string {
  let out = "$'";
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x09) out += '\\t';
    else if (CONTROL.test(ch))
      out +=
        code <= 0xff
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + "'";
}

/** One argument, quoted so a POSIX shell (bash for $'…') reads it back unchanged. */
export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  if (CONTROL.test(arg)) return ansiC(arg);
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/** Text for a table cell: control characters shown as escapes, nothing else changed. */
export function displayText(s: string): string {
  return CONTROL.test(s) ? ansiC(s).slice(2, -1) : s;
}

/**
 * Text with everything outside printable ASCII shown as escapes: for host names and logged
 * commands, where a look-alike letter misleads as much as a control character.
 */
export function asciiText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
