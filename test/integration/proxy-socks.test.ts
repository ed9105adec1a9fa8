// SOCKS5 CONNECT by domain name and by address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reply } from '../../src/net/socks5.ts';
import {
  connectTo,
  echoRoundTrip,
  readSome,
  socksConnect,
  startEcho,
  startTestProxy,
} from '../fixtures/net-helpers.ts';
import { waitFor } from '../support/wait.ts';

test('SOCKS5 CONNECT to a published port by domain "localhost" and by IPv4', async (t) => {
  const echo = await startEcho();
  const { proxy, port, records } = await startTestProxy({ publishedPorts: [echo.port] });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  for (const host of ['localhost', '127.0.0.1']) {
    const { socket, reply } = await socksConnect(port, host, echo.port);
    assert.equal(reply, Reply.succeeded, host);
    assert.equal(await echoRoundTrip(socket, `via socks ${host}`), `via socks ${host}`);
    socket.end();
  }
  await waitFor(() => records.length === 2);
  assert.deepEqual(
    records.map((r) => [r.protocol, r.host, r.decision, r.address]),
    [
      ['socks', 'localhost', 'allow', '127.0.0.1'],
      ['socks', '127.0.0.1', 'allow', '127.0.0.1'],
    ],
  );
});

test('SOCKS5 denials and failures get the matching reply codes', async (t) => {
  const echo = await startEcho();
  const dead = await startEcho();
  const deadPort = dead.port;
  await dead.close();
  const { proxy, port, records } = await startTestProxy({ publishedPorts: [echo.port, deadPort] });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  assert.equal((await socksConnect(port, '127.0.0.1', 1)).reply, Reply.notAllowed);
  assert.equal((await socksConnect(port, '169.254.169.254', 80)).reply, Reply.notAllowed);
  assert.equal((await socksConnect(port, '10.0.0.1', 443)).reply, Reply.notAllowed);
  // Published, checked, but the echo server listens on 127.0.0.1 only.
  assert.equal((await socksConnect(port, '::1', echo.port)).reply, Reply.connectionRefused);
  assert.equal((await socksConnect(port, '127.0.0.1', deadPort)).reply, Reply.connectionRefused);
  assert.equal((await socksConnect(port, 'bad..name', 443)).reply, Reply.hostUnreachable);

  const bind = await connectTo(port);
  bind.write(Buffer.from([5, 1, 0]));
  await readSome(bind, (b) => b.length >= 2);
  bind.write(Buffer.from([5, 2, 0, 1, 127, 0, 0, 1, 0, 80]));
  const reply = await readSome(bind, (b) => b.length >= 10);
  assert.equal(reply[1], Reply.commandNotSupported);

  const noAuth = await connectTo(port);
  noAuth.write(Buffer.from([5, 1, 2]));
  const sel = await readSome(noAuth, (b) => b.length >= 2);
  assert.deepEqual([...sel], [5, 0xff]);
  await waitFor(() => records.length === 8);
});
