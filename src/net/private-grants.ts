// `--allow-private HOST|CIDR`: private destinations reached on purpose (a
// corporate 10/8, Tailscale's 100.64/10, a database on the LAN). Pure.
//
// A grant never opens loopback, this host's own addresses, unspecified,
// multicast or broadcast addresses (decide.ts checks those first), and a cloud
// metadata address only when the grant names exactly that address.
import { BlockList, isIP } from 'node:net';
import { canonicalIP } from './addresses.ts';
import { hostnameProblem, normalizeHost } from './authority.ts';

export interface PrivateGrant {
  readonly kind: 'cidr' | 'host';
  /** cidr: the network address; host: the normalised name. */
  readonly value: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6' | null;
  /** As the user wrote it. */
  readonly source: string;
}

export class PrivateGrantError extends Error {
  readonly code = 'ERR_BAD_ALLOW_PRIVATE';
  constructor(text: string, why: string) {
    super(
      `invalid --allow-private ${JSON.stringify(text)}: ${why} (expected a host name, an IP address or a CIDR like 10.0.0.0/8)`,
    );
    this.name = 'PrivateGrantError';
  }
}

export function parsePrivateGrant(text: string): PrivateGrant {
  const source = text;
  const trimmed = text.trim().replace(/^\[(.*)\]$/, '$1');
  const [net = '', bits, extra] = trimmed.split('/');
  if (extra !== undefined) throw new PrivateGrantError(source, 'more than one "/"');
  const family = isIP(net);
  if (family !== 0) {
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!Number.isInteger(prefix) || prefix < 8 || prefix > max)
      throw new PrivateGrantError(source, `prefix length must be 8 to ${max}`);
    return { kind: 'cidr', value: net, prefix, family: family === 4 ? 'ipv4' : 'ipv6', source };
  }
  if (bits !== undefined)
    throw new PrivateGrantError(source, `${JSON.stringify(net)} is not an IP address`);
  const problem = hostnameProblem(trimmed);
  if (problem !== null || trimmed.includes('*'))
    throw new PrivateGrantError(source, problem ?? 'wildcards are not supported');
  return { kind: 'host', value: normalizeHost(trimmed), prefix: 0, family: null, source };
}

// Instance metadata services: credentials for the machine's cloud identity.
export const METADATA_ADDRESSES: ReadonlySet<string> = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
    '169.254.170.2', // AWS ECS task credentials
    '169.254.170.23', // AWS EKS pod identity
    '169.254.0.23', // Tencent Cloud
    '100.100.100.200', // Alibaba Cloud
    '192.0.0.192', // Oracle Cloud (classic)
    'fd00:ec2::254', // AWS IMDS over IPv6
    'fd00:ec2::23', // AWS EKS pod identity over IPv6
  ].map(canonicalIP),
);

/** The grant that lets `host` reach `address`, or null. `address` is known to be grantable. */
export function matchGrant(
  grants: readonly PrivateGrant[],
  host: string,
  address: string,
): PrivateGrant | null {
  const canonical = canonicalIP(address);
  const metadata = METADATA_ADDRESSES.has(canonical);
  for (const grant of grants) {
    if (grant.kind === 'host') {
      if (!metadata && grant.value === host) return grant;
      continue;
    }
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (grant.family !== family) continue;
    if (metadata) {
      if (grant.prefix === (family === 'ipv4' ? 32 : 128) && canonicalIP(grant.value) === canonical)
        return grant;
      continue;
    }
    const list = new BlockList();
    list.addSubnet(grant.value, grant.prefix, family);
    if (list.check(address, family)) return grant;
  }
  return null;
}
