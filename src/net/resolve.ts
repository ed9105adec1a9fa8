// Name resolution, done once per connection. The addresses returned here are
// the only ones decide() checks and dial() connects to.
import { isIP } from 'node:net';

/** Resolves a host name (never an IP literal) to IP address strings. */
export type Resolver = (host: string) => Promise<string[]>;

export class ResolveError extends Error {
  readonly code: 'ERR_RESOLVE_NOTFOUND' | 'ERR_RESOLVE_TIMEOUT' | 'ERR_RESOLVE_FAILED';
  constructor(code: ResolveError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResolveError';
    this.code = code;
  }
}

/**
 * The system resolver (getaddrinfo via dns.lookup), in the order it returns. The module is
 * loaded at the first name: every launch imports the proxy, few sessions without a name.
 */
export const systemResolver: Resolver = async (host) => {
  const { lookup } = await import('node:dns/promises');
  const results = await lookup(host, { all: true, verbatim: true });
  return results.map((r) => r.address);
};

/**
 * A fixed name map, for tests ("a test-only name mapping in the proxy"): names
 * in the map resolve to their addresses; anything else goes to `fallback`, or
 * fails as not found when there is none. Keys are matched lower-case.
 */
export function mapResolver(
  map: Readonly<Record<string, readonly string[]>>,
  fallback?: Resolver,
): Resolver {
  const table = new Map(Object.entries(map).map(([k, v]) => [k.toLowerCase(), [...v]]));
  return async (host) => {
    const hit = table.get(host.toLowerCase());
    if (hit) return [...hit];
    if (fallback) return fallback(host);
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };
}

// RFC 6761 §6.3: localhost names resolve to loopback without asking anyone.
const LOCALHOST = ['127.0.0.1', '::1'];

/**
 * IP literals short-circuit; `localhost` and `*.localhost` are loopback;
 * everything else goes to `resolver`, bounded by `timeoutMs`.
 */
export async function resolveHost(
  host: string,
  resolver: Resolver,
  timeoutMs: number,
): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  if (host === 'localhost' || host.endsWith('.localhost')) return [...LOCALHOST];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ResolveError(
            'ERR_RESOLVE_TIMEOUT',
            `resolving ${host} timed out after ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    const addresses = await Promise.race([resolver(host), timeout]);
    return [...new Set(addresses)];
  } catch (error) {
    if (error instanceof ResolveError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NONAME') {
      throw new ResolveError('ERR_RESOLVE_NOTFOUND', `${host} not found`, { cause: error });
    }
    if (code === 'EAI_AGAIN')
      throw new ResolveError(
        'ERR_RESOLVE_FAILED',
        `resolving ${host} failed: no DNS server answered (is the network up?)`,
        { cause: error },
      );
    throw new ResolveError(
      'ERR_RESOLVE_FAILED',
      `resolving ${host} failed: ${String((error as Error).message ?? error)}`,
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}
