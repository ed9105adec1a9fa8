// The proxy never reaches the host itself: a service bound to all interfaces is not
// reachable through any of the host's own addresses (IPv4, IPv4-mapped, global IPv6)
// unless its port is published with --host-port. The listener on the host is the witness.
// Run twice: on this machine's real interfaces, and in a network namespace the test makes
// with extra addresses on its interface (so the test holds on a machine with only lo).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireBwrap, unmet } from '../support/bwrap.ts';
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

function runProbe(wrap: string[]): ProbeResult {
  const node = [process.execPath, '--import', 'tsx', PROBE];
  const [cmd = '', ...args] = [...wrap, ...node];
  const r = spawnSync(cmd, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: process.env,
  });
  assert.equal(r.status, 0, `probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as ProbeResult;
}

function check(result: ProbeResult): void {
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
  const result = runProbe([]);
  if (result.addresses.length === 0) {
    t.skip('this machine has no address but loopback (the namespace test covers it)');
    return;
  }
  check(result);
});

test('in a network namespace with IPv4 and IPv6 addresses of its own, likewise', async (t) => {
  if (!(await requireBwrap(t))) return;
  const ids = `--map-user=${process.getuid?.()} --map-group=${process.getgid?.()}`;
  const setup =
    // A bridge, as docker makes one, with addresses the namespace owns.
    'ip link set lo up && ip link add bubble0 type bridge && ip link set bubble0 up' +
    ' && ip addr add 203.0.113.7/24 dev bubble0 && ip addr add 2001:db8::7/64 dev bubble0 nodad' +
    ` && exec unshare --user ${ids} "$@"`;
  const probe = spawnSync('unshare', ['-rn', 'true']);
  if (probe.status !== 0) {
    unmet(t, 'unshare -rn is not available (unprivileged user and network namespaces)');
    return;
  }
  const result = runProbe(['unshare', '-rn', 'sh', '-c', setup, 'sh']);
  assert.ok(result.addresses.includes('203.0.113.7'), JSON.stringify(result.addresses));
  assert.ok(result.addresses.includes('2001:db8::7'));
  check(result);
});
