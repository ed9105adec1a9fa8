// The steps resolvePlan is composed of, one decision each, on an in-memory host.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BubbleError } from '../../src/errors.ts';
import { DEFAULT_LIMITS } from '../../src/policy/limits.ts';
import { Mounts } from '../../src/policy/mount-list.ts';
import { hideMounts, homeAndProjectMounts, systemMounts } from '../../src/policy/mounts.ts';
import { planNetwork } from '../../src/policy/network-plan.ts';
import { processPlan } from '../../src/policy/process.ts';
import { protectPaths } from '../../src/policy/protection.ts';
import { profileByName } from '../../src/policy/profiles/index.ts';
import { refuseCwd, refuseRoot } from '../../src/policy/refuse.ts';
import type { MountOp } from '../../src/sandbox/plan.ts';
import { debianHost, fakeFacts } from '../support/fake-host.ts';

const at = (ops: MountOp[], dest: string): MountOp[] => ops.filter((op) => op.dest === dest);

/** The mounts every later step sees: the system, the home and the project. */
function baseMounts(facts = fakeFacts(debianHost)): Mounts {
  const m = new Mounts();
  systemMounts(m, facts, 'none', DEFAULT_LIMITS);
  homeAndProjectMounts(m, facts, {}, DEFAULT_LIMITS);
  return m;
}

describe('refusals', () => {
  test('root only on purpose, then with a warning', () => {
    assert.throws(
      () => refuseRoot(0, false),
      (e: BubbleError) => e.code === 'ROOT',
    );
    assert.equal(refuseRoot(0, true).length, 1);
    assert.deepEqual(refuseRoot(1000, false), []);
  });

  test('the home, its ancestors and system trees are never a project', () => {
    for (const cwd of ['/home/u', '/home', '/', '/etc/x', '/proc/1'])
      assert.throws(() => refuseCwd(cwd, '/home/u'), BubbleError, cwd);
    refuseCwd('/home/u/src/app', '/home/u');
  });
});

describe('system mounts', () => {
  test('merged /usr links are rebuilt; resolv.conf outside /etc only when the host network is used', () => {
    const facts = fakeFacts(debianHost);
    const isolated = new Mounts();
    systemMounts(isolated, facts, 'none', DEFAULT_LIMITS);
    assert.deepEqual(
      at(isolated.ops, '/bin').map((op) => op.kind),
      ['symlink'],
    );
    assert.equal(at(isolated.ops, '/run/systemd/resolve/stub-resolv.conf').length, 0);
    const shared = new Mounts();
    systemMounts(shared, facts, 'host', DEFAULT_LIMITS);
    assert.deepEqual(
      at(shared.ops, '/run/systemd/resolve/stub-resolv.conf').map((op) => op.kind),
      ['ro'],
    );
  });

  test('the home is an empty tmpfs and the project is the only writable host path', () => {
    const m = baseMounts();
    assert.deepEqual(
      m.ops.filter((op) => op.kind === 'rw').map((op) => op.dest),
      ['/home/u/src/app'],
    );
    assert.equal(m.covering('/home/u/.ssh/id_ed25519')?.kind, 'tmpfs');
    assert.equal(m.visible('/home/u/.ssh/id_ed25519', fakeFacts(debianHost)), false);
  });
});

describe('hide', () => {
  test('a directory becomes an empty read-only tmpfs, a file an empty file; unseen paths are skipped', () => {
    const facts = fakeFacts({ ...debianHost, '/home/u/src/app/.env': { type: 'file' } });
    const m = baseMounts(facts);
    const before = m.ops.length;
    hideMounts(m, facts, { hide: ['.env', '/usr/lib', '~/.ssh'] });
    assert.deepEqual(
      m.ops.slice(before).map((op) => [op.kind, op.dest]),
      [
        ['data', '/home/u/src/app/.env'],
        ['tmpfs', '/usr/lib'],
      ],
    );
  });
});

describe('network', () => {
  test('filtered: the proxy socket dir read-only, socat when there is no published port', () => {
    const facts = fakeFacts(
      { ...debianHost, '/usr/bin/socat': { type: 'file', mode: 0o755 } },
      {
        bubble: { ...fakeFacts(debianHost).bubble, socat: '/usr/bin/socat' },
      },
    );
    const req = { net: 'filtered' as const, allow: [], deny: [], hostPorts: [] };
    const m = baseMounts(facts);
    const plain = planNetwork(m, facts, { ...req, hostPorts: [] });
    assert.equal(plain.forwarder, 'socat');
    assert.equal(m.covering('/run/bubble/proxy.sock')?.kind, 'ro');
    const published = planNetwork(baseMounts(facts), facts, { ...req, hostPorts: [5432] });
    assert.equal(published.forwarder, 'node');
    assert.deepEqual(published.bridgeArgs.slice(-2), ['5432', '']);
    // The sandbox's own ports published to the host: the bridge carries them too.
    const inbound = planNetwork(baseMounts(facts), facts, {
      ...req,
      publish: [{ inside: 8000, host: 9000 }],
    });
    assert.equal(inbound.forwarder, 'node');
    assert.deepEqual(inbound.bridgeArgs.slice(-2), ['', '8000']);
    assert.deepEqual(inbound.net.publish, [{ inside: 8000, host: 9000 }]);
  });

  test('other modes add no mount and no forwarder', () => {
    const facts = fakeFacts(debianHost);
    for (const net of ['host', 'none', 'logged'] as const) {
      const m = baseMounts(facts);
      const before = m.ops.length;
      const plan = planNetwork(m, facts, { net, allow: [], deny: [], hostPorts: [] });
      assert.equal(m.ops.length, before, net);
      assert.equal(plan.forwarder, undefined);
    }
  });
});

describe('protection', () => {
  test('a missing protected file in the project is a placeholder, read-only, and ignored by git inside', () => {
    const facts = fakeFacts(debianHost);
    const m = baseMounts(facts);
    const p = protectPaths(m, facts, {
      profile: profileByName('generic')!,
      homeReal: '/home/u',
      allowWrite: [],
      ensureDirs: [],
    });
    const settings = '/home/u/src/app/.claude/settings.json';
    assert.ok(p.placeholders.some((x) => x.path === settings && x.type === 'file'));
    assert.deepEqual(
      at(m.ops, settings).map((op) => op.kind),
      ['data'],
    );
    assert.match(p.gitIgnore ?? '', /^\/\.claude\/settings\.json$/m);
  });

  test('--allow-write opens a protected path: no placeholder, no mount', () => {
    const facts = fakeFacts(debianHost);
    const m = baseMounts(facts);
    const p = protectPaths(m, facts, {
      profile: profileByName('generic')!,
      homeReal: '/home/u',
      allowWrite: ['.claude'],
      ensureDirs: [],
    });
    assert.ok(!p.placeholders.some((x) => x.path.startsWith('/home/u/src/app/.claude')));
    assert.equal(m.covering('/home/u/src/app/.claude/settings.json')?.kind, 'rw');
  });
});

describe('process', () => {
  const opts = {
    limits: DEFAULT_LIMITS,
    net: 'none',
    forwarder: undefined,
    bridgeArgs: [],
  } as const;

  test('before Linux 5.14 the process limit is dropped, with a warning', () => {
    const old = processPlan(fakeFacts(debianHost, { kernel: '5.10.0' }), opts);
    assert.equal(old.limits.nproc, 'unlimited');
    assert.match(old.warnings.join('\n'), /counts process limits per user/);
    const now = processPlan(fakeFacts(debianHost), opts);
    assert.equal(now.limits.nproc, DEFAULT_LIMITS.nproc);
  });

  test('a network namespace of its own except where the host network is used', () => {
    const facts = fakeFacts(debianHost);
    for (const [net, own] of [
      ['none', true],
      ['filtered', true],
      ['host', false],
      ['logged', false],
    ] as const)
      assert.equal(processPlan(facts, { ...opts, net }).namespaces.net, own, net);
  });

  test('no seccomp filter on an architecture it has no table for, with a warning', () => {
    const p = processPlan(fakeFacts(debianHost, { arch: 'riscv64' }), opts);
    assert.equal(p.seccomp, undefined);
    assert.match(p.warnings.join('\n'), /no seccomp filter/);
  });
});
