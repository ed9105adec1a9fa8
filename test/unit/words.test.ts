import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitWords } from '../../src/cli/words.ts';
import { loopbackApis, loopbackPort } from '../../src/policy/api-endpoints.ts';

test('BUBBLE_OPTS splits like a shell, expands nothing', () => {
  assert.deepEqual(splitWords('  --rw ~/x   --net\tlogged\n'), ['--rw', '~/x', '--net', 'logged']);
  assert.deepEqual(splitWords(`--rw '/a b' --env "X=\\"q\\" \\$HOME" --hide a\\ b`), [
    '--rw',
    '/a b',
    '--env',
    'X="q" $HOME',
    '--hide',
    'a b',
  ]);
  assert.deepEqual(splitWords(`--env X='' --env Y=""`), ['--env', 'X=', '--env', 'Y=']);
  assert.deepEqual(splitWords('$(rm -rf /) `id`'), ['$(rm', '-rf', '/)', '`id`']);
  assert.deepEqual(splitWords(''), []);
  assert.throws(() => splitWords("--rw 'x"), /BUBBLE_OPTS: unterminated single quote/);
  assert.throws(() => splitWords('--rw "x'), /unterminated double quote/);
  assert.throws(() => splitWords('--rw x\\'), /backslash at the end/);
});

test('API base URLs on the host loopback, and only those', () => {
  assert.equal(loopbackPort('http://127.0.0.1:8080/v1'), 8080);
  assert.equal(loopbackPort('http://localhost:11434'), 11434);
  assert.equal(loopbackPort('http://[::1]:9000'), 9000);
  assert.equal(loopbackPort('https://127.1.2.3'), 443);
  assert.equal(loopbackPort('http://localhost'), 80);
  assert.equal(loopbackPort('https://api.anthropic.com'), undefined);
  assert.equal(loopbackPort('http://10.0.0.5:8080'), undefined);
  assert.equal(loopbackPort('http://127.0.0.1.evil.example:8080'), undefined);
  assert.equal(loopbackPort('file:///etc/passwd'), undefined);
  assert.equal(loopbackPort('not a url'), undefined);
  // The first source that sets a variable wins, loopback or not.
  assert.deepEqual(
    loopbackApis([
      { source: 'settings', env: { ANTHROPIC_BASE_URL: 'https://gateway.example' } },
      {
        source: 'env',
        env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', OPENAI_BASE_URL: 'http://localhost:4000' },
      },
    ]),
    [{ variable: 'OPENAI_BASE_URL', url: 'http://localhost:4000', port: 4000, source: 'env' }],
  );
});
