// Headless Chromium (the distribution's package) inside bubble, and bubble's HTML report in
// it. Chromium's own sandbox needs user namespaces, which bubble does not nest (seccomp and
// --disable-userns): inside, it runs with --no-sandbox, bubble being the sandbox; without
// it, Chromium refuses with "No usable sandbox" (the same command outside works: calibrated).
// Loopback is not proxied by Chromium: a page on the host's 127.0.0.1 is reached through
// the port bubble publishes (--host-port), and the log has it. With net_policy allowlist
// nothing else is allowed, so Chromium's own background requests are refused (and logged),
// never sent anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  connectionRecord,
  endRecord,
  reportRecord,
  sessionRecord,
  serializeRecord,
} from '../../src/log/record.ts';
import { requireBwrap, unmet } from '../support/bwrap.ts';
import { makeWorld, runBubble } from '../support/world.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
/** Quiet and offline where Chromium lets itself be: the test's assertions do not rely on it. */
const QUIET = ['--headless', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

/** Chromium on the host, not blocking this process (it serves the page Chromium loads). */
async function chromiumOutside(
  chromium: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(chromium, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

function requireChromium(t: Parameters<typeof unmet>[0]): string | false {
  return CHROMIUM ?? unmet(t, 'chromium is not installed (apt-get install chromium)');
}

test('headless Chromium inside bubble reaches a host loopback server through --host-port, logged', async (t) => {
  if (!(await requireBwrap(t))) return;
  const chromium = requireChromium(t);
  if (chromium === false) return;
  const w = makeWorld();
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    res.setHeader('content-type', 'text/html');
    res.end('<html><body><p id="x">served-by-the-host</p></body></html>');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  t.after(() => {
    server.close();
    w.cleanup();
  });
  const url = `http://127.0.0.1:${port}/`;
  // Calibration: outside, Chromium's own sandbox starts (user namespaces) and the page loads.
  const outside = await chromiumOutside(chromium, [...QUIET, '--dump-dom', url], {
    ...w.env,
    HOME: join(w.root, 'outside-home'),
  });
  assert.match(outside.stdout, /served-by-the-host/, outside.stderr);
  const before = hits;

  const net = ['--host-port', String(port), '--net-policy', 'allowlist'];
  const own = await runBubble(w, ['run', ...net, '--', chromium, ...QUIET, '--dump-dom', url], {
    timeoutMs: 120_000,
  });
  assert.notEqual(own.code, 0);
  assert.match(own.stderr, /No usable sandbox/);
  assert.equal(hits, before, 'Chromium loaded the page without a sandbox of its own');

  const r = await runBubble(
    w,
    ['run', ...net, '--', chromium, ...QUIET, '--no-sandbox', '--dump-dom', url],
    { timeoutMs: 120_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /<p id="x">served-by-the-host<\/p>/);
  assert.ok(hits > before);
  const log = JSON.parse((await runBubble(w, ['log', '--last', '--json'])).stdout) as {
    connections: { host: string; port: number; decision: string; rule: string | null }[];
  };
  const local = log.connections.filter((c) => c.host === '127.0.0.1' && c.port === port);
  assert.ok(local.length > 0, JSON.stringify(log.connections));
  assert.ok(local.every((c) => c.decision === 'allow' && c.rule === `host-port ${port}`));
  // Everything else Chromium tried was refused by the allow list, before any lookup.
  const others = log.connections.filter((c) => !local.includes(c));
  assert.ok(
    others.every((c) => c.decision === 'deny'),
    JSON.stringify(others),
  );
});

test('bubble log --html in headless Chromium: the page renders, hostile names stay text', async (t) => {
  const chromium = requireChromium(t);
  if (chromium === false) return;
  const w = makeWorld();
  t.after(() => w.cleanup());
  const dir = join(w.home, '.local/state/bubble/sessions');
  fs.mkdirSync(dir, { recursive: true });
  const id = '20260101T000000.000Z-0123abcd';
  const hostile = '<img src=x onerror="document.title=\'pwned\'">';
  const conn = (host: string, bytesDown: number) =>
    connectionRecord({
      time: '2026-01-01T00:00:01.000Z',
      protocol: 'connect',
      host,
      port: 443,
      address: '192.0.2.1',
      decision: 'allow',
      rule: null,
      reason: null,
      bytesUp: 10,
      bytesDown,
      durationMs: 5,
      error: null,
    });
  const records = [
    sessionRecord({
      sessionId: id,
      startTime: '2026-01-01T00:00:00.000Z',
      argv: ['claude'],
      cwd: '/p',
      netMode: 'filtered',
      rules: { allow: [], deny: [] },
      publishedPorts: [],
      bubbleVersion: 't',
    }),
    conn('api.example.com', 2048),
    conn(hostile, 7),
    reportRecord({
      time: '2026-01-01T00:00:59.000Z',
      changed: [
        {
          kind: 'added',
          path: `<script>document.title='pwned'</script>`,
          reason: 'make recipes',
          keys: [],
        },
      ],
      setAside: [],
      quarantined: [],
      notes: [],
      errors: [],
    }),
    endRecord(new Date('2026-01-01T00:01:00.000Z'), 0),
  ];
  fs.writeFileSync(join(dir, `${id}.jsonl`), records.map(serializeRecord).join(''));
  const html = await runBubble(w, ['log', '--last', '--html']);
  assert.equal(html.code, 0, html.stderr);
  const page = join(w.root, 'session.html');
  fs.writeFileSync(page, html.stdout);
  const r = spawnSync(chromium, [...QUIET, '--dump-dom', `file://${page}`], {
    env: { ...w.env, HOME: join(w.root, 'browser-home') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const dom = r.stdout;
  // Rendered: the title and the tables are in the DOM the browser built.
  assert.match(dom, /<title>bubble session 20260101T000000\.000Z-0123abcd<\/title>/);
  assert.match(dom, /<table id="hosts">/);
  // The hostile names are text nodes: no element was made of them, no script ran.
  assert.doesNotMatch(dom, /<img/i);
  assert.doesNotMatch(dom, /<script/i);
  assert.doesNotMatch(dom, /pwned<\/title>/);
  assert.match(dom, /&lt;img src=x onerror=/);
  assert.match(dom, /&lt;script&gt;document\.title=/);
  // Totals as bubble log --json has them.
  const json = JSON.parse((await runBubble(w, ['log', '--last', '--json'])).stdout) as {
    summary: { connections: number; bytesDown: number };
  };
  assert.match(dom, new RegExp(`data-connections="${json.summary.connections}"`));
  assert.match(dom, new RegExp(`data-bytes-down="${json.summary.bytesDown}"`));
});
