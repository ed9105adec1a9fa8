// Run by the placeholder watchdog after bubble died: sweep dead sessions' placeholders.
import { reap } from './placeholders.ts';

const dir = process.argv[2];
if (dir !== undefined) reap(dir);
