// Whether a destination may be reached. Pure.
//
// Two steps, so that a denied name is never even resolved (a DNS query is
// itself a way to leak data):
//   precheck(host, port)            rules on the name, before any lookup
//   decide(host, port, addresses)   precheck + every resolved address
// Loopback, private, link-local/metadata, unspecified, multicast and reserved
// addresses are refused unless the address is loopback and the port is one the
// user published with `--host-port PORT`. A name that resolves to several
// addresses is allowed only if every one of them passes; the caller then dials
// only those addresses (no second lookup, so no DNS rebinding).
import { isIP } from 'node:net';
import { formatAuthority } from './authority.ts';
import { AddressClassifier, type AddressClass } from './addresses.ts';
import { evaluateRules, type Rules } from './rules.ts';

export interface DestinationPolicy {
  readonly rules: Rules;
  /** Ports on the host's 127.0.0.1 / ::1 that the sandbox may reach (`--host-port`). */
  readonly publishedPorts: ReadonlySet<number>;
  readonly classifier: AddressClassifier;
}

export function destinationPolicy(
  rules: Rules,
  publishedPorts: Iterable<number> = [],
): DestinationPolicy {
  return { rules, publishedPorts: new Set(publishedPorts), classifier: new AddressClassifier() };
}

export type DenyCode = 'rule' | 'address' | 'unresolved';

export interface Allowed {
  readonly allow: true;
  /** The rule that allowed it (`allow *.example.com`, `host-port 8080`), or null for the default. */
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
  /** One line, safe to show to the client. */
  readonly reason: string;
}

export type Decision = Allowed | Denied;

const CLASS_LABEL: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local or metadata address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

/** `localhost`, `*.localhost` (RFC 6761) and loopback IP literals. */
export function isLoopbackName(host: string, classifier: AddressClassifier): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isIP(host) !== 0 && classifier.classify(host) === 'loopback';
}

/** Decision on the name alone; null means "resolve it and call decide()". */
export function precheck(host: string, port: number, policy: DestinationPolicy): Denied | null {
  const verdict = evaluateRules(policy.rules, host, port);
  if (verdict.allow) return null;
  if (verdict.rule !== null)
    return { allow: false, code: 'rule', rule: verdict.rule, reason: verdict.reason };
  // Not in the allow list: a published loopback port is still reachable by its loopback name.
  if (policy.publishedPorts.has(port) && isLoopbackName(host, policy.classifier)) return null;
  return { allow: false, code: 'rule', rule: null, reason: verdict.reason };
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
    };
  }
  let loopbackOnly = true;
  for (const address of addresses) {
    const cls = isIP(address) === 0 ? null : policy.classifier.classify(address);
    if (cls === null) {
      return {
        allow: false,
        code: 'address',
        rule: null,
        reason: `resolver returned a non-address ${JSON.stringify(address)}`,
      };
    }
    if (cls === 'public') {
      loopbackOnly = false;
      continue;
    }
    if (cls === 'loopback' && policy.publishedPorts.has(port)) continue;
    const via = address === host ? '' : ` (${host} resolved to it)`;
    const hint = cls === 'loopback' ? `; publish it with --host-port ${port}` : '';
    return {
      allow: false,
      code: 'address',
      rule: null,
      reason: `${formatAuthority(address, port)} is ${CLASS_LABEL[cls]}${via}${hint}`,
    };
  }
  const verdict = evaluateRules(policy.rules, host, port);
  const rule = loopbackOnly ? `host-port ${port}` : verdict.allow ? verdict.rule : null;
  if (!loopbackOnly && !verdict.allow) {
    // Only reachable through precheck's loopback-name exception, yet it resolved elsewhere.
    return { allow: false, code: 'rule', rule: null, reason: verdict.reason };
  }
  return { allow: true, rule, address: addresses[0] as string, addresses: [...addresses] };
}
