// The reverse proxy on the host that adds the model API credential. bubble's egress proxy
// hands it every origin-form request (`POST /anthropic/v1/messages`) it receives on the
// sandbox's proxy port. Only the API's own routes pass; whatever credential the client sent
// is dropped and the real one added; the request goes to the real API over TLS from here
// (through the user's upstream proxy when one is configured), and the response streams back
// unbuffered (server-sent events arrive as they are sent).

import {
  request as httpRequest,
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { connectTcp, upstreamConnect } from '../net/dial.ts';
import { formatAuthority } from '../net/authority.ts';
import { selectUpstream, type UpstreamConfig } from '../net/upstream.ts';
import { isCredentialHeader, matchRoute, modelApi, type Carrier } from './apis.ts';
import type { InjectedApi } from './plan.ts';
import { CredentialError, type Credential } from './secrets.ts';
import type { CredentialSource } from './plan.ts';

export interface ApiCall {
  time: string;
  api: string;
  method: string;
  /** Path below the prefix, without the query (it may carry a key). */
  path: string;
  status: number;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /** Why bubble answered itself (refused route, missing credential, upstream failure). */
  error: string | null;
}

export interface InjectorOptions {
  apis: readonly InjectedApi[];
  secret: (source: CredentialSource) => Promise<Credential>;
  upstream: UpstreamConfig | null;
  onCall: (call: ApiCall) => void;
  connectTimeoutMs?: number;
}

export interface Injector {
  /** Takes over a client socket whose first bytes (already read) are `head`. */
  handle(client: Socket, head: Buffer): Promise<void>;
}

// RFC 9110 §7.6.1: hop-by-hop fields, never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** A path a client may name: no dot segments, no encoded slashes, nothing odd. */
const SAFE_PATH = /^(\/[A-Za-z0-9._~:@!$&'()*+,;=-]+)*\/?$/;

function credentialHeader(carrier: Carrier, value: string): [string, string] {
  switch (carrier) {
    case 'x-api-key':
      return ['x-api-key', value];
    case 'x-goog-api-key':
      return ['x-goog-api-key', value];
    case 'bearer':
      return ['authorization', `Bearer ${value}`];
  }
}

/** An error in the API's own shape where one is known, with a one-line message. */
function answer(res: ServerResponse, status: number, api: string, message: string): void {
  const body =
    api === 'anthropic'
      ? {
          type: 'error',
          error: { type: status === 401 ? 'authentication_error' : 'permission_error', message },
        }
      : {
          error: {
            message,
            type: status === 401 ? 'authentication_error' : 'permission_error',
            code: status,
          },
        };
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-bubble-error': message.slice(0, 200),
  });
  res.end(text);
}

export function createInjector(options: InjectorOptions): Injector {
  const timeout = options.connectTimeoutMs ?? 30_000;
  const server = createServer(
    { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      void serve(req, res);
    },
  );

  const connectVia = (target: URL, done: (err: Error | null, socket?: Duplex) => void): void => {
    const secure = target.protocol === 'https:';
    const port = Number(target.port || (secure ? 443 : 80));
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const proxy = selectUpstream(options.upstream, secure ? 'connect' : 'http', host, port, host);
    (async () => {
      let socket: Socket;
      if (proxy) {
        socket = await connectTcp(proxy.host, proxy.port, timeout);
        await upstreamConnect(socket, formatAuthority(host, port), proxy, timeout);
        socket.resume();
      } else {
        socket = await connectTcp(host, port, timeout);
      }
      if (!secure) return socket;
      return tlsConnect({ socket, servername: host, ALPNProtocols: ['http/1.1'] });
    })().then(
      (s) => done(null, s),
      (e: Error) => done(e),
    );
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const time = new Date().toISOString();
    // An absolute URI when the client sent the request through the proxy to the proxy itself.
    const rawPath = /^https?:\/\//i.test(req.url ?? '')
      ? ((u) => u.pathname + u.search)(new URL(req.url!))
      : (req.url ?? '/');
    const q = rawPath.indexOf('?');
    const path = q < 0 ? rawPath : rawPath.slice(0, q);
    const query = q < 0 ? '' : rawPath.slice(q + 1);
    const entry = options.apis.find((a) => path === a.prefix || path.startsWith(`${a.prefix}/`));
    let bytesUp = 0;
    let bytesDown = 0;
    const record = (status: number, error: string | null, api: string, shownPath: string): void =>
      options.onCall({
        time,
        api,
        method: req.method ?? '',
        path: shownPath.slice(0, 200),
        status,
        bytesUp,
        bytesDown,
        durationMs: Math.round(performance.now() - started),
        error,
      });
    if (entry === undefined) {
      const message = `bubble: ${req.method} ${path.slice(0, 100)} is not a model API bubble forwards (this is bubble's proxy port: use it as HTTP_PROXY)`;
      answer(res, 404, 'none', message);
      record(404, 'no such API prefix', 'none', path);
      return;
    }
    const api = modelApi(entry.api);
    const upstream = new URL(entry.upstream);
    const basePath = upstream.pathname.replace(/\/+$/, '');
    // What the client names below the prefix: the upstream's path, unless the API hides it.
    const shownPath = api.hideUpstreamPath === true ? '' : basePath;
    const below = path.slice(entry.prefix.length);
    const rel =
      shownPath !== '' && below.startsWith(`${shownPath}/`)
        ? below.slice(shownPath.length)
        : shownPath === ''
          ? below
          : undefined;
    const route =
      rel !== undefined && SAFE_PATH.test(rel) ? matchRoute(api, req.method ?? '', rel) : undefined;
    if (rel === undefined || route === undefined) {
      const message = `bubble: ${req.method} ${below.slice(0, 100)} is not a ${api.name} API request bubble forwards with your credential`;
      answer(res, 403, api.name, message);
      record(403, 'route not allowed', api.name, below);
      return;
    }
    let credential: Credential | undefined;
    if (route.credential) {
      try {
        credential = await options.secret(entry.source);
      } catch (error) {
        const message = `bubble: ${error instanceof CredentialError ? error.message : String(error)}`;
        answer(res, 401, api.name, message);
        record(401, message, api.name, below);
        return;
      }
    }
    const headers: OutgoingHttpHeaders = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || isCredentialHeader(lower)) continue;
      const value = req.rawHeaders[i + 1]!;
      const prev = headers[lower];
      headers[lower] =
        prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
    }
    if (credential !== undefined) {
      const [name, value] = credentialHeader(credential.carrier, credential.value);
      headers[name] = value;
    }
    const params = new URLSearchParams(query);
    for (const k of api.queryKeys) params.delete(k);
    const search = params.toString();
    const outPath = `${basePath}${rel}${search === '' ? '' : `?${search}`}`;
    const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
    await new Promise<void>((resolve) => {
      let settled = false;
      const finish = (status: number, error: string | null): void => {
        if (settled) return;
        settled = true;
        record(status, error, api.name, below);
        resolve();
      };
      const out = send(
        {
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: outPath,
          headers: { ...headers, host: upstream.host },
          createConnection: ((_: unknown, cb: (err: Error | null, s?: Duplex) => void) => {
            connectVia(upstream, cb);
            return undefined;
          }) as never,
          agent: false,
        },
        (up) => {
          const back: OutgoingHttpHeaders = {};
          for (const [k, v] of Object.entries(up.headers))
            if (!HOP_BY_HOP.has(k) && v !== undefined) back[k] = v;
          res.writeHead(up.statusCode ?? 502, back);
          res.flushHeaders();
          up.on('data', (chunk: Buffer) => {
            bytesDown += chunk.length;
          });
          up.pipe(res);
          up.on('end', () => finish(up.statusCode ?? 0, null));
          up.on('error', (e) => {
            res.destroy();
            finish(up.statusCode ?? 0, e.message);
          });
        },
      );
      out.on('error', (e) => {
        if (!res.headersSent) answer(res, 502, api.name, `bubble: ${upstream.host}: ${e.message}`);
        else res.destroy();
        finish(502, e.message);
      });
      req.on('data', (chunk: Buffer) => {
        bytesUp += chunk.length;
      });
      req.pipe(out);
      res.on('close', () => {
        if (!res.writableFinished) out.destroy();
        finish(res.statusCode, res.writableFinished ? null : 'client went away');
      });
    });
  }

  return {
    handle(client, head) {
      return new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.unshift(head);
        server.emit('connection', client);
        client.resume();
      });
    },
  };
}
