// The corporate proxy that bubble's own proxy may have to go through: read from
// an environment passed in explicitly (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, and
// lower case). Pure.
import { BlockList, isIP, isIPv6 } from 'node:net';
import { normalizeHost, parsePort } from './authority.ts';

export interface UpstreamProxy {
  readonly host: string;
  readonly port: number;
  /** `Basic ...` from the URL's user info, or null. */
  readonly authorization: string | null;
  /** For messages and the log: scheme://host:port, never credentials. */
  readonly display: string;
}

export interface NoProxyEntry {
  readonly kind: 'all' | 'domain' | 'cidr';
  /** domain: lower-case name without leading `.`/`*.`; cidr: the network. */
  readonly value: string;
  readonly prefix: number;
  readonly port: number | null;
}

export interface UpstreamConfig {
  /** For plain-HTTP forwarding. */
  readonly http: UpstreamProxy | null;
  /** For CONNECT and SOCKS tunnels. */
  readonly https: UpstreamProxy | null;
  readonly noProxy: readonly NoProxyEntry[];
}

export class UpstreamConfigError extends Error {
  readonly code = 'ERR_BAD_UPSTREAM_PROXY';
  constructor(variable: string, why: string) {
    super(`${variable}: ${why} (expected http://[user:password@]host:port)`);
    this.name = 'UpstreamConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function pick(env: Env, name: string): { name: string; value: string } | null {
  // Lower case first, as curl does.
  for (const n of [name.toLowerCase(), name.toUpperCase()]) {
    const v = env[n];
    if (v !== undefined && v.trim() !== '') return { name: n, value: v.trim() };
  }
  return null;
}

function parseUpstreamUrl(variable: string, value: string): UpstreamProxy {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UpstreamConfigError(variable, `not a URL ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:')
    throw new UpstreamConfigError(variable, `scheme ${url.protocol} is not supported`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new UpstreamConfigError(variable, 'no host');
  const port = url.port === '' ? 80 : Number(url.port);
  const authorization =
    url.username === '' && url.password === ''
      ? null
      : `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  return {
    host,
    port,
    authorization,
    display: `http://${isIPv6(host) ? `[${host}]` : host}:${port}`,
  };
}

export function parseNoProxy(value: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const raw of value.split(/[\s,]+/)) {
    let text = raw.trim().toLowerCase();
    if (text === '') continue;
    if (text === '*') {
      entries.push({ kind: 'all', value: '', prefix: 0, port: null });
      continue;
    }
    let port: number | null = null;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
    if (bracketed) {
      text = bracketed[1] ?? '';
      port = bracketed[2] === undefined ? null : parsePort(bracketed[2]);
    } else if (text.indexOf(':') > 0 && text.indexOf(':') === text.lastIndexOf(':')) {
      // host:port (an IPv6 literal has more than one colon and no port unless bracketed)
      const colon = text.indexOf(':');
      port = parsePort(text.slice(colon + 1));
      text = text.slice(0, colon);
    }
    const [net = '', bits] = text.split('/');
    const family = isIP(net);
    if (family !== 0) {
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (Number.isInteger(prefix) && prefix >= 0 && prefix <= max)
        entries.push({ kind: 'cidr', value: net, prefix, port });
      continue;
    }
    const domain = normalizeHost(text.replace(/^\*?\./, ''));
    if (domain !== '') entries.push({ kind: 'domain', value: domain, prefix: 0, port });
  }
  return entries;
}

/** Null when neither HTTPS_PROXY nor HTTP_PROXY is set. Throws UpstreamConfigError. */
export function upstreamFromEnv(env: Env): UpstreamConfig | null {
  const https = pick(env, 'https_proxy');
  const http = pick(env, 'http_proxy');
  if (!https && !http) return null;
  const httpsProxy = https ? parseUpstreamUrl(https.name, https.value) : null;
  const httpProxy = http ? parseUpstreamUrl(http.name, http.value) : null;
  const noProxy = pick(env, 'no_proxy');
  return {
    // A corporate network usually sets both; if only one is set, use it for everything.
    http: httpProxy ?? httpsProxy,
    https: httpsProxy ?? httpProxy,
    noProxy: noProxy ? parseNoProxy(noProxy.value) : [],
  };
}

/** True when NO_PROXY says to connect directly. `address` is the checked address to dial. */
export function bypassesUpstream(
  entries: readonly NoProxyEntry[],
  host: string,
  port: number,
  address: string,
): boolean {
  for (const entry of entries) {
    if (entry.port !== null && entry.port !== port) continue;
    switch (entry.kind) {
      case 'all':
        return true;
      case 'domain':
        if (host === entry.value || host.endsWith(`.${entry.value}`)) return true;
        break;
      case 'cidr': {
        const family = isIP(entry.value) === 4 ? 'ipv4' : 'ipv6';
        const list = new BlockList();
        list.addSubnet(entry.value, entry.prefix, family);
        for (const candidate of [host, address]) {
          const f = isIP(candidate);
          if (f !== 0 && list.check(candidate, f === 4 ? 'ipv4' : 'ipv6')) return true;
        }
        break;
      }
    }
  }
  return false;
}

/** The upstream to use for this connection, or null to dial directly. */
export function selectUpstream(
  config: UpstreamConfig | null,
  protocol: 'connect' | 'http' | 'socks',
  host: string,
  port: number,
  address: string,
): UpstreamProxy | null {
  if (!config) return null;
  const proxy = protocol === 'http' ? config.http : config.https;
  if (!proxy || bypassesUpstream(config.noProxy, host, port, address)) return null;
  return proxy;
}
