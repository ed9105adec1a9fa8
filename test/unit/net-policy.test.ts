// The network policies: allowlist (only the allow list, even an empty one) and ask (the
// rest is held for bubble watch): their rules, options, and what an untrusted project may set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSandboxArgs } from '../../src/cli/argv.ts';
import { mergedArgs } from '../../src/cli/commands/configured.ts';
import { mergeConfig } from '../../src/config/merge.ts';
import { parseConfig } from '../../src/config/load.ts';
import { evaluateRules, parseRules } from '../../src/net/rules.ts';

test('an empty allow list allows everything, unless the policy is an allowlist', () => {
  assert.equal(evaluateRules(parseRules({}), 'example.com', 443).allow, true);
  const closed = evaluateRules(parseRules({ allowlist: true }), 'example.com', 443);
  assert.equal(closed.allow, false);
  assert.equal(closed.rule, null, 'not in the allow list: what ask holds');
  const listed = parseRules({ allow: ['example.com'], allowlist: true });
  assert.equal(evaluateRules(listed, 'example.com', 443).allow, true);
});

test('--ask, --net-policy and --ask-timeout', () => {
  assert.equal(parseSandboxArgs(['--ask', 'sh'], 'run').netPolicy, 'ask');
  assert.equal(parseSandboxArgs(['--net-policy', 'allowlist', 'sh'], 'run').netPolicy, 'allowlist');
  assert.equal(parseSandboxArgs(['sh'], 'run').netPolicy, undefined);
  assert.equal(parseSandboxArgs(['--ask-timeout', '5', 'sh'], 'run').askTimeout, 5);
  assert.throws(
    () => parseSandboxArgs(['--ask', '--net-policy', 'allowlist', 'sh'], 'run'),
    /contradict/,
  );
  assert.throws(() => parseSandboxArgs(['--net-policy', 'open', 'sh'], 'run'), /allowlist, ask/);
  for (const bad of ['0', '-1', '1.5', '3601', 'x'])
    assert.throws(() => parseSandboxArgs(['--ask-timeout', bad, 'sh'], 'run'), /--ask-timeout/);
});

test('net_policy and ask_timeout from files; an untrusted project may only tighten', () => {
  const user = {
    path: 'user.toml',
    config: parseConfig('user.toml', 'net_policy = "ask"\nask_timeout = 30\n'),
  };
  const cli = parseSandboxArgs(['sh'], 'run');
  const project = (text: string, trusted = false) => ({
    path: '/p/.bubble.toml',
    config: parseConfig('/p/.bubble.toml', text),
    trusted,
  });
  const merged = (p?: ReturnType<typeof project>) =>
    mergeConfig({ user, project: p, cli: {}, commandProfile: 'generic' });
  const m = merged();
  assert.equal(mergedArgs(cli, m).args.netPolicy, 'ask');
  assert.equal(mergedArgs(cli, m).args.askTimeout, 30);
  // allowlist is stricter than ask: kept; an untrusted project cannot go back to ask.
  const tighter = merged(project('net_policy = "allowlist"\n'));
  assert.equal(tighter.options.net_policy?.value, 'allowlist');
  const strict = mergeConfig({
    user: { path: 'u', config: parseConfig('u', 'net_policy = "allowlist"\n') },
    project: project('net_policy = "ask"\n'),
    cli: {},
    commandProfile: 'generic',
  });
  assert.equal(strict.options.net_policy?.value, 'allowlist');
  assert.deepEqual(strict.ignored, ['net_policy = "ask"']);
  // Without the proxy there is nothing to ask.
  const host = mergeConfig({ user, cli: { net: 'host' }, commandProfile: 'generic' });
  assert.equal(
    mergedArgs(parseSandboxArgs(['--net', 'host', 'sh'], 'run'), host).args.netPolicy,
    undefined,
  );
  assert.throws(() => parseConfig('x', 'net_policy = "open"\n'), /net_policy/);
});
