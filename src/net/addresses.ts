// Classification of IP addresses into the ranges the filtered mode refuses.
// Pure (net.BlockList is an in-memory structure).
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export type AddressClass =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

interface Range {
  readonly net: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly cls: Exclude<AddressClass, 'public'>;
}

// Checked in order; the first match names the class.
const RANGES: readonly Range[] = [
  { net: '0.0.0.0', prefix: 32, family: 'ipv4', cls: 'unspecified' },
  { net: '0.0.0.0', prefix: 8, family: 'ipv4', cls: 'reserved' }, // "this network"; Linux treats 0.x as local
  { net: '127.0.0.0', prefix: 8, family: 'ipv4', cls: 'loopback' },
  { net: '10.0.0.0', prefix: 8, family: 'ipv4', cls: 'private' },
  { net: '172.16.0.0', prefix: 12, family: 'ipv4', cls: 'private' },
  { net: '192.168.0.0', prefix: 16, family: 'ipv4', cls: 'private' },
  { net: '100.64.0.0', prefix: 10, family: 'ipv4', cls: 'private' }, // CGNAT, RFC 6598
  { net: '198.18.0.0', prefix: 15, family: 'ipv4', cls: 'private' }, // benchmarking, often internal
  { net: '169.254.0.0', prefix: 16, family: 'ipv4', cls: 'link-local' }, // incl. 169.254.169.254 metadata
  { net: '192.0.0.0', prefix: 24, family: 'ipv4', cls: 'reserved' }, // IETF protocol assignments
  { net: '224.0.0.0', prefix: 4, family: 'ipv4', cls: 'multicast' },
  { net: '240.0.0.0', prefix: 4, family: 'ipv4', cls: 'reserved' }, // incl. 255.255.255.255
  { net: '::', prefix: 128, family: 'ipv6', cls: 'unspecified' },
  { net: '::1', prefix: 128, family: 'ipv6', cls: 'loopback' },
  { net: '::', prefix: 96, family: 'ipv6', cls: 'reserved' }, // deprecated IPv4-compatible
  { net: 'fc00::', prefix: 7, family: 'ipv6', cls: 'private' }, // ULA, incl. fd00:ec2::254 metadata
  { net: 'fe80::', prefix: 10, family: 'ipv6', cls: 'link-local' },
  { net: 'fec0::', prefix: 10, family: 'ipv6', cls: 'private' }, // deprecated site-local
  { net: 'ff00::', prefix: 8, family: 'ipv6', cls: 'multicast' },
  { net: '100::', prefix: 64, family: 'ipv6', cls: 'reserved' }, // discard-only
];

/**
 * One BlockList per range, checked in order so the most specific label wins
 * (::1 is loopback although ::/96 is reserved). Built per instance rather than
 * at module level so that nothing here is shared mutable state.
 */
export class AddressClassifier {
  readonly #ranges: ReadonlyArray<
    readonly [Exclude<AddressClass, 'public'>, 'ipv4' | 'ipv6', BlockList]
  >;

  constructor() {
    this.#ranges = RANGES.map((range) => {
      const list = new BlockList();
      list.addSubnet(range.net, range.prefix, range.family);
      return [range.cls, range.family, list] as const;
    });
  }

  /** Classifies an IP literal; throws TypeError for anything else. */
  classify(address: string): AddressClass {
    const { address: ip, family } = unwrapEmbeddedIPv4(address);
    for (const [cls, rangeFamily, list] of this.#ranges) {
      if (rangeFamily === family && list.check(ip, family)) return cls;
    }
    return 'public';
  }
}

/**
 * IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the
 * embedded IPv4 address, so they are judged as that address.
 */
export function unwrapEmbeddedIPv4(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  if (isIPv4(address)) return { address, family: 'ipv4' };
  if (!isIPv6(address)) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  const words = expandIPv6(address);
  const isMapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  const isNat64 =
    words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0);
  if (isMapped || isNat64) {
    const hi = words[6] ?? 0;
    const lo = words[7] ?? 0;
    return { address: `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`, family: 'ipv4' };
  }
  return { address, family: 'ipv6' };
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
