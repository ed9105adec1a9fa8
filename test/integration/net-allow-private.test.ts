// --allow-private: a private destination reached on purpose, and nothing more. The test
// makes its own network: this host on a link to a second machine (10.77.0.2, fd77::2, and
// the cloud metadata address 169.254.169.254) whose server is the witness of what arrived,
// and a service of this host bound to all interfaces. Every case is first shown to arrive
// outside the sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireBwrap } from '../support/bwrap.ts';
import { inNetns, requireNetns, secondMachine } from '../support/netns.ts';
import { repoRoot } from '../support/world.ts';

const PROBE = fileURLToPath(new URL('../fixtures/private-lan-probe.ts', import.meta.url));
const SERVER = fileURLToPath(new URL('../fixtures/lan-http-server.mjs', import.meta.url));
const LAN_PORT = 8080;

interface Run {
  exit: number;
  stderr: string;
  codes: Record<string, string>;
  header: string[] | null;
  reasons: Record<string, string>;
}

test('--allow-private reaches a private machine it names, never loopback, this host or metadata by a range', async (t) => {
  if (!(await requireBwrap(t)) || !requireNetns(t)) return;
  const dir = fs.mkdtempSync(join(tmpdir(), 'bubble-lan-'));
  const witness = join(dir, 'received');
  try {
    const setup = secondMachine({
      local: ['10.77.0.1/24', 'fd77::1/64'],
      remote: ['10.77.0.2/24', 'fd77::2/64', '169.254.169.254/32'],
      routes: ['169.254.169.254/32'],
      serve: `${process.execPath} ${SERVER} ${LAN_PORT} ${witness}`,
    });
    const node = [process.execPath, '--import', 'tsx', PROBE, String(LAN_PORT), witness];
    const r = inNetns(setup, node, { cwd: repoRoot });
    assert.equal(r.status, 0, `probe failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as {
      calibrated: string[];
      none: Run;
      wide: Run;
      exact: Run;
      lanReceived: string[];
      ownReceived: string[];
    };
    const all = ['lan4', 'lan6', 'metadata', 'own4', 'ownMapped', 'own6', 'loopback'];
    assert.deepEqual(out.calibrated, all, 'a target did not answer outside the sandbox');

    // No grant: every private destination is refused.
    assert.deepEqual(out.none.codes, Object.fromEntries(all.map((k) => [k, '403'])));
    assert.equal(out.none.header, null);
    assert.match(out.none.reasons['10.77.0.2'] ?? '', /is a private address/);

    // Ranges: the machine's private addresses, never this host, loopback or metadata.
    const wide = ['10.77.0.0/24', 'fd77::/64', '169.254.0.0/16', '127.0.0.0/8', '::ffff:0:0/96'];
    assert.deepEqual(out.wide.header, wide);
    assert.deepEqual(out.wide.codes, {
      lan4: '200',
      lan6: '200',
      metadata: '403',
      own4: '403',
      ownMapped: '403',
      own6: '403',
      loopback: '403',
    });
    assert.match(out.wide.reasons['169.254.169.254'] ?? '', /a cloud metadata address/);
    assert.match(out.wide.reasons['10.77.0.1'] ?? '', /an address of this host/);
    assert.match(out.wide.reasons['fd77::1'] ?? '', /an address of this host/);
    assert.match(out.wide.reasons['127.0.0.1'] ?? '', /loopback/);

    // Exact addresses: the metadata address when named exactly; this host's own address
    // and loopback even when named exactly stay refused (--host-port is the way there).
    assert.deepEqual(out.exact.codes, {
      lan4: '200',
      lan6: '403',
      metadata: '200',
      own4: '403',
      ownMapped: '403',
      own6: '403',
      loopback: '403',
    });

    // The witnesses: exactly the allowed requests arrived, and nothing at this host's service.
    assert.deepEqual(out.lanReceived.sort(), [
      '/exact-lan4',
      '/exact-metadata',
      '/wide-lan4',
      '/wide-lan6',
    ]);
    assert.deepEqual(out.ownReceived, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
