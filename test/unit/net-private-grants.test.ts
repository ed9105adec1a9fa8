import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, destinationPolicy } from '../../src/net/decide.ts';
import { parsePrivateGrant } from '../../src/net/private-grants.ts';
import { NO_RULES } from '../../src/net/rules.ts';

const policy = (grants: string[], host: string[] = []) =>
  destinationPolicy(NO_RULES, [], {
    privateGrants: grants.map(parsePrivateGrant),
    hostAddresses: () => new Set(host),
  });

test('--allow-private opens the granted private range, and only that', () => {
  const p = policy(['10.0.0.0/8', '100.64.0.0/10', 'db.lan']);
  const ok = decide('10.1.2.3', 5432, ['10.1.2.3'], p);
  assert.equal(ok.allow, true);
  assert.equal(ok.allow && ok.rule, 'allow-private 10.0.0.0/8');
  assert.equal(decide('100.101.1.1', 22, ['100.101.1.1'], p).allow, true);
  assert.equal(decide('::ffff:10.9.9.9', 80, ['::ffff:10.9.9.9'], p).allow, true);
  assert.equal(decide('db.lan', 5432, ['192.168.1.5'], p).allow, true);
  assert.equal(decide('other.lan', 5432, ['192.168.1.5'], p).allow, false);
  assert.equal(decide('172.16.0.1', 80, ['172.16.0.1'], p).allow, false);
});

test('never loopback, this host, unspecified or multicast; metadata only when named exactly', () => {
  const p = policy(
    ['0.0.0.0/8', '127.0.0.0/8', '10.0.0.0/8', '169.254.0.0/16', 'meta.internal'],
    ['10.0.0.5'],
  );
  assert.equal(decide('127.0.0.1', 80, ['127.0.0.1'], p).allow, false);
  assert.equal(decide('10.0.0.5', 80, ['10.0.0.5'], p).allow, false, 'a host address');
  assert.equal(decide('0.0.0.0', 80, ['0.0.0.0'], p).allow, false);
  assert.equal(decide('169.254.1.1', 80, ['169.254.1.1'], p).allow, true);
  const meta = decide('169.254.169.254', 80, ['169.254.169.254'], p);
  assert.equal(meta.allow, false);
  assert.match(!meta.allow ? meta.reason : '', /cloud metadata/);
  assert.match(!meta.allow ? (meta.hint ?? '') : '', /--allow-private 169\.254\.169\.254/);
  assert.equal(decide('meta.internal', 80, ['169.254.169.254'], p).allow, false);
  const exact = policy(['169.254.169.254', 'fd00:ec2::254']);
  assert.equal(decide('169.254.169.254', 80, ['169.254.169.254'], exact).allow, true);
  assert.equal(decide('fd00:ec2::254', 80, ['fd00:ec2::254'], exact).allow, true);
  assert.equal(
    decide('100.100.100.200', 80, ['100.100.100.200'], policy(['100.64.0.0/10'])).allow,
    false,
  );
});

test('grant syntax', () => {
  assert.deepEqual(parsePrivateGrant('10.0.0.0/8').prefix, 8);
  assert.equal(parsePrivateGrant('DB.lan').value, 'db.lan');
  for (const bad of ['10.0.0.0/4', '10.0.0.0/33', 'x/8', '*.lan', '1.2.3.4/8/9', ''])
    assert.throws(() => parsePrivateGrant(bad), /invalid --allow-private/, bad);
});
