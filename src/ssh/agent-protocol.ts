// The ssh-agent protocol (draft-miller-ssh-agent), as far as bubble's filter needs it: pure.
// Every message is a uint32 length, then a byte of message type, then its contents; strings
// are a uint32 length and that many bytes (RFC 4251 section 5).

/** Message numbers (draft-miller-ssh-agent section 6.1; the SSH1 ones are obsolete). */
export const MSG = {
  FAILURE: 5,
  SUCCESS: 6,
  REQUEST_IDENTITIES: 11,
  IDENTITIES_ANSWER: 12,
  SIGN_REQUEST: 13,
  SIGN_RESPONSE: 14,
  ADD_IDENTITY: 17,
  REMOVE_IDENTITY: 18,
  REMOVE_ALL_IDENTITIES: 19,
  ADD_SMARTCARD_KEY: 20,
  REMOVE_SMARTCARD_KEY: 21,
  LOCK: 22,
  UNLOCK: 23,
  ADD_ID_CONSTRAINED: 25,
  ADD_SMARTCARD_KEY_CONSTRAINED: 26,
  EXTENSION: 27,
  EXTENSION_FAILURE: 28,
} as const;

const NAMES: Record<number, string> = {
  1: 'ssh1-request-identities',
  3: 'ssh1-rsa-challenge',
  7: 'ssh1-add-identity',
  8: 'ssh1-remove-identity',
  9: 'ssh1-remove-all-identities',
  24: 'ssh1-add-id-constrained',
  [MSG.REQUEST_IDENTITIES]: 'list',
  [MSG.SIGN_REQUEST]: 'sign',
  [MSG.ADD_IDENTITY]: 'add',
  [MSG.REMOVE_IDENTITY]: 'remove',
  [MSG.REMOVE_ALL_IDENTITIES]: 'remove-all',
  [MSG.ADD_SMARTCARD_KEY]: 'add-smartcard',
  [MSG.REMOVE_SMARTCARD_KEY]: 'remove-smartcard',
  [MSG.LOCK]: 'lock',
  [MSG.UNLOCK]: 'unlock',
  [MSG.ADD_ID_CONSTRAINED]: 'add-constrained',
  [MSG.ADD_SMARTCARD_KEY_CONSTRAINED]: 'add-smartcard-constrained',
  [MSG.EXTENSION]: 'extension',
};

/** A request's name for the log (`add`, `lock`, `extension`...), or `type N`. */
export function requestName(type: number): string {
  return NAMES[type] ?? `type ${type}`;
}

/** OpenSSH's own agent refuses messages above 256 KiB (AGENT_MAX_LEN); so do we. */
export const MAX_MESSAGE = 256 * 1024;

export class AgentProtocolError extends Error {
  override readonly name = 'AgentProtocolError';
}

/** A reader over one message's bytes; every read is bounds-checked. */
export class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.at;
  }

  byte(): number {
    if (this.remaining < 1) throw new AgentProtocolError('truncated message');
    return this.buf[this.at++]!;
  }

  uint32(): number {
    if (this.remaining < 4) throw new AgentProtocolError('truncated message');
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }

  string(): Buffer {
    const n = this.uint32();
    if (n > this.remaining) throw new AgentProtocolError('string longer than its message');
    const s = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return s;
  }

  bytes(n: number): Buffer {
    if (n > this.remaining) throw new AgentProtocolError('truncated message');
    const s = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return s;
  }
}

export function encodeString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function encodeUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** A whole framed message: length, type, contents. */
export function frame(type: number, contents: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([encodeUint32(contents.length + 1), Buffer.from([type]), contents]);
}

export interface Message {
  type: number;
  /** The contents after the type byte. */
  body: Buffer;
}

/**
 * Splits a byte stream into messages. Feed it chunks as they arrive; it returns the
 * messages that are complete and keeps the rest. A length of zero or above MAX_MESSAGE is
 * a protocol error (the caller closes the connection).
 */
export class Framer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Message[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Message[] = [];
    while (this.pending.length >= 4) {
      const len = this.pending.readUInt32BE(0);
      if (len === 0 || len > MAX_MESSAGE)
        throw new AgentProtocolError(`message length ${len} out of bounds`);
      if (this.pending.length < 4 + len) break;
      out.push({ type: this.pending[4]!, body: this.pending.subarray(5, 4 + len) });
      this.pending = this.pending.subarray(4 + len);
    }
    return out;
  }

  /** Bytes of an incomplete message held back. */
  get buffered(): number {
    return this.pending.length;
  }
}

export interface Identity {
  /** The public key blob (RFC 4253 section 6.6). */
  blob: Buffer;
  comment: string;
}

export function parseIdentitiesAnswer(body: Buffer): Identity[] {
  const r = new Reader(body);
  const n = r.uint32();
  if (n > 4096) throw new AgentProtocolError(`${n} identities`);
  const out: Identity[] = [];
  for (let i = 0; i < n; i++) out.push({ blob: r.string(), comment: r.string().toString('utf8') });
  return out;
}

export function identitiesAnswer(ids: readonly Identity[]): Buffer {
  return frame(
    MSG.IDENTITIES_ANSWER,
    Buffer.concat([
      encodeUint32(ids.length),
      ...ids.flatMap((id) => [encodeString(id.blob), encodeString(id.comment)]),
    ]),
  );
}

export interface SignRequest {
  blob: Buffer;
  data: Buffer;
  flags: number;
}

export function parseSignRequest(body: Buffer): SignRequest {
  const r = new Reader(body);
  const blob = r.string();
  const data = r.string();
  const flags = r.uint32();
  return { blob, data, flags };
}

export function signRequest(req: SignRequest): Buffer {
  return frame(
    MSG.SIGN_REQUEST,
    Buffer.concat([encodeString(req.blob), encodeString(req.data), encodeUint32(req.flags)]),
  );
}

/** For EXTENSION requests: the extension's name (`session-bind@openssh.com`), or undefined. */
export function extensionName(body: Buffer): string | undefined {
  try {
    return new Reader(body).string().toString('utf8');
  } catch {
    return undefined;
  }
}

/** The algorithm name at the start of a key blob (`ssh-ed25519`), or `unknown`. */
export function keyType(blob: Buffer): string {
  try {
    return new Reader(blob).string().toString('latin1');
  } catch {
    return 'unknown';
  }
}
