// The ask policy's host side: a destination no rule allows is held, announced on a control
// socket of the user's own, and answered from `bubble watch` in another terminal.
//
// The socket is `$XDG_RUNTIME_DIR/bubble/watch/PID.sock` (0600, in a 0700 directory), beside
// the session directories, never bound into any sandbox. Its protocol is JSON Lines, one
// object per line, readers ignoring what they do not know:
//   session -> watcher  {"type":"session","session","command","cwd","timeoutMs"}  on connect
//                       {"type":"held","session","id","time","protocol","host","port","pattern","expires"}
//                       {"type":"settled","session","id","answer","by"}  (by: watch, timeout,
//                         client: it closed the connection, session: the session ended)
//                       {"type":"error","session","message"}
//   watcher -> session  {"id":N,"answer":"once"|"session"|"always"|"deny"}
// The first answer wins; every watcher hears how each held connection was settled. Nothing
// is ever written to the session's terminal: the agent's TUI owns it.

import * as fs from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Protocol } from '../log/record.ts';

export type Answer = 'once' | 'session' | 'always' | 'deny';
export const ANSWERS: readonly Answer[] = ['once', 'session', 'always', 'deny'];

export interface Question {
  readonly id: number;
  readonly time: string;
  readonly protocol: Protocol;
  readonly host: string;
  readonly port: number;
  /** What "session" and "always" allow: the host for 443/80, host:port otherwise. */
  readonly pattern: string;
}

export type Verdict =
  | { readonly answer: Answer }
  | { readonly answer: 'timeout'; readonly afterMs: number }
  | { readonly answer: 'gone' };

/** What the proxy asks; resolves when answered, timed out, or `signal` aborts (the client or the session went). */
export type Ask = (q: Question, signal: AbortSignal) => Promise<Verdict>;

export const DEFAULT_ASK_TIMEOUT_MS = 60_000;

export interface AskServerOptions {
  readonly dir: string;
  readonly sessionId: string;
  readonly command: readonly string[];
  readonly cwd: string;
  readonly timeoutMs: number;
  /** "always": add the pattern to the user's config; a throw is told to the watchers. */
  readonly always: (pattern: string) => void;
}

interface Held {
  readonly q: Question;
  readonly expires: string;
  settle(v: Verdict, by: string): void;
}

export class AskServer {
  readonly path: string;
  readonly #o: AskServerOptions;
  readonly #server: Server;
  readonly #watchers = new Set<Socket>();
  readonly #held = new Map<number, Held>();

  private constructor(o: AskServerOptions, server: Server, path: string) {
    this.#o = o;
    this.#server = server;
    this.path = path;
  }

  static async start(o: AskServerOptions): Promise<AskServer> {
    const path = join(o.dir, `${process.pid}.sock`);
    // A socket of a dead session with our pid: ours to replace.
    fs.rmSync(path, { force: true });
    const server = createServer();
    const self = new AskServer(o, server, path);
    server.on('connection', (s) => self.#watch(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
    fs.chmodSync(path, 0o600);
    return self;
  }

  /** Held connections now (for tests and the session summary). */
  get pending(): number {
    return this.#held.size;
  }

  readonly ask: Ask = (q, signal) =>
    new Promise<Verdict>((resolve) => {
      const timeoutMs = this.#o.timeoutMs;
      const timer = setTimeout(
        () => held.settle({ answer: 'timeout', afterMs: timeoutMs }, 'timeout'),
        timeoutMs,
      );
      const onAbort = (): void => held.settle({ answer: 'gone' }, 'client');
      const held: Held = {
        q,
        expires: new Date(Date.now() + timeoutMs).toISOString(),
        settle: (v, by) => {
          if (!this.#held.delete(q.id)) return;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          this.#broadcast({
            type: 'settled',
            session: this.#o.sessionId,
            id: q.id,
            answer: v.answer,
            by,
          });
          resolve(v);
        },
      };
      this.#held.set(q.id, held);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#broadcast(this.#heldMessage(held));
    });

  #heldMessage(h: Held): object {
    return { type: 'held', session: this.#o.sessionId, ...h.q, expires: h.expires };
  }

  #send(s: Socket, message: object): void {
    if (s.writable) s.write(`${JSON.stringify(message)}\n`);
  }

  #broadcast(message: object): void {
    for (const s of this.#watchers) this.#send(s, message);
  }

  #watch(s: Socket): void {
    this.#watchers.add(s);
    s.on('error', () => {});
    s.on('close', () => this.#watchers.delete(s));
    this.#send(s, {
      type: 'session',
      session: this.#o.sessionId,
      command: this.#o.command,
      cwd: this.#o.cwd,
      timeoutMs: this.#o.timeoutMs,
    });
    for (const h of this.#held.values()) this.#send(s, this.#heldMessage(h));
    let buffer = '';
    s.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      // A watcher that never ends a line is not allowed to grow our memory.
      if (buffer.length > 65_536) s.destroy();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        this.#answer(s, line);
      }
    });
  }

  #answer(s: Socket, line: string): void {
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      return this.#send(s, { type: 'error', session: this.#o.sessionId, message: 'not JSON' });
    }
    const { id, answer } = (typeof m === 'object' && m !== null ? m : {}) as Record<
      string,
      unknown
    >;
    const held = typeof id === 'number' ? this.#held.get(id) : undefined;
    if (held === undefined || !(ANSWERS as readonly unknown[]).includes(answer)) {
      // Settled already (another watcher, the timeout), or not an answer.
      if (held === undefined && typeof id === 'number') return;
      return this.#send(s, {
        type: 'error',
        session: this.#o.sessionId,
        message: `not an answer: ${line.slice(0, 200)}`,
      });
    }
    if (answer === 'always') {
      try {
        this.#o.always(held.q.pattern);
      } catch (err) {
        // Still allowed for the session; the watcher hears why it was not kept.
        this.#broadcast({
          type: 'error',
          session: this.#o.sessionId,
          message: `allowed for this session only: ${(err as Error).message}`,
        });
      }
    }
    held.settle({ answer: answer as Answer }, 'watch');
  }

  /** Settles what is held as gone, closes the watchers and removes the socket. */
  close(): Promise<void> {
    for (const h of [...this.#held.values()]) h.settle({ answer: 'gone' }, 'session');
    for (const s of this.#watchers) s.end();
    // Not waiting for watchers to hang up: they hear "settled" and the end of the stream.
    this.#server.close();
    fs.rmSync(this.path, { force: true });
    return Promise.resolve();
  }
}
