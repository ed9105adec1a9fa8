// Package registry settings in the hidden home (a corporate mirror in ~/.npmrc, pip's
// index-url, cargo's registries): shown read-only inside when they name a registry and
// carry no credentials; otherwise left out, said in one line with how to add them. Pure.

import { join } from 'node:path';

export interface RegistryConfig {
  /** Relative to the home. */
  readonly path: string;
  /** A line that names a registry. */
  readonly registry: RegExp;
  /** Anything that looks like a credential. */
  readonly credential: RegExp;
}

/** user:password@ in a URL. */
const URL_USERINFO = /:\/\/[^/\s@]+:[^/\s@]+@/;

export const REGISTRY_CONFIGS: readonly RegistryConfig[] = [
  {
    path: '.npmrc',
    registry: /^\s*(@[\w.-]+:)?registry\s*=/m,
    credential: new RegExp(
      `_authToken|_auth\\b|_password|^\\s*(password|username|certfile|keyfile)\\s*=|${URL_USERINFO.source}`,
      'im',
    ),
  },
  ...['.config/pip/pip.conf', '.pip/pip.conf'].map((path) => ({
    path,
    registry: /^\s*(extra-)?index-url\s*=/m,
    credential: new RegExp(`^\\s*client-cert\\s*=|${URL_USERINFO.source}`, 'im'),
  })),
  {
    path: '.cargo/config.toml',
    registry: /^\s*\[(registries|source|registry)\b/m,
    credential: new RegExp(`^\\s*token\\s*=|credential-provider|${URL_USERINFO.source}`, 'im'),
  },
];

export type RegistryVerdict =
  | { readonly kind: 'show'; readonly path: string }
  | { readonly kind: 'left-out'; readonly path: string; readonly note: string };

/** What to do with each registry config that exists; `read` gives a file's text or undefined. */
export function registryConfigs(
  home: string,
  read: (path: string) => string | undefined,
): RegistryVerdict[] {
  const out: RegistryVerdict[] = [];
  for (const c of REGISTRY_CONFIGS) {
    const path = join(home, c.path);
    const text = read(path);
    if (text === undefined || !c.registry.test(text)) continue;
    if (c.credential.test(text))
      out.push({
        kind: 'left-out',
        path,
        note: `~/${c.path} names a registry but holds credentials, so the sandbox does not see it (--ro ~/${c.path} shows it, credentials too)`,
      });
    else out.push({ kind: 'show', path });
  }
  return out;
}
