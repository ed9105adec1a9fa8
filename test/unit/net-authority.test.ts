import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatAuthority,
  isValidHostname,
  parseAuthority,
  AuthorityError,
} from '../../src/net/authority.ts';

test('parses host:port, [v6]:port and IPv4', () => {
  assert.deepEqual(parseAuthority('example.com:443'), { host: 'example.com', port: 443 });
  assert.deepEqual(parseAuthority('Example.COM.:80'), { host: 'example.com', port: 80 });
  assert.deepEqual(parseAuthority('[::1]:443'), { host: '::1', port: 443 });
  assert.deepEqual(parseAuthority('[2001:DB8::1]:8443'), { host: '2001:db8::1', port: 8443 });
  assert.deepEqual(parseAuthority('127.0.0.1:65535'), { host: '127.0.0.1', port: 65535 });
});

test('default port applies to bare hosts, [v6] and bare IPv6 literals', () => {
  assert.deepEqual(parseAuthority('example.com', 80), { host: 'example.com', port: 80 });
  assert.deepEqual(parseAuthority('[::1]', 80), { host: '::1', port: 80 });
  assert.deepEqual(parseAuthority('::1', 80), { host: '::1', port: 80 });
});

test('rejects what is ambiguous or malformed', () => {
  const bad = [
    'example.com', // no port and no default
    '::1:443', // ambiguous: IPv6 must be bracketed
    '[::1',
    '[::1]443',
    '[example.com]:443',
    'host:0',
    'host:65536',
    'host:-1',
    'host:+80',
    'host:0x50',
    'host:',
    ':443',
    'a b:80',
    'a/b:80',
    'user@host:80',
    'exa_mple..com:80',
    '-bad.com:80',
    'bad-.com:80',
    '127.1:80',
    '0x7f.0.0.1:80',
    '2130706433:80',
    '[fe80::1%eth0]:80',
    'host\r\n:80',
    `${'a'.repeat(64)}.com:80`,
  ];
  for (const input of bad) {
    assert.throws(
      () => parseAuthority(input),
      (e: unknown) => e instanceof AuthorityError && e.code === 'ERR_BAD_AUTHORITY',
      input,
    );
  }
});

test('error names the input', () => {
  assert.throws(() => parseAuthority('host:99999'), /"host:99999".*bad port/);
});

test('formats IPv6 in brackets', () => {
  assert.equal(formatAuthority('::1', 443), '[::1]:443');
  assert.equal(formatAuthority('example.com', 80), 'example.com:80');
  assert.equal(formatAuthority('10.0.0.1', 22), '10.0.0.1:22');
});

test('hostname validation', () => {
  assert.ok(isValidHostname('a-b.c_d.example'));
  assert.ok(isValidHostname('xn--bcher-kva.example'));
  assert.ok(!isValidHostname(''));
  assert.ok(!isValidHostname('a..b'));
  assert.ok(!isValidHostname('1.2.3'));
  assert.ok(!isValidHostname('ex ample.com'));
  assert.ok(!isValidHostname('a'.repeat(254)));
});
