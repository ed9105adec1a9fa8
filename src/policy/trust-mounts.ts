// What a corporate network needs from the hidden home, read-only: the CA bundles the
// user's TLS variables name (certificates only), and package registry settings that hold
// no credentials (registry-configs.ts). Pure: reads the host through facts.fs.

import { isAbsolute } from 'node:path';
import type { HostFacts } from '../sandbox/facts.ts';
import type { Mounts } from './mount-list.ts';
import { registryConfigs } from './registry-configs.ts';

/** TLS trust files: paths, not secrets; bound read-only when hidden (certificates only). */
export const CA_FILE_ENV = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  'GIT_SSL_CAINFO',
  'PIP_CERT',
];

/**
 * The CA bundles the user's TLS variables name where the sandbox cannot see them (under
 * the hidden home, in /tmp): clients inside trust what the host trusts. A file with a
 * private key in it stays outside. Returns warnings.
 */
export function caBundleMounts(m: Mounts, facts: HostFacts): string[] {
  const warnings: string[] = [];
  for (const name of CA_FILE_ENV) {
    const value = facts.env[name];
    if (value === undefined || !isAbsolute(value) || m.visible(value, facts)) continue;
    const real = facts.fs.realpath(value);
    if (real === undefined || facts.fs.lstat(real)?.type !== 'file') continue;
    const text = facts.fs.readText(real, 4 << 20) ?? '';
    if (!text.includes('-----BEGIN CERTIFICATE-----') || text.includes('PRIVATE KEY-----')) {
      warnings.push(
        `${name}=${value}: not passed (the sandbox cannot see it, and it is not a certificate bundle without keys)`,
      );
      continue;
    }
    if (m.covering(value) === undefined) m.parentsOf(value);
    m.push({ kind: 'ro', src: real, dest: value, why: `TLS trust (${name})`, source: 'default' });
  }
  return warnings;
}

/** Registry settings in the hidden home, read-only, when they carry no credentials. */
export function registryConfigMounts(m: Mounts, facts: HostFacts): string[] {
  const warnings: string[] = [];
  const read = (p: string): string | undefined => {
    const real = facts.fs.realpath(p);
    return real !== undefined && facts.fs.lstat(real)?.type === 'file'
      ? facts.fs.readText(real, 1 << 20)
      : undefined;
  };
  for (const v of registryConfigs(facts.home, read)) {
    if (m.visible(v.path, facts) || m.covering(v.path)?.kind !== 'tmpfs') continue;
    if (v.kind === 'left-out') warnings.push(v.note);
    else
      m.push({
        kind: 'ro',
        src: facts.fs.realpath(v.path)!,
        dest: v.path,
        why: 'package registry settings (no credentials in them)',
        source: 'default',
      });
  }
  return warnings;
}
