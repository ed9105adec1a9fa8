// Corporate networks (issue 13 §6), with the real bwrap: behind an upstream proxy a name
// that only the upstream's DNS knows works from inside the sandbox (the upstream is asked
// by name), and the session log keeps the name and the upstream it went through; the CA
// bundles the TLS variables name are visible read-only inside, keys never.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import { CANARY, makeWorld, sandboxSh } from '../support/world.ts';
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

test('CA bundles the TLS variables name under the hidden home are visible read-only inside; a key file is not', async (t) => {
  if (!(await requireBwrap(t))) return;
  const world = makeWorld();
  t.after(() => world.cleanup());
  const pem = `-----BEGIN CERTIFICATE-----\nMIIBcorporate${CANARY.slice(0, 8)}\n-----END CERTIFICATE-----\n`;
  const bundle = join(world.home, '.config/corp/ca.pem');
  fs.mkdirSync(dirname(bundle), { recursive: true });
  fs.writeFileSync(bundle, pem);
  const key = join(world.home, '.ssh/id_ed25519');
  const r = await sandboxSh(
    world,
    'for v in NODE_EXTRA_CA_CERTS REQUESTS_CA_BUNDLE GIT_SSL_CAINFO SSL_CERT_FILE; do eval "echo $v=\\${$v-unset}"; done; cat "$NODE_EXTRA_CA_CERTS"; echo x >> "$REQUESTS_CA_BUNDLE" && echo WROTE; cat ' +
      key +
      ' 2>/dev/null || echo NO-KEY',
    [],
    {
      env: {
        NODE_EXTRA_CA_CERTS: bundle,
        REQUESTS_CA_BUNDLE: bundle,
        GIT_SSL_CAINFO: bundle,
        SSL_CERT_FILE: key,
      },
    },
  );
  assert.match(r.stdout, new RegExp(`^NODE_EXTRA_CA_CERTS=${bundle}$`, 'm'), r.stderr);
  assert.match(r.stdout, new RegExp(`^REQUESTS_CA_BUNDLE=${bundle}$`, 'm'));
  assert.match(r.stdout, new RegExp(`^GIT_SSL_CAINFO=${bundle}$`, 'm'));
  assert.match(r.stdout, /^SSL_CERT_FILE=unset$/m, 'a key file is no CA bundle');
  assert.ok(r.stdout.includes(pem.trim()), 'the bundle is readable inside');
  assert.doesNotMatch(r.stdout, /WROTE/, 'read-only');
  assert.match(r.stdout, /NO-KEY/);
  assert.ok(!r.stdout.includes(CANARY), 'the key stays outside');
  assert.match(r.stderr, /SSL_CERT_FILE=.*not passed/);
  assert.equal(fs.readFileSync(bundle, 'utf8'), pem, 'host file unchanged');
});

test('registry settings in the hidden home: without credentials visible read-only, with credentials left out in one line', async (t) => {
  if (!(await requireBwrap(t))) return;
  const world = makeWorld();
  t.after(() => world.cleanup());
  const npmrc = 'registry=http://npm.corp.test/\n';
  fs.writeFileSync(join(world.home, '.npmrc'), npmrc);
  const pip = join(world.home, '.config/pip/pip.conf');
  fs.mkdirSync(dirname(pip), { recursive: true });
  fs.writeFileSync(pip, `[global]\nindex-url = https://me:${CANARY}@pypi.corp.test/simple\n`);
  const r = await sandboxSh(
    world,
    'cat ~/.npmrc; echo x >> ~/.npmrc && echo WROTE; cat ~/.config/pip/pip.conf 2>/dev/null || echo NO-PIP',
  );
  assert.ok(r.stdout.includes(npmrc), r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /WROTE/, 'read-only');
  assert.match(r.stdout, /NO-PIP/);
  assert.ok(!r.stdout.includes(CANARY));
  assert.match(r.stderr, /~\/\.config\/pip\/pip\.conf names a registry but holds credentials/);
  assert.equal(fs.readFileSync(join(world.home, '.npmrc'), 'utf8'), npmrc);
});
