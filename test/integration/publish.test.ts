// Ports the sandbox publishes to the host (--publish): the host reaches a server inside on
// its own 127.0.0.1 only, every connection is logged, and the bridge inside carries a host
// client to a published port and nowhere else.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serveInbound } from '../../src/net/bridge.ts';
import { startPublishing } from '../../src/net/publish.ts';
import type { InboundRecord } from '../../src/log/record.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { waitFor } from '../support/wait.ts';
import { makeWorld, sandboxSh, type World } from '../support/world.ts';

/** GET /page.txt from the host's 127.0.0.1:port: the body. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/page.txt', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The records of the world's newest session log, as written. */
function sessionRecords(w: World): Array<Record<string, unknown>> {
  const dir = join(w.home, '.local/state/bubble/sessions');
  const newest = fs.readdirSync(dir).sort().at(-1)!;
  return fs
    .readFileSync(join(dir, newest), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

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

describe('--publish with the real sandbox', () => {
  let w: World;
  before(() => (w = makeWorld()));
  after(() => w.cleanup());

  test("a dev server inside is reachable on the host's 127.0.0.1, logged; other ports are not", async (t) => {
    if (!(await requireBwrap(t))) return;
    const [port, hostPort, other] = [await freePort(), await freePort(), await freePort()];
    fs.writeFileSync(join(w.project, 'page.txt'), 'served from inside\n');
    // Inside: the dev server on the published port and another one on a port not published;
    // both run until the host has looked (the file `done` in the project).
    const session = sandboxSh(
      w,
      `python3 -m http.server ${port} --bind 127.0.0.1 >/dev/null 2>&1 & a=$!
       python3 -m http.server ${other} --bind 127.0.0.1 >/dev/null 2>&1 & b=$!
       until [ -e done ]; do sleep 0.05; done; kill $a $b`,
      ['--publish', `${port}:${hostPort}`],
      { timeoutMs: 120_000 },
    );
    // The server inside starts after bubble listens: ask until it answers.
    let page = '';
    let asking = false;
    await waitFor(() => {
      if (!asking) {
        asking = true;
        void get(hostPort)
          .then(
            (body) => (page = body),
            () => {},
          )
          .finally(() => (asking = false));
      }
      return page !== '';
    }, 'the published server answers on the host');
    fs.writeFileSync(join(w.project, 'done'), '');
    const r = await session;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(page, 'served from inside\n');
    // The port that was not published: nothing on the host's 127.0.0.1 answers there.
    await assert.rejects(get(other), /ECONNREFUSED/);
    const inbound = sessionRecords(w).filter((x) => x.type === 'inbound');
    assert.ok(inbound.length > 0, 'no inbound record');
    assert.ok(inbound.some((x) => x.port === port && x.hostPort === hostPort && x.error === null));
    // The session is over: the host port is closed again.
    await assert.rejects(get(hostPort), /ECONNREFUSED/);
  });
});
