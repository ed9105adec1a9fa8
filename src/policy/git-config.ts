// A small reader of git's config format: enough to find every key and value, never to run
// one. Strict mode refuses what it does not fully understand (continuation lines, odd
// headers), so that a file that git would read differently never passes a check.

/** One `key = value`, the key as section.[subsection.]name (section and name lowercased). */
export interface ConfigEntry {
  key: string;
  value: string;
}

export function parseGitConfig(
  text: string,
  opts: { strict?: boolean } = {},
): ConfigEntry[] | undefined {
  const out: ConfigEntry[] = [];
  let section = '';
  if (opts.strict && /\\\r?\n/.test(text)) return undefined;
  const src = text.replace(/\\\r?\n/g, ''); // continuation lines
  for (const raw of src.split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\](.*)$/.exec(line);
    if (sec) {
      section =
        sec[2] === undefined
          ? sec[1]!.toLowerCase()
          : `${sec[1]!.toLowerCase()}.${sec[2].replace(/\\(.)/g, '$1')}`;
      line = sec[3]!.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!kv || section === '') {
      if (opts.strict) return undefined;
      continue;
    }
    let value = '';
    let quoted = false;
    for (let i = 0; i < (kv[2] ?? '').length; i++) {
      const c = kv[2]![i]!;
      if (!quoted && (c === '#' || c === ';')) break;
      if (c === '"') quoted = !quoted;
      else if (c === '\\') {
        const n = kv[2]![++i];
        value += n === 'n' ? '\n' : n === 't' ? '\t' : (n ?? '');
      } else value += c;
    }
    if (opts.strict && (quoted || /[\r\0]/.test(value))) return undefined;
    out.push({
      key: `${section}.${kv[1]!.toLowerCase()}`,
      value: kv[2] === undefined ? 'true' : value.trim(),
    });
  }
  return out;
}
