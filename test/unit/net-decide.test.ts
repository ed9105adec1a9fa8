import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressClassifier, expandIPv6, unwrapEmbeddedIPv4 } from '../../src/net/addresses.ts';
import { decide, destinationPolicy, precheck } from '../../src/net/decide.ts';
import { parseRules, NO_RULES } from '../../src/net/rules.ts';

const classifier = new AddressClassifier();

test('address classes', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['fd00::1', 'private'],
    ['fc00::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['::127.0.0.1', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ];
  for (const [ip, cls] of cases) assert.equal(classifier.classify(ip), cls, ip);
});

test('expandIPv6 and embedded IPv4', () => {
  assert.deepEqual(expandIPv6('::1'), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(expandIPv6('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(expandIPv6('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
  assert.deepEqual(unwrapEmbeddedIPv4('::ffff:7f00:1'), { address: '127.0.0.1', family: 'ipv4' });
});

test('public destination allowed with no rules', () => {
  const d = decide('example.com', 443, ['93.184.216.34'], destinationPolicy(NO_RULES));
  assert.deepEqual(d, {
    allow: true,
    rule: null,
    address: '93.184.216.34',
    addresses: ['93.184.216.34'],
  });
});

test('private, metadata, loopback and unspecified denied by address', () => {
  const policy = destinationPolicy(NO_RULES);
  for (const ip of [
    '10.0.0.1',
    '169.254.169.254',
    '127.0.0.1',
    '::1',
    '0.0.0.0',
    '::ffff:192.168.0.1',
    'fd12::1',
    '100.64.1.1',
  ]) {
    const d = decide(ip, 443, [ip], policy);
    assert.equal(d.allow, false, ip);
    assert.ok(!d.allow && d.code === 'address', ip);
  }
  const d = decide('127.0.0.1', 8080, ['127.0.0.1'], policy);
  assert.ok(!d.allow);
  assert.equal(d.reason, '127.0.0.1:8080 is a loopback address');
  assert.equal(d.hint, "publish the host's port with --host-port 8080 (or host_ports = [8080])");
});

test('a name that resolves to a private address is denied (names a resolved address)', () => {
  const d = decide(
    'internal.example.com',
    443,
    ['93.184.216.34', '10.0.0.5'],
    destinationPolicy(NO_RULES),
  );
  assert.ok(!d.allow);
  assert.equal(d.reason, '10.0.0.5:443 is a private address (internal.example.com resolved to it)');
});

test('published loopback port allowed; other loopback ports and private addresses still denied', () => {
  const policy = destinationPolicy(NO_RULES, [8080]);
  assert.deepEqual(decide('127.0.0.1', 8080, ['127.0.0.1'], policy), {
    allow: true,
    rule: 'host-port 8080',
    address: '127.0.0.1',
    addresses: ['127.0.0.1'],
  });
  assert.equal(decide('localhost', 8080, ['127.0.0.1', '::1'], policy).allow, true);
  assert.equal(decide('127.0.0.1', 8081, ['127.0.0.1'], policy).allow, false);
  assert.equal(decide('10.0.0.1', 8080, ['10.0.0.1'], policy).allow, false);
  assert.equal(decide('169.254.169.254', 8080, ['169.254.169.254'], policy).allow, false);
});

test('published port reachable by loopback name even with an allow list; deny rules still win', () => {
  const policy = destinationPolicy(parseRules({ allow: ['api.anthropic.com'] }), [11434]);
  assert.equal(precheck('localhost', 11434, policy), null);
  assert.equal(decide('127.0.0.1', 11434, ['127.0.0.1'], policy).allow, true);
  assert.equal(
    precheck('evil.com', 11434, policy)?.allow,
    false,
    'non-loopback names are not exempt',
  );
  const denyPolicy = destinationPolicy(parseRules({ deny: ['localhost'] }), [11434]);
  assert.equal(decide('localhost', 11434, ['127.0.0.1'], denyPolicy).allow, false);
});

test('precheck refuses names by rule before any lookup', () => {
  const policy = destinationPolicy(
    parseRules({ allow: ['*.github.com'], deny: ['gist.github.com'] }),
  );
  assert.equal(precheck('api.github.com', 443, policy), null);
  assert.equal(precheck('gist.github.com', 443, policy)?.rule, 'deny gist.github.com');
  assert.equal(precheck('example.com', 443, policy)?.code, 'rule');
  const d = decide('api.github.com', 443, ['140.82.112.5'], policy);
  assert.ok(d.allow && d.rule === 'allow *.github.com');
});

test('no addresses or a garbage address is denied', () => {
  const policy = destinationPolicy(NO_RULES);
  assert.equal(decide('example.com', 443, [], policy).allow, false);
  assert.equal(decide('example.com', 443, ['not-an-ip'], policy).allow, false);
});
