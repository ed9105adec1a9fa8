import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bypassesUpstream,
  parseNoProxy,
  selectUpstream,
  upstreamFromEnv,
  UpstreamConfigError,
} from '../../src/net/upstream.ts';

test('no proxy variables: no upstream', () => {
  assert.equal(upstreamFromEnv({}), null);
  assert.equal(upstreamFromEnv({ HTTPS_PROXY: '  ' }), null);
});

test('lower case wins; credentials become Proxy-Authorization and never appear in display', () => {
  const cfg = upstreamFromEnv({
    https_proxy: 'http://u%40x:p%3Aw@proxy.corp:3128',
    HTTPS_PROXY: 'http://other:1',
  });
  assert.ok(cfg?.https);
  assert.equal(cfg.https.host, 'proxy.corp');
  assert.equal(cfg.https.port, 3128);
  assert.equal(cfg.https.authorization, `Basic ${Buffer.from('u@x:p:w').toString('base64')}`);
  assert.equal(cfg.https.display, 'http://proxy.corp:3128');
  assert.equal(cfg.http, cfg.https, 'only one set: used for both');
});

test('scheme-less value, IPv6 host, default port', () => {
  const cfg = upstreamFromEnv({ HTTP_PROXY: '[::1]:8080', HTTPS_PROXY: 'http://p.corp' });
  assert.equal(cfg?.http?.host, '::1');
  assert.equal(cfg?.http?.port, 8080);
  assert.equal(cfg?.https?.port, 80);
});

test('unsupported upstream scheme is a config error', () => {
  assert.throws(() => upstreamFromEnv({ HTTPS_PROXY: 'socks5://p:1080' }), UpstreamConfigError);
  assert.throws(
    () => upstreamFromEnv({ HTTPS_PROXY: 'https://p:443' }),
    /HTTPS_PROXY: scheme https: is not supported/,
  );
});

test('NO_PROXY: domains with subdomains, leading dot, ports, CIDR, IPv6, *', () => {
  const e = parseNoProxy(
    'localhost, .corp.example ,*.int.example, 10.0.0.0/8, ::1, [fd00::1]:8080, api.test:8443',
  );
  assert.ok(bypassesUpstream(e, 'localhost', 80, '127.0.0.1'));
  assert.ok(bypassesUpstream(e, 'corp.example', 443, '1.2.3.4'));
  assert.ok(bypassesUpstream(e, 'git.corp.example', 443, '1.2.3.4'));
  assert.ok(bypassesUpstream(e, 'a.int.example', 443, '1.2.3.4'));
  assert.ok(bypassesUpstream(e, 'foo.test', 443, '10.2.3.4'), 'CIDR matches the resolved address');
  assert.ok(bypassesUpstream(e, '::1', 443, '::1'));
  assert.ok(bypassesUpstream(e, 'fd00::1', 8080, 'fd00::1'));
  assert.ok(!bypassesUpstream(e, 'fd00::1', 80, 'fd00::1'));
  assert.ok(bypassesUpstream(e, 'api.test', 8443, '1.2.3.4'));
  assert.ok(!bypassesUpstream(e, 'api.test', 443, '1.2.3.4'));
  assert.ok(!bypassesUpstream(e, 'example.com', 443, '93.184.216.34'));
  assert.ok(!bypassesUpstream(e, 'notcorp.example', 443, '1.2.3.4'));
  assert.ok(bypassesUpstream(parseNoProxy('*'), 'anything', 1, '1.1.1.1'));
});

test('selectUpstream: http vs tunnels, NO_PROXY', () => {
  const cfg = upstreamFromEnv({
    HTTP_PROXY: 'http://h:1',
    HTTPS_PROXY: 'http://s:2',
    NO_PROXY: 'direct.test',
  });
  assert.equal(selectUpstream(cfg, 'http', 'a.test', 80, '1.1.1.1')?.host, 'h');
  assert.equal(selectUpstream(cfg, 'connect', 'a.test', 443, '1.1.1.1')?.host, 's');
  assert.equal(selectUpstream(cfg, 'socks', 'a.test', 22, '1.1.1.1')?.host, 's');
  assert.equal(selectUpstream(cfg, 'connect', 'direct.test', 443, '1.1.1.1'), null);
  assert.equal(selectUpstream(null, 'connect', 'a.test', 443, '1.1.1.1'), null);
});
