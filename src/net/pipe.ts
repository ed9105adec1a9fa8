// Socket plumbing for the proxy: reading a bounded head, and splicing two
// sockets into a tunnel that ends cleanly.
import type { Socket } from 'node:net';

export class ClientGoneError extends Error {
  readonly code = 'ERR_CLIENT_GONE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientGoneError';
  }
}

/**
 * Reads from `socket` until `parse` returns non-null, then pauses it, so that
 * nothing more is read while the caller decides. `parse` sees everything read
 * so far (starting with `initial`) and must itself bound how much it accepts.
 * Resolves with the parsed value and the whole buffer (the caller keeps what
 * follows the parsed part).
 */
export function readUntil<T>(
  socket: Socket,
  initial: Buffer,
  parse: (buf: Buffer) => T | null,
  signal?: AbortSignal,
): Promise<{ value: T; buffer: Buffer }> {
  if (signal?.aborted) return Promise.reject(new ClientGoneError('request not complete in time'));
  const now = parse(initial);
  if (now !== null) {
    socket.pause();
    return Promise.resolve({ value: now, buffer: initial });
  }
  return new Promise((resolve, reject) => {
    let buffer = initial;
    const cleanup = (): void => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer): void => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const value = parse(buffer);
      if (value === null) return;
      socket.pause();
      cleanup();
      resolve({ value, buffer });
    };
    const onEnd = (): void => {
      cleanup();
      reject(
        new ClientGoneError(
          buffer.length === 0
            ? 'client closed without sending anything'
            : 'client closed mid-request',
        ),
      );
    };
    const onClose = (): void => {
      cleanup();
      reject(new ClientGoneError('connection closed mid-request'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new ClientGoneError(`client error: ${error.message}`, { cause: error }));
    };
    const onAbort = (): void => {
      socket.pause();
      cleanup();
      reject(new ClientGoneError('request not complete in time'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.resume();
  });
}

/** What a client sends while it waits is kept for later; beyond this, it is not read. */
const HELD_BUFFER_MAX = 64 * 1024;

/**
 * While the caller waits (a held connection), reads on so that the client closing is seen at
 * once: `signal` aborts on its FIN, close or error. What it sends meanwhile is kept and put
 * back by `stop()`, which leaves the socket paused as readUntil does. A client that sends
 * more than HELD_BUFFER_MAX is paused again (then its closing is seen when the wait ends).
 */
export function noticeClientGone(socket: Socket): { signal: AbortSignal; stop(): void } {
  const gone = new AbortController();
  const kept: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    kept.push(chunk);
    size += chunk.length;
    if (size > HELD_BUFFER_MAX) socket.pause();
  };
  const onGone = (): void => gone.abort();
  socket.on('data', onData);
  socket.once('end', onGone);
  socket.once('close', onGone);
  socket.once('error', onGone);
  if (socket.destroyed || socket.readableEnded) gone.abort();
  else socket.resume();
  return {
    signal: gone.signal,
    stop(): void {
      socket.pause();
      socket.removeListener('data', onData);
      socket.removeListener('end', onGone);
      socket.removeListener('close', onGone);
      socket.removeListener('error', onGone);
      if (!gone.signal.aborted && kept.length > 0) socket.unshift(Buffer.concat(kept));
    },
  };
}

/** Ends the writable side, then destroys once it is flushed (or right away if there is nothing to flush). */
export function endThenDestroy(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished || socket.writableEnded) {
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
    return;
  }
  socket.end(() => socket.destroy());
}

/**
 * Pipes a <-> b until both are closed. A half-close (FIN) is passed on; when
 * one socket closes completely the other is ended and then destroyed; an error
 * on either destroys both. Both sockets time out after `idleMs` without
 * traffic. Resolves with the first error, if any (never rejects).
 */
export function splice(
  a: Socket,
  b: Socket,
  idleMs: number,
  options: {
    /** When b's data ends, finish a and close both (one-shot HTTP). */ readonly closeWhenBEnds?: boolean;
  } = {},
): Promise<Error | null> {
  return new Promise((resolve) => {
    let firstError: Error | null = null;
    let open = 2;
    const onClose = (other: Socket) => (): void => {
      open -= 1;
      if (open === 0) resolve(firstError);
      else endThenDestroy(other);
    };
    const onError =
      (other: Socket) =>
      (error: Error): void => {
        firstError ??= error;
        other.destroy();
      };
    const onTimeout = (): void => {
      firstError ??= Object.assign(new Error(`idle for ${idleMs} ms`), {
        code: 'ERR_IDLE_TIMEOUT',
      });
      a.destroy();
      b.destroy();
    };
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      if (self.destroyed) {
        // Already gone before we started: count it now.
        open -= 1;
        other.destroy();
        continue;
      }
      self.once('close', onClose(other));
      self.on('error', onError(other));
      self.setTimeout(idleMs, onTimeout);
    }
    if (open <= 0) {
      resolve(firstError);
      return;
    }
    if (options.closeWhenBEnds) {
      // pipe() ends `a` on b's 'end'; then nothing more can come back, so stop waiting for a's FIN.
      b.once('end', () => {
        endThenDestroy(a);
        b.destroy();
      });
    }
    a.pipe(b);
    b.pipe(a);
  });
}
