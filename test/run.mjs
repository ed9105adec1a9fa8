// The test command: every unit and integration test through node's runner, passed through
// to the terminal, and two checks on the summary that node does not make itself: a run
// that executed no test fails, and under BUBBLE_MUST_WORK=1 a skipped test fails too.

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';

const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['test/unit', 'test/integration'];
const files = dirs.flatMap((d) =>
  d.endsWith('.ts')
    ? [d]
    : readdirSync(d)
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => `${d}/${f}`),
);
if (files.length === 0) {
  console.error('test/run.mjs: no test files found');
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter', 'tap', ...files],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on('close', (code) => {
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tail)?.[1] ?? NaN);
  const tests = count('tests');
  const skipped = count('skipped') + count('todo');
  if (!(tests > 0)) {
    console.error('test/run.mjs: no test was executed');
    process.exit(1);
  }
  if (process.env.BUBBLE_MUST_WORK === '1' && skipped > 0) {
    console.error(`test/run.mjs: ${skipped} test(s) skipped under BUBBLE_MUST_WORK=1`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
