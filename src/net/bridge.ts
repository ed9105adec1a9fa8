// The in-sandbox forwarder:
//   `node bridge.js PORT SOCKET_PATH [READY_FD [PUBLISHED_PORTS [INBOUND_PORTS]]]`
//
// Runs inside the sandbox's network namespace (loopback only). Listens on
// 127.0.0.1:PORT for the agent's proxy-aware clients and pipes each connection
// to the Unix socket SOCKET_PATH, where bubble's proxy listens on the host.
// PUBLISHED_PORTS (comma-separated, `--host-port`) are listened on too, so the
// host's 127.0.0.1:P is reachable inside as 127.0.0.1:P: each connection asks
// the proxy for `CONNECT 127.0.0.1:P` first, so it is decided and logged alike.
// When that socket is unreachable, client connections are closed (fail
// closed): there is no other way out. Prints nothing on success; when
// READY_FD is given, writes "ready\n" to it once listening and closes it.
// INBOUND_PORTS (comma-separated, `--publish`) are the other direction: the
// bridge keeps connections parked on publish.sock beside SOCKET_PATH, and when
// bubble sends "OPEN P" on one (a host client arrived), it connects to the
// sandbox's own 127.0.0.1:P and carries that connection. Every connection is
// made from inside to bubble's socket, as for egress: nothing on the host is
// ever reached from here.
//
// Standalone on purpose: node:* imports only, so it starts fast and can be
// bound into the sandbox as a single file.
import { closeSync, realpathSync, writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function endThenDestroy(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) socket.destroy();
  else if (socket.writableEnded) socket.once('finish', () => socket.destroy());
  else socket.end(() => socket.destroy());
}

// After the proxy's side has ended, how long the client may go on sending.
// A Unix socket cannot carry a reset, so an end from the proxy may mean "the
// destination half-closed" or "the proxy is done with you"; like socat's -t,
// we wait a little for the client and then close both.
const HALF_CLOSE_GRACE_MS = 5_000;

/** Ask the proxy for a tunnel; resolves with bytes that arrived after its answer. */
function requestTunnel(upstream: Socket, port: number): Promise<Buffer> {
  upstream.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) reject(new Error('oversized answer'));
        return;
      }
      upstream.off('data', onData);
      upstream.pause();
      if (/^HTTP\/1\.[01] 200 /.test(head.subarray(0, end).toString('latin1')))
        resolve(head.subarray(end + 4));
      else reject(new Error('refused'));
    };
    upstream.on('data', onData);
  });
}

// bubble starts its proxy while the sandbox starts, so the socket may not be there for
// the first milliseconds: retry briefly before failing closed.
const CONNECT_RETRY_MS = 3_000;

function connectProxy(socketPath: string, deadline: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socketPath, allowHalfOpen: true });
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      if ((err.code === 'ENOENT' || err.code === 'ECONNREFUSED') && Date.now() < deadline) {
        setTimeout(() => void connectProxy(socketPath, deadline).then(resolve, reject), 10);
      } else reject(err);
    });
  });
}

function forward(
  client: Socket,
  socketPath: string,
  graceMs: number,
  publishedPort?: number,
): void {
  client.on('error', () => client.destroy());
  connectProxy(socketPath, Date.now() + CONNECT_RETRY_MS).then(
    (upstream) => tunnel(client, upstream, graceMs, publishedPort),
    () => client.destroy(), // the proxy is gone: fail closed
  );
}

function tunnel(client: Socket, upstream: Socket, graceMs: number, publishedPort?: number): void {
  if (client.destroyed) {
    upstream.destroy(); // gave up while we waited for the proxy
    return;
  }
  let open = 2;
  let grace: NodeJS.Timeout | undefined;
  const onClose = (other: Socket) => (): void => {
    open -= 1;
    if (open > 0) endThenDestroy(other);
    else clearTimeout(grace);
  };
  upstream.once('end', () => {
    grace = setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, graceMs);
  });
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.once('close', onClose(upstream));
  upstream.once('close', onClose(client));
  const splice = (early: Buffer): void => {
    client.setNoDelay(true);
    if (early.length > 0) client.write(early);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  if (publishedPort === undefined) splice(Buffer.alloc(0));
  else
    requestTunnel(upstream, publishedPort).then(splice, () => {
      client.destroy();
      upstream.destroy();
    });
}

export interface BridgeOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly halfCloseGraceMs?: number;
  /** Forward as a tunnel to the host's 127.0.0.1:publishedPort (`--host-port`). */
  readonly publishedPort?: number;
}

/** Listens on host:port (port 0 picks one) and forwards every connection to socketPath. */
export function startBridge(
  port: number,
  socketPath: string,
  options: BridgeOptions = {},
): Promise<Server> {
  const host = options.host ?? '127.0.0.1';
  const graceMs = options.halfCloseGraceMs ?? HALF_CLOSE_GRACE_MS;
  const published = options.publishedPort;
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
    forward(client, socketPath, graceMs, published),
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 1024 }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

/** Connections kept waiting on publish.sock, so a host client is carried without delay. */
const PARKED = 2;

/**
 * Keep PARKED connections waiting on `socketPath` for bubble's "OPEN P\n"; carry each to
 * 127.0.0.1:P inside when P is one of `ports`, answering "OK\n" (then the bytes) or
 * "ERR CODE\n". A connection that has been given its job is replaced by a new one.
 */
export function serveInbound(socketPath: string, ports: readonly number[]): void {
  const park = (): void => {
    connectProxy(socketPath, Date.now() + CONNECT_RETRY_MS).then(
      (waiting) => {
        waiting.setNoDelay(true);
        let head = '';
        const onData = (chunk: Buffer): void => {
          head += chunk.toString('latin1');
          const nl = head.indexOf('\n');
          if (nl < 0) {
            if (head.length > 64) waiting.destroy();
            return;
          }
          waiting.off('data', onData);
          waiting.pause();
          park();
          const port = Number(/^OPEN (\d{1,5})$/.exec(head.slice(0, nl))?.[1]);
          const rest = Buffer.from(head.slice(nl + 1), 'latin1');
          if (!ports.includes(port)) {
            waiting.end('ERR EPERM\n');
            return;
          }
          const local = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
          local.once('error', (err: NodeJS.ErrnoException) =>
            waiting.end(`ERR ${err.code ?? 'EIO'}\n`),
          );
          local.once('connect', () => {
            local.removeAllListeners('error');
            local.setNoDelay(true);
            waiting.write('OK\n');
            if (rest.length > 0) local.write(rest);
            carry(local, waiting);
          });
        };
        waiting.on('data', onData);
        waiting.on('error', () => waiting.destroy());
        // bubble closed it without a job (the session is ending): nothing to replace.
      },
      () => {}, // bubble is gone: the sandbox is ending
    );
  };
  for (let i = 0; i < PARKED; i++) park();
}

/** Pipe two sockets both ways; each side's end is passed on, an error closes both. */
function carry(a: Socket, b: Socket): void {
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.once('close', () => endThenDestroy(b));
  b.once('close', () => endThenDestroy(a));
  a.pipe(b);
  b.pipe(a);
  b.resume();
}

/** Give up: exiting closes the ready fd unwritten, which the trampoline reports. */
function fail(message: string): never {
  process.stderr.write(`bubble-bridge: ${message}\n`);
  process.exit(1);
}

async function main(argv: readonly string[]): Promise<void> {
  const [portText = '', socketPath = '', readyFdText, publishedText = '', inboundText = ''] = argv;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535) || socketPath === '') {
    fail(`usage: bridge PORT SOCKET_PATH [READY_FD] (got ${JSON.stringify(argv)})`);
    return;
  }
  let server: Server;
  try {
    server = await startBridge(port, socketPath);
  } catch (error) {
    fail(`cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
    return;
  }
  server.on('error', (error) => fail(String(error)));
  for (const p of publishedText.split(',').filter(Boolean)) {
    const published = Number(p);
    try {
      const s = await startBridge(published, socketPath, { publishedPort: published });
      s.on('error', (error) => fail(String(error)));
    } catch (error) {
      fail(`cannot listen on 127.0.0.1:${p}: ${(error as Error).message}`);
      return;
    }
  }
  const inbound = inboundText.split(',').filter(Boolean).map(Number);
  if (inbound.length > 0) serveInbound(join(dirname(socketPath), 'publish.sock'), inbound);
  if (readyFdText !== undefined && readyFdText !== '-') {
    const fd = Number(readyFdText);
    try {
      writeSync(fd, 'ready\n');
      closeSync(fd);
    } catch (error) {
      fail(`cannot signal readiness on fd ${readyFdText}: ${(error as Error).message}`);
    }
  }
}

function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) void main(process.argv.slice(2));
