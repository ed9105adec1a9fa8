// What an ssh-agent is asked to sign, recognised for the session log: pure. The agent only
// sees bytes; two shapes are common enough to name, and everything else is logged by size
// and hash.

import { createHash } from 'node:crypto';
import { Reader } from './agent-protocol.ts';

export type Signed =
  /** An ssh login (RFC 4252 section 7): who, to which service, and a hash of the session id. */
  | {
      kind: 'ssh-userauth';
      user: string;
      service: string;
      method: string;
      /** sha256 of the session identifier (hex): ties the signature to one ssh connection. */
      sessionIdSha256: string;
    }
  /** A detached signature (OpenSSH PROTOCOL.sshsig): `git` for commits and tags, `file`... */
  | { kind: 'sshsig'; namespace: string; hashAlgorithm: string; messageHash: string }
  | { kind: 'unknown'; bytes: number; sha256: string };

const SSH_MSG_USERAUTH_REQUEST = 50;
const SSHSIG_MAGIC = Buffer.from('SSHSIG');
const sha256hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const printable = (b: Buffer): string => b.toString('utf8').slice(0, 256);

function userauth(data: Buffer): Signed | undefined {
  const r = new Reader(data);
  const sessionId = r.string();
  if (r.byte() !== SSH_MSG_USERAUTH_REQUEST) return undefined;
  const user = printable(r.string());
  const service = printable(r.string());
  const method = printable(r.string());
  if (!method.startsWith('publickey') || r.byte() !== 1) return undefined;
  r.string(); // the signature algorithm
  r.string(); // the public key
  if (method === 'publickey-hostbound-v00@openssh.com') r.string(); // the server's host key
  if (r.remaining !== 0) return undefined;
  return { kind: 'ssh-userauth', user, service, method, sessionIdSha256: sha256hex(sessionId) };
}

function sshsig(data: Buffer): Signed | undefined {
  if (data.length < SSHSIG_MAGIC.length || !data.subarray(0, 6).equals(SSHSIG_MAGIC))
    return undefined;
  const r = new Reader(data.subarray(6));
  const namespace = printable(r.string());
  r.string(); // reserved
  const hashAlgorithm = printable(r.string());
  const hash = r.string();
  if (r.remaining !== 0) return undefined;
  return { kind: 'sshsig', namespace, hashAlgorithm, messageHash: hash.toString('hex') };
}

export function describeSigned(data: Buffer): Signed {
  for (const recognise of [sshsig, userauth]) {
    try {
      const s = recognise(data);
      if (s !== undefined) return s;
    } catch {
      // not this shape
    }
  }
  return { kind: 'unknown', bytes: data.length, sha256: sha256hex(data) };
}

/** Short words for the end-of-session line: `git signature`, `ssh login as git`. */
export function signedSummary(s: Signed): string {
  switch (s.kind) {
    case 'ssh-userauth':
      return `ssh login as ${s.user}`;
    case 'sshsig':
      return `${s.namespace} signature`;
    default:
      return 'unrecognised data';
  }
}
