// One session as a self-contained HTML page: the header, per-host totals, the timeline of
// connections and the change report. Pure. Host names were chosen by the agent (possibly an attacker): every
// value is escaped as text, and the page's own policy forbids scripts and any fetch, so
// nothing in it can run or reach the network even if escaping were wrong.
import type { ParsedLog } from './reader.ts';
import { formatBytes, type SessionSummary } from './summary.ts';
import { reportSections } from './report-text.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML content and quoted attributes; control and bidi characters shown as escapes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) => {
      const code = ch.codePointAt(0) ?? 0;
      return code <= 0xff
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u{${code.toString(16)}}`;
    })
    .replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.n{text-align:right}tr.deny td{background:#fdd}tr.fail td{background:#ffd}code{font-size:13px}`;

export function renderHtml(id: string, log: ParsedLog, summary: SessionSummary): string {
  const s = log.session;
  const e = escapeHtml;
  const row = (cells: (string | number)[], cls = ''): string =>
    `<tr${cls ? ` class="${cls}"` : ''}>${cells
      .map((c) => (typeof c === 'number' ? `<td class="n">${c}</td>` : `<td>${e(c)}</td>`))
      .join('')}</tr>`;
  const header: [string, string][] = [
    ['session', id],
    ['command', s?.argv.join(' ') ?? '?'],
    ['directory', s?.cwd ?? '?'],
    ['started', s?.startTime ?? '?'],
    [
      'ended',
      log.end ? `${log.end.time} (exit ${log.end.exitCode ?? '?'})` : 'cut short (no end record)',
    ],
    ['network', `${s?.netMode ?? '?'}${s?.netPolicy ? `, policy ${s.netPolicy}` : ''}`],
    ['allow', s?.rules.allow.join(', ') || '(none: everything public)'],
    ['deny', s?.rules.deny.join(', ') || '(none)'],
    ['published ports', s?.publishedPorts.join(', ') || '(none)'],
    ['private grants', s?.allowPrivate?.join(', ') || '(none)'],
    ['opt-ins', s?.optIns?.join(', ') || '(none)'],
    ['bubble', s?.bubbleVersion ?? '?'],
  ];
  const hosts = summary.hosts.map((h) =>
    row(
      [
        h.host,
        h.ports.join(', '),
        h.connections,
        h.allowed,
        h.denied,
        h.failed,
        formatBytes(h.bytesUp),
        formatBytes(h.bytesDown),
      ],
      h.denied > 0 ? 'deny' : h.failed > 0 ? 'fail' : '',
    ),
  );
  const timeline = [...log.connections]
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
    .map((c) =>
      row(
        [
          c.time,
          c.protocol,
          c.host ?? '(malformed)',
          c.port ?? '',
          c.decision === 'deny' ? 'denied' : c.failure ? `failed (${c.failure})` : 'allowed',
          c.rule ?? '',
          c.reason ?? c.error ?? '',
          formatBytes(c.bytesUp),
          formatBytes(c.bytesDown),
        ],
        c.decision === 'deny' ? 'deny' : c.failure ? 'fail' : '',
      ),
    );
  const report =
    log.report === null
      ? '<p>Not in the log: the session was killed or is running, or bubble was older.</p>'
      : reportSections(log.report)
          .map(
            (sec) =>
              `<h3>${e(sec.title)}</h3><ul>${sec.lines.map((l) => `<li><code>${e(l)}</code></li>`).join('')}</ul>`,
          )
          .join('\n') ||
        '<p>Nothing the agent changed runs code on your machine; nothing set aside.</p>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>bubble session ${e(id)}</title><style>${STYLE}</style></head>
<body>
<h1>bubble session <code>${e(id)}</code></h1>
<table id="header">${header.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table>
<h2>Hosts</h2>
<p id="totals" data-hosts="${summary.hosts.length}" data-connections="${summary.connections}" data-denied="${summary.denied}" data-failed="${summary.failed}" data-bytes-up="${summary.bytesUp}" data-bytes-down="${summary.bytesDown}">${summary.hosts.length} hosts, ${summary.connections} connections, ${summary.denied} denied, ${summary.failed} failed, ${e(formatBytes(summary.bytesUp))} up, ${e(formatBytes(summary.bytesDown))} down</p>
<table id="hosts"><tr><th>host</th><th>ports</th><th>connections</th><th>allowed</th><th>denied</th><th>failed</th><th>up</th><th>down</th></tr>
${hosts.join('\n')}</table>
<h2>Timeline</h2>
<table id="timeline"><tr><th>time</th><th>protocol</th><th>host</th><th>port</th><th>outcome</th><th>rule</th><th>reason</th><th>up</th><th>down</th></tr>
${timeline.join('\n')}</table>
<h2>Change report</h2>
<div id="report">${report}</div>
</body></html>
`;
}
