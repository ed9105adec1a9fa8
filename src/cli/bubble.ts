#!/usr/bin/env node
import { enableCompileCache } from './start.ts';

enableCompileCache();
const { main } = await import('./main.ts');

// `bubble log | head`: a closed pipe ends the listing, not in a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
