// A tunnel for ssh's ProxyCommand (and anything else that wants a byte pipe):
//   `node connect.js HOST PORT`, e.g. `ssh -o ProxyCommand="node .../connect.js %h %p"`
//
// Opens a tunnel to HOST:PORT through the proxy the environment names, then pipes
// stdin to it and it to stdout. ALL_PROXY (socks5:// or socks5h://) is used first,
// with SOCKS5 CONNECT and the name sent unresolved (so the proxy decides and logs
// the name); otherwise HTTPS_PROXY / HTTP_PROXY (http://) with HTTP CONNECT.
// Lower-case variants count too. NO_PROXY is ignored on purpose: whoever runs a
// ProxyCommand asked for the proxy, and inside bubble's sandbox it is the only way
// out. Errors go to stderr prefixed `bubble-connect:`, exit status 1.
//
// Standalone on purpose (node:* imports only, like bridge.js): it is run inside
// the sandbox from the directory bubble binds there.
import { realpathSync } from 'node:fs';
import { connect, isIP, isIPv4, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const HANDSHAKE_TIMEOUT_MS = 30_000;
const MAX_HEAD = 16 * 1024;

export interface ProxyChoice {
  readonly kind: 'socks5' | 'http';
  readonly host: string;
  readonly port: number;
}

function firstSet(env: Readonly<Record<string, string | undefined>>, names: string[]): string {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return '';
}

/** Which proxy to use, from the environment; undefined when none is usable. */
function chooseProxy(env: Readonly<Record<string, string | undefined>>): ProxyChoice | undefined {
  for (const names of [
    ['ALL_PROXY', 'all_proxy'],
    ['HTTPS_PROXY', 'https_proxy'],
    ['HTTP_PROXY', 'http_proxy'],
  ]) {
    const text = firstSet(env, names);
    if (text === '') continue;
    let url: URL;
    try {
      url = new URL(text.includes('://') ? text : `http://${text}`);
    } catch {
      continue;
    }
    const scheme = url.protocol.slice(0, -1);
    const kind =
      scheme === 'socks5' || scheme === 'socks5h'
        ? 'socks5'
        : scheme === 'http'
          ? 'http'
          : undefined;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (kind === undefined || host === '') continue;
    const port = url.port !== '' ? Number(url.port) : kind === 'socks5' ? 1080 : 80;
    return { kind, host, port };
  }
  return undefined;
}

/** `CONNECT host:port` with IPv6 literals bracketed. */
export function authority(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** The SOCKS5 greeting and CONNECT request (no authentication), names unresolved. */
function socksRequest(host: string, port: number): { greeting: Buffer; request: Buffer } {
  const greeting = Buffer.from([0x05, 0x01, 0x00]);
  let address: Buffer;
  if (isIPv4(host)) address = Buffer.from([0x01, ...host.split('.').map(Number)]);
  else if (isIP(host) === 6) address = Buffer.concat([Buffer.from([0x04]), ipv6Bytes(host)]);
  else {
    const name = Buffer.from(host, 'utf8');
    if (name.length > 255)
      throw new Error(`host name too long for SOCKS5: ${host.slice(0, 40)}...`);
    address = Buffer.concat([Buffer.from([0x03, name.length]), name]);
  }
  const portBytes = Buffer.from([port >> 8, port & 0xff]);
  return {
    greeting,
    request: Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), address, portBytes]),
  };
}

function ipv6Bytes(text: string): Buffer {
  // Embedded IPv4 (::ffff:1.2.3.4) becomes two hex groups first.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let s = text;
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    s =
      s.slice(0, -v4[1].length) +
      `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** Reads from `socket` until `done` says how many bytes the answer took; the rest is returned. */
function readAnswer(
  socket: Socket,
  done: (buf: Buffer) => number | Error | undefined,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const r = done(buf);
      if (r === undefined) {
        if (buf.length > MAX_HEAD) {
          cleanup();
          reject(new Error('the proxy sent an oversized answer'));
        }
        return;
      }
      cleanup();
      socket.pause();
      if (r instanceof Error) reject(r);
      else resolve(buf.subarray(r));
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('the proxy closed the connection'));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.resume(); // paused after the previous answer
  });
}

async function httpConnect(socket: Socket, host: string, port: number): Promise<Buffer> {
  const target = authority(host, port);
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  return readAnswer(socket, (buf) => {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const status = buf.subarray(0, end).toString('latin1').split('\r\n')[0] ?? '';
    if (/^HTTP\/1\.[01] 2\d\d /.test(status + ' ')) return end + 4;
    return new Error(`the proxy refused CONNECT ${target}: ${status}`);
  });
}

async function socksConnect(socket: Socket, host: string, port: number): Promise<Buffer> {
  const { greeting, request } = socksRequest(host, port);
  socket.write(greeting);
  await readAnswer(socket, (buf) => {
    if (buf.length < 2) return undefined;
    if (buf[0] !== 0x05 || buf[1] !== 0x00)
      return new Error('the SOCKS5 proxy wants authentication');
    return 2;
  });
  socket.write(request);
  return readAnswer(socket, (buf) => {
    if (buf.length < 5) return undefined;
    if (buf[0] !== 0x05) return new Error('not a SOCKS5 answer');
    if (buf[1] !== 0x00) {
      const why = SOCKS_REPLIES[buf[1] ?? 1] ?? `reply ${buf[1]}`;
      return new Error(`the proxy refused ${authority(host, port)}: ${why}`);
    }
    const atyp = buf[3];
    const len = atyp === 0x01 ? 10 : atyp === 0x04 ? 22 : atyp === 0x03 ? 7 + (buf[4] ?? 0) : -1;
    if (len < 0) return new Error('malformed SOCKS5 answer');
    return buf.length < len ? undefined : len;
  });
}

/** Opens a tunnel through `proxy`; resolves with the socket and any bytes that came early. */
async function openTunnel(
  proxy: ProxyChoice,
  host: string,
  port: number,
): Promise<{ socket: Socket; early: Buffer }> {
  const socket = connect({ host: proxy.host, port: proxy.port, allowHalfOpen: true });
  const timer = setTimeout(
    () => socket.destroy(new Error(`no tunnel after ${HANDSHAKE_TIMEOUT_MS} ms`)),
    HANDSHAKE_TIMEOUT_MS,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
      socket.once('error', reject);
    });
    const early =
      proxy.kind === 'socks5'
        ? await socksConnect(socket, host, port)
        : await httpConnect(socket, host, port);
    return { socket, early };
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function fail(message: string): void {
  process.stderr.write(`bubble-connect: ${message}\n`);
  process.exitCode = 1;
}

async function main(argv: readonly string[]): Promise<void> {
  const [host = '', portText = ''] = argv;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (host === '' || !(port >= 1 && port <= 65535) || argv.length !== 2) {
    fail(`usage: connect HOST PORT (got ${JSON.stringify(argv)})`);
    return;
  }
  const proxy = chooseProxy(process.env);
  if (proxy === undefined) {
    fail('no proxy: set ALL_PROXY (socks5h://) or HTTPS_PROXY (http://)');
    return;
  }
  let tunnel: { socket: Socket; early: Buffer };
  try {
    tunnel = await openTunnel(proxy, host.replace(/^\[(.*)\]$/, '$1'), port);
  } catch (error) {
    fail((error as Error).message);
    return;
  }
  const { socket, early } = tunnel;
  socket.on('error', (error) => {
    fail(error.message);
    process.stdin.destroy();
  });
  if (early.length > 0) process.stdout.write(early);
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
  socket.resume();
  // Ends of the two directions are independent (ssh half-closes); exit when both are done.
  socket.once('close', () => {
    process.stdin.destroy();
  });
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
