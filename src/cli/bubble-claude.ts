#!/usr/bin/env node
// A drop-in for `claude`: every argument is claude's, untouched.
import { enableCompileCache } from './start.ts';

enableCompileCache();
const { main } = await import('./main.ts');

const net = process.env.BUBBLE_CLAUDE_NO_PROXY ? ['--net', 'host'] : [];
process.exitCode = await main(['run', ...net, '--', 'claude', ...process.argv.slice(2)]);
