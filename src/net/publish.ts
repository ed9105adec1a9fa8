// Ports the sandbox publishes to the host (`--publish PORT[:HOSTPORT]`): a dev server inside,
// reachable on the host's 127.0.0.1 only, in filtered mode, every connection logged.
//
// The sandbox's network namespace has no way in, and bubble never enters it. Instead the
// in-sandbox bridge keeps connections parked on publish.sock in the runtime dir (made from
// inside, like every connection to bubble); when a host client arrives, bubble sends
// "OPEN PORT" on one of them and the bridge connects to the sandbox's own 127.0.0.1:PORT.
// bubble only ever names a port the user published; an agent that parks connections of
// its own can at most answer host clients itself, as a server on that port could anyway.

import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { inboundRecord, type InboundRecord } from '../log/record.ts';

export interface PublishedPort {
  /** The sandbox's 127.0.0.1 port. */
  inside: number;
  /** The host's 127.0.0.1 port. */
  host: number;
}

export const PUBLISH_SOCKET_NAME = 'publish.sock';

/** More parked connections than the bridge keeps (2) are someone else's: refused. */
const MAX_PARKED = 8;
/** How long a host client waits for a parked connection before it is closed. */
const PARK_WAIT_MS = 10_000;
/** The bridge's answer to OPEN: "OK" or "ERR CODE", one short line. */
const MAX_ANSWER = 64;

export interface Publishing {
  close(): Promise<void>;
}

/**
 * Listen on socketPath for the bridge's parked connections and on the host's 127.0.0.1 for
 * each published port. Rejects (nothing left listening) if a host port cannot be had.
 */
export async function startPublishing(
  socketPath: string,
  ports: readonly PublishedPort[],
  log: (record: InboundRecord) => void,
): Promise<Publishing> {
  const parked: Socket[] = [];
  const waiters: Array<(s: Socket | undefined) => void> = [];
  const live = new Set<Socket>();
  const track = (s: Socket): void => {
    live.add(s);
    s.once('close', () => live.delete(s));
  };
  const parking = createServer((s) => {
    track(s);
    s.on('error', () => s.destroy());
    const waiter = waiters.shift();
    if (waiter !== undefined) return waiter(s);
    if (parked.length >= MAX_PARKED) return void s.destroy();
    parked.push(s);
    s.once('close', () => parked.includes(s) && parked.splice(parked.indexOf(s), 1));
  });
  const servers: Server[] = [parking];
  const takeParked = (): Promise<Socket | undefined> => {
    const s = parked.shift();
    if (s !== undefined) return Promise.resolve(s);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(done), 1);
        resolve(undefined);
      }, PARK_WAIT_MS);
      const done = (got: Socket | undefined): void => {
        clearTimeout(timer);
        resolve(got);
      };
      waiters.push(done);
    });
  };
  const closeAll = async (): Promise<void> => {
    for (const w of waiters.splice(0)) w(undefined);
    for (const s of live) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  };
  try {
    await listen(parking, { path: socketPath });
    for (const port of ports) {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
        track(client);
        void carryIn(client, port, takeParked, log);
      });
      servers.push(server);
      await listen(server, { host: '127.0.0.1', port: port.host }).catch((err: Error) => {
        throw new Error(`--publish ${port.inside}:${port.host}: ${err.message}`);
      });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { close: closeAll };
}

function listen(server: Server, where: { path: string } | { host: string; port: number }) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** One host client: ask the bridge for the inside port, then carry the bytes both ways. */
async function carryIn(
  client: Socket,
  port: PublishedPort,
  takeParked: () => Promise<Socket | undefined>,
  log: (record: InboundRecord) => void,
): Promise<void> {
  const started = Date.now();
  const record = (bytesIn: number, bytesOut: number, error: string | null): void =>
    log(
      inboundRecord({
        time: new Date(started).toISOString(),
        hostPort: port.host,
        port: port.inside,
        bytesIn,
        bytesOut,
        durationMs: Date.now() - started,
        error,
      }),
    );
  client.on('error', () => client.destroy());
  // Refused: what the client sent is read and dropped, so it sees an end, not a reset.
  const turnAway = (): void => {
    client.resume();
    client.end();
  };
  const inside = await takeParked();
  if (inside === undefined || client.destroyed) {
    inside?.destroy();
    turnAway();
    record(0, 0, inside === undefined ? 'the sandbox did not answer' : 'client gone');
    return;
  }
  inside.write(`OPEN ${port.inside}\n`);
  const answer = await readLine(inside);
  if (answer?.line !== 'OK') {
    inside.destroy();
    turnAway();
    const code = /^ERR (\w+)$/.exec(answer?.line ?? '')?.[1];
    record(
      0,
      0,
      code === 'ECONNREFUSED'
        ? `nothing listens on port ${port.inside} inside`
        : `not carried: ${code ?? 'no answer'}`,
    );
    return;
  }
  client.setNoDelay(true);
  if (answer.rest.length > 0) client.write(answer.rest);
  let bytesIn = 0;
  let bytesOut = answer.rest.length;
  client.on('data', (d: Buffer) => (bytesIn += d.length));
  inside.on('data', (d: Buffer) => (bytesOut += d.length));
  inside.on('error', () => client.destroy());
  client.on('error', () => inside.destroy());
  client.once('close', () => inside.end());
  inside.once('close', () => client.end());
  client.pipe(inside);
  inside.pipe(client);
  await Promise.all([once(client, 'close'), once(inside, 'close')]);
  record(bytesIn, bytesOut, null);
}

function readLine(s: Socket): Promise<{ line: string; rest: Buffer } | undefined> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    const done = (v: { line: string; rest: Buffer } | undefined): void => {
      s.off('data', onData);
      s.off('close', onClose);
      s.pause();
      resolve(v);
    };
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl >= 0)
        done({ line: head.subarray(0, nl).toString('latin1'), rest: head.subarray(nl + 1) });
      else if (head.length > MAX_ANSWER) done(undefined);
    };
    const onClose = (): void => done(undefined);
    s.on('data', onData);
    s.once('close', onClose);
  });
}
