// Memory: limits that make sense, the read-only root, a capped /dev/shm, and the memory
// limit's cgroup chosen from the host's facts (or a warning when there is none).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseLimits } from '../../src/policy/limits.ts';
import { resolvePlan } from '../../src/policy/resolve.ts';
import { bwrapArgs, fdLayout } from '../../src/sandbox/bwrap-args.ts';
import {
  enterCgroupArgs,
  parseCgroupMounts,
  parseProcCgroup,
  systemdScopeArgs,
} from '../../src/sandbox/cgroup.ts';
import type { HostFacts } from '../../src/sandbox/facts.ts';
import { debianHost, fakeFacts, runRequest } from '../support/fake-host.ts';

const GiB = 1024 ** 3;

function plan(over: Partial<HostFacts> = {}, limit: string[] = []) {
  const facts = fakeFacts(debianHost, over);
  return {
    facts,
    plan: resolvePlan(facts, runRequest(['sh'], { net: 'none', limits: parseLimits(limit) })),
  };
}

describe('--limit values', () => {
  test('mem takes a size or unlimited', () => {
    assert.equal(parseLimits(['mem=4G']).memBytes, 4 * GiB);
    assert.equal(parseLimits(['mem=unlimited']).memBytes, 'unlimited');
    assert.equal(parseLimits([]).memBytes, undefined);
  });

  test('sizes that leave no working sandbox are refused with exit 2 and a hint', () => {
    for (const spec of ['tmp=2', 'tmp=0', 'home=512K', 'fsize=100', 'mem=1M', 'mem=0']) {
      assert.throws(
        () => parseLimits([spec]),
        (e: Error & { exitCode?: number; hint?: string }) =>
          /less than the \d+ MiB a sandbox needs/.test(e.message) &&
          e.exitCode === 2 &&
          /512M, 2G/.test(e.hint ?? ''),
        spec,
      );
    }
    assert.throws(() => parseLimits(['tmp=99999999999T']), /too large/);
    assert.equal(parseLimits(['tmp=1M']).tmpBytes, 1024 ** 2);
  });
});

describe('RAM-backed filesystems', () => {
  test('the root is remounted read-only after the last mount', () => {
    const { facts, plan: p } = plan();
    const args = bwrapArgs(p, facts.bwrap!.features, fdLayout(p));
    const chdir = args.indexOf('--chdir');
    assert.deepEqual(args.slice(chdir - 2, chdir), ['--remount-ro', '/']);
  });

  test('/dev/shm is a tmpfs capped like /tmp, and /dev is read-only', () => {
    const { facts, plan: p } = plan({}, ['tmp=256M']);
    const args = bwrapArgs(p, facts.bwrap!.features, fdLayout(p)).join(' ');
    assert.match(
      args,
      / --dev \/dev --perms 1777 --size 268435456 --tmpfs \/dev\/shm --remount-ro \/dev /,
    );
  });

  test('a bwrap without --size: a warning on every run', () => {
    const base = fakeFacts(debianHost);
    const bwrap = { ...base.bwrap!, features: { ...base.bwrap!.features, size: false } };
    const { plan: p } = plan({ bwrap });
    assert.ok(p.warnings.some((w) => /has no --size: \/tmp, \/dev\/shm/.test(w)));
  });
});

describe('memory limit', () => {
  test('default: half of the RAM, through the cgroup the host offers', () => {
    const { plan: p } = plan();
    assert.deepEqual(p.memory, {
      bytes: 8 * GiB,
      cgroup: { kind: 'systemd', systemdRun: '/usr/bin/systemd-run' },
    });
  });

  test('--limit mem wins; unlimited means no cgroup and no warning', () => {
    assert.equal(plan({}, ['mem=2G']).plan.memory?.bytes, 2 * GiB);
    const { plan: p } = plan({}, ['mem=unlimited']);
    assert.equal(p.memory, undefined);
    assert.ok(!p.warnings.some((w) => /memory/.test(w)));
  });

  test('no cgroup: no limit, and one warning line saying why', () => {
    const { plan: p } = plan({ memoryCgroup: { kind: 'none', why: 'no delegated cgroup' } });
    assert.equal(p.memory, undefined);
    const lines = p.warnings.filter((w) => /no memory limit/.test(w));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /no memory limit: no delegated cgroup; .*bubble doctor/);
  });

  test('systemd scope: MemoryMax and no swap', () => {
    assert.deepEqual(systemdScopeArgs('/usr/bin/systemd-run', 1024).slice(1), [
      '--user',
      '--scope',
      '--quiet',
      '--collect',
      '-p',
      'MemoryMax=1024',
      '-p',
      'MemorySwapMax=0',
      '--',
    ]);
  });

  test('a delegated cgroup is entered by the process that then becomes bwrap', () => {
    const [sh, c, script, procs] = enterCgroupArgs('/sys/fs/cgroup/x/bubble-1/cgroup.procs');
    assert.equal(sh, '/bin/sh');
    assert.equal(c, '-c');
    assert.equal(script, 'echo $$ > "$0" && exec "$@"');
    assert.equal(procs, '/sys/fs/cgroup/x/bubble-1/cgroup.procs');
  });

  test('parses mountinfo and /proc/self/cgroup (v1 memory and v2)', () => {
    const mi = [
      '34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '39 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '22 1 8:1 / / rw - ext4 /dev/sda1 rw',
    ].join('\n');
    assert.deepEqual(
      parseCgroupMounts(mi).map((m) => [m.dir, m.type, m.options.includes('memory')]),
      [
        ['/sys/fs/cgroup/memory', 'cgroup', true],
        ['/sys/fs/cgroup/unified', 'cgroup2', false],
      ],
    );
    assert.deepEqual(parseProcCgroup('4:memory:/a/b\n0::/user.slice/x.scope\n'), [
      { controllers: ['memory'], path: '/a/b' },
      { controllers: [], path: '/user.slice/x.scope' },
    ]);
  });
});
