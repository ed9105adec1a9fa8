// The ssh-agent the sandbox sees (--ssh-agent): a Unix socket of bubble's, in the bubble
// process on the host, in front of the user's real agent. It answers two requests: the key
// list, with only the keys the user named, and signatures with those keys, each one logged.
// Everything else the protocol offers (adding, removing and locking keys, extensions,
// SSH1) is refused with SSH_AGENT_FAILURE and never reaches the real agent.

import * as fs from 'node:fs';
import * as net from 'node:net';
import { BubbleError, EXIT_SETUP, EXIT_USAGE } from '../errors.ts';
import {
  extensionName,
  Framer,
  frame,
  identitiesAnswer,
  MSG,
  parseIdentitiesAnswer,
  parseSignRequest,
  requestName,
  type Identity,
  type Message,
} from './agent-protocol.ts';
import { describeKey, fingerprint, matchKeys, type KeySelector } from './keys.ts';
import { describeSigned } from './signed-data.ts';
import type { AgentEvent } from '../log/record.ts';

export interface AgentFilterOptions {
  /** The user's agent (SSH_AUTH_SOCK outside). */
  upstream: string;
  /** Where to listen: the socket bound into the sandbox. */
  listen: string;
  keys: readonly KeySelector[];
  onEvent(e: AgentEvent): void;
}

export interface AgentFilter {
  /** The keys the sandbox can list and sign with. */
  readonly allowed: readonly Identity[];
  close(): Promise<void>;
}

// ssh (8.9+) binds every agent connection to the server's host key with this extension.
// Refusing it is harmless (ssh goes on without), and logging it would add a line per login.
const QUIET_EXTENSIONS = new Set(['session-bind@openssh.com']);

/** One connection to the real agent, one request at a time (the protocol has no ids). */
class Upstream {
  private readonly sock: net.Socket;
  private readonly framer = new Framer();
  private waiting: { resolve(m: Message): void; reject(e: Error): void } | undefined;
  private failed: Error | undefined;

  constructor(path: string) {
    this.sock = net.connect(path);
    this.sock.on('data', (chunk: Buffer) => {
      try {
        for (const m of this.framer.push(chunk)) {
          const w = this.waiting;
          this.waiting = undefined;
          w?.resolve(m);
        }
      } catch (e) {
        this.fail(e as Error);
      }
    });
    this.sock.on('error', (e) => this.fail(e));
    this.sock.on('close', () => this.fail(new Error('your ssh-agent closed the connection')));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(this.failed);
    this.sock.destroy();
  }

  request(bytes: Buffer): Promise<Message> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.sock.write(bytes);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

async function listIdentities(up: Upstream): Promise<Identity[]> {
  const m = await up.request(frame(MSG.REQUEST_IDENTITIES));
  if (m.type !== MSG.IDENTITIES_ANSWER) throw new Error(`your ssh-agent answered ${m.type}`);
  return parseIdentitiesAnswer(m.body);
}

/** Asks the real agent for its keys and keeps the named ones; refuses to start otherwise. */
async function resolveKeys(o: AgentFilterOptions): Promise<Identity[]> {
  const up = new Upstream(o.upstream);
  let ids: Identity[];
  try {
    ids = await listIdentities(up);
  } catch (e) {
    throw new BubbleError(
      'SSH_AGENT',
      `--ssh-agent: cannot list the keys of your ssh-agent (${o.upstream}): ${(e as Error).message}`,
      { exitCode: EXIT_SETUP, hint: 'is the agent running? ssh-add -l' },
    );
  } finally {
    up.close();
  }
  const listing = ids.length === 0 ? ' (it has none)' : `: ${ids.map(describeKey).join('; ')}`;
  if (o.keys.length === 0) {
    throw new BubbleError('SSH_KEY_UNNAMED', '--ssh-agent: name the keys the sandbox may use', {
      exitCode: EXIT_USAGE,
      hint: `--ssh-key FINGERPRINT|COMMENT|FILE.pub (repeatable); your agent holds${listing}`,
    });
  }
  const { allowed, unmatched } = matchKeys(ids, o.keys);
  if (unmatched.length > 0) {
    throw new BubbleError(
      'SSH_KEY_NOT_IN_AGENT',
      `--ssh-key ${unmatched.map((s) => s.spec).join(', ')}: not in your ssh-agent`,
      { exitCode: EXIT_USAGE, hint: `ssh-add the key first; your agent holds${listing}` },
    );
  }
  return allowed;
}

export async function startAgentFilter(o: AgentFilterOptions): Promise<AgentFilter> {
  const allowed = await resolveKeys(o);
  const byFingerprint = new Map(allowed.map((id) => [fingerprint(id.blob), id]));
  const clients = new Set<net.Socket>();
  const now = (): string => new Date().toISOString();
  const failure = frame(MSG.FAILURE);

  const answer = async (m: Message, up: () => Upstream): Promise<Buffer> => {
    if (m.type === MSG.REQUEST_IDENTITIES) {
      // Asked each time: a key removed from the real agent meanwhile is not listed.
      const ids = await listIdentities(up());
      return identitiesAnswer(ids.filter((id) => byFingerprint.has(fingerprint(id.blob))));
    }
    const event = { time: now(), request: requestName(m.type), key: null, comment: null };
    if (m.type !== MSG.SIGN_REQUEST) {
      const ext = m.type === MSG.EXTENSION ? extensionName(m.body) : undefined;
      if (ext === undefined || !QUIET_EXTENSIONS.has(ext))
        o.onEvent({
          ...event,
          ...(ext === undefined ? {} : { request: `extension ${ext.slice(0, 100)}` }),
          decision: 'deny',
          signed: null,
          reason: 'the sandbox may only list and sign with the named keys',
        });
      return failure;
    }
    const req = parseSignRequest(m.body);
    const fp = fingerprint(req.blob);
    const id = byFingerprint.get(fp);
    const signed = describeSigned(req.data);
    if (id === undefined) {
      o.onEvent({
        ...event,
        key: fp,
        decision: 'deny',
        signed,
        reason: 'not a key named by --ssh-key',
      });
      return failure;
    }
    // Logged before the real agent is asked: a signature that cannot be logged is not made.
    o.onEvent({ ...event, key: fp, comment: id.comment, decision: 'allow', signed, reason: null });
    let reply: Message | undefined;
    let error: string | undefined;
    try {
      reply = await up().request(frame(MSG.SIGN_REQUEST, m.body));
    } catch (e) {
      error = (e as Error).message;
    }
    if (reply?.type === MSG.SIGN_RESPONSE) return frame(reply.type, reply.body);
    o.onEvent({
      ...event,
      request: 'sign-failed',
      key: fp,
      comment: id.comment,
      decision: 'allow',
      signed: null,
      reason: error ?? 'your ssh-agent refused to sign',
    });
    return failure;
  };

  const server = net.createServer((client) => {
    clients.add(client);
    const framer = new Framer();
    let upstream: Upstream | undefined;
    const up = (): Upstream => (upstream ??= new Upstream(o.upstream));
    let queue = Promise.resolve();
    const done = (): void => {
      clients.delete(client);
      upstream?.close();
    };
    client.on('close', done);
    client.on('error', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      let messages: Message[];
      try {
        messages = framer.push(chunk);
      } catch {
        client.destroy(); // a malformed frame: there is no way to resynchronise
        return;
      }
      for (const m of messages) {
        queue = queue.then(async () => {
          if (client.destroyed) return;
          let reply: Buffer;
          try {
            reply = await answer(m, up);
          } catch {
            reply = failure; // a malformed request, or the real agent went away
          }
          if (!client.destroyed) client.write(reply);
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(
        new BubbleError('SSH_AGENT', `--ssh-agent: cannot listen on ${o.listen}: ${e.message}`, {
          exitCode: EXIT_SETUP,
        }),
      ),
    );
    // Only the user: the socket is the real agent's signing power.
    const mask = process.umask(0o177);
    try {
      server.listen(o.listen, () => {
        fs.chmodSync(o.listen, 0o600);
        resolve();
      });
    } finally {
      process.umask(mask);
    }
  });
  return {
    allowed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.destroy();
        server.close(() => {
          fs.rmSync(o.listen, { force: true });
          resolve();
        });
      }),
  };
}
