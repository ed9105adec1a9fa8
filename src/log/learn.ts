// Learn mode: what sessions actually contacted, as allow rules. Pure.
//
// One exact rule per destination (the host alone for ports 443 and 80, as the refusal
// hints spell it; host:port otherwise). Wildcards are only suggested, never made into
// rules: three names under one parent do not mean the agent needs every other one.
// Refused and failed connections are not learned (they were never contacted), nor are
// loopback names, which only `--host-port` opens.
import { isIP } from 'node:net';
import { formatAuthority, formatHost } from '../net/authority.ts';
import { AddressClassifier } from '../net/addresses.ts';
import { isLoopbackName } from '../net/decide.ts';
import { matchPattern, parsePattern, type HostPattern } from '../net/rules.ts';
import type { ConnectionRecord } from './record.ts';

export interface LearnSource {
  readonly sessionId: string;
  readonly connections: readonly ConnectionRecord[];
}

export interface LearnedRule {
  /** The pattern as `--allow` and `allow = [...]` take it. */
  readonly pattern: string;
  /** The sessions it was seen in. */
  readonly sessions: readonly string[];
}

export interface WildcardSuggestion {
  /** `*.example.com` */
  readonly pattern: string;
  /** The learned hosts it would cover. */
  readonly hosts: readonly string[];
}

export interface Learned {
  readonly rules: readonly LearnedRule[];
  readonly suggestions: readonly WildcardSuggestion[];
  /** Destinations an existing allow rule lets through already. */
  readonly alreadyAllowed: readonly string[];
  /** Connections that were refused or never connected: not learned. */
  readonly notLearned: number;
}

/** Siblings under one parent before a wildcard is suggested. */
const WILDCARD_SIBLINGS = 3;

const WEB_PORTS = new Set([443, 80]);

function contacted(c: ConnectionRecord): c is ConnectionRecord & { host: string; port: number } {
  return (
    c.decision === 'allow' && (c.failure ?? null) === null && c.host !== null && c.port !== null
  );
}

/** `a.b.example.com` -> `b.example.com`; null when what is left would be one label. */
function parentOf(host: string): string | null {
  const dot = host.indexOf('.');
  if (dot < 0) return null;
  const parent = host.slice(dot + 1);
  return parent.includes('.') ? parent : null;
}

export function learnRules(
  sources: readonly LearnSource[],
  existing: readonly string[] = [],
): Learned {
  const classifier = new AddressClassifier();
  const have: HostPattern[] = [];
  for (const e of existing) {
    try {
      have.push(parsePattern(e));
    } catch {
      // The config loader reports a bad pattern; here it simply matches nothing.
    }
  }
  // host -> port -> sessions, in first-seen order.
  const seen = new Map<string, Map<number, Set<string>>>();
  const already = new Set<string>();
  let notLearned = 0;
  for (const s of sources) {
    for (const c of s.connections) {
      if (!contacted(c)) {
        if (c.decision === 'deny' || (c.failure ?? null) !== null) notLearned += 1;
        continue;
      }
      if (isLoopbackName(c.host, classifier)) continue;
      if (have.some((p) => matchPattern(p, c.host, c.port))) {
        already.add(formatAuthority(c.host, c.port));
        continue;
      }
      let ports = seen.get(c.host);
      if (!ports) seen.set(c.host, (ports = new Map<number, Set<string>>()));
      let sessions = ports.get(c.port);
      if (!sessions) ports.set(c.port, (sessions = new Set<string>()));
      sessions.add(s.sessionId);
    }
  }
  const rules: LearnedRule[] = [];
  for (const [host, ports] of seen) {
    const web = [...ports].filter(([p]) => WEB_PORTS.has(p));
    if (web.length > 0) {
      // The host alone: any port, as the refusal hint would have said.
      const sessions = new Set(web.flatMap(([, s]) => [...s]));
      rules.push({ pattern: formatHost(host), sessions: [...sessions] });
    }
    for (const [port, sessions] of ports) {
      if (WEB_PORTS.has(port) || web.length > 0) continue;
      rules.push({ pattern: formatAuthority(host, port), sessions: [...sessions] });
    }
  }
  const byParent = new Map<string, string[]>();
  for (const host of seen.keys()) {
    if (isIP(host) !== 0) continue;
    const parent = parentOf(host);
    if (parent === null) continue;
    byParent.set(parent, [...(byParent.get(parent) ?? []), host]);
  }
  const suggestions = [...byParent]
    .filter(([, hosts]) => hosts.length >= WILDCARD_SIBLINGS)
    .map(([parent, hosts]) => ({ pattern: `*.${parent}`, hosts }));
  return { rules, suggestions, alreadyAllowed: [...already], notLearned };
}
