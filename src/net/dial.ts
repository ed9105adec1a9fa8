// Connecting to a destination that decide() allowed: only the checked
// addresses, never the name (no second lookup, so no DNS rebinding), with a
// connect deadline; optionally through an upstream proxy with CONNECT.
import { connect, type Socket } from 'node:net';
import { formatAuthority } from './authority.ts';
import { DEFAULT_MAX_HEAD_BYTES, parseResponseHead } from './http.ts';
import type { UpstreamProxy } from './upstream.ts';

export interface DialTarget {
  /** The name the client asked for (for the upstream's CONNECT when sendHostname, and messages). */
  readonly host: string;
  readonly port: number;
  /** Checked addresses, tried in order. */
  readonly addresses: readonly string[];
  /** Upstream proxy to tunnel through, or null for a direct connection. */
  readonly upstream: UpstreamProxy | null;
  /**
   * Ask the upstream for the host name instead of the checked address (its DNS is
   * authoritative behind a corporate proxy; it may resolve the name to an address
   * bubble never checked: the rules on the name still held). With no checked
   * address at all (the name did not resolve here) the name is all there is.
   */
  readonly sendHostname?: boolean;
  readonly timeoutMs: number;
}

export interface Dialed {
  readonly socket: Socket;
  /** The address connected to (the checked destination address, also when via an upstream). */
  readonly address: string;
  /** Bytes the socket had already written/read for the upstream handshake, to subtract from counters. */
  readonly handshake: { readonly written: number; readonly read: number };
}

export type Dialer = (target: DialTarget) => Promise<Dialed>;

export type DialErrorCode =
  | 'ERR_DIAL_REFUSED'
  | 'ERR_DIAL_TIMEOUT'
  | 'ERR_DIAL_UNREACHABLE'
  | 'ERR_DIAL_FAILED'
  | 'ERR_UPSTREAM_REFUSED'
  | 'ERR_UPSTREAM_PROTOCOL';

export class DialError extends Error {
  readonly code: DialErrorCode;
  constructor(code: DialErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DialError';
    this.code = code;
  }
}

function classifySystemError(error: unknown, what: string): DialError {
  if (error instanceof DialError) return error;
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return new DialError('ERR_DIAL_REFUSED', `${what}: connection refused`, { cause: error });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
    case 'ENOTFOUND':
      return new DialError('ERR_DIAL_UNREACHABLE', `${what}: unreachable (${String(code)})`, {
        cause: error,
      });
    default:
      return new DialError(
        'ERR_DIAL_FAILED',
        `${what}: ${(error as Error).message ?? String(error)}`,
        { cause: error },
      );
  }
}

/** One TCP connect with a deadline. `host` may be a name only for the upstream proxy itself. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true, noDelay: true });
    const what = formatAuthority(host, port);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError('ERR_DIAL_TIMEOUT', `${what}: connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(classifySystemError(error, what));
    };
    socket.once('error', onError);
  });
}

/** Sends CONNECT to an upstream proxy on `socket` and waits for a 2xx. */
/** Resolves with the size of the upstream's response head (for byte counters). */
export function upstreamConnect(
  socket: Socket,
  authority: string,
  proxy: UpstreamProxy,
  timeoutMs: number,
): Promise<number> {
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.authorization) lines.push(`Proxy-Authorization: ${proxy.authorization}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (error: DialError | null, headLength = 0): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('end', onEnd);
      if (error) {
        socket.destroy();
        reject(error);
        return;
      }
      socket.pause();
      const rest = buffered.subarray(headLength);
      if (rest.length > 0) socket.unshift(rest);
      resolve(headLength);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = parseResponseHead(buffered, DEFAULT_MAX_HEAD_BYTES);
      if (parsed.kind === 'incomplete') return;
      if (parsed.kind === 'error') {
        finish(
          new DialError(
            'ERR_UPSTREAM_PROTOCOL',
            `upstream proxy ${proxy.display}: ${parsed.reason}`,
          ),
        );
        return;
      }
      if (parsed.head.status < 200 || parsed.head.status > 299) {
        finish(
          new DialError(
            'ERR_UPSTREAM_REFUSED',
            `upstream proxy ${proxy.display} answered ${parsed.head.status} ${parsed.head.statusText}`.trimEnd(),
          ),
        );
        return;
      }
      finish(null, parsed.length);
    };
    const onError = (error: Error): void =>
      finish(classifySystemError(error, `upstream proxy ${proxy.display}`));
    const onEnd = (): void =>
      finish(
        new DialError(
          'ERR_UPSTREAM_PROTOCOL',
          `upstream proxy ${proxy.display} closed the connection`,
        ),
      );
    const timer = setTimeout(
      () =>
        finish(
          new DialError(
            'ERR_DIAL_TIMEOUT',
            `upstream proxy ${proxy.display}: no answer after ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('end', onEnd);
  });
}

/** The default Dialer. */
export const dial: Dialer = async (target) => {
  const deadline = Date.now() + target.timeoutMs;
  const remaining = (): number => Math.max(1, deadline - Date.now());
  const [first] = target.addresses;
  const upstreamTarget = target.sendHostname ? target.host : first;
  if (target.upstream && upstreamTarget !== undefined) {
    // The upstream does the actual connecting; we hand it the name or one checked address.
    const proxy = target.upstream;
    const socket = await connectTcp(proxy.host, proxy.port, remaining());
    const authority = formatAuthority(upstreamTarget, target.port);
    const headLength = await upstreamConnect(socket, authority, proxy, remaining());
    return {
      socket,
      address: first ?? target.host,
      handshake: { written: socket.bytesWritten, read: headLength },
    };
  }
  if (first === undefined)
    throw new DialError('ERR_DIAL_UNREACHABLE', `${target.host}: no address to dial`);

  let lastError: unknown = null;
  for (const address of target.addresses) {
    if (Date.now() >= deadline) break;
    try {
      const socket = await connectTcp(address, target.port, remaining());
      return { socket, address, handshake: { written: 0, read: 0 } };
    } catch (error) {
      lastError = error;
    }
  }
  if (lastError) throw classifySystemError(lastError, formatAuthority(target.host, target.port));
  throw new DialError(
    'ERR_DIAL_TIMEOUT',
    `${formatAuthority(target.host, target.port)}: connect timed out after ${target.timeoutMs} ms`,
  );
};
