// Ports the sandbox publishes to the host (--publish): the host reaches a server inside on
// its own 127.0.0.1 only, every connection is logged, and the bridge inside carries a host
// client to a published port and nowhere else.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveInbound } from '../../src/net/bridge.ts';
import { startPublishing } from '../../src/net/publish.ts';
import type { InboundRecord } from '../../src/log/record.ts';
import { waitFor } from '../support/wait.ts';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Send `text`, half-close, and read everything the other side sends until it closes. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.end(text);
  });
}

test('the bridge and bubble carry a host client to a published port, and only there', async (t) => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'bubble-publish-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The "inside" server: upper-cases what it gets.
  const inside = net.createServer({ allowHalfOpen: true }, (s) => {
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => s.end(got.toUpperCase()));
  });
  await new Promise<void>((r) => inside.listen(0, '127.0.0.1', r));
  t.after(() => inside.close());
  const insidePort = (inside.address() as net.AddressInfo).port;
  const unpublishedInside = await freePort();
  const [hostPort, deadPort] = [await freePort(), await freePort()];
  const records: InboundRecord[] = [];
  const sock = join(dir, 'publish.sock');
  const publishing = await startPublishing(
    sock,
    [
      { inside: insidePort, host: hostPort },
      { inside: unpublishedInside, host: deadPort },
    ],
    (r) => records.push(r),
  );
  t.after(() => publishing.close());
  // The bridge knows the published inside ports; it would refuse any other one.
  serveInbound(sock, [insidePort, unpublishedInside]);

  assert.equal(await exchange(hostPort, 'hello'), 'HELLO');
  assert.equal(await exchange(hostPort, 'again'), 'AGAIN', 'a second client is carried too');
  // Nothing listens on the second inside port: the host client is closed, the log says why.
  assert.equal(await exchange(deadPort, 'x'), '');
  await waitFor(() => records.length === 3);
  const ok = records.filter((r) => r.error === null);
  assert.equal(ok.length, 2);
  assert.deepEqual(
    ok.map((r) => [r.hostPort, r.port, r.bytesIn, r.bytesOut]),
    [
      [hostPort, insidePort, 5, 5],
      [hostPort, insidePort, 5, 5],
    ],
  );
  assert.match(records.find((r) => r.error !== null)!.error!, /nothing listens on port/);
});

test('a parked connection asked for a port the bridge does not publish is refused', async (t) => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'bubble-publish-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = net.createServer((s) => s.end('SECRET'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  t.after(() => target.close());
  const targetPort = (target.address() as net.AddressInfo).port;
  const sock = join(dir, 'publish.sock');
  // A stand-in for bubble that asks the bridge for a port outside its list.
  const parked: net.Socket[] = [];
  const fake = net.createServer((s) => parked.push(s));
  await new Promise<void>((r) => fake.listen(sock, r));
  t.after(() => {
    for (const s of parked) s.destroy();
    fake.close();
  });
  serveInbound(sock, [1]);
  await waitFor(() => parked.length > 0);
  const s = parked[0]!;
  let answer = '';
  s.on('data', (d: Buffer) => (answer += d.toString()));
  s.write(`OPEN ${targetPort}\n`);
  await waitFor(() => answer.includes('\n'));
  assert.equal(answer, 'ERR EPERM\n');
});
