// Corporate networks (issue 13 §6), with the real bwrap: behind an upstream proxy a name
// that only the upstream's DNS knows works from inside the sandbox (the upstream is asked
// by name), and the session log keeps the name and the upstream it went through.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, sandboxSh } from '../support/world.ts';
import { startOrigin } from '../fixtures/net-helpers.ts';
import { startTinyConnectProxy } from '../fixtures/net-tiny-connect-proxy.ts';
import { newestLog, records } from '../fixtures/net-tools/host.ts';

const NAME = 'intranet.corp.test';

test('a name only the corporate proxy can resolve works from inside, asked by name', async (t) => {
  if (!(await requireBwrap(t))) return;
  // Calibration: this host cannot resolve the name (.test is reserved, RFC 2606).
  await assert.rejects(lookup(NAME), 'the name must not resolve on this host');
  const origin = await startOrigin();
  const upstream = await startTinyConnectProxy(undefined, { [NAME]: '127.0.0.1' });
  const world = makeWorld();
  t.after(async () => {
    world.cleanup();
    await upstream.close();
    await origin.close();
  });
  const proxyUrl = `http://127.0.0.1:${upstream.port}`;
  const r = await sandboxSh(world, `curl -sS --max-time 20 http://${NAME}:${origin.port}/hi`, [], {
    env: { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hello \/hi$/);
  assert.deepEqual(upstream.targets, [`${NAME}:${origin.port}`], 'asked by name');
  const [rec] = records(newestLog(world.home), { host: NAME, port: origin.port });
  assert.equal(rec?.decision, 'allow');
  assert.equal(rec?.via, proxyUrl);
});
