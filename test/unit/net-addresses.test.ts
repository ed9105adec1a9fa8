// Every entry of the IANA special-purpose registries, its edges, and the
// IPv6 forms that carry an IPv4 address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressClassifier, canonicalIP, embeddedIPv4 } from '../../src/net/addresses.ts';
import { decide, destinationPolicy, isHostAddress } from '../../src/net/decide.ts';
import { NO_RULES } from '../../src/net/rules.ts';

const classifier = new AddressClassifier();

function check(cases: ReadonlyArray<readonly [string, string]>): void {
  for (const [ip, cls] of cases) assert.equal(classifier.classify(ip), cls, ip);
}

test('IPv4 special-purpose registry, with the first and last address of each range', () => {
  check([
    ['0.0.0.0', 'unspecified'],
    ['0.0.0.1', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.0', 'private'],
    ['100.127.255.255', 'private'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['127.0.0.0', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['169.254.0.0', 'link-local'],
    ['169.254.169.254', 'link-local'],
    ['169.254.255.255', 'link-local'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.0.0.0', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.0.170', 'reserved'],
    ['192.0.0.255', 'reserved'],
    ['192.0.0.9', 'public'],
    ['192.0.0.10', 'public'],
    ['192.0.2.0', 'documentation'],
    ['192.0.2.255', 'documentation'],
    ['192.31.196.1', 'public'],
    ['192.52.193.1', 'public'],
    ['192.88.99.0', 'reserved'],
    ['192.88.99.255', 'reserved'],
    ['192.168.0.0', 'private'],
    ['192.168.255.255', 'private'],
    ['192.175.48.1', 'public'],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.17.255.255', 'public'],
    ['198.20.0.0', 'public'],
    ['198.51.100.0', 'documentation'],
    ['198.51.100.255', 'documentation'],
    ['203.0.113.0', 'documentation'],
    ['203.0.113.255', 'documentation'],
    ['224.0.0.0', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.0', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['1.1.1.1', 'public'],
    ['8.8.8.8', 'public'],
    ['223.255.255.255', 'public'],
  ]);
});

test('IPv6 special-purpose registry', () => {
  check([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['64:ff9b:1::', 'private'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'private'],
    ['100::', 'reserved'],
    ['100::ffff:ffff:ffff:ffff', 'reserved'],
    ['100:0:0:1::1', 'reserved'],
    ['2001:1::1', 'public'],
    ['2001:1::2', 'public'],
    ['2001:1::3', 'public'],
    ['2001:1::4', 'reserved'],
    ['2001:2::', 'benchmarking'],
    ['2001:2:0:ffff:ffff:ffff:ffff:ffff', 'benchmarking'],
    ['2001:3::1', 'public'],
    ['2001:4:112::1', 'public'],
    ['2001:10::1', 'reserved'],
    ['2001:1f:ffff::1', 'reserved'],
    ['2001:20::1', 'reserved'],
    ['2001:2f:ffff::1', 'reserved'],
    ['2001:30::1', 'public'],
    ['2001:1ff::1', 'reserved'],
    ['2001:200::1', 'public'],
    ['2001:db8::', 'documentation'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
    ['3fff::', 'documentation'],
    ['3fff:fff:ffff::1', 'documentation'],
    ['3fff:1000::1', 'public'],
    ['5f00::1', 'reserved'],
    ['fc00::', 'private'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'private'],
    ['fd00:ec2::254', 'private'],
    ['fe80::', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'private'],
    ['feff::1', 'private'],
    ['ff00::', 'multicast'],
    ['ff02::1', 'multicast'],
    ['2606:4700::1111', 'public'],
    ['2620:4f:8000::1', 'public'],
    // Outside 2000::/3 nothing is assigned for global unicast.
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
    ['e000::1', 'reserved'],
  ]);
});

test('IPv6 forms that embed IPv4 are judged by the embedded address', () => {
  check([
    // IPv4-mapped ::ffff:0:0/96, RFC 4291: reaches the IPv4 address itself.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:192.0.2.1', 'documentation'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:255.255.255.255', 'broadcast'],
    ['::ffff:8.8.8.8', 'public'],
    // IPv4-translated ::ffff:0:0:0/96, RFC 2765.
    ['::ffff:0:10.0.0.1', 'private'],
    ['::ffff:0:8.8.8.8', 'public'],
    // IPv4-compatible ::/96 (deprecated, RFC 4291): never public, loopback only via the mapped form.
    ['::10.0.0.1', 'private'],
    ['::127.0.0.1', 'reserved'],
    ['::8.8.8.8', 'reserved'],
    ['::2', 'unspecified'],
    // NAT64 well-known prefix 64:ff9b::/96, RFC 6052.
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::127.0.0.1', 'reserved'],
    ['64:ff9b::8.8.8.8', 'public'],
    // 6to4 2002::/16, RFC 3056.
    ['2002:0a00:0001::1', 'private'],
    ['2002:c0a8:0101::', 'private'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:7f00:1::1', 'reserved'],
    ['2002:0808:0808::1', 'public'],
    // Teredo 2001::/32, RFC 4380: server, then the client inverted.
    ['2001:0:0808:0808::f5ff:fffe', 'private'], // client ~f5ff:fffe = 10.0.0.1
    ['2001:0:0a00:0001::f7f7:f7f7', 'private'], // server 10.0.0.1
    ['2001:0:0808:0808::f7f7:f7f7', 'public'], // both 8.8.8.8
    ['2001:0:0808:0808::3f57:fefe', 'private'], // client 192.168.1.1
    ['2001:0:0808:0808::5601:5601', 'link-local'], // client 169.254.169.254
  ]);
});

test('embeddedIPv4 reads each form', () => {
  assert.deepEqual(embeddedIPv4('::ffff:1.2.3.4'), [{ ipv4: '1.2.3.4', kind: 'mapped' }]);
  assert.deepEqual(embeddedIPv4('2002:102:304::'), [{ ipv4: '1.2.3.4', kind: '6to4' }]);
  assert.deepEqual(embeddedIPv4('2001:0:102:304::fefd:fcfb'), [
    { ipv4: '1.2.3.4', kind: 'teredo' },
    { ipv4: '1.2.3.4', kind: 'teredo' },
  ]);
  assert.deepEqual(embeddedIPv4('2606:4700::1111'), []);
  assert.equal(canonicalIP('2001:DB8::1'), '2001:db8:0:0:0:0:0:1');
  assert.equal(canonicalIP('::ffff:1.2.3.4'), '0:0:0:0:0:ffff:102:304');
});

test("this host's own addresses count as loopback in every form", () => {
  const host = new Set(['192.0.2.2', '8.8.4.4', '2606:4700:0:0:0:0:0:99'].map(canonicalIP));
  const policy = destinationPolicy(NO_RULES, [], { hostAddresses: () => host });
  for (const ip of [
    '8.8.4.4',
    '::ffff:8.8.4.4',
    '::ffff:808:404',
    '64:ff9b::8.8.4.4',
    '2002:808:404::1',
    '2606:4700::99',
    '2606:4700:0::0099',
    '192.0.2.2',
  ]) {
    assert.ok(isHostAddress(ip, host), ip);
    const d = decide(ip, 8080, [ip], policy);
    assert.equal(d.allow, false, ip);
    assert.match(!d.allow ? d.reason : '', /an address of this host/, ip);
    assert.match(!d.allow ? (d.hint ?? '') : '', /--host-port 8080/, ip);
  }
  // A name that resolves to one of them is refused the same way.
  const byName = decide('intranet.example', 443, ['8.8.8.8', '8.8.4.4'], policy);
  assert.equal(byName.allow, false);
  // Published: allowed, like loopback.
  const published = destinationPolicy(NO_RULES, [8080], { hostAddresses: () => host });
  assert.equal(decide('8.8.4.4', 8080, ['8.8.4.4'], published).allow, true);
  assert.equal(decide('8.8.4.4', 8081, ['8.8.4.4'], published).allow, false);
  // Read at every decision: an interface that appears later counts.
  let current = new Set<string>();
  const live = destinationPolicy(NO_RULES, [], { hostAddresses: () => current });
  assert.equal(decide('9.9.9.9', 80, ['9.9.9.9'], live).allow, true);
  current = new Set(['9.9.9.9']);
  assert.equal(decide('9.9.9.9', 80, ['9.9.9.9'], live).allow, false);
});
