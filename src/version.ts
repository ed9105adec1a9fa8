import { readFileSync } from 'node:fs';

// Set by the bundler (scripts/bundle.mjs); the per-module build reads package.json.
declare const BUBBLE_VERSION: string | undefined;

/** The package version, read only when asked for. */
export function version(): string {
  if (typeof BUBBLE_VERSION === 'string') return BUBBLE_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
