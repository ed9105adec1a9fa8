// HTTP/1.x request heads for the proxy. Pure.
//
// Strict on purpose (RFC 9112): CRLF line ends, no obs-fold, no whitespace
// before a header colon, bounded size. What we cannot parse we refuse with
// 400; what is too big gets 431. We never add identifying headers (no Via, no
// X-Forwarded-For) and we strip hop-by-hop headers (RFC 9110 §7.6.1).
import {
  AuthorityError,
  formatAuthority,
  formatHost,
  parseAuthority,
  type Authority,
} from './authority.ts';

export const DEFAULT_MAX_HEAD_BYTES = 16 * 1024;

export type Header = readonly [name: string, value: string];

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: 'HTTP/1.0' | 'HTTP/1.1';
  readonly headers: readonly Header[];
}

export interface ResponseHead {
  readonly version: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers: readonly Header[];
}

export type HeadResult<T> =
  | { readonly kind: 'incomplete' }
  | {
      readonly kind: 'ok';
      readonly head: T;
      /** bytes of the head incl. the blank line */ readonly length: number;
    }
  | { readonly kind: 'error'; readonly status: 400 | 431; readonly reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TARGET = /^[\x21-\x7e]+$/;
const CRLFCRLF = Buffer.from('\r\n\r\n');

function splitHead(
  buf: Buffer,
  maxBytes: number,
):
  | { kind: 'incomplete' }
  | { kind: 'too-large' }
  | { kind: 'lines'; lines: string[]; length: number } {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0 || end + 4 > maxBytes) {
    return buf.length >= maxBytes || end + 4 > maxBytes
      ? { kind: 'too-large' }
      : { kind: 'incomplete' };
  }
  // latin1: one char per byte, so lengths and CTL checks are about bytes.
  return { kind: 'lines', lines: buf.toString('latin1', 0, end).split('\r\n'), length: end + 4 };
}

function parseHeaders(lines: readonly string[]): Header[] | string {
  const headers: Header[] = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) return 'obsolete line folding';
    const colon = line.indexOf(':');
    if (colon <= 0) return 'header line without a name';
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return 'bad header name';
    const value = line.slice(colon + 1).replace(/^[\t ]+|[\t ]+$/g, '');
    if (!FIELD_VALUE.test(value)) return `bad value in header ${name}`;
    headers.push([name, value]);
  }
  return headers;
}

export function parseRequestHead(
  buf: Buffer,
  maxBytes = DEFAULT_MAX_HEAD_BYTES,
): HeadResult<RequestHead> {
  const split = splitHead(buf, maxBytes);
  if (split.kind === 'incomplete') return split;
  if (split.kind === 'too-large')
    return { kind: 'error', status: 431, reason: `request head larger than ${maxBytes} bytes` };
  const [requestLine = '', ...rest] = split.lines;
  const parts = requestLine.split(' ');
  if (parts.length !== 3) return { kind: 'error', status: 400, reason: 'malformed request line' };
  const [method = '', target = '', version = ''] = parts;
  if (!TOKEN.test(method)) return { kind: 'error', status: 400, reason: 'bad method' };
  if (!TARGET.test(target)) return { kind: 'error', status: 400, reason: 'bad request target' };
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0')
    return { kind: 'error', status: 400, reason: 'unsupported HTTP version' };
  const headers = parseHeaders(rest);
  if (typeof headers === 'string') return { kind: 'error', status: 400, reason: headers };
  return { kind: 'ok', head: { method, target, version, headers }, length: split.length };
}

export function parseResponseHead(
  buf: Buffer,
  maxBytes = DEFAULT_MAX_HEAD_BYTES,
): HeadResult<ResponseHead> {
  const split = splitHead(buf, maxBytes);
  if (split.kind === 'incomplete') return split;
  if (split.kind === 'too-large')
    return { kind: 'error', status: 431, reason: `response head larger than ${maxBytes} bytes` };
  const [statusLine = '', ...rest] = split.lines;
  const match = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!match) return { kind: 'error', status: 400, reason: 'malformed status line' };
  const headers = parseHeaders(rest);
  if (typeof headers === 'string') return { kind: 'error', status: 400, reason: headers };
  return {
    kind: 'ok',
    head: {
      version: match[1] ?? '',
      status: Number(match[2]),
      statusText: match[3] ?? '',
      headers,
    },
    length: split.length,
  };
}

function headerValues(headers: readonly Header[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

// RFC 9110 §7.6.1, plus the proxy's own credentials headers, which belong to
// this hop only. Transfer-Encoding is hop-by-hop too, but we forward the body
// bytes unchanged, so its framing must stay with them.
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);
// Never removed because a Connection header names them: that would change the
// message's framing or destination.
const PROTECTED = new Set(['host', 'content-length', 'transfer-encoding']);

export function stripHopByHop(headers: readonly Header[]): Header[] {
  const named = new Set<string>();
  for (const value of headerValues(headers, 'connection')) {
    for (const token of value.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && !PROTECTED.has(t)) named.add(t);
    }
  }
  return headers.filter(([n]) => {
    const lower = n.toLowerCase();
    return !HOP_BY_HOP.has(lower) && !named.has(lower);
  });
}

export type ProxyTarget =
  | { readonly kind: 'connect'; readonly authority: Authority }
  | {
      readonly kind: 'forward';
      readonly authority: Authority;
      /** origin-form: path and query */ readonly path: string;
    }
  | { readonly kind: 'error'; readonly status: 400; readonly reason: string };

/** What the client asked the proxy for: a CONNECT tunnel or a plain-HTTP forward. */
export function proxyTarget(head: RequestHead): ProxyTarget {
  try {
    if (head.method === 'CONNECT') {
      return { kind: 'connect', authority: parseAuthority(head.target) };
    }
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(head.target);
    if (!scheme) {
      return {
        kind: 'error',
        status: 400,
        reason: 'this is a proxy: use an absolute URI (http://host/path) or CONNECT',
      };
    }
    if ((scheme[1] ?? '').toLowerCase() !== 'http') {
      return {
        kind: 'error',
        status: 400,
        reason: `unsupported scheme ${scheme[1] ?? ''}: use CONNECT for TLS`,
      };
    }
    const rest = head.target.slice(scheme[0].length);
    const end = rest.search(/[/?#]/);
    const authorityText = end < 0 ? rest : rest.slice(0, end);
    let path = end < 0 ? '/' : rest.slice(end);
    const hash = path.indexOf('#');
    if (hash >= 0) path = path.slice(0, hash);
    if (path.startsWith('?')) path = `/${path}`;
    if (path === '') path = '/';
    return { kind: 'forward', authority: parseAuthority(authorityText, 80), path };
  } catch (error) {
    if (error instanceof AuthorityError)
      return { kind: 'error', status: 400, reason: error.message };
    throw error;
  }
}

/** Why a forwarded request's body framing is ambiguous (request smuggling), or null. */
export function framingProblem(headers: readonly Header[]): string | null {
  const te = headerValues(headers, 'transfer-encoding');
  const cl = headerValues(headers, 'content-length');
  if (te.length > 0 && cl.length > 0) return 'both Transfer-Encoding and Content-Length';
  if (te.length > 0) {
    const codings = te
      .join(',')
      .split(',')
      .map((s) => s.trim().toLowerCase());
    if (codings[codings.length - 1] !== 'chunked') return 'Transfer-Encoding must end with chunked';
  }
  if (cl.length > 0) {
    const values = new Set(
      cl
        .join(',')
        .split(',')
        .map((s) => s.trim()),
    );
    if (values.size !== 1 || !/^\d{1,15}$/.test([...values][0] ?? '')) return 'bad Content-Length';
  }
  return null;
}

/**
 * The head sent to the origin for an absolute-URI request: origin-form target,
 * Host from the URI (RFC 9112 §3.2.2), hop-by-hop headers removed, and
 * `Connection: close` (one request per client connection).
 */
export function forwardHead(head: RequestHead, authority: Authority, path: string): Buffer {
  const host =
    authority.port === 80
      ? formatHost(authority.host)
      : formatAuthority(authority.host, authority.port);
  const kept = stripHopByHop(head.headers).filter(([n]) => n.toLowerCase() !== 'host');
  const lines = [
    `${head.method} ${path} ${head.version}`,
    `Host: ${host}`,
    ...kept.map(([n, v]) => `${n}: ${v}`),
    'Connection: close',
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

const STATUS_TEXT: Record<number, string> = {
  200: 'Connection Established',
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A complete response with a one-line text body; the connection closes after it. */
export function errorResponse(status: number, reason: string): Buffer {
  const body = `bubble: ${reason.replace(/[\r\n]+/g, ' ')}\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

export const CONNECT_ESTABLISHED = Buffer.from(
  'HTTP/1.1 200 Connection Established\r\n\r\n',
  'latin1',
);
