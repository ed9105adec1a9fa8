// IPv6-safe `host:port` parsing and formatting. Pure.
//
// Never `split(':')`: `[::1]:443` has four colons. A bracketed host is an IPv6
// literal; an unbracketed host containing a colon is accepted only when the
// whole input is an IPv6 literal and a default port applies (`::1` alone).
import { isIPv4, isIPv6 } from 'node:net';

export interface Authority {
  /** Lower-case host name or IP literal, without brackets or trailing dot. */
  readonly host: string;
  readonly port: number;
}

export class AuthorityError extends Error {
  readonly code = 'ERR_BAD_AUTHORITY';
  readonly input: string;
  constructor(input: string, why: string) {
    super(`invalid host:port ${JSON.stringify(input)}: ${why}`);
    this.name = 'AuthorityError';
    this.input = input;
  }
}

const MAX_HOST_LENGTH = 253;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Why `host` is not an acceptable destination name, or null if it is.
 * Accepts DNS names (letters, digits, `-`, `_`), dotted-quad IPv4 and IPv6
 * literals (no zone ids). Rejects the numeric spellings that resolvers turn
 * into addresses (`127.1`, `0x7f.0.0.1`, `2130706433`), as the WHATWG URL
 * standard does, so that a name never silently means an address.
 */
export function hostnameProblem(host: string): string | null {
  if (host.length === 0) return 'empty host';
  if (host.includes('%')) return 'zone ids are not supported';
  if (isIPv4(host) || isIPv6(host)) return null;
  if (host.includes(':')) return 'IPv6 literals must be written in brackets, e.g. [::1]:443';
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > MAX_HOST_LENGTH) return 'host name length out of range';
  const labels = name.toLowerCase().split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) return `bad label ${JSON.stringify(label)} in host name`;
  }
  const last = labels[labels.length - 1] ?? '';
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(last))
    return 'numeric host that is not a dotted-quad IPv4 address';
  return null;
}

export function isValidHostname(host: string): boolean {
  return hostnameProblem(host) === null;
}

/** Lower-cases and drops one trailing dot. Does not validate. */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower;
}

/** Parses a decimal port 1-65535; returns null if it is not one. */
export function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/**
 * Parses `host:port`, `[v6]:port`, or (when `defaultPort` is given) `host`,
 * `[v6]` and a bare IPv6 literal. Throws AuthorityError.
 */
export function parseAuthority(input: string, defaultPort?: number): Authority {
  if (input.length === 0) throw new AuthorityError(input, 'empty');
  if (/[\s\x00-\x1f\x7f/?#@%\\]/.test(input)) {
    throw new AuthorityError(input, 'contains a character not allowed in host:port');
  }
  let host: string;
  let portText: string | null;
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close < 0) throw new AuthorityError(input, 'missing "]"');
    host = input.slice(1, close);
    if (!isIPv6(host)) throw new AuthorityError(input, 'brackets must contain an IPv6 address');
    const after = input.slice(close + 1);
    if (after === '') portText = null;
    else if (after.startsWith(':')) portText = after.slice(1);
    else throw new AuthorityError(input, 'unexpected text after "]"');
  } else {
    const colon = input.lastIndexOf(':');
    if (colon < 0) {
      host = input;
      portText = null;
    } else if (input.indexOf(':') !== colon) {
      // More than one colon: only a bare IPv6 literal, and only with a default port.
      if (!isIPv6(input))
        throw new AuthorityError(
          input,
          'IPv6 literals must be written in brackets, e.g. [::1]:443',
        );
      host = input;
      portText = null;
    } else {
      host = input.slice(0, colon);
      portText = input.slice(colon + 1);
    }
  }
  let port: number;
  if (portText === null) {
    if (defaultPort === undefined) throw new AuthorityError(input, 'missing port');
    port = defaultPort;
  } else {
    const parsed = parsePort(portText);
    if (parsed === null)
      throw new AuthorityError(input, `bad port ${JSON.stringify(portText)} (expected 1-65535)`);
    port = parsed;
  }
  const problem = hostnameProblem(host);
  if (problem !== null) throw new AuthorityError(input, problem);
  return { host: isIPv6(host) ? host.toLowerCase() : normalizeHost(host), port };
}

/** Formats a host for use in `host:port` (brackets IPv6 literals). */
export function formatHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

export function formatAuthority(host: string, port: number): string {
  return `${formatHost(host)}:${port}`;
}
