// Naming ssh keys: fingerprints, public key files, and which of an agent's keys a user's
// selectors name. Pure.

import { createHash } from 'node:crypto';
import { keyType, type Identity } from './agent-protocol.ts';

/** OpenSSH's default fingerprint: `SHA256:` and unpadded base64 of the key blob's sha256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key blob of a `.pub` file (`TYPE BASE64 [COMMENT]`), or an error message. */
export function parsePublicKey(text: string): { blob: Buffer; comment: string } | string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  if (line === undefined) return 'no key in it';
  const [type, b64, ...rest] = line.split(/\s+/);
  if (type === undefined || b64 === undefined || !/^[A-Za-z0-9+/]+=*$/.test(b64))
    return 'not an ssh public key (TYPE BASE64 [COMMENT])';
  const blob = Buffer.from(b64, 'base64');
  if (keyType(blob) !== type) return `not an ssh public key (its blob is not a ${type} key)`;
  return { blob, comment: rest.join(' ') };
}

/**
 * A key the user named, resolved as far as the host's files allow before the agent is
 * asked: a fingerprint (typed, or read from a `.pub` file), or a comment to look up.
 */
export type KeySelector = { spec: string; fingerprint: string } | { spec: string; comment: string };

export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export interface KeyMatch {
  allowed: Identity[];
  /** Selectors that named none of the agent's keys. */
  unmatched: KeySelector[];
}

/** The agent's identities that the selectors name, in the agent's order. */
export function matchKeys(ids: readonly Identity[], selectors: readonly KeySelector[]): KeyMatch {
  const hits = (s: KeySelector, id: Identity): boolean =>
    'fingerprint' in s ? fingerprint(id.blob) === s.fingerprint : id.comment === s.comment;
  return {
    allowed: ids.filter((id) => selectors.some((s) => hits(s, id))),
    unmatched: selectors.filter((s) => !ids.some((id) => hits(s, id))),
  };
}

/** `SHA256:… comment (ssh-ed25519)`, for messages that list keys. */
export function describeKey(id: Identity): string {
  return `${fingerprint(id.blob)} ${id.comment} (${keyType(id.blob)})`;
}
