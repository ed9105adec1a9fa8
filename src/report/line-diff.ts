// A line diff for showing a changed config file: pure. Config files are short, so a
// longest-common-subsequence table is fine; past a bound the caller gets no hunks, and says
// so instead of spending the end of a session on a quadratic table.

export interface DiffLine {
  sign: '+' | '-';
  text: string;
}

const MAX_CELLS = 4_000_000;

/** The lines removed from `before` and added in `after`, in order; undefined when too large to compare. */
export function lineDiff(before: string, after: string): DiffLine[] | undefined {
  const a = splitLines(before);
  const b = splitLines(after);
  // Common head and tail first: a config edit usually touches a few lines in the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  if ((x.length + 1) * (y.length + 1) > MAX_CELLS) return undefined;
  // lcs[i][j]: length of the longest common subsequence of x[i..] and y[j..].
  const w = y.length + 1;
  const lcs = new Uint32Array((x.length + 1) * w);
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      lcs[i * w + j] =
        x[i] === y[j]
          ? lcs[(i + 1) * w + j + 1]! + 1
          : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      i++;
      j++;
    } else if (i < x.length && (j === y.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
      // Removals first on a tie, as diff(1) shows a replaced line.
      out.push({ sign: '-', text: x[i++]! });
    } else {
      out.push({ sign: '+', text: y[j++]! });
    }
  }
  return out;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
