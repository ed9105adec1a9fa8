// Adding to the user's config keeps everything the user wrote, and parses to what was meant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { appendToArray } from '../../src/config/edit.ts';

const add = (text: string): string =>
  appendToArray(text, 'allow', ['b.example', 'c.example:8443'], 'learned from session S1');

function allowOf(text: string): unknown {
  return (parse(text) as { allow?: unknown }).allow;
}

test('a new array goes before the first table, after the user content', () => {
  const text =
    '# my config\nnet = "filtered" # why\n\n# per profile\n[profiles.claude]\nallow = ["x"]\n';
  const out = add(text);
  assert.deepEqual(allowOf(out), ['b.example', 'c.example:8443']);
  assert.ok(out.startsWith('# my config\nnet = "filtered" # why\n\n# learned from session S1\n'));
  assert.ok(out.endsWith('\n# per profile\n[profiles.claude]\nallow = ["x"]\n'), out);
  assert.deepEqual(
    (parse(out) as { profiles: { claude: { allow: string[] } } }).profiles.claude.allow,
    ['x'],
  );
});

test('an empty or table-less file gets the array at the end', () => {
  assert.deepEqual(allowOf(add('')), ['b.example', 'c.example:8443']);
  const out = add('home = "tmp"');
  assert.ok(out.startsWith('home = "tmp"\n\n# learned'), out);
  assert.deepEqual(allowOf(out), ['b.example', 'c.example:8443']);
});

test('items join an existing array, in any layout, comments kept', () => {
  const cases = [
    'allow = ["a.example"]\n',
    'allow = ["a.example",]\n',
    'allow = [\n  "a.example", # why a\n]\n',
    'allow = [\n  "a.example" # why a, no comma\n]\nnet = "filtered"\n',
    "allow = [ 'a.example' ] # trailing\n[profiles.x]\nhide = []\n",
    'deny = ["]"]\nallow = [\n  """a.example""",\n  # the end\n]\n',
  ];
  for (const text of cases) {
    const out = add(text);
    assert.deepEqual(
      allowOf(out),
      ['a.example', 'b.example', 'c.example:8443'],
      `${text}\n->\n${out}`,
    );
    for (const comment of text.match(/#[^\n]*/g) ?? [])
      assert.ok(out.includes(comment), `lost ${comment}`);
    assert.match(out, /# learned from session S1\n/);
  }
});

test('an empty existing array', () => {
  assert.deepEqual(allowOf(add('allow = []\n')), ['b.example', 'c.example:8443']);
  assert.deepEqual(allowOf(add('allow = [\n]\n')), ['b.example', 'c.example:8443']);
});

test('a comment cannot carry a newline into the file', () => {
  const out = appendToArray('', 'allow', ['a.example'], 'x\nallow = ["evil"]');
  assert.deepEqual(allowOf(out), ['a.example']);
});
