import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluateRules,
  matchPattern,
  parsePattern,
  parseRules,
  RuleError,
} from '../../src/net/rules.ts';

test('exact, wildcard, port and any patterns', () => {
  assert.deepEqual(parsePattern('api.anthropic.com'), {
    kind: 'exact',
    host: 'api.anthropic.com',
    port: null,
    source: 'api.anthropic.com',
  });
  assert.deepEqual(parsePattern('*.GitHubUserContent.com'), {
    kind: 'wildcard',
    host: 'githubusercontent.com',
    port: null,
    source: '*.GitHubUserContent.com',
  });
  assert.equal(parsePattern('example.com:443').port, 443);
  assert.equal(parsePattern('[::1]:8080').host, '::1');
  assert.equal(parsePattern('::1').host, '::1');
  assert.equal(parsePattern('*:443').kind, 'any');
  // An unbracketed IPv6 literal is an address, never address:port.
  assert.deepEqual(parsePattern('::1:443'), {
    kind: 'exact',
    host: '::1:443',
    port: null,
    source: '::1:443',
  });
});

test('wildcard matches subdomains, not the apex', () => {
  const p = parsePattern('*.githubusercontent.com');
  assert.ok(matchPattern(p, 'raw.githubusercontent.com', 443));
  assert.ok(matchPattern(p, 'a.b.githubusercontent.com', 443));
  assert.ok(!matchPattern(p, 'githubusercontent.com', 443));
  assert.ok(!matchPattern(p, 'evilgithubusercontent.com', 443));
});

test('port restricts a pattern', () => {
  const p = parsePattern('example.com:443');
  assert.ok(matchPattern(p, 'example.com', 443));
  assert.ok(!matchPattern(p, 'example.com', 80));
});

test('parse errors name the pattern', () => {
  for (const bad of [
    '',
    'a.*.com',
    'exa mple.com',
    'example.com:0',
    '*.',
    'foo*.com',
    '*.com:x',
    '[::1]:x',
    '127.1',
  ]) {
    assert.throws(
      () => parsePattern(bad),
      (e: unknown) =>
        e instanceof RuleError && e.pattern === bad && e.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
});

test('no allow rule: everything allowed; deny wins', () => {
  const rules = parseRules({ deny: ['evil.com'] });
  assert.deepEqual(evaluateRules(rules, 'example.com', 443), { allow: true, rule: null });
  const v = evaluateRules(rules, 'evil.com', 443);
  assert.equal(v.allow, false);
  assert.equal(v.rule, 'deny evil.com');
});

test('any allow rule: everything else denied; deny beats allow', () => {
  const rules = parseRules({
    allow: ['*.example.com', 'api.anthropic.com:443'],
    deny: ['bad.example.com'],
  });
  assert.deepEqual(evaluateRules(rules, 'a.example.com', 80), {
    allow: true,
    rule: 'allow *.example.com',
  });
  assert.deepEqual(evaluateRules(rules, 'api.anthropic.com', 443), {
    allow: true,
    rule: 'allow api.anthropic.com:443',
  });
  const notListed = evaluateRules(rules, 'api.anthropic.com', 80);
  assert.equal(notListed.allow, false);
  assert.ok(!notListed.allow && /not in the allow list/.test(notListed.reason));
  assert.equal(evaluateRules(rules, 'bad.example.com', 443).allow, false);
});
