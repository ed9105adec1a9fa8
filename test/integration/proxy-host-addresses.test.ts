// The proxy never reaches the host itself: a service bound to all interfaces is not
// reachable through any of the host's own addresses (IPv4, IPv4-mapped, global IPv6)
// unless its port is published with --host-port. The listener on the host is the witness.
// Run twice: on this machine's real interfaces (on a machine with only loopback, a network
// namespace the test makes with a network card of its own stands in), and in a namespace
// with a docker-like bridge holding IPv4 and IPv6 addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { requireBwrap } from '../support/bwrap.ts';
import { inNetns, requireNetns } from '../support/netns.ts';
import { repoRoot } from '../support/world.ts';

const PROBE = fileURLToPath(new URL('../fixtures/host-address-probe.ts', import.meta.url));

interface ProbeResult {
  addresses: string[];
  calibrated: string[];
  refusedCodes: string;
  refusedStderr: string;
  receivedUnpublished: string[];
  reasons: string[];
  publishedCodes: string;
  publishedStderr: string;
  receivedPublished: string[];
}

/** The probe on this machine's interfaces, or in a namespace made by `setup`. */
function runProbe(setup?: string): ProbeResult {
  const node = [process.execPath, '--import', 'tsx', PROBE];
  const r =
    setup === undefined
      ? spawnSync(node[0]!, node.slice(1), {
          cwd: repoRoot,
          encoding: 'utf8',
          timeout: 120_000,
          env: process.env,
        })
      : inNetns(setup, node, { cwd: repoRoot });
  assert.equal(r.status, 0, `probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as ProbeResult;
}

/** Addresses the probe attacks: every one but loopback and link-local (which need a zone). */
function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((i) => i?.address ?? '')
    .filter((a) => a !== '' && a !== '::1' && !a.startsWith('127.') && !a.startsWith('fe80:'));
}

function check(result: ProbeResult): void {
  assert.ok(result.addresses.length > 0, 'no address to attack');
  // Calibration: outside the sandbox, every address reaches the service.
  assert.deepEqual(result.calibrated, result.addresses, 'an own address did not reach the service');
  const n = result.calibrated.length * 2;
  assert.equal(result.refusedCodes, Array(n).fill('403').join(' '), result.refusedStderr);
  assert.deepEqual(result.receivedUnpublished, [], 'the host service was reached from inside');
  assert.equal(result.reasons.length, n);
  for (const reason of result.reasons) assert.match(reason, /is an address of this host/);
  // Published: the same requests now arrive.
  assert.equal(result.publishedCodes, Array(n).fill('200').join(' '), result.publishedStderr);
  assert.equal(result.receivedPublished.length, n);
}

test("this machine's own addresses do not reach a service bound to all interfaces", async (t) => {
  if (!(await requireBwrap(t))) return;
  if (ownAddresses().length > 0) {
    check(runProbe());
    return;
  }
  // Only loopback here: a namespace with a network card as a VM has one (a veth pair).
  if (!requireNetns(t)) return;
  const result = runProbe(
    'ip link add eth0 type veth peer name eth0-peer && ip link set eth0-peer up' +
      ' && ip addr add 10.0.2.15/24 dev eth0 && ip addr add fd00::15/64 dev eth0 nodad' +
      ' && ip link set eth0 up',
  );
  assert.deepEqual(result.addresses, ['10.0.2.15', 'fd00::15', '::ffff:10.0.2.15']);
  check(result);
});

test('in a network namespace with IPv4 and IPv6 addresses on a bridge, likewise', async (t) => {
  if (!(await requireBwrap(t)) || !requireNetns(t)) return;
  // A bridge, as docker makes one, with addresses the namespace owns.
  const result = runProbe(
    'ip link add bubble0 type bridge && ip link set bubble0 up' +
      ' && ip addr add 203.0.113.7/24 dev bubble0 && ip addr add 2001:db8::7/64 dev bubble0 nodad',
  );
  assert.ok(result.addresses.includes('203.0.113.7'), JSON.stringify(result.addresses));
  assert.ok(result.addresses.includes('2001:db8::7'));
  assert.ok(result.addresses.includes('::ffff:203.0.113.7'));
  check(result);
});
