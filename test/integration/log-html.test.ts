// bubble log --html: one self-contained page whose totals are bubble log --json's, and where
// hostile host names (markup, script, bidi and control characters) are only ever text.
// A structural check here; the page in a real headless browser: chromium.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  connectionRecord,
  endRecord,
  reportRecord,
  sessionRecord,
  serializeRecord,
} from '../../src/log/record.ts';
import { makeWorld, runBubble } from '../support/world.ts';

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  'evil\u202egnp.com',
  'bell\x07\x1b[2J.example',
];

test('log --html: totals match --json, hostile names stay text, nothing external', async (t) => {
  const w = makeWorld();
  t.after(() => w.cleanup());
  const dir = join(w.home, '.local/state/bubble/sessions');
  fs.mkdirSync(dir, { recursive: true });
  const id = '20260101T000000.000Z-0123abcd';
  const conn = (host: string, extra: object = {}) =>
    connectionRecord({
      time: '2026-01-01T00:00:01.000Z',
      protocol: 'connect',
      host,
      port: 443,
      address: '192.0.2.1',
      decision: 'allow',
      rule: null,
      reason: null,
      bytesUp: 100,
      bytesDown: 2048,
      durationMs: 5,
      error: null,
      ...extra,
    });
  const records = [
    sessionRecord({
      sessionId: id,
      startTime: '2026-01-01T00:00:00.000Z',
      argv: ['claude', '<b>x</b>'],
      cwd: '/p',
      netMode: 'filtered',
      rules: { allow: [], deny: [] },
      publishedPorts: [],
      bubbleVersion: 't',
      optIns: ['--ssh-agent'],
    }),
    conn('api.example.com'),
    conn('api.example.com'),
    ...HOSTILE.map((h) =>
      conn(h, {
        decision: 'deny',
        denial: 'rule',
        reason: `${h} refused`,
        bytesUp: 0,
        bytesDown: 0,
      }),
    ),
    conn('nodns.example', { failure: 'not-found', bytesUp: 0, bytesDown: 0 }),
    reportRecord({
      time: '2026-01-01T00:00:59.000Z',
      changed: [
        { kind: 'changed', path: 'package.json', reason: 'npm scripts', keys: ['scripts.test'] },
        { kind: 'added', path: HOSTILE[0]!, reason: 'make recipes', keys: [] },
      ],
      setAside: [`.git/hooks/${HOSTILE[1]!}: a hook`],
      quarantined: [`sub/.git/config: ${HOSTILE[3]!}`],
      notes: [],
      errors: [],
    }),
    endRecord(new Date('2026-01-01T00:01:00.000Z'), 0),
  ];
  fs.writeFileSync(join(dir, `${id}.jsonl`), records.map(serializeRecord).join(''));

  const html = await runBubble(w, ['log', '--last', '--html']);
  assert.equal(html.code, 0, html.stderr);
  const page = html.stdout;
  const json = JSON.parse((await runBubble(w, ['log', '--last', '--json'])).stdout) as {
    summary: Record<string, number> & { hosts: unknown[] };
  };
  const totals = /<p id="totals" ([^>]*)>/.exec(page)?.[1] ?? '';
  const attr = (name: string): number =>
    Number(new RegExp(`data-${name}="(\\d+)"`).exec(totals)?.[1]);
  assert.equal(attr('hosts'), json.summary.hosts.length);
  assert.equal(attr('connections'), json.summary.connections);
  assert.equal(attr('denied'), json.summary.denied);
  assert.equal(attr('failed'), json.summary.failed);
  assert.equal(attr('bytes-up'), json.summary.bytesUp);
  assert.equal(attr('bytes-down'), json.summary.bytesDown);
  assert.equal(json.summary.denied, HOSTILE.length);
  // One row per host, one per connection.
  const rows = (table: string): number =>
    (new RegExp(`<table id="${table}">([\\s\\S]*?)</table>`).exec(page)?.[1] ?? '').split('<tr')
      .length - 2;
  assert.equal(rows('hosts'), json.summary.hosts.length);
  assert.equal(rows('timeline'), json.summary.connections);

  // Only bubble's own markup: no script, no handler, no external reference, no raw bidi or control.
  const tags = page.match(/<[^>]*>/g) ?? [];
  const names = new Set(tags.map((tag) => /^<\/?([a-z0-9!]+)/i.exec(tag)?.[1]?.toLowerCase()));
  const own = [
    '!doctype',
    'html',
    'head',
    'meta',
    'title',
    'style',
    'body',
    'h1',
    'h2',
    'code',
    'table',
    'tr',
    'th',
    'td',
    'p',
    'div',
    'h3',
    'ul',
    'li',
  ];
  assert.deepEqual(
    [...names].filter((n) => !own.includes(n ?? '')),
    [],
  );
  for (const tag of tags) assert.doesNotMatch(tag, /\son\w+=|\bsrc=|\bhref=/i, tag);
  assert.doesNotMatch(page, /url\(/i);
  assert.doesNotMatch(page, /[\x00-\x08\x0b-\x1f\x7f\u202e]/);
  assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(page, /&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;/);
  assert.match(page, /evil\\u\{202e\}gnp\.com/);
  assert.match(page, /bell\\x07\\x1b\[2J\.example/);
  assert.match(page, /content="default-src 'none'; style-src 'unsafe-inline'"/);
  assert.match(page, /claude &lt;b&gt;x&lt;\/b&gt;/);
  assert.match(page, /--ssh-agent/);
  // The change report: each part, its hostile paths as text.
  const report = /<div id="report">([\s\S]*?)<\/div>/.exec(page)?.[1] ?? '';
  assert.match(report, /<li><code>M package\.json \(scripts: test\)<\/code><\/li>/);
  assert.match(report, /A &lt;script&gt;alert\(1\)&lt;\/script&gt; \(make recipes\)/);
  assert.match(report, /\.git\/hooks\/&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;: a hook/);
  assert.match(report, /git quarantine/);
  assert.match(report, /sub\/\.git\/config: bell\\x07\\x1b\[2J\.example/);
  const text = await runBubble(w, ['log', '--last']);
  assert.match(text.stdout, /^ {4}M package\.json \(scripts: test\)$/m);
  assert.doesNotMatch(text.stdout, /[\x00-\x08\x0b-\x1f\x7f]/);

  const none = await runBubble(w, ['log', '--html']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--html needs a session/);
});
