// The selftest's verdicts against its calibration: the same attempt made outside the
// sandbox. A kernel without IA32 emulation (int 0x80 dies with SIGSEGV everywhere) is
// simulated here; so are a probe that threw and a read that shows nothing outside either.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judge, PROBES, type HostView, type Probe } from '../../src/selftest/probes.ts';

const probe = (id: string): Probe => {
  const p = PROBES.find((q) => q.id === id);
  assert.ok(p?.check, `no probe ${id}`);
  return p;
};

function host(outside: Partial<HostView['outside']>): HostView {
  return { outside: { probes: new Map(), ...outside } } as unknown as HostView;
}

describe('selftest calibration', () => {
  const i386 = probe('sys-foreign-abi-i386');

  test('no IA32 emulation: the call dies outside too, so it is N/A, not a failure', () => {
    const v = i386.check!(
      { i386_getpid: 'SIGSEGV' },
      host({ syscalls: { i386_getpid: 'SIGSEGV' } }),
    );
    assert.equal(v.result, 'N/A');
    assert.match(v.detail, /dies outside the sandbox too \(i386_getpid=SIGSEGV\)/);
  });

  test('with IA32 emulation: the filter must kill it (SIGSYS)', () => {
    const ok = host({ syscalls: { i386_getpid: 'OK' } });
    assert.equal(i386.check!({ i386_getpid: 'SIGSYS' }, ok).result, 'PASS');
    assert.equal(i386.check!({ i386_getpid: 'OK' }, ok).result, 'FAIL');
    assert.equal(i386.check!({ i386_getpid: 'SIGSEGV' }, ok).result, 'FAIL');
  });

  test('no calibration at all is a failure, never a pass', () => {
    assert.equal(i386.check!({ i386_getpid: 'SIGSYS' }, host({})).result, 'FAIL');
    const v = i386.check!(
      { i386_getpid: 'SIGSYS' },
      host({ syscalls: { error: 'python3 crashed' } }),
    );
    assert.equal(v.result, 'FAIL');
  });

  test('a probe that threw inside is a failure', () => {
    for (const p of PROBES.filter((q) => q.launch !== 'host')) {
      for (const r of [{ error: 'probe threw: TypeError' }, undefined, null]) {
        const v = judge(p, r, host({ syscalls: {} }));
        assert.equal(v.result, 'FAIL', `${p.id} on ${JSON.stringify(r)}: ${v.result}`);
      }
    }
    // A check that throws on a result it did not expect fails too.
    const v = judge(probe('secrets-home-listing'), 42, host({}));
    assert.notEqual(v.result, 'PASS');
  });

  test('a secret that is not readable outside either: N/A; readable outside: judged', () => {
    const ssh = PROBES.find((q) => q.calibrate === true)!;
    const none = host({ probes: new Map([[ssh.id, 'ENOENT']]) });
    assert.equal(ssh.check!('ENOENT', none).result, 'N/A');
    const real = host({ probes: new Map([[ssh.id, 'CANARY']]) });
    assert.equal(ssh.check!('EACCES', real).result, 'PASS');
    assert.equal(ssh.check!('CANARY', real).result, 'FAIL');
  });

  test("this host's own address: refused passes, connected fails, none reachable outside is N/A", () => {
    const p = probe('net-pivot-host-address');
    const h = {
      ...host({}),
      mode: 'filtered',
      got: () => [],
    } as unknown as HostView;
    const refused = { '192.0.2.2': 'HTTP/1.1 403 Forbidden', 'fd00::2': 'HTTP/1.1 403 Forbidden' };
    assert.equal(judge(p, refused, h).result, 'PASS');
    const through = { ...refused, '::ffff:192.0.2.2': 'HTTP/1.1 200 Connection established' };
    assert.equal(judge(p, through, h).result, 'FAIL');
    assert.equal(judge(p, { '192.0.2.2': 'TIMEOUT' }, h).result, 'FAIL');
    assert.equal(judge(p, { skip: 'no address of this machine but loopback' }, h).result, 'N/A');
    const arrived = { ...h, got: () => ['own:net-pivot-host-address'] } as HostView;
    assert.equal(judge(p, refused, arrived).result, 'FAIL');
  });
});
