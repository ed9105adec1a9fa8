// Classification of IP addresses into the ranges the filtered mode refuses,
// after the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
// the RFCs each entry names). Anything a registry marks "not globally
// reachable" is refused; a few globally reachable entries inside refused
// blocks are carved out as public. Pure (net.BlockList is an in-memory structure).
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

interface Range {
  readonly net: string;
  readonly prefix: number;
  readonly cls: AddressClass;
}

// Checked in order; the first match names the class, so carve-outs come before their block.
const IPV4_RANGES: readonly Range[] = [
  { net: '0.0.0.0', prefix: 32, cls: 'unspecified' }, // RFC 1122 §3.2.1.3
  { net: '0.0.0.0', prefix: 8, cls: 'unspecified' }, // "this network", RFC 791 §3.2; never a destination
  { net: '10.0.0.0', prefix: 8, cls: 'private' }, // RFC 1918
  { net: '100.64.0.0', prefix: 10, cls: 'private' }, // shared address space (CGNAT, Tailscale), RFC 6598
  { net: '127.0.0.0', prefix: 8, cls: 'loopback' }, // RFC 1122 §3.2.1.3
  { net: '169.254.0.0', prefix: 16, cls: 'link-local' }, // RFC 3927; incl. 169.254.169.254 metadata
  { net: '172.16.0.0', prefix: 12, cls: 'private' }, // RFC 1918
  { net: '192.0.0.9', prefix: 32, cls: 'public' }, // PCP anycast, RFC 7723
  { net: '192.0.0.10', prefix: 32, cls: 'public' }, // TURN anycast, RFC 8155
  { net: '192.0.0.0', prefix: 24, cls: 'reserved' }, // IETF protocol assignments, RFC 6890 §2.1 (DS-Lite RFC 7335, NAT64 discovery RFC 7050)
  { net: '192.0.2.0', prefix: 24, cls: 'documentation' }, // TEST-NET-1, RFC 5737
  { net: '192.88.99.0', prefix: 24, cls: 'reserved' }, // deprecated 6to4 relay anycast, RFC 7526
  { net: '192.168.0.0', prefix: 16, cls: 'private' }, // RFC 1918
  { net: '198.18.0.0', prefix: 15, cls: 'benchmarking' }, // RFC 2544
  { net: '198.51.100.0', prefix: 24, cls: 'documentation' }, // TEST-NET-2, RFC 5737
  { net: '203.0.113.0', prefix: 24, cls: 'documentation' }, // TEST-NET-3, RFC 5737
  { net: '224.0.0.0', prefix: 4, cls: 'multicast' }, // RFC 5771
  { net: '255.255.255.255', prefix: 32, cls: 'broadcast' }, // limited broadcast, RFC 8190, RFC 919
  { net: '240.0.0.0', prefix: 4, cls: 'reserved' }, // future use, RFC 1112 §4
];

const IPV6_RANGES: readonly Range[] = [
  { net: '::', prefix: 128, cls: 'unspecified' }, // RFC 4291 §2.5.2
  { net: '::1', prefix: 128, cls: 'loopback' }, // RFC 4291 §2.5.3
  // ::ffff:0:0/96 (RFC 4291 §2.5.5.2), ::ffff:0:0:0/96 (RFC 2765), ::/96 (RFC 4291
  // §2.5.5.1), 64:ff9b::/96 (RFC 6052), 2002::/16 (RFC 3056) and 2001::/32
  // (RFC 4380) embed an IPv4 address: see embeddedIPv4().
  { net: '64:ff9b:1::', prefix: 48, cls: 'private' }, // local-use IPv4/IPv6 translation, RFC 8215
  { net: '100::', prefix: 64, cls: 'reserved' }, // discard-only, RFC 6666
  { net: '100:0:0:1::', prefix: 64, cls: 'reserved' }, // dummy IPv6 prefix, RFC 9780
  { net: '2001:1::1', prefix: 128, cls: 'public' }, // PCP anycast, RFC 7723
  { net: '2001:1::2', prefix: 128, cls: 'public' }, // TURN anycast, RFC 8155
  { net: '2001:1::3', prefix: 128, cls: 'public' }, // DNS-SD SRP anycast, RFC 9665
  { net: '2001:2::', prefix: 48, cls: 'benchmarking' }, // RFC 5180
  { net: '2001:3::', prefix: 32, cls: 'public' }, // AMT, RFC 7450
  { net: '2001:4:112::', prefix: 48, cls: 'public' }, // AS112-v6, RFC 7535
  { net: '2001:10::', prefix: 28, cls: 'reserved' }, // ORCHID (deprecated), RFC 4843
  { net: '2001:20::', prefix: 28, cls: 'reserved' }, // ORCHIDv2: identifiers, not routable, RFC 7343
  { net: '2001:30::', prefix: 28, cls: 'public' }, // drone remote ID, RFC 9374
  { net: '2001::', prefix: 23, cls: 'reserved' }, // IETF protocol assignments, RFC 2928
  { net: '2001:db8::', prefix: 32, cls: 'documentation' }, // RFC 3849
  { net: '3fff::', prefix: 20, cls: 'documentation' }, // RFC 9637
  { net: '5f00::', prefix: 16, cls: 'reserved' }, // SRv6 SIDs, RFC 9602
  { net: 'fc00::', prefix: 7, cls: 'private' }, // unique local, RFC 4193; incl. fd00:ec2::254 metadata
  { net: 'fe80::', prefix: 10, cls: 'link-local' }, // RFC 4291 §2.5.6
  { net: 'fec0::', prefix: 10, cls: 'private' }, // site-local (deprecated), RFC 3879
  { net: 'ff00::', prefix: 8, cls: 'multicast' }, // RFC 4291 §2.7
  { net: '2000::', prefix: 3, cls: 'public' }, // global unicast, RFC 4291 §2.4
  { net: '::', prefix: 0, cls: 'reserved' }, // the rest is unassigned (IANA IPv6 address space)
];

/** How an IPv6 address carries an IPv4 one, and the class of the carrier itself. */
interface Embedding {
  readonly ipv4: string;
  /** mapped: the kernel connects to the IPv4 address itself; the others go through a translator or relay. */
  readonly kind: 'mapped' | 'translated' | 'compatible' | 'nat64' | '6to4' | 'teredo';
}

function dotted(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** The IPv4 address(es) inside an IPv6 literal; empty when there is none. */
export function embeddedIPv4(address: string): Embedding[] {
  const w = expandIPv6(address);
  const zero = (from: number, to: number): boolean => w.slice(from, to).every((x) => x === 0);
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, , w5 = 0, w6 = 0, w7 = 0] = w;
  if (zero(0, 5) && w5 === 0xffff) return [{ ipv4: dotted(w6, w7), kind: 'mapped' }]; // RFC 4291 §2.5.5.2
  if (zero(0, 4) && w[4] === 0xffff && w5 === 0)
    return [{ ipv4: dotted(w6, w7), kind: 'translated' }]; // RFC 2765 §2.1
  // ::/128 and ::1 are not IPv4-compatible addresses (RFC 4291 §2.5.5.1).
  if (zero(0, 6) && (w6 !== 0 || w7 > 1)) return [{ ipv4: dotted(w6, w7), kind: 'compatible' }];
  if (w0 === 0x64 && w1 === 0xff9b && zero(2, 6)) return [{ ipv4: dotted(w6, w7), kind: 'nat64' }]; // RFC 6052 §2.1
  if (w0 === 0x2002) return [{ ipv4: dotted(w1, w2), kind: '6to4' }]; // RFC 3056 §2
  if (w0 === 0x2001 && w1 === 0) {
    // Teredo, RFC 4380 §4: the server's address, then the client's, bit-inverted.
    return [
      { ipv4: dotted(w2, w3), kind: 'teredo' },
      { ipv4: dotted(~w6 & 0xffff, ~w7 & 0xffff), kind: 'teredo' },
    ];
  }
  return [];
}

/** Ordered from most to least specific reason to refuse. */
const SEVERITY: readonly AddressClass[] = [
  'loopback',
  'unspecified',
  'link-local',
  'private',
  'multicast',
  'broadcast',
  'documentation',
  'benchmarking',
  'reserved',
  'public',
];

/**
 * One BlockList per range, checked in order so the most specific label wins.
 * Built per instance rather than at module level so that nothing here is
 * shared mutable state.
 */
export class AddressClassifier {
  readonly #v4: ReadonlyArray<readonly [AddressClass, BlockList]>;
  readonly #v6: ReadonlyArray<readonly [AddressClass, BlockList]>;

  constructor() {
    const build = (ranges: readonly Range[], family: 'ipv4' | 'ipv6') =>
      ranges.map((range) => {
        const list = new BlockList();
        list.addSubnet(range.net, range.prefix, family);
        return [range.cls, list] as const;
      });
    this.#v4 = build(IPV4_RANGES, 'ipv4');
    this.#v6 = build(IPV6_RANGES, 'ipv6');
  }

  /**
   * Classifies an IP literal; throws TypeError for anything else. An IPv6
   * form that embeds an IPv4 address is judged by the embedded address; only
   * the IPv4-mapped form reaches this host's own loopback, so a loopback
   * address inside a translator or relay form is merely reserved.
   */
  classify(address: string): AddressClass {
    if (isIPv4(address)) return this.#first(this.#v4, address, 'ipv4');
    if (!isIPv6(address)) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
    const embedded = embeddedIPv4(address);
    if (embedded.length === 0) return this.#first(this.#v6, address, 'ipv6');
    let worst: AddressClass = embedded[0]?.kind === 'compatible' ? 'reserved' : 'public';
    for (const { ipv4, kind } of embedded) {
      let cls = this.#first(this.#v4, ipv4, 'ipv4');
      if (cls === 'loopback' && kind !== 'mapped') cls = 'reserved';
      if (SEVERITY.indexOf(cls) < SEVERITY.indexOf(worst)) worst = cls;
    }
    return worst;
  }

  #first(
    ranges: ReadonlyArray<readonly [AddressClass, BlockList]>,
    ip: string,
    family: 'ipv4' | 'ipv6',
  ): AddressClass {
    for (const [cls, list] of ranges) if (list.check(ip, family)) return cls;
    return 'public';
  }
}

/**
 * The IPv4 address an IPv6 literal really connects to on this host (the
 * IPv4-mapped form), else the address itself.
 */
export function unwrapEmbeddedIPv4(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  if (isIPv4(address)) return { address, family: 'ipv4' };
  if (!isIPv6(address)) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  const [first] = embeddedIPv4(address);
  if (first && (first.kind === 'mapped' || first.kind === 'translated' || first.kind === 'nat64'))
    return { address: first.ipv4, family: 'ipv4' };
  return { address, family: 'ipv6' };
}

/** A canonical text for an IP literal (IPv6 fully expanded, lower case), for set membership. */
export function canonicalIP(address: string): string {
  if (isIPv4(address)) return address;
  return expandIPv6(address)
    .map((w) => w.toString(16))
    .join(':');
}

/** Eight 16-bit words of a valid IPv6 literal (dotted-quad tail allowed). */
export function expandIPv6(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (isIPv4(maybeV4)) {
    const [a = 0, b = 0, c = 0, d = 0] = maybeV4.split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((h) => parseInt(h, 16));
  const gap = text.indexOf('::');
  let words: number[];
  if (gap >= 0) {
    const head = parse(text.slice(0, gap));
    const rest = parse(text.slice(gap + 2));
    words = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    words = parse(text);
  }
  if (tail.length) words.splice(6, 2, ...tail);
  return words;
}
