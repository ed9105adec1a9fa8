// The egress proxy: one listener, three protocols, every connection decided and
// recorded.
//
// The first byte picks the protocol: 0x05 is SOCKS5 (CONNECT only, no auth);
// anything else is HTTP/1.x: `CONNECT host:port` opens an opaque tunnel (TLS
// is never intercepted), an absolute-URI request (`GET http://host/path`) is
// forwarded in origin-form with hop-by-hop headers removed.
//
// Plain-HTTP forwarding handles one request per client connection: the origin
// gets `Connection: close`, and whatever else the client sends on that
// connection goes, unparsed, to the same origin, like a tunnel. Bytes only
// ever go to the destination that was decided. Responses are passed through
// unchanged.
//
// Per connection: the socket stays paused while the decision is made; the name
// is checked against the rules before it is resolved, resolved once, every
// address checked, and only checked addresses dialled. Through an upstream
// (corporate) proxy the upstream is asked for the name, and a name this host
// cannot resolve goes there by name with the rules applied to it. Timeouts: header
// (until the request is complete), DNS, connect, idle. One record per
// connection goes to `onRecord` when the connection ends (or at close()).
import { chmod } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import {
  connectionRecord,
  openRecord,
  type ConnectionRecord,
  type DecisionName,
  type Denial,
  type Failure,
  type OpenRecord,
  type Protocol,
} from '../log/record.ts';
import { formatAuthority, formatHost, hostnameProblem, normalizeHost } from './authority.ts';
import {
  decide,
  decideByName,
  destinationPolicy,
  precheck,
  type Decision,
  type DestinationPolicy,
} from './decide.ts';
import { readHostAddresses } from './host-addresses.ts';
import type { PrivateGrant } from './private-grants.ts';
import { dial as defaultDialer, DialError, type Dialed, type Dialer } from './dial.ts';
import {
  CONNECT_ESTABLISHED,
  DEFAULT_MAX_HEAD_BYTES,
  errorResponse,
  forwardHead,
  framingProblem,
  parseRequestHead,
  proxyTarget,
  type HeadResult,
  type RequestHead,
} from './http.ts';
import { ClientGoneError, noticeClientGone, readUntil, splice } from './pipe.ts';
import { resolveHost, ResolveError, systemResolver, type Resolver } from './resolve.ts';
import { NO_RULES, parsePattern, type Rules } from './rules.ts';
import type { Ask } from './ask.ts';
import {
  buildReply,
  methodSelection,
  METHOD_NO_AUTH,
  METHOD_NONE_ACCEPTABLE,
  parseGreeting,
  parseRequest,
  Reply,
  type ReplyCode,
} from './socks5.ts';
import { selectUpstream, type UpstreamConfig } from './upstream.ts';

/** A monotonic clock in ms (node:perf_hooks costs every launch a module load). */
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export interface ProxyTimeouts {
  /** From accept until the request (HTTP head, or SOCKS greeting + request) is complete. */
  readonly headerMs: number;
  readonly dnsMs: number;
  /** For each connect attempt sequence, including the upstream proxy's CONNECT answer. */
  readonly connectMs: number;
  /** A tunnel with no traffic in either direction for this long is closed. */
  readonly idleMs: number;
}

const DEFAULT_TIMEOUTS: ProxyTimeouts = {
  headerMs: 15_000,
  dnsMs: 10_000,
  connectMs: 15_000,
  // Long: agents keep streaming API connections open, ssh sessions sit idle.
  idleMs: 30 * 60_000,
};

export interface ProxyOptions {
  readonly rules?: Rules;
  /** Host loopback ports the sandbox may reach (`--host-port`). */
  readonly publishedPorts?: Iterable<number>;
  /** Private destinations allowed on purpose (`--allow-private`). */
  readonly privateGrants?: readonly PrivateGrant[];
  /** This host's own addresses, asked at every decision; default: every interface's. */
  readonly hostAddresses?: () => ReadonlySet<string>;
  /** Name resolution; tests pass mapResolver({...}) instead of DNS. */
  readonly resolver?: Resolver;
  /** Upstream (corporate) proxy, e.g. upstreamFromEnv(process.env) in the composition root. */
  readonly upstream?: UpstreamConfig | null;
  /**
   * Ask the upstream for the host name (default), not the checked address: behind a
   * corporate proxy its DNS is authoritative, and a name this host cannot resolve goes
   * there by name. false: only checked addresses, and unresolvable names fail here.
   */
  readonly upstreamSendsHostname?: boolean;
  readonly dialer?: Dialer;
  readonly timeouts?: Partial<ProxyTimeouts>;
  readonly maxHeadBytes?: number;
  /** Called synchronously once per connection when it ends. Must not throw (errors go to onError). */
  readonly onRecord?: (record: ConnectionRecord) => void;
  /**
   * Called synchronously when a connection is allowed, before it is dialled.
   * If it throws (the log cannot be written), the connection is refused and
   * the error goes to onError: nothing flows unrecorded.
   */
  readonly onOpen?: (record: OpenRecord) => void;
  /** Internal errors that did not concern one client (a throwing onRecord). Default: ignored. */
  readonly onError?: (error: unknown) => void;
  /** Wall clock for record times; tests may fix it. */
  readonly clock?: () => Date;
  /**
   * Takes origin-form requests (`POST /anthropic/v1/messages`): a client that talks to the
   * proxy port as a server, which is how the sandbox reaches bubble's credential-adding
   * reverse proxy (src/creds/inject.ts). `head` is every byte read so far. Such a connection
   * is not egress: it gets no connection record (the handler logs its own).
   */
  readonly originHandler?: (client: Socket, head: Buffer) => Promise<void>;
  /**
   * Ports at which clients know the proxy itself on their loopback (the sandbox's 3128): a
   * client that sends its request for 127.0.0.1:PORT through the proxy anyway (CONNECT or
   * an absolute URI; Codex does) is talking to the proxy, so it goes to the originHandler.
   * The port the proxy listens on counts too.
   */
  readonly selfPorts?: readonly number[];
  /**
   * The ask policy: a destination no allow rule names is held until this answers (from
   * bubble watch, see ask.ts) instead of being refused.
   */
  readonly ask?: Ask;
}

export type ListenTarget =
  { readonly port: number; readonly host?: string } | { readonly path: string };
export type ProxyAddress =
  { readonly host: string; readonly port: number } | { readonly path: string };

/** Mutable per-connection facts that end up in the record. */
interface Conn {
  readonly id: number;
  readonly client: Socket;
  readonly started: number;
  readonly time: Date;
  readonly abort: AbortController;
  protocol: Protocol;
  host: string | null;
  port: number | null;
  address: string | null;
  decision: DecisionName;
  denial: Denial | null;
  failure: Failure | null;
  rule: string | null;
  reason: string | null;
  /** How a user would allow a refused destination, for the client's message. */
  hint: string | null;
  error: string | null;
  via: string | null;
  dest: Socket | null;
  handshake: Dialed['handshake'];
  /** Aborted when the header timeout fires. */
  readonly headerAbort: AbortController;
  /** Handed to the originHandler: not an egress connection. */
  local?: boolean;
}

type Outcome =
  | { readonly ok: true; readonly dialed: Dialed }
  | { readonly ok: false; readonly status: 403 | 502 | 503 | 504; readonly socks: ReplyCode };

class Aborted extends Error {
  constructor() {
    super('proxy closed');
    this.name = 'Aborted';
  }
}

function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  dispose: (value: T) => void,
): Promise<T> {
  if (signal.aborted) {
    promise.then(dispose, () => {});
    return Promise.reject(new Aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.then(dispose, () => {});
      reject(new Aborted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) dispose(value);
        else resolve(value);
      },
      (error: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 300);
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return oneLine(
      typeof code === 'string' && !error.message.includes(code)
        ? `${code}: ${error.message}`
        : error.message,
    );
  }
  return oneLine(String(error));
}

/** Why the client got no connection, in one line a person or a model can act on. */
function clientMessage(
  conn: Pick<Conn, 'denial' | 'failure' | 'reason' | 'hint' | 'error'>,
  what: string,
): string {
  if (conn.denial !== null) {
    const allow = conn.hint ? `; to allow it, ${conn.hint}` : '';
    return `refused ${what}: ${conn.reason ?? 'denied'}${allow}`;
  }
  const cause = oneLine(conn.error ?? conn.reason ?? 'failed');
  switch (conn.failure) {
    case 'not-found':
      return `could not reach ${what}: the name was not found by DNS (it does not exist, or this machine has no working DNS); no bubble rule refused it`;
    case 'dns-failed':
      return `could not reach ${what}: ${oneLine(conn.reason ?? cause)}; no bubble rule refused it`;
    case 'timed-out':
      return `could not reach ${what}: timed out (${cause}); no bubble rule refused it`;
    case 'refused':
      return `could not reach ${what}: the destination refused the connection (nothing listens there); no bubble rule refused it`;
    case 'unreachable':
      return `could not reach ${what}: unreachable (${cause}), is the network up?; no bubble rule refused it`;
    case 'upstream':
      return `could not reach ${what}: ${cause}; no bubble rule refused it`;
    default:
      return `could not reach ${what}: ${cause}`;
  }
}

export class EgressProxy {
  #policy: DestinationPolicy;
  readonly #ask: Ask | undefined;
  readonly #resolver: Resolver;
  readonly #upstream: UpstreamConfig | null;
  readonly #sendHostname: boolean;
  readonly #dialer: Dialer;
  readonly #timeouts: ProxyTimeouts;
  readonly #maxHead: number;
  readonly #onRecord: (record: ConnectionRecord) => void;
  readonly #onOpen: (record: OpenRecord) => void;
  readonly #onError: (error: unknown) => void;
  readonly #clock: () => Date;
  readonly #originHandler: ProxyOptions['originHandler'];
  readonly #selfPorts: readonly number[];
  readonly #conns = new Set<Conn>();
  readonly #tasks = new Set<Promise<void>>();
  #server: Server | null = null;
  #closing: Promise<void> | null = null;
  #total = 0;

  constructor(options: ProxyOptions = {}) {
    this.#policy = destinationPolicy(options.rules ?? NO_RULES, options.publishedPorts ?? [], {
      privateGrants: options.privateGrants ?? [],
      hostAddresses: options.hostAddresses ?? readHostAddresses,
    });
    this.#resolver = options.resolver ?? systemResolver;
    this.#upstream = options.upstream ?? null;
    this.#sendHostname = options.upstreamSendsHostname ?? true;
    this.#dialer = options.dialer ?? defaultDialer;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#maxHead = options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
    this.#onRecord = options.onRecord ?? (() => {});
    this.#onOpen = options.onOpen ?? (() => {});
    this.#onError = options.onError ?? (() => {});
    this.#clock = options.clock ?? (() => new Date());
    this.#originHandler = options.originHandler;
    this.#selfPorts = options.selfPorts ?? [];
    this.#ask = options.ask;
  }

  /** Connections being served now. */
  get activeConnections(): number {
    return this.#conns.size;
  }

  /** Connections accepted since start. */
  get totalConnections(): number {
    return this.#total;
  }

  /** Where listen() is listening, or null. */
  get address(): ProxyAddress | null {
    const addr = this.#server?.address();
    if (!addr) return null;
    if (typeof addr === 'string') return { path: addr };
    return { host: addr.address, port: addr.port };
  }

  /**
   * Serves one accepted connection. For a server you own, create it with
   * `{ allowHalfOpen: true, pauseOnConnect: true }` and call this from its
   * 'connection' event (or use attach()).
   */
  handle(client: Socket): void {
    if (this.#closing) {
      client.destroy();
      return;
    }
    this.#total += 1;
    const task: Promise<void> = this.#serve(client)
      .catch((error: unknown) => this.#onError(error))
      .finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
  }

  /** Serves every connection of a server the caller owns. close() does not close that server. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.handle(socket));
  }

  /**
   * Listens on a TCP port (host defaults to 127.0.0.1; port 0 picks one) or a
   * Unix socket path (created 0600; the directory should be private). The
   * server is closed by close().
   */
  async listen(target: ListenTarget): Promise<ProxyAddress> {
    if (this.#server) throw new Error('EgressProxy.listen: already listening');
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    this.#server = server;
    server.on('connection', (socket: Socket) => this.handle(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('path' in target) server.listen({ path: target.path, backlog: 1024 }, resolve);
      else
        server.listen(
          { port: target.port, host: target.host ?? '127.0.0.1', backlog: 1024 },
          resolve,
        );
    });
    server.on('error', (error) => this.#onError(error));
    if ('path' in target) await chmod(target.path, 0o600);
    const address = this.address;
    if (!address) throw new Error('EgressProxy.listen: no address after listen');
    return address;
  }

  /**
   * Stops accepting, ends every connection (each gets its record, with error
   * "proxy closed" if it was still open), and resolves when all records have
   * been handed to onRecord. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const server = this.#server;
      const serverClosed = server
        ? new Promise<void>((resolve) => server.close(() => resolve()))
        : Promise.resolve();
      for (const conn of this.#conns) {
        conn.error ??= 'proxy closed';
        conn.abort.abort();
        conn.client.destroy();
        conn.dest?.destroy();
      }
      await Promise.allSettled([...this.#tasks]);
      await serverClosed;
    })();
    return this.#closing;
  }

  async #serve(client: Socket): Promise<void> {
    const conn: Conn = {
      id: this.#total,
      client,
      started: monotonicMs(),
      time: this.#clock(),
      abort: new AbortController(),
      protocol: 'http',
      host: null,
      port: null,
      address: null,
      decision: 'deny',
      denial: null,
      failure: null,
      rule: null,
      reason: null,
      hint: null,
      error: null,
      via: null,
      dest: null,
      handshake: { written: 0, read: 0 },
      headerAbort: new AbortController(),
    };
    this.#conns.add(conn);
    // Errors are read from the events that matter; this keeps a reset from crashing the process.
    client.on('error', () => {});
    client.setNoDelay(true);
    const headerTimer = setTimeout(() => conn.headerAbort.abort(), this.#timeouts.headerMs);
    try {
      const { value: first, buffer } = await readUntil(
        client,
        Buffer.alloc(0),
        (buf) => (buf.length > 0 ? buf[0] : null),
        conn.headerAbort.signal,
      );
      if (first === 0x05) {
        conn.protocol = 'socks';
        await this.#serveSocks(conn, buffer, headerTimer);
      } else if (first === 0x04) {
        conn.protocol = 'socks';
        conn.reason = 'SOCKS4 is not supported (use SOCKS5)';
        client.destroy();
      } else {
        await this.#serveHttp(conn, buffer, headerTimer);
      }
    } catch (error) {
      if (error instanceof ClientGoneError || error instanceof Aborted) {
        if (conn.headerAbort.signal.aborted) {
          conn.reason ??= `request not complete within ${this.#timeouts.headerMs} ms`;
          if (conn.protocol === 'http' && client.bytesRead > 0) {
            await this.#finish(conn, errorResponse(408, 'request head not received in time'));
          }
        } else if (conn.decision === 'deny') conn.reason ??= error.message;
        else conn.error ??= error.message;
      } else {
        conn.error ??= errorText(error);
      }
    } finally {
      clearTimeout(headerTimer);
      client.destroy();
      conn.dest?.destroy();
      this.#conns.delete(conn);
      this.#emit(conn);
    }
  }

  #emit(conn: Conn): void {
    if (conn.local) return;
    const up = conn.dest ? Math.max(0, conn.dest.bytesWritten - conn.handshake.written) : 0;
    const down = conn.dest ? Math.max(0, conn.dest.bytesRead - conn.handshake.read) : 0;
    const denial = conn.decision === 'deny' ? (conn.denial ?? 'malformed') : null;
    const record = connectionRecord({
      id: conn.id,
      time: conn.time.toISOString(),
      protocol: conn.protocol,
      host: conn.host,
      port: conn.port,
      address: conn.address,
      decision: conn.decision,
      denial,
      failure: conn.failure,
      rule: conn.rule,
      reason: conn.reason,
      bytesUp: up,
      bytesDown: down,
      durationMs: Math.round(monotonicMs() - conn.started),
      error: conn.error,
      ...(conn.via ? { via: conn.via } : {}),
      ...(denial !== null && conn.hint ? { hint: conn.hint } : {}),
    });
    try {
      this.#onRecord(record);
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Not bubble's doing: the rules let the name through, the lookup failed. */
  #lookupFailed(conn: Conn, error: ResolveError): Outcome {
    conn.decision = 'allow';
    conn.failure =
      error.code === 'ERR_RESOLVE_NOTFOUND'
        ? 'not-found'
        : error.code === 'ERR_RESOLVE_TIMEOUT'
          ? 'timed-out'
          : 'dns-failed';
    conn.reason = error.message;
    conn.error = error.code;
    return {
      ok: false,
      status: error.code === 'ERR_RESOLVE_TIMEOUT' ? 504 : 502,
      socks: Reply.hostUnreachable,
    };
  }

  /** Rules, resolution, address checks and the dial. Fills in conn's record fields. */
  async #connect(conn: Conn, host: string, port: number): Promise<Outcome> {
    conn.host = host;
    conn.port = port;
    let policy = this.#policy;
    let early = precheck(host, port, policy);
    if (early && early.rule === null && this.#ask !== undefined) {
      // Not in the allow list: held until someone answers in bubble watch.
      const granted = await this.#held(conn, host, port, early);
      if (granted === null) return { ok: false, status: 403, socks: Reply.notAllowed };
      policy = granted;
      early = precheck(host, port, policy);
    }
    if (early) {
      conn.denial = 'rule';
      conn.rule = early.rule;
      conn.reason = early.reason;
      conn.hint = early.hint;
      return { ok: false, status: 403, socks: Reply.notAllowed };
    }
    let decision: Decision;
    try {
      const addresses = await raceAbort(
        resolveHost(host, this.#resolver, this.#timeouts.dnsMs),
        conn.abort.signal,
        () => {},
      );
      decision = decide(host, port, addresses, policy);
    } catch (error) {
      if (!(error instanceof ResolveError)) throw error;
      // Behind an upstream proxy a name this host cannot resolve is the upstream's to
      // resolve (a corporate network's internal names): asked for by name, rules applied
      // to the name.
      const upstream = this.#sendHostname
        ? selectUpstream(this.#upstream, conn.protocol, host, port, host)
        : null;
      if (upstream) decision = decideByName(host, port, policy);
      else return this.#lookupFailed(conn, error);
    }
    conn.rule = decision.rule;
    if (!decision.allow) {
      conn.denial = decision.code === 'rule' ? 'rule' : 'address';
      if (decision.code === 'unresolved') {
        conn.decision = 'allow';
        conn.denial = null;
        conn.failure = 'not-found';
      }
      conn.reason = decision.reason;
      conn.hint = decision.hint;
      return { ok: false, status: 403, socks: Reply.notAllowed };
    }
    // A published port of this host is dialled here: an upstream elsewhere would reach its
    // own loopback with it.
    const upstream = decision.rule?.startsWith('host-port ')
      ? null
      : selectUpstream(this.#upstream, conn.protocol, host, port, decision.address);
    if (upstream) conn.via = upstream.display;
    try {
      this.#onOpen(
        openRecord({
          id: conn.id,
          time: conn.time.toISOString(),
          protocol: conn.protocol,
          host,
          port,
          address: decision.address,
          rule: decision.rule,
          ...(conn.via ? { via: conn.via } : {}),
        }),
      );
    } catch (error) {
      // Fail closed: a connection the log cannot hold does not happen.
      this.#onError(error);
      conn.denial = 'log';
      conn.reason = 'the egress log cannot be written, so bubble refuses new connections';
      return { ok: false, status: 503, socks: Reply.generalFailure };
    }
    conn.decision = 'allow';
    try {
      const dialed = await raceAbort(
        this.#dialer({
          host,
          port,
          addresses: decision.addresses,
          upstream,
          sendHostname: this.#sendHostname,
          timeoutMs: this.#timeouts.connectMs,
        }),
        conn.abort.signal,
        (late) => late.socket.destroy(),
      );
      conn.dest = dialed.socket;
      conn.address = dialed.address;
      conn.handshake = dialed.handshake;
      dialed.socket.on('error', () => {});
      return { ok: true, dialed };
    } catch (error) {
      if (!(error instanceof DialError)) throw error;
      conn.address = decision.address;
      conn.error = errorText(error);
      switch (error.code) {
        case 'ERR_DIAL_TIMEOUT':
          conn.failure = 'timed-out';
          return { ok: false, status: 504, socks: Reply.hostUnreachable };
        case 'ERR_DIAL_REFUSED':
          conn.failure = 'refused';
          return { ok: false, status: 502, socks: Reply.connectionRefused };
        case 'ERR_DIAL_UNREACHABLE':
          conn.failure = 'unreachable';
          return { ok: false, status: 502, socks: Reply.hostUnreachable };
        case 'ERR_UPSTREAM_REFUSED':
        case 'ERR_UPSTREAM_PROTOCOL':
          conn.failure = 'upstream';
          return { ok: false, status: 502, socks: Reply.generalFailure };
        default:
          conn.failure = 'failed';
          return { ok: false, status: 502, socks: Reply.generalFailure };
      }
    }
  }

  /**
   * Asks about a destination no allow rule names: the policy to go on with when it was
   * allowed (once: just for this connection; session, always: from now on), or null with
   * the refusal filled in.
   */
  async #held(
    conn: Conn,
    host: string,
    port: number,
    refused: { reason: string; hint: string | null },
  ): Promise<DestinationPolicy | null> {
    const ask = this.#ask!;
    const pattern = port === 443 || port === 80 ? formatHost(host) : formatAuthority(host, port);
    // A client that gives up (killed, Ctrl-C) is noticed at once, not at the timeout: the
    // watchers hear it is gone.
    const client = noticeClientGone(conn.client);
    const verdict = await ask(
      {
        id: conn.id,
        time: conn.time.toISOString(),
        protocol: conn.protocol,
        host,
        port,
        pattern,
      },
      AbortSignal.any([conn.abort.signal, client.signal]),
    ).finally(() => client.stop());
    const what = formatAuthority(host, port);
    const widened = (source: string, answer: string): DestinationPolicy => {
      const rule = { ...parsePattern(source), source: `${source} (bubble watch: ${answer})` };
      const rules = this.#policy.rules;
      return { ...this.#policy, rules: { ...rules, allow: [...rules.allow, rule] } };
    };
    if (verdict.answer !== 'once' && verdict.answer !== 'session' && verdict.answer !== 'always') {
      conn.denial = 'rule';
      conn.hint = refused.hint;
    }
    switch (verdict.answer) {
      case 'once':
        return widened(what, 'once');
      case 'session':
      case 'always':
        this.#policy = widened(pattern, verdict.answer);
        return this.#policy;
      case 'deny':
        conn.rule = 'bubble watch: deny';
        conn.reason = `${refused.reason}, and was refused in bubble watch`;
        return null;
      case 'timeout':
        conn.rule = 'bubble watch: no answer';
        conn.reason = `${refused.reason}, and no answer came from bubble watch within ${Math.round(verdict.afterMs / 1000)} s (net_policy "ask")`;
        conn.hint = `answer it in bubble watch (another terminal) when it is asked again, or ${refused.hint ?? 'allow it'}`;
        return null;
      case 'gone':
        conn.rule = 'bubble watch: not answered';
        conn.reason = `${refused.reason}; the connection ended while it waited for bubble watch`;
        return null;
    }
  }

  /** Sends a final response and closes; resolves when it was flushed or the client went away. */
  #finish(conn: Conn, bytes: Buffer): Promise<void> {
    const { client } = conn;
    return new Promise((resolve) => {
      if (!client.writable) {
        resolve();
        return;
      }
      // Whatever the client is still sending is not read; the timer guards a client that never reads.
      const timer = setTimeout(() => client.destroy(), 5_000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end(bytes, () => client.destroy());
    });
  }

  async #serveHttp(conn: Conn, initial: Buffer, headerTimer: NodeJS.Timeout): Promise<void> {
    const { value: parsed, buffer } = await readUntil<
      Exclude<HeadResult<RequestHead>, { kind: 'incomplete' }>
    >(
      conn.client,
      initial,
      (buf) => {
        const r = parseRequestHead(buf, this.#maxHead);
        return r.kind === 'incomplete' ? null : r;
      },
      conn.headerAbort.signal,
    );
    clearTimeout(headerTimer);
    if (parsed.kind === 'error') {
      conn.reason = `malformed request: ${parsed.reason}`;
      await this.#finish(conn, errorResponse(parsed.status, parsed.reason));
      return;
    }
    if (this.#originHandler !== undefined && parsed.head.target.startsWith('/')) {
      conn.local = true;
      await this.#originHandler(conn.client, buffer);
      return;
    }
    const target = proxyTarget(parsed.head);
    if (target.kind === 'error') {
      conn.reason = `malformed request: ${target.reason}`;
      await this.#finish(conn, errorResponse(400, target.reason));
      return;
    }
    if (this.#originHandler !== undefined && this.#isSelf(target.authority)) {
      conn.local = true;
      if (target.kind === 'connect') {
        conn.client.write(CONNECT_ESTABLISHED);
        await this.#originHandler(conn.client, buffer.subarray(parsed.length));
      } else await this.#originHandler(conn.client, buffer);
      return;
    }
    conn.protocol = target.kind === 'connect' ? 'connect' : 'http';
    if (target.kind === 'forward') {
      const problem = framingProblem(parsed.head.headers);
      if (problem) {
        conn.host = target.authority.host;
        conn.port = target.authority.port;
        conn.reason = `malformed request: ${problem}`;
        await this.#finish(conn, errorResponse(400, problem));
        return;
      }
    }
    const outcome = await this.#connect(conn, target.authority.host, target.authority.port);
    if (!outcome.ok) {
      const what = formatAuthority(target.authority.host, target.authority.port);
      await this.#finish(conn, errorResponse(outcome.status, clientMessage(conn, what)));
      return;
    }
    const dest = outcome.dialed.socket;
    const rest = buffer.subarray(parsed.length);
    if (target.kind === 'connect') {
      conn.client.write(CONNECT_ESTABLISHED);
      if (rest.length > 0) dest.write(rest);
    } else {
      const head = forwardHead(parsed.head, target.authority, target.path);
      dest.write(rest.length > 0 ? Buffer.concat([head, rest]) : head);
    }
    await this.#tunnel(conn, dest);
  }

  /** The proxy's own address as its clients name it on their loopback. */
  #isSelf(authority: { host: string; port: number }): boolean {
    const host = authority.host.toLowerCase();
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') return false;
    const own = this.address;
    return (
      this.#selfPorts.includes(authority.port) ||
      (own !== null && 'port' in own && own.port === authority.port)
    );
  }

  async #serveSocks(conn: Conn, initial: Buffer, headerTimer: NodeJS.Timeout): Promise<void> {
    const { client } = conn;
    const greeting = await readUntil(
      client,
      initial,
      (buf) => {
        const r = parseGreeting(buf);
        return r.kind === 'incomplete' ? null : r;
      },
      conn.headerAbort.signal,
    );
    if (greeting.value.kind === 'error') {
      conn.reason = `malformed request: ${greeting.value.reason}`;
      return;
    }
    if (!greeting.value.value.methods.includes(METHOD_NO_AUTH)) {
      conn.reason = 'SOCKS5 client offers no method without authentication';
      await this.#finish(conn, methodSelection(METHOD_NONE_ACCEPTABLE));
      return;
    }
    client.write(methodSelection(METHOD_NO_AUTH));
    const afterGreeting = greeting.buffer.subarray(greeting.value.length);
    const request = await readUntil(
      client,
      afterGreeting,
      (buf) => {
        const r = parseRequest(buf);
        return r.kind === 'incomplete' ? null : r;
      },
      conn.headerAbort.signal,
    );
    clearTimeout(headerTimer);
    const req = request.value;
    if (req.kind === 'error') {
      conn.reason = `malformed request: ${req.reason}`;
      if (req.reply !== null) await this.#finish(conn, buildReply(req.reply));
      return;
    }
    const problem = hostnameProblem(req.value.host);
    if (problem !== null) {
      conn.host = oneLine(req.value.host).slice(0, 255);
      conn.port = req.value.port;
      conn.reason = `malformed request: ${problem}`;
      await this.#finish(conn, buildReply(Reply.hostUnreachable));
      return;
    }
    const outcome = await this.#connect(conn, normalizeHost(req.value.host), req.value.port);
    if (!outcome.ok) {
      await this.#finish(conn, buildReply(outcome.socks));
      return;
    }
    client.write(buildReply(Reply.succeeded));
    const rest = request.buffer.subarray(req.length);
    if (rest.length > 0) outcome.dialed.socket.write(rest);
    await this.#tunnel(conn, outcome.dialed.socket);
  }

  async #tunnel(conn: Conn, dest: Socket): Promise<void> {
    if (conn.abort.signal.aborted) return;
    const error = await splice(conn.client, dest, this.#timeouts.idleMs, {
      // One request per connection: once the origin's response is over, so is the connection.
      closeWhenBEnds: conn.protocol === 'http',
    });
    if (error) conn.error ??= errorText(error);
  }
}

/** Creates a proxy and starts listening. Stop it with `await proxy.close()`. */
export async function startProxy(
  options: ProxyOptions & { readonly listen: ListenTarget },
): Promise<EgressProxy> {
  const proxy = new EgressProxy(options);
  try {
    await proxy.listen(options.listen);
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return proxy;
}
