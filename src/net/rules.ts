// Allow/deny host patterns (`--allow`, `--deny`). Pure.
//
//   api.anthropic.com          that host, any port
//   *.githubusercontent.com    any subdomain (not the apex itself), any port
//   example.com:443            that host, port 443 only
//   [2001:db8::1]:443, 192.0.2.1   IP literals match only when the client named that literal
//   *  /  *:443                any host (any port / port 443)
//
// With no allow rule everything public is allowed (unless `allowlist` is set: the policy
// "allowlist" or "ask", where an empty list allows nothing); with any allow rule everything
// else is denied; a matching deny rule always wins. Rules match the name the
// client asked for; which addresses may be dialled is decided in decide.ts.
import { isIPv6 } from 'node:net';
import {
  AuthorityError,
  formatHost,
  hostnameProblem,
  normalizeHost,
  parseAuthority,
  parsePort,
} from './authority.ts';

export interface HostPattern {
  readonly kind: 'exact' | 'wildcard' | 'any';
  /** exact: the host; wildcard: the suffix without `*.`; any: empty. */
  readonly host: string;
  readonly port: number | null;
  /** The pattern as the user wrote it (for logs and messages). */
  readonly source: string;
}

export interface Rules {
  readonly allow: readonly HostPattern[];
  readonly deny: readonly HostPattern[];
  /** Only what an allow rule names, even when there is none. */
  readonly allowlist?: boolean;
}

export const NO_RULES: Rules = { allow: [], deny: [] };

export class RuleError extends Error {
  readonly code = 'ERR_BAD_RULE';
  readonly pattern: string;
  constructor(pattern: string, why: string, options?: { cause?: unknown }) {
    super(`invalid host pattern ${JSON.stringify(pattern)}: ${why}`, options);
    this.name = 'RuleError';
    this.pattern = pattern;
  }
}

function splitPort(pattern: string, rest: string): { host: string; port: number | null } {
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return { host: rest, port: null };
  const port = parsePort(rest.slice(colon + 1));
  if (port === null)
    throw new RuleError(
      pattern,
      `bad port ${JSON.stringify(rest.slice(colon + 1))} (expected 1-65535)`,
    );
  return { host: rest.slice(0, colon), port };
}

export function parsePattern(pattern: string): HostPattern {
  const source = pattern;
  const text = pattern.trim();
  if (text === '') throw new RuleError(source, 'empty pattern');
  if (text === '*' || text.startsWith('*:')) {
    const { port } = splitPort(source, text);
    return { kind: 'any', host: '', port, source };
  }
  if (text.startsWith('*.')) {
    const { host, port } = splitPort(source, text.slice(2));
    if (host.includes('*'))
      throw new RuleError(source, '"*" is only allowed as the first label, e.g. *.example.com');
    const problem = hostnameProblem(host);
    if (problem !== null || host.includes(':')) {
      throw new RuleError(source, problem ?? 'a wildcard needs a host name after "*."');
    }
    return { kind: 'wildcard', host: normalizeHost(host), port, source };
  }
  if (text.includes('*'))
    throw new RuleError(source, '"*" is only allowed as the first label, e.g. *.example.com');
  // A bare IPv6 literal has no port; everything else goes through parseAuthority.
  if (isIPv6(text)) return { kind: 'exact', host: text.toLowerCase(), port: null, source };
  const hasPort = text.startsWith('[') ? /\]:/.test(text) : text.includes(':');
  try {
    const authority = parseAuthority(text, hasPort ? undefined : 0);
    return { kind: 'exact', host: authority.host, port: hasPort ? authority.port : null, source };
  } catch (error) {
    if (error instanceof AuthorityError)
      throw new RuleError(source, error.message.replace(/^invalid host:port "[^"]*": /, ''), {
        cause: error,
      });
    throw error;
  }
}

export function parseRules(input: {
  allow?: readonly string[];
  deny?: readonly string[];
  allowlist?: boolean;
}): Rules {
  return {
    allow: (input.allow ?? []).map(parsePattern),
    deny: (input.deny ?? []).map(parsePattern),
    ...(input.allowlist === true ? { allowlist: true } : {}),
  };
}

/** `host` must already be normalised (lower case, no trailing dot, no brackets). */
export function matchPattern(pattern: HostPattern, host: string, port: number): boolean {
  if (pattern.port !== null && pattern.port !== port) return false;
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'exact':
      return pattern.host === host;
    case 'wildcard':
      return host.length > pattern.host.length + 1 && host.endsWith(`.${pattern.host}`);
  }
}

export type RuleVerdict =
  | {
      readonly allow: true;
      /** null: allowed because there is no allow list */ readonly rule: string | null;
    }
  | { readonly allow: false; readonly rule: string | null; readonly reason: string };

export function evaluateRules(rules: Rules, host: string, port: number): RuleVerdict {
  const denied = rules.deny.find((p) => matchPattern(p, host, port));
  if (denied)
    return {
      allow: false,
      rule: `deny ${denied.source}`,
      reason: `denied by rule ${denied.source}`,
    };
  if (rules.allow.length === 0 && rules.allowlist !== true) return { allow: true, rule: null };
  const allowed = rules.allow.find((p) => matchPattern(p, host, port));
  if (allowed) return { allow: true, rule: `allow ${allowed.source}` };
  return {
    allow: false,
    rule: null,
    reason: `${formatHost(host)}:${port} is not in the allow list`,
  };
}
