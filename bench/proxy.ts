// npm run bench, second half: bubble's egress proxy against direct loopback and, where it
// is installed, mitmdump in passthrough mode (the seed's proxy), all measured in this run
// (issue 3, requirement 8). Medians and ratios only: goals are printed, never asserted.
//
// Processes, so that each side has its own event loop as in real use:
//   origin   a child serving 127.0.0.1 only: "bulk" streams BENCH_PROXY_MB and ends,
//            "tiny" answers one short line per request (and holds idle connections)
//   proxy    a child running the built dist/net/proxy.js (not through tsx, whose loader
//            thread would inflate the RSS we report), listening on loopback TCP and on a
//            Unix socket, writing a real session log, origin ports published
//   socat    the filtered-mode forwarder where socat is installed (the default), started
//            with the trampoline's options: agent -> socat -> Unix socket -> proxy
//   bridge   dist/net/bridge.js on a loopback port, forwarding to that Unix socket: the
//            filtered-mode path without socat (or with --host-port), run on the host
//   mitmdump `--ignore-hosts '.*'`, when on PATH
// Figures: one large download, 50 parallel small ones, connect-to-first-byte latency, RSS
// idle and with 500 open tunnels, and RSS and open descriptors before and after 10,000
// sequential connections (after a full GC in the proxy each time).
// The client side is this process. Every loop is bounded in count and time; children are
// killed on every way out.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findOnPath, realHostFs } from '../src/sandbox/host-fs.ts';
import { median, percentile } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const MB = 1e6;
const sizeMB = Number(process.env.BENCH_PROXY_MB ?? 200);
const bulkBytes = Math.round(sizeMB * MB);
const rounds = Number(process.env.BENCH_PROXY_ROUNDS ?? 5);
const iterations = Number(process.env.BENCH_PROXY_ITERATIONS ?? 500);
const tunnelCount = Number(process.env.BENCH_PROXY_TUNNELS ?? 500);
const parallel = Number(process.env.BENCH_PROXY_PARALLEL ?? 50);
const smallBytes = Math.round(Number(process.env.BENCH_PROXY_SMALL_KB ?? 1000) * 1000);
const sequential = Number(process.env.BENCH_PROXY_SEQUENTIAL ?? 10_000);
const WARMUP = 2;
const DOWNLOAD_DEADLINE_MS = 120_000;
const REQUEST_DEADLINE_MS = 10_000;
const START_DEADLINE_MS = 30_000;
// The whole run, however slow the machine: then children are killed and we exit 1.
const WATCHDOG_MS = 20 * 60_000;

if (process.getuid?.() === 0)
  console.error('bench: running as root; run as a normal user for figures comparable to real use.');

// ---- child processes ----------------------------------------------------------------------

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}
setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 60_000} min; giving up`);
  process.exit(1); // the 'exit' handler kills the children
}, WATCHDOG_MS).unref();

/** Resolves with the first line of `stream` (default: stdout) that `match` accepts; the rest is drained. */
function firstLine<T>(
  child: ChildProcess,
  what: string,
  match: (line: string) => T | null,
  stream: Readable = child.stdout!,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let text = '';
    let done = false;
    const finish = (error: Error | null, value?: T): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value as T);
    };
    const timer = setTimeout(
      () => finish(new Error(`${what}: not ready within ${START_DEADLINE_MS} ms`)),
      START_DEADLINE_MS,
    );
    stream.on('data', (chunk: Buffer) => {
      if (done) return; // keep draining: mitmdump logs every connection
      text += chunk.toString('utf8');
      for (const line of text.split('\n')) {
        const value = match(line);
        if (value !== null) {
          finish(null, value);
          return;
        }
      }
      if (text.length > 64 * 1024) text = text.slice(-4096);
    });
    child.once('error', (error) => finish(error));
    child.once('exit', (code, signal) =>
      finish(
        new Error(
          `${what}: exited (${code ?? signal}) before it was ready; output: ${text.slice(-500)}`,
        ),
      ),
    );
  });
}

function jsonLine(line: string): Record<string, number> | null {
  if (!line.startsWith('{')) return null;
  return JSON.parse(line) as Record<string, number>;
}

const ORIGIN = `
import { createServer } from 'node:net';
const size = Number(process.argv[1]);
const chunk = Buffer.alloc(256 * 1024, 120);
const stream = (size) => (s) => {
  s.on('error', () => {});
  let left = size;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
    }
    s.end();
  };
  pump();
};
const bulk = createServer(stream(size));
const small = createServer(stream(Number(process.argv[2])));
const tiny = createServer((s) => {
  s.on('error', () => {});
  s.once('data', () => s.end('HTTP/1.1 204 No Content\\r\\n\\r\\n'));
});
const listen = (srv) => new Promise((r) => srv.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, () => r(srv.address().port)));
console.log(JSON.stringify({ bulk: await listen(bulk), small: await listen(small), tiny: await listen(tiny) }));
`;

// Like the session: records go to a session log as connections end.
const PROXY = `
import { createServer } from 'node:net';
const [, proxyUrl, writerUrl, ports, socketPath, logPath] = process.argv;
const { startProxy } = await import(proxyUrl);
const { openSessionLog } = await import(writerUrl);
const log = openSessionLog(logPath);
const proxy = await startProxy({
  listen: { host: '127.0.0.1', port: 0 },
  publishedPorts: ports.split(',').map(Number),
  onRecord: (r) => log.write(r),
});
const unix = createServer({ allowHalfOpen: true, pauseOnConnect: true });
proxy.attach(unix);
await new Promise((r) => unix.listen({ path: socketPath, backlog: 1024 }, r));
process.on('SIGUSR2', () => globalThis.gc?.());
process.once('SIGTERM', () => { unix.close(); void proxy.close().then(() => { log.close(); process.exit(0); }); });
console.log(JSON.stringify({ port: proxy.address.port }));
`;

function nodeChild(code: string, args: string[], flags: string[] = []): ChildProcess {
  return track(
    spawn(process.execPath, [...flags, '--input-type=module', '-e', code, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the loopback port (bounded in time). */
async function listening(port: number): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on ${port} after ${START_DEADLINE_MS} ms`);
    await sleep(20);
  }
}

/** Open descriptors of a process. */
function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** VmRSS of a process in MB (decimal, like the throughput figures). */
function rssMB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return (Number(m[1]) * 1024) / MB;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- client side ----------------------------------------------------------------------------

/** How the client reaches the origin: directly, or with CONNECT through a proxy on a port. */
interface Route {
  readonly name: string;
  readonly proxyPort: number | null;
}

function hrms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Connects (through the route's proxy, if any) and calls `onOpen` with the bytes that came
 * after the proxy's 200. `drive` owns the socket from then on and settles the promise.
 */
function session<T>(
  route: Route,
  target: number,
  deadlineMs: number,
  drive: (socket: Socket, early: Buffer, settle: (error: Error | null, value?: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: route.proxyPort ?? target, noDelay: true });
    let settled = false;
    const settle = (error: Error | null, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve(value as T);
    };
    const timer = setTimeout(
      () => settle(new Error(`${route.name}: no answer within ${deadlineMs} ms`)),
      deadlineMs,
    );
    socket.once('error', (error) => settle(new Error(`${route.name}: ${error.message}`)));
    socket.once('connect', () => {
      if (route.proxyPort === null) {
        drive(socket, Buffer.alloc(0), settle);
        return;
      }
      socket.write(`CONNECT 127.0.0.1:${target} HTTP/1.1\r\nHost: 127.0.0.1:${target}\r\n\r\n`);
      let head: Buffer = Buffer.alloc(0);
      const onHead = (chunk: Buffer): void => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > 16 * 1024) settle(new Error(`${route.name}: oversized CONNECT answer`));
          return;
        }
        socket.off('data', onHead);
        const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
        if (!/^HTTP\/1\.[01] 200/.test(status)) {
          settle(new Error(`${route.name}: CONNECT answered ${JSON.stringify(status)}`));
          return;
        }
        drive(socket, head.subarray(end + 4), settle);
      };
      socket.on('data', onHead);
    });
  });
}

/** Milliseconds to read the whole stream of the server on `port` (`bytes` long). */
function download(route: Route, port: number, bytes = bulkBytes): Promise<number> {
  const t0 = process.hrtime.bigint();
  return session<number>(route, port, DOWNLOAD_DEADLINE_MS, (socket, early, settle) => {
    let got = early.length;
    socket.on('data', (chunk: Buffer) => (got += chunk.length));
    socket.once('end', () => {
      const ms = hrms(t0);
      socket.destroy();
      if (got !== bytes) settle(new Error(`${route.name}: got ${got} bytes of ${bytes}`));
      else settle(null, ms);
    });
  });
}

/** Milliseconds for `n` downloads of the small stream, all started at once. */
async function parallelDownloads(route: Route, port: number, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: n }, () => download(route, port, smallBytes)));
  return hrms(t0);
}

/** Milliseconds from connect() to the first byte of the origin's answer to a tiny request. */
function firstByte(route: Route, port: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  return session<number>(route, port, REQUEST_DEADLINE_MS, (socket, early, settle) => {
    if (early.length > 0) {
      settle(new Error(`${route.name}: origin spoke before the request`));
      return;
    }
    socket.once('data', () => {
      const ms = hrms(t0);
      socket.destroy();
      settle(null, ms);
    });
    socket.write('GET / HTTP/1.1\r\nHost: origin\r\n\r\n');
  });
}

/** An established, idle tunnel (to the tiny origin, which waits for a request that never comes). */
function idleTunnel(route: Route, port: number): Promise<Socket> {
  return session<Socket>(route, port, REQUEST_DEADLINE_MS, (socket, _early, settle) => {
    socket.on('error', () => {});
    settle(null, socket);
  });
}

async function openTunnels(route: Route, port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const batch = 50;
  try {
    for (let i = 0; i < n; i += batch) {
      const opened = await Promise.allSettled(
        Array.from({ length: Math.min(batch, n - i) }, () => idleTunnel(route, port)),
      );
      for (const r of opened) if (r.status === 'fulfilled') sockets.push(r.value);
      const failed = opened.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (error) {
    for (const s of sockets) s.destroy();
    throw error;
  }
  return sockets;
}

// ---- formatting -----------------------------------------------------------------------------

const col = (s: string, w: number): string => s.padStart(w);
const num = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const work = fs.mkdtempSync(join(tmpdir(), 'bubble-bench-proxy-'));
  fs.chmodSync(work, 0o700);
  try {
    const origin = nodeChild(ORIGIN, [String(bulkBytes), String(smallBytes)]);
    const { bulk, small, tiny } = (await firstLine(origin, 'origin', jsonLine)) as {
      bulk: number;
      small: number;
      tiny: number;
    };

    const socketPath = join(work, 'proxy.sock');
    const proxy = nodeChild(
      PROXY,
      [
        pathToFileURL(join(root, 'dist/net/proxy.js')).href,
        pathToFileURL(join(root, 'dist/log/writer.js')).href,
        `${bulk},${small},${tiny}`,
        socketPath,
        join(work, 'session.jsonl'),
      ],
      ['--expose-gc'],
    );
    const { port: proxyPort } = (await firstLine(proxy, 'proxy', jsonLine)) as { port: number };

    const bridgePort = await freePort();
    const bridge = track(
      spawn(
        process.execPath,
        [join(root, 'dist/net/bridge.js'), String(bridgePort), socketPath, '3'],
        {
          stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
        },
      ),
    );
    await firstLine(
      bridge,
      'bridge',
      (l) => (l === 'ready' ? true : null),
      bridge.stdio[3] as Readable,
    );

    // The trampoline's socat line (src/policy/network.ts), on the host.
    const socatPath = findOnPath(realHostFs(), 'socat', process.env.PATH ?? '') ?? null;
    let socatPort: number | null = null;
    if (socatPath) {
      socatPort = await freePort();
      track(
        spawn(
          socatPath,
          [
            '-b',
            '131072',
            '-t',
            '5',
            `TCP-LISTEN:${socatPort},bind=127.0.0.1,reuseaddr,fork,backlog=1024,nodelay`,
            `UNIX-CONNECT:${socketPath},retry=300,interval=0.01`,
          ],
          { stdio: 'ignore' },
        ),
      );
      await listening(socatPort);
    }

    const mitmPath = findOnPath(realHostFs(), 'mitmdump', process.env.PATH ?? '') ?? null;
    let mitm: ChildProcess | null = null;
    let mitmPort: number | null = null;
    let mitmNote = '';
    if (mitmPath) {
      mitm = track(
        spawn(
          mitmPath,
          ['--listen-host', '127.0.0.1', '--listen-port', '0', '--ignore-hosts', '.*'],
          // Python buffers a pipe: the "listening" line would come at exit.
          { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } },
        ),
      );
      mitm.stderr!.resume();
      try {
        mitmPort = await firstLine(mitm, 'mitmdump', (l) => {
          const m = /listening at 127\.0\.0\.1:(\d+)/.exec(l);
          return m ? Number(m[1]) : null;
        });
      } catch (error) {
        mitmNote = `mitmdump found at ${mitmPath} but did not start: ${(error as Error).message}`;
        await stop(mitm);
        mitm = null;
      }
    } else
      mitmNote = 'mitmdump not on PATH: no mitmdump figures (Debian: apt-get install mitmproxy)';

    const direct: Route = { name: 'direct loopback', proxyPort: null };
    const viaBubble: Route = { name: 'bubble proxy (CONNECT)', proxyPort };
    const viaBridge: Route = { name: 'bubble bridge+proxy (filtered)', proxyPort: bridgePort };
    const viaSocat: Route | null =
      socatPort === null ? null : { name: 'bubble socat+proxy (filtered)', proxyPort: socatPort };
    const viaMitm: Route | null =
      mitmPort === null ? null : { name: "mitmdump --ignore-hosts '.*'", proxyPort: mitmPort };
    const routes = [
      direct,
      viaBubble,
      ...(viaSocat ? [viaSocat] : []),
      viaBridge,
      ...(viaMitm ? [viaMitm] : []),
    ];

    console.log(
      `proxy bench: node ${process.version}, ${cpus().length} cpus${mitmPath && mitm ? `, mitmdump at ${mitmPath}` : ''}`,
    );
    if (mitmNote) console.log(mitmNote);

    // -- 3. memory first, while the processes are fresh ---------------------------------------
    await sleep(500);
    const memRows: { name: string; pid: number; route: Route }[] = [
      { name: 'bubble proxy', pid: proxy.pid!, route: viaBubble },
      { name: 'bubble bridge (in the sandbox)', pid: bridge.pid!, route: viaBridge },
      ...(mitm && viaMitm ? [{ name: 'mitmdump', pid: mitm.pid!, route: viaMitm }] : []),
    ];
    const mem = new Map<string, { idle: number; loaded: number; proxyToo?: number }>();
    for (const row of memRows) {
      const idle = rssMB(row.pid);
      const sockets = await openTunnels(row.route, tiny, tunnelCount);
      await sleep(1_000);
      const loaded = rssMB(row.pid);
      const proxyToo = row.route === viaBridge ? rssMB(proxy.pid!) : undefined;
      for (const s of sockets) s.destroy();
      mem.set(row.name, { idle, loaded, ...(proxyToo === undefined ? {} : { proxyToo }) });
      await sleep(1_000); // let the proxy see the closes before the next row
    }

    // -- 1. throughput -------------------------------------------------------------------------
    const mbps = new Map<string, number[]>(routes.map((r) => [r.name, []]));
    for (let i = 0; i < rounds + 1; i++) {
      for (const r of routes) {
        const ms = await download(r, bulk);
        if (i >= 1) mbps.get(r.name)!.push(bulkBytes / MB / (ms / 1000)); // one warm-up round
      }
    }

    // -- 1b. many small downloads at once ------------------------------------------------------
    const par = new Map<string, number[]>(routes.map((r) => [r.name, []]));
    for (let i = 0; i < rounds + 1; i++) {
      for (const r of routes) {
        const ms = await parallelDownloads(r, small, parallel);
        if (i >= 1) par.get(r.name)!.push((parallel * smallBytes) / MB / (ms / 1000));
      }
    }

    // -- 2. latency to first byte, new connection each time -----------------------------------
    const lat = new Map<string, number[]>(routes.map((r) => [r.name, []]));
    for (let i = 0; i < iterations + WARMUP; i++) {
      for (const r of routes) {
        const ms = await firstByte(r, tiny);
        if (i >= WARMUP) lat.get(r.name)!.push(ms);
      }
    }

    // -- 5. growth over many sequential connections (the proxy itself, through CONNECT) --------
    const settled = async (): Promise<{ rss: number; fds: number }> => {
      proxy.kill('SIGUSR2'); // a full GC in the proxy (it runs with --expose-gc)
      await sleep(500);
      return { rss: rssMB(proxy.pid!), fds: fdCount(proxy.pid!) };
    };
    const warmup = Math.min(1_000, sequential);
    for (let i = 0; i < warmup; i++) await firstByte(viaBubble, tiny);
    const before = await settled();
    const t5 = process.hrtime.bigint();
    for (let i = 0; i < sequential; i++) await firstByte(viaBubble, tiny);
    const seqSeconds = hrms(t5) / 1000;
    const after = await settled();

    // -- report ---------------------------------------------------------------------------------
    const med = (name: string): number => median(mbps.get(name)!);
    const directMBps = med(direct.name);
    console.log('');
    console.log(
      `1. tunnel throughput: ${sizeMB} MB download from a loopback server, ${rounds} rounds each, interleaved (MB/s)`,
    );
    console.log(
      `${'route'.padEnd(34)} ${col('median', 8)} ${col('min', 8)} ${col('max', 8)} ${col('x direct', 9)}`,
    );
    for (const r of routes) {
      const xs = mbps.get(r.name)!;
      console.log(
        `${r.name.padEnd(34)} ${col(num(median(xs), 0), 8)} ${col(num(Math.min(...xs), 0), 8)} ${col(num(Math.max(...xs), 0), 8)} ${col(num(median(xs) / directMBps, 2), 9)}`,
      );
    }
    console.log(`goal: bubble proxy >= 0.5x direct: ${num(med(viaBubble.name) / directMBps, 2)}x`);
    if (viaMitm)
      console.log(
        `goal: bubble proxy >= 1.5x mitmdump: ${num(med(viaBubble.name) / med(viaMitm.name), 2)}x (${viaSocat ? `socat+proxy: ${num(med(viaSocat.name) / med(viaMitm.name), 2)}x, ` : ''}bridge+proxy: ${num(med(viaBridge.name) / med(viaMitm.name), 2)}x)`,
      );
    else console.log('goal: bubble proxy >= 1.5x mitmdump: not measured (mitmdump absent)');

    const pmed = (name: string): number => median(par.get(name)!);
    console.log('');
    console.log(
      `1b. ${parallel} parallel downloads of ${smallBytes / 1000} kB each, ${rounds} rounds, interleaved (MB/s, all of them together)`,
    );
    console.log(
      `${'route'.padEnd(34)} ${col('median', 8)} ${col('min', 8)} ${col('max', 8)} ${col('x direct', 9)}`,
    );
    for (const r of routes) {
      const xs = par.get(r.name)!;
      console.log(
        `${r.name.padEnd(34)} ${col(num(median(xs), 0), 8)} ${col(num(Math.min(...xs), 0), 8)} ${col(num(Math.max(...xs), 0), 8)} ${col(num(median(xs) / pmed(direct.name), 2), 9)}`,
      );
    }
    console.log(
      `goal: bubble proxy >= 0.5x direct: ${num(pmed(viaBubble.name) / pmed(direct.name), 2)}x${viaSocat ? ` (socat+proxy: ${num(pmed(viaSocat.name) / pmed(direct.name), 2)}x)` : ''}`,
    );
    if (viaMitm)
      console.log(
        `goal: bubble proxy >= 1.5x mitmdump: ${num(pmed(viaBubble.name) / pmed(viaMitm.name), 2)}x${viaSocat ? ` (socat+proxy: ${num(pmed(viaSocat.name) / pmed(viaMitm.name), 2)}x)` : ''}`,
      );

    const p = (name: string, q: number): number => percentile(lat.get(name)!, q);
    console.log('');
    console.log(
      `2. connect to first byte of a tiny response, new connection each time, ${iterations} iterations each, interleaved (ms)`,
    );
    console.log(
      `${'route'.padEnd(34)} ${col('p50', 8)} ${col('p99', 8)} ${col('added p50', 10)} ${col('added p99', 10)}`,
    );
    for (const r of routes) {
      const added =
        r === direct
          ? ['', '']
          : [
              num(p(r.name, 50) - p(direct.name, 50), 3),
              num(p(r.name, 99) - p(direct.name, 99), 3),
            ];
      console.log(
        `${r.name.padEnd(34)} ${col(num(p(r.name, 50), 3), 8)} ${col(num(p(r.name, 99), 3), 8)} ${col(added[0]!, 10)} ${col(added[1]!, 10)}`,
      );
    }
    console.log(
      `goal: bubble proxy added p50 < 1 ms: ${num(p(viaBubble.name, 50) - p(direct.name, 50), 3)} ms`,
    );
    if (viaMitm)
      console.log(
        `bubble proxy / mitmdump p50: ${num(p(viaBubble.name, 50) / p(viaMitm.name, 50), 2)}x`,
      );

    console.log('');
    console.log(
      `3. memory: RSS of the process, fresh and idle, then with ${tunnelCount} established idle tunnels (MB)`,
    );
    console.log(
      `${'process'.padEnd(34)} ${col('idle', 8)} ${col(`${tunnelCount} tun.`, 9)} ${col('per tunnel', 11)}`,
    );
    for (const row of memRows) {
      const m = mem.get(row.name)!;
      console.log(
        `${row.name.padEnd(34)} ${col(num(m.idle), 8)} ${col(num(m.loaded), 9)} ${col(`${num(((m.loaded - m.idle) * 1000) / tunnelCount)} kB`, 11)}`,
      );
    }
    const bridged = mem.get('bubble bridge (in the sandbox)')?.proxyToo;
    if (bridged !== undefined)
      console.log(
        `(bubble proxy RSS while the bridge held its ${tunnelCount} tunnels: ${num(bridged)} MB)`,
      );
    console.log('');
    console.log(
      `5. ${sequential} sequential connections through the bubble proxy (CONNECT, tiny request), after ${warmup} to warm up; full GC before each reading`,
    );
    console.log(
      `RSS ${num(before.rss)} -> ${num(after.rss)} MB (${after.rss >= before.rss ? '+' : ''}${num(after.rss - before.rss)} MB), open descriptors ${before.fds} -> ${after.fds}, ${num(sequential / seqSeconds, 0)} connections/s; goal: no growth`,
    );
  } finally {
    await Promise.all([...children].map(stop));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
