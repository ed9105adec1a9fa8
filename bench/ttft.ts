// npm run bench, third part: time to first token of a streaming model API call, directly
// against a stand-in Anthropic API on the host's loopback, and from inside `bubble run
// --profile claude` (what bubble-claude runs) with the real key on the host: the request goes
// sandbox -> forwarder -> proxy socket -> bubble's credential injector -> the API, which
// answers with server-sent events. Both sides use the same client script, in this run,
// interleaved. Goal (issue 15): at most 5 ms added at the median. Printed, never asserted.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const requests = Number(process.env.BENCH_TTFT_REQUESTS ?? 200);
const rounds = Number(process.env.BENCH_TTFT_ROUNDS ?? 3);
const REAL_KEY = 'sk-ant-api03-bench-real-key-on-the-host';

// The stand-in API: the SSE head and first event at once, the rest of a short answer after.
let withRealKey = 0;
let total = 0;
const api = createServer((req, res) => {
  req.resume();
  req.once('end', () => {
    total++;
    if (req.headers['x-api-key'] === REAL_KEY) withRealKey++;
    if (req.method !== 'POST' || req.url !== '/v1/messages') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","content":[],"model":"claude-bench","usage":{"input_tokens":1,"output_tokens":1}}}\n\n',
    );
    setImmediate(() => {
      res.write(
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n',
      );
      res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    });
  });
});
await new Promise<void>((r) => api.listen({ host: '127.0.0.1', port: 0 }, r));
const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

// The client: N streaming requests to $ANTHROPIC_BASE_URL, one connection each ("cold") and
// then N on one kept-alive connection ("warm"); ms from the request to the first body byte.
const CLIENT = `
import http from 'node:http';
const base = new URL(process.env.ANTHROPIC_BASE_URL);
const n = Number(process.argv[2]);
const body = JSON.stringify({ model: 'claude-bench', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] });
function one(agent) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: base.hostname, port: base.port, path: base.pathname.replace(/\\/$/, '') + '/v1/messages', method: 'POST', agent,
      headers: { 'x-api-key': process.env.ANTHROPIC_API_KEY ?? '', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let first;
      res.on('data', () => { first ??= Number(process.hrtime.bigint() - t0) / 1e6; });
      res.on('end', () => res.statusCode === 200 ? resolve(first) : reject(new Error('status ' + res.statusCode)));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}
const cold = [], warm = [];
const fresh = new http.Agent({ keepAlive: false });
for (let i = 0; i < n; i++) cold.push(await one(fresh));
const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });
for (let i = 0; i < n; i++) warm.push(await one(kept));
kept.destroy();
console.log(JSON.stringify({ cold, warm }));
`;

const project = fs.mkdtempSync('/var/tmp/bubble-bench-ttft-');
const state = fs.mkdtempSync('/var/tmp/bubble-bench-state-');
fs.writeFileSync(join(project, 'ttft-client.mjs'), CLIENT);
const hostEnv: NodeJS.ProcessEnv = {
  ...process.env,
  XDG_STATE_HOME: state,
  ANTHROPIC_API_KEY: REAL_KEY,
};
delete hostEnv.NODE_OPTIONS;

/** Runs a client (the API is served by this process meanwhile: never spawnSync here). */
function client(
  label: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ cold: number[]; warm: number[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { cwd: project, env, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (error !== null || line === undefined)
          reject(new Error(`${label}: ${error?.message ?? 'no result'}: ${stderr.slice(-800)}`));
        else resolve(JSON.parse(line) as { cold: number[]; warm: number[] });
      },
    );
  });
}

const direct = { cold: [] as number[], warm: [] as number[] };
const bubble = { cold: [] as number[], warm: [] as number[] };
try {
  for (let i = 0; i < rounds; i++) {
    const d = await client('direct', [process.execPath, 'ttft-client.mjs', String(requests)], {
      ...hostEnv,
      ANTHROPIC_BASE_URL: apiUrl,
    });
    const b = await client(
      'bubble',
      [
        process.execPath,
        join(root, 'dist/cli/bubble.js'),
        'run',
        '--quiet',
        '--profile',
        'claude',
        '--',
        process.execPath,
        'ttft-client.mjs',
        String(requests),
      ],
      { ...hostEnv, ANTHROPIC_BASE_URL: apiUrl },
    );
    direct.cold.push(...d.cold);
    direct.warm.push(...d.warm);
    bubble.cold.push(...b.cold);
    bubble.warm.push(...b.warm);
  }
} finally {
  api.close();
  fs.rmSync(project, { recursive: true, force: true });
  fs.rmSync(state, { recursive: true, force: true });
}

const f = (x: number): string => x.toFixed(3).padStart(9);
console.log('');
console.log(
  `4. time to first token, streaming (SSE) messages call to a stand-in API on the host's loopback, ${rounds} x ${requests} requests each (ms)`,
);
console.log(`${'route'.padEnd(50)} ${'p50'.padStart(9)} ${'p90'.padStart(9)} ${'p99'.padStart(9)}`);
const rows: [string, number[]][] = [
  ['direct, new connection each', direct.cold],
  ['bubble --profile claude (key injected), new conn.', bubble.cold],
  ['direct, one kept-alive connection', direct.warm],
  ['bubble --profile claude, kept-alive connection', bubble.warm],
];
for (const [name, xs] of rows)
  console.log(
    `${name.padEnd(50)} ${f(median(xs))} ${f(percentile(xs, 90))} ${f(percentile(xs, 99))}`,
  );
console.log(
  `goal: <= 5 ms added at p50: new connection +${(median(bubble.cold) - median(direct.cold)).toFixed(3)} ms, kept alive +${(median(bubble.warm) - median(direct.warm)).toFixed(3)} ms`,
);
// Sanity: the API saw the real key on every request through bubble (the sandbox only had a placeholder).
console.log(
  `the stand-in API received the real key on ${withRealKey} of ${total} requests (through bubble the sandbox held a placeholder)`,
);
