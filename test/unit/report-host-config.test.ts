// The diff shown after a session for host config the sandbox could write (--gitconfig rw).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lineDiff } from '../../src/report/line-diff.ts';
import { renderConfigDiff } from '../../src/report/host-config.ts';

describe('lineDiff', () => {
  test('an added section shows as added lines only', () => {
    const before = '[user]\n\tname = a\n';
    const after = '[user]\n\tname = a\n[core]\n\tfsmonitor = evil\n';
    assert.deepEqual(lineDiff(before, after), [
      { sign: '+', text: '[core]' },
      { sign: '+', text: '\tfsmonitor = evil' },
    ]);
  });
  test('a changed line in the middle is one removal and one addition', () => {
    assert.deepEqual(lineDiff('a\nb\nc\n', 'a\nB\nc\n'), [
      { sign: '-', text: 'b' },
      { sign: '+', text: 'B' },
    ]);
  });
  test('equal texts, and a missing final newline, are no change', () => {
    assert.deepEqual(lineDiff('a\nb\n', 'a\nb\n'), []);
    assert.deepEqual(lineDiff('a\nb', 'a\nb\n'), []);
  });
  test('interleaved edits keep the common lines', () => {
    const d = lineDiff('1\n2\n3\n4\n5\n', '1\nx\n3\n5\ny\n')!;
    assert.deepEqual(
      d.map((l) => `${l.sign}${l.text}`),
      ['-2', '+x', '-4', '+y'],
    );
  });
  test('too large to compare: undefined rather than a quadratic table', () => {
    const big = (p: string): string =>
      Array.from({ length: 3000 }, (_, i) => `${p}${i}`).join('\n');
    assert.equal(lineDiff(big('a'), big('b')), undefined);
  });
});

describe('renderConfigDiff', () => {
  test('nothing changed: nothing printed', () => {
    const m = new Map([['~/.gitconfig', 'x\n']]);
    assert.equal(renderConfigDiff(m, new Map(m), 'h'), '');
  });
  test('modified, added and not-text files, escaped', () => {
    const out = renderConfigDiff(
      new Map([['~/.gitconfig', '[user]\n']]),
      new Map([
        ['~/.gitconfig', '[user]\n[core]\n\tfsmonitor = \u001b[2Jevil\n'],
        ['~/.config/git/hooks/pre-commit', '#!/bin/sh\n'],
        ['~/.config/git/blob', '\0binary, 3 bytes'],
      ]),
      'heading',
    );
    assert.equal(
      out,
      [
        'bubble: heading',
        '  A ~/.config/git/blob',
        '      (binary, 3 bytes)',
        '  A ~/.config/git/hooks/pre-commit',
        '    + #!/bin/sh',
        '  M ~/.gitconfig',
        '    + [core]',
        '    + \\tfsmonitor = \\x1b[2Jevil',
        '',
      ].join('\n'),
    );
  });
});
