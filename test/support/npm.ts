// Agents from npm for integration tests, installed once per user into
// os.tmpdir()/bubble-NAME-cache-UID and reused by later runs.

import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { host } from '../fixtures/net-tools/host.ts';

/**
 * `npm install SPEC` into the cache unless `usable(bin)` says the cached one will do; the
 * path of bin NAME, or why it cannot be had. Installed beside the cache and renamed into
 * place, so parallel test files never see half an install (whoever renames first wins).
 */
export async function npmCached(
  name: string,
  spec: string,
  usable: (bin: string) => boolean | Promise<boolean> = (bin) => fs.existsSync(bin),
): Promise<{ bin: string } | { error: string }> {
  const cache = join(tmpdir(), `bubble-${name}-cache-${process.getuid?.() ?? 'x'}`);
  const bin = join(cache, 'node_modules/.bin', name);
  if (await usable(bin)) return { bin };
  fs.mkdirSync(tmpdir(), { recursive: true });
  const staging = fs.mkdtempSync(`${cache}.tmp-`);
  const r = await host(
    'npm',
    [
      'install',
      '--prefix',
      staging,
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
      '--loglevel=error',
      spec,
    ],
    { timeoutMs: 300_000, check: false },
  ).catch((e: Error) => ({ code: null, stdout: '', stderr: e.message }));
  if (r.code !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    return { error: `npm install ${spec} failed:\n${r.stdout}${r.stderr}` };
  }
  // What is there did not do (half an install, or one that does not run): replaced.
  fs.rmSync(cache, { recursive: true, force: true });
  try {
    fs.renameSync(staging, cache);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return { bin };
}
