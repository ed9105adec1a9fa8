import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSandboxArgs, splitCommand } from '../../src/cli/argv.ts';
import { toRequest } from '../../src/cli/commands/request.ts';
import { quoteArg, quoteArgv } from '../../src/sandbox/escape.ts';

test('options stop at the command; its own options are untouched', () => {
  assert.deepEqual(splitCommand(['--rw', 'x', 'claude', '--rw', 'y', '--', 'doctor']), {
    optionWords: ['--rw', 'x'],
    command: ['claude', '--rw', 'y', '--', 'doctor'],
  });
  assert.deepEqual(splitCommand(['--net=none', '--', '--weird-name']).command, ['--weird-name']);
  const a = parseSandboxArgs(['--env', 'A', '--env', 'B=1', '--quiet', 'sh', '-c', 'x'], 'run');
  assert.deepEqual(a.env, ['A', 'B=1']);
  assert.deepEqual(a.command, ['sh', '-c', 'x']);
  assert.equal(a.quiet, true);
});

test('bad options name the option', () => {
  assert.throws(() => parseSandboxArgs(['--bogus', 'sh'], 'run'), /--bogus/);
  assert.throws(() => parseSandboxArgs(['--net', 'wide', 'sh'], 'run'), /--net: expected one of/);
});

test("--publish PORT[:HOSTPORT]: parsed, checked, and only with the sandbox's own network", () => {
  const a = parseSandboxArgs(['--publish', '8000', '--publish', '3000:9000', 'sh'], 'run');
  assert.deepEqual(a.publish, [
    { inside: 8000, host: 8000 },
    { inside: 3000, host: 9000 },
  ]);
  for (const bad of ['x', '80', '8000:80', '8000:', '70000'])
    assert.throws(() => parseSandboxArgs(['--publish', bad, 'sh'], 'run'), /--publish: expected/);
  assert.deepEqual(toRequest(a).publish, a.publish);
  for (const net of ['host', 'none', 'logged'])
    assert.throws(
      () => toRequest(parseSandboxArgs(['--net', net, '--publish', '8000', 'sh'], 'run')),
      /--publish needs the sandbox's own network/,
    );
});

test('display quoting escapes control characters and round-trips plain text', () => {
  assert.equal(quoteArg('/usr/bin'), '/usr/bin');
  assert.equal(quoteArg("it's"), `'it'\\''s'`);
  assert.equal(quoteArg('a\x1b[2Jb'), "$'a\\x1b[2Jb'");
  assert.equal(quoteArg('line\nbreak'), "$'line\\nbreak'");
  assert.equal(quoteArg('\u202etxt'), "$'\\u202etxt'");
  assert.equal(quoteArgv(['echo', '']), "echo ''");
});

test('parse errors are plain words with the right hint, not Node messages', () => {
  const caught = (words: string[]): { message: string; hint: string | undefined } => {
    try {
      parseSandboxArgs(words, 'run');
    } catch (err) {
      return err as { message: string; hint: string | undefined };
    }
    throw new Error('did not throw');
  };
  assert.equal(caught(['--net']).message, 'run: --net needs a value');
  assert.equal(caught(['--net']).hint, '--net filtered|logged|host|none');
  assert.equal(caught(['--net', '--', 'sh']).message, 'run: --net needs a value');
  assert.equal(caught(['--bogus', 'sh']).message, 'run: unknown option --bogus');
  assert.equal(caught(['--bogus', 'sh']).hint, 'bubble run --help');
  assert.equal(caught(['--json=1', 'sh']).message, 'run: --json takes no value');
  assert.doesNotMatch(caught(['--rw']).message, /'|"/);
});
