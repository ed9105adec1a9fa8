// The ssh-agent protocol codec, key naming, and what a signature is for: pure.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  AgentProtocolError,
  encodeString,
  extensionName,
  frame,
  Framer,
  identitiesAnswer,
  keyType,
  MAX_MESSAGE,
  MSG,
  parseIdentitiesAnswer,
  parseSignRequest,
  requestName,
  signRequest,
} from '../../src/ssh/agent-protocol.ts';
import {
  describeKey,
  fingerprint,
  FINGERPRINT,
  matchKeys,
  parsePublicKey,
} from '../../src/ssh/keys.ts';
import { describeSigned, signedSummary } from '../../src/ssh/signed-data.ts';

// Made with ssh-keygen -t ed25519 -C unit@test; its fingerprint as ssh-keygen -l prints it.
const PUB =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIVaXGTXmBT/2agBARzjJ7haaoHK86vYB6sV+r6LDXw+ unit@test\n';
const FP = 'SHA256:lHkctXsE6tytQJYBuIO8zg4TVYwx0OmVBQ62dN9oMf4';
const blob = Buffer.from(PUB.split(' ')[1]!, 'base64');
const other = Buffer.concat([encodeString('ssh-ed25519'), encodeString(Buffer.alloc(32, 7))]);

describe('agent protocol framing', () => {
  test('a message is a uint32 length, a type byte, and the contents', () => {
    assert.deepEqual([...frame(MSG.FAILURE)], [0, 0, 0, 1, 5]);
    assert.deepEqual([...frame(MSG.SIGN_RESPONSE, Buffer.from([9, 9]))], [0, 0, 0, 3, 14, 9, 9]);
  });

  test('the framer reassembles messages split anywhere, and splits concatenated ones', () => {
    const bytes = Buffer.concat([
      frame(MSG.REQUEST_IDENTITIES),
      signRequest({ blob, data: Buffer.from('hello'), flags: 2 }),
      frame(MSG.LOCK, encodeString('pw')),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const f = new Framer();
      const got = [...f.push(bytes.subarray(0, cut)), ...f.push(bytes.subarray(cut))];
      assert.deepEqual(
        got.map((m) => m.type),
        [MSG.REQUEST_IDENTITIES, MSG.SIGN_REQUEST, MSG.LOCK],
      );
      assert.equal(f.buffered, 0);
      const sign = parseSignRequest(got[1]!.body);
      assert.ok(sign.blob.equals(blob));
      assert.equal(sign.data.toString(), 'hello');
      assert.equal(sign.flags, 2);
    }
  });

  test('a zero or oversized length is a protocol error, before the bytes arrive', () => {
    assert.throws(() => new Framer().push(Buffer.from([0, 0, 0, 0])), AgentProtocolError);
    const big = Buffer.alloc(4);
    big.writeUInt32BE(MAX_MESSAGE + 1);
    assert.throws(() => new Framer().push(big), AgentProtocolError);
  });

  test('strings longer than their message are refused', () => {
    const lying = Buffer.concat([Buffer.from([0, 0, 1, 0]), Buffer.from('short')]);
    assert.throws(() => parseSignRequest(lying), AgentProtocolError);
    assert.throws(() => parseIdentitiesAnswer(Buffer.from([0, 0, 0, 1])), AgentProtocolError);
  });

  test('identities answer round trip', () => {
    const ids = [
      { blob, comment: 'unit@test' },
      { blob: other, comment: 'other' },
    ];
    const f = new Framer().push(identitiesAnswer(ids));
    assert.equal(f[0]!.type, MSG.IDENTITIES_ANSWER);
    assert.deepEqual(parseIdentitiesAnswer(f[0]!.body), ids);
  });

  test('request names for the log; extension names', () => {
    assert.equal(requestName(MSG.REMOVE_ALL_IDENTITIES), 'remove-all');
    assert.equal(requestName(MSG.ADD_ID_CONSTRAINED), 'add-constrained');
    assert.equal(requestName(200), 'type 200');
    assert.equal(extensionName(encodeString('query')), 'query');
    assert.equal(extensionName(Buffer.alloc(1)), undefined);
  });
});

describe('naming keys', () => {
  test('fingerprints match ssh-keygen -l', () => {
    assert.equal(fingerprint(blob), FP);
    assert.match(FP, FINGERPRINT);
    assert.equal(keyType(blob), 'ssh-ed25519');
  });

  test('.pub files parse; other text does not', () => {
    const k = parsePublicKey(`# comment\n${PUB}`);
    assert.ok(typeof k !== 'string' && k.blob.equals(blob) && k.comment === 'unit@test');
    assert.match(
      parsePublicKey('-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n') as string,
      /not an ssh public key/,
    );
    assert.match(parsePublicKey(`ssh-rsa ${PUB.split(' ')[1]}`) as string, /not a ssh-rsa key/);
    assert.equal(parsePublicKey('\n'), 'no key in it');
  });

  test('selectors pick keys by fingerprint or comment; unmatched ones are named', () => {
    const ids = [
      { blob, comment: 'unit@test' },
      { blob: other, comment: 'deploy' },
    ];
    assert.deepEqual(matchKeys(ids, [{ spec: FP, fingerprint: FP }]).allowed, [ids[0]]);
    assert.deepEqual(matchKeys(ids, [{ spec: 'deploy', comment: 'deploy' }]).allowed, [ids[1]]);
    const none = matchKeys(ids, [{ spec: 'x', comment: 'x' }]);
    assert.deepEqual(none.allowed, []);
    assert.deepEqual(none.unmatched, [{ spec: 'x', comment: 'x' }]);
    assert.equal(describeKey(ids[0]!), `${FP} unit@test (ssh-ed25519)`);
  });
});

describe('what is signed', () => {
  test('an ssh login (publickey userauth): user, service, session id hash', () => {
    const sessionId = Buffer.alloc(32, 1);
    const data = Buffer.concat([
      encodeString(sessionId),
      Buffer.from([50]),
      encodeString('git'),
      encodeString('ssh-connection'),
      encodeString('publickey'),
      Buffer.from([1]),
      encodeString('ssh-ed25519'),
      encodeString(blob),
    ]);
    const s = describeSigned(data);
    assert.deepEqual(s, {
      kind: 'ssh-userauth',
      user: 'git',
      service: 'ssh-connection',
      method: 'publickey',
      sessionIdSha256: createHash('sha256').update(sessionId).digest('hex'),
    });
    assert.equal(signedSummary(s), 'ssh login as git');
    // OpenSSH's host-bound variant carries the server's host key as well.
    const bound = Buffer.concat([
      encodeString(sessionId),
      Buffer.from([50]),
      encodeString('me'),
      encodeString('ssh-connection'),
      encodeString('publickey-hostbound-v00@openssh.com'),
      Buffer.from([1]),
      encodeString('ssh-ed25519'),
      encodeString(blob),
      encodeString(other),
    ]);
    assert.equal(describeSigned(bound).kind, 'ssh-userauth');
  });

  test('an SSHSIG signature: namespace (git for commits), hash algorithm, message hash', () => {
    const h = createHash('sha512').update('commit').digest();
    const data = Buffer.concat([
      Buffer.from('SSHSIG'),
      encodeString('git'),
      encodeString(''),
      encodeString('sha512'),
      encodeString(h),
    ]);
    const s = describeSigned(data);
    assert.deepEqual(s, {
      kind: 'sshsig',
      namespace: 'git',
      hashAlgorithm: 'sha512',
      messageHash: h.toString('hex'),
    });
    assert.equal(signedSummary(s), 'git signature');
  });

  test('anything else: its size and hash, and no crash on malformed data', () => {
    for (const data of [
      Buffer.from('just bytes'),
      Buffer.from('SSHSIG'),
      Buffer.concat([encodeString('x'), Buffer.from([50])]),
      Buffer.alloc(0),
    ]) {
      const s = describeSigned(data);
      assert.equal(s.kind, 'unknown');
      assert.equal(s.kind === 'unknown' && s.bytes, data.length);
    }
  });
});
