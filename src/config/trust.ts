// Trusted project config files: `bubble trust` records the sha256 of a project's
// .bubble.toml in the user's state dir (outside every sandbox), keyed by the project's
// realpath. Any change to the file gives another hash, so it is untrusted again.

import * as fs from 'node:fs';
import { dirname } from 'node:path';

export interface TrustRecord {
  sha256: string;
  /** ISO time of `bubble trust`. */
  trustedAt: string;
}

export interface TrustStore {
  version: 1;
  projects: Record<string, TrustRecord>;
}

export function emptyStore(): TrustStore {
  return { version: 1, projects: {} };
}

/** Parse the store; anything unreadable counts as no trust at all (fail closed). */
export function parseStore(text: string | undefined): TrustStore {
  if (text === undefined) return emptyStore();
  try {
    const data = JSON.parse(text) as Partial<TrustStore>;
    if (data.version !== 1 || typeof data.projects !== 'object' || data.projects === null)
      return emptyStore();
    const projects: Record<string, TrustRecord> = {};
    for (const [k, v] of Object.entries(data.projects)) {
      if (typeof v?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256))
        projects[k] = { sha256: v.sha256, trustedAt: String(v.trustedAt ?? '') };
    }
    return { version: 1, projects };
  } catch {
    return emptyStore();
  }
}

export function isTrusted(store: TrustStore, project: string, sha256: string): boolean {
  return store.projects[project]?.sha256 === sha256;
}

export function withTrust(
  store: TrustStore,
  project: string,
  sha256: string,
  now: Date,
): TrustStore {
  return {
    version: 1,
    projects: { ...store.projects, [project]: { sha256, trustedAt: now.toISOString() } },
  };
}

export function withoutTrust(store: TrustStore, project: string): TrustStore {
  const projects = { ...store.projects };
  delete projects[project];
  return { version: 1, projects };
}

export function readStore(file: string): TrustStore {
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  return parseStore(text);
}

/** Write atomically (a reader never sees half a file), private to the user. */
export function writeStore(file: string, store: TrustStore): void {
  fs.mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
