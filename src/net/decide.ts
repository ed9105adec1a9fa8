// Whether a destination may be reached. Pure.
//
// Two steps, so that a denied name is never even resolved (a DNS query is
// itself a way to leak data):
//   precheck(host, port)            rules on the name, before any lookup
//   decide(host, port, addresses)   precheck + every resolved address
// This host's own addresses (every interface, read at each decision) count as
// loopback. Loopback is refused unless the port is one the user published with
// `--host-port PORT`. Private, link-local, documentation, benchmarking and
// reserved addresses are refused unless an `--allow-private` grant covers them
// (never metadata addresses unless named exactly: see private-grants.ts);
// unspecified, multicast and broadcast addresses always. A name that resolves
// to several addresses is allowed only if every one of them passes; the caller
// then dials only those addresses (no second lookup, so no DNS rebinding).
import { isIP } from 'node:net';
import { formatAuthority, formatHost } from './authority.ts';
import {
  AddressClassifier,
  canonicalIP,
  embeddedIPv4,
  unwrapEmbeddedIPv4,
  type AddressClass,
} from './addresses.ts';
import { matchGrant, METADATA_ADDRESSES, type PrivateGrant } from './private-grants.ts';
import { evaluateRules, type Rules } from './rules.ts';

export interface DestinationPolicy {
  readonly rules: Rules;
  /** Ports on the host's 127.0.0.1 / ::1 that the sandbox may reach (`--host-port`). */
  readonly publishedPorts: ReadonlySet<number>;
  /** `--allow-private` grants. */
  readonly privateGrants: readonly PrivateGrant[];
  readonly classifier: AddressClassifier;
  /** This host's own addresses in canonicalIP() form, asked at every decision. */
  readonly hostAddresses: () => ReadonlySet<string>;
}

const NO_HOST_ADDRESSES: ReadonlySet<string> = new Set();

export function destinationPolicy(
  rules: Rules,
  publishedPorts: Iterable<number> = [],
  options: {
    privateGrants?: readonly PrivateGrant[];
    hostAddresses?: () => ReadonlySet<string>;
  } = {},
): DestinationPolicy {
  return {
    rules,
    publishedPorts: new Set(publishedPorts),
    privateGrants: options.privateGrants ?? [],
    classifier: new AddressClassifier(),
    hostAddresses: options.hostAddresses ?? (() => NO_HOST_ADDRESSES),
  };
}

/** rule: a deny rule or the allow list; address: the address policy; unresolved: no address at all. */
export type DenyCode = 'rule' | 'address' | 'unresolved';

export interface Allowed {
  readonly allow: true;
  /** The rule that allowed it (`allow *.example.com`, `host-port 8080`, `allow-private 10.0.0.0/8`), or null for the default. */
  readonly rule: string | null;
  /** First address to dial. */
  readonly address: string;
  /** Every checked address, in the resolver's order; dial only these. */
  readonly addresses: readonly string[];
}

export interface Denied {
  readonly allow: false;
  readonly code: DenyCode;
  readonly rule: string | null;
  /** One sentence: what was refused and why. Safe to show to the client. */
  readonly reason: string;
  /** How a user would allow it (`--allow example.com`), or null when nothing can. */
  readonly hint: string | null;
}

export type Decision = Allowed | Denied;

type Refused = Exclude<AddressClass, 'public'> | 'host';

const CLASS_LABEL: Record<Refused, string> = {
  host: "an address of this host (the host's own services count as loopback)",
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  unspecified: 'an unspecified ("this network") address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
  reserved: 'a reserved address',
};

const GRANTABLE: ReadonlySet<Refused> = new Set([
  'private',
  'link-local',
  'documentation',
  'benchmarking',
  'reserved',
]);

/** `localhost`, `*.localhost` (RFC 6761) and loopback IP literals. */
export function isLoopbackName(host: string, classifier: AddressClassifier): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isIP(host) !== 0 && classifier.classify(host) === 'loopback';
}

/** True when `address`, or an IPv4 address it embeds, is one of this host's. */
export function isHostAddress(address: string, hostAddresses: ReadonlySet<string>): boolean {
  if (hostAddresses.size === 0) return false;
  if (hostAddresses.has(canonicalIP(address))) return true;
  if (isIP(address) !== 6) return false;
  return embeddedIPv4(address).some((e) => hostAddresses.has(e.ipv4));
}

/** The `--allow` pattern that lets exactly this destination through. */
function allowPattern(host: string, port: number): string {
  return port === 443 || port === 80 ? formatHost(host) : formatAuthority(host, port);
}

/** Decision on the name alone; null means "resolve it and call decide()". */
export function precheck(host: string, port: number, policy: DestinationPolicy): Denied | null {
  const verdict = evaluateRules(policy.rules, host, port);
  if (verdict.allow) return null;
  // Not in the allow list: a published loopback port is still reachable by its loopback name.
  if (
    verdict.rule === null &&
    policy.publishedPorts.has(port) &&
    isLoopbackName(host, policy.classifier)
  )
    return null;
  const what = formatAuthority(host, port);
  if (verdict.rule !== null) {
    const pattern = verdict.rule.replace(/^deny /, '');
    return {
      allow: false,
      code: 'rule',
      rule: verdict.rule,
      reason: `${what} is denied by the rule "deny ${pattern}"`,
      hint: `remove --deny ${pattern} (or "${pattern}" from deny = [...] in the bubble config that sets it)`,
    };
  }
  const pattern = allowPattern(host, port);
  return {
    allow: false,
    code: 'rule',
    rule: null,
    reason: `${what} is not in the allow list`,
    hint: `add --allow ${pattern} (or allow = ["${pattern}"] in ~/.config/bubble/config.toml)`,
  };
}

function refusal(
  host: string,
  port: number,
  address: string,
  cls: Refused,
): Omit<Denied, 'allow' | 'code' | 'rule'> {
  const via = address === host ? '' : ` (${host} resolved to it)`;
  const metadata = METADATA_ADDRESSES.has(canonicalIP(unwrapEmbeddedIPv4(address).address));
  const label = metadata ? 'a cloud metadata address' : CLASS_LABEL[cls];
  const reason = `${formatAuthority(address, port)} is ${label}${via}`;
  if (cls === 'host' || cls === 'loopback')
    return {
      reason,
      hint: `publish the host's port with --host-port ${port} (or host_ports = [${port}])`,
    };
  if (!GRANTABLE.has(cls)) return { reason, hint: null };
  const grant = metadata || address === host ? address : host;
  return {
    reason,
    hint: `add --allow-private ${grant} (or allow_private = ["${grant}"] in ~/.config/bubble/config.toml)`,
  };
}

export function decide(
  host: string,
  port: number,
  addresses: readonly string[],
  policy: DestinationPolicy,
): Decision {
  const early = precheck(host, port, policy);
  if (early) return early;
  if (addresses.length === 0) {
    return {
      allow: false,
      code: 'unresolved',
      rule: null,
      reason: `${host} did not resolve to any address`,
      hint: null,
    };
  }
  const hostAddresses = policy.hostAddresses();
  let loopbackOnly = true;
  let granted: PrivateGrant | null = null;
  for (const address of addresses) {
    if (isIP(address) === 0) {
      return {
        allow: false,
        code: 'address',
        rule: null,
        reason: `the resolver returned a non-address ${JSON.stringify(address)} for ${host}`,
        hint: null,
      };
    }
    const cls: AddressClass | 'host' = isHostAddress(address, hostAddresses)
      ? 'host'
      : policy.classifier.classify(address);
    if (cls === 'public') {
      loopbackOnly = false;
      continue;
    }
    if ((cls === 'loopback' || cls === 'host') && policy.publishedPorts.has(port)) continue;
    if (GRANTABLE.has(cls)) {
      const grant = matchGrant(policy.privateGrants, host, unwrapEmbeddedIPv4(address).address);
      if (grant) {
        loopbackOnly = false;
        granted ??= grant;
        continue;
      }
    }
    return { allow: false, code: 'address', rule: null, ...refusal(host, port, address, cls) };
  }
  const verdict = evaluateRules(policy.rules, host, port);
  if (!loopbackOnly && !verdict.allow) {
    // Only reachable through precheck's loopback-name exception, yet it resolved elsewhere.
    const denied = precheck(host, port, { ...policy, publishedPorts: new Set() });
    if (denied) return denied;
  }
  const rule = loopbackOnly
    ? `host-port ${port}`
    : verdict.allow && verdict.rule !== null
      ? verdict.rule
      : granted
        ? `allow-private ${granted.source}`
        : null;
  return { allow: true, rule, address: addresses[0] as string, addresses: [...addresses] };
}

/**
 * Decision for a name that only an upstream (corporate) proxy can resolve: this host's
 * lookup found nothing, so no address can be checked and the upstream's DNS is
 * authoritative. The rules still apply to the name; a loopback name never leaves (an
 * upstream on this host would reach this host's own services with it).
 */
export function decideByName(host: string, port: number, policy: DestinationPolicy): Decision {
  const early = precheck(host, port, { ...policy, publishedPorts: new Set() });
  if (early) return early;
  if (isIP(host) !== 0 || isLoopbackName(host, policy.classifier))
    return {
      allow: false,
      code: 'address',
      rule: null,
      reason: `${formatAuthority(host, port)} is a loopback name that did not resolve here`,
      hint: null,
    };
  const verdict = evaluateRules(policy.rules, host, port);
  return { allow: true, rule: verdict.rule, address: host, addresses: [] };
}
