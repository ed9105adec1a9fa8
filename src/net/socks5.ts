// SOCKS5 (RFC 1928) codec, server side, no authentication, CONNECT only. Pure.
import { isIPv4, isIPv6 } from 'node:net';
import { expandIPv6 } from './addresses.ts';

const SOCKS_VERSION = 0x05;
export const METHOD_NO_AUTH = 0x00;
export const METHOD_NONE_ACCEPTABLE = 0xff;
const CMD_CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

export const Reply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02, // connection not allowed by ruleset
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type ReplyCode = (typeof Reply)[keyof typeof Reply];

export type Parsed<T> =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'ok'; readonly value: T; readonly length: number }
  | {
      readonly kind: 'error';
      readonly reason: string;
      /** reply to send before closing, if any */ readonly reply: ReplyCode | null;
    };

export interface Greeting {
  readonly methods: readonly number[];
}

export function parseGreeting(buf: Buffer): Parsed<Greeting> {
  if (buf.length < 2) return { kind: 'incomplete' };
  if (buf[0] !== SOCKS_VERSION)
    return { kind: 'error', reason: `not SOCKS5 (version byte ${buf[0]})`, reply: null };
  const count = buf[1] ?? 0;
  if (count === 0)
    return { kind: 'error', reason: 'SOCKS5 greeting offers no methods', reply: null };
  if (buf.length < 2 + count) return { kind: 'incomplete' };
  return { kind: 'ok', value: { methods: [...buf.subarray(2, 2 + count)] }, length: 2 + count };
}

export function methodSelection(method: number): Buffer {
  return Buffer.from([SOCKS_VERSION, method]);
}

export interface ConnectRequest {
  readonly command: number;
  readonly addressType: typeof ATYP_IPV4 | typeof ATYP_DOMAIN | typeof ATYP_IPV6;
  /** IPv4/IPv6 literal, or the domain name exactly as sent (validate it before use). */
  readonly host: string;
  readonly port: number;
}

export function parseRequest(buf: Buffer): Parsed<ConnectRequest> {
  if (buf.length < 4) return { kind: 'incomplete' };
  if (buf[0] !== SOCKS_VERSION)
    return { kind: 'error', reason: 'bad SOCKS5 request version', reply: Reply.generalFailure };
  const command = buf[1] ?? 0;
  const atyp = buf[3] ?? 0;
  let host: string;
  let offset: number;
  switch (atyp) {
    case ATYP_IPV4:
      if (buf.length < 10) return { kind: 'incomplete' };
      host = [...buf.subarray(4, 8)].join('.');
      offset = 8;
      break;
    case ATYP_IPV6: {
      if (buf.length < 22) return { kind: 'incomplete' };
      const words: string[] = [];
      for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(4 + i * 2).toString(16));
      host = compressIPv6(words.join(':'));
      offset = 20;
      break;
    }
    case ATYP_DOMAIN: {
      if (buf.length < 5) return { kind: 'incomplete' };
      const len = buf[4] ?? 0;
      if (len === 0)
        return { kind: 'error', reason: 'empty SOCKS5 domain name', reply: Reply.hostUnreachable };
      if (buf.length < 5 + len + 2) return { kind: 'incomplete' };
      host = buf.toString('latin1', 5, 5 + len);
      offset = 5 + len;
      break;
    }
    default:
      return {
        kind: 'error',
        reason: `SOCKS5 address type ${atyp} not supported`,
        reply: Reply.addressTypeNotSupported,
      };
  }
  const port = buf.readUInt16BE(offset);
  if (command !== CMD_CONNECT) {
    return {
      kind: 'error',
      reason: `SOCKS5 command ${command} not supported (only CONNECT)`,
      reply: Reply.commandNotSupported,
    };
  }
  if (port === 0) return { kind: 'error', reason: 'SOCKS5 port 0', reply: Reply.hostUnreachable };
  return { kind: 'ok', value: { command, addressType: atyp, host, port }, length: offset + 2 };
}

/** Canonical (RFC 5952-ish) form via Node's own formatting of a URL host. */
function compressIPv6(full: string): string {
  return new URL(`http://[${full}]/`).hostname.slice(1, -1);
}

/** A reply; the bound address is always reported as 0.0.0.0:0 (nothing about the host leaks). */
export function buildReply(code: ReplyCode): Buffer {
  return Buffer.from([SOCKS_VERSION, code, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}

/** Client side, for tests and tools: greeting + CONNECT request bytes. */
export function buildClientGreeting(methods: readonly number[] = [METHOD_NO_AUTH]): Buffer {
  return Buffer.from([SOCKS_VERSION, methods.length, ...methods]);
}

export function buildConnectRequest(host: string, port: number): Buffer {
  const portBytes = [port >> 8, port & 0xff];
  if (isIPv4(host)) {
    return Buffer.from([
      SOCKS_VERSION,
      CMD_CONNECT,
      0,
      ATYP_IPV4,
      ...host.split('.').map(Number),
      ...portBytes,
    ]);
  }
  if (isIPv6(host)) {
    const bytes = expandIPv6(host).flatMap((w) => [w >> 8, w & 0xff]);
    return Buffer.from([SOCKS_VERSION, CMD_CONNECT, 0, ATYP_IPV6, ...bytes, ...portBytes]);
  }
  const name = Buffer.from(host, 'latin1');
  if (name.length > 255) throw new RangeError('SOCKS5 domain name longer than 255 bytes');
  return Buffer.concat([
    Buffer.from([SOCKS_VERSION, CMD_CONNECT, 0, ATYP_DOMAIN, name.length]),
    name,
    Buffer.from(portBytes),
  ]);
}
