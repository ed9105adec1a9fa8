#!/usr/bin/env node
// A drop-in for `claude`: every argument is claude's, untouched (bubble's own options come
// from BUBBLE_OPTS or the config files).
import { enableCompileCache } from './start.ts';

enableCompileCache();
const { dropIn } = await import('./main.ts');

process.exitCode = await dropIn('claude', process.argv.slice(2));
