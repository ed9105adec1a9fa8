// The session's recent refusals as text, in the proxy's runtime directory (seen
// read-only inside the sandbox as /run/bubble/denials), so that an agent or its
// hooks can read why a request failed instead of retrying it. Written by the
// host side only; a failure to write it never affects a connection.
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ConnectionRecord } from '../log/record.ts';
import { formatAuthority } from './authority.ts';

export const DENIALS_NAME = 'denials';
const KEEP = 100;

function line(r: ConnectionRecord): string {
  const what = r.host === null ? 'a malformed request' : formatAuthority(r.host, r.port ?? 0);
  const allow = r.hint ? `; to allow it, ${r.hint}` : '';
  const text = `${r.time} refused ${what} (${r.protocol}): ${r.reason ?? r.denial ?? 'denied'}${allow}`;
  return `${text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 600)}\n`;
}

export class DenialsFile {
  readonly #path: string;
  readonly #recent: string[] = [];

  constructor(path: string) {
    this.#path = path;
    try {
      writeFileSync(path, '', { mode: 0o644, flag: 'wx' });
    } catch {
      // Not fatal: the list is a courtesy, the session log is the record.
    }
  }

  /** Appends one refusal; past KEEP lines the file is rewritten with the newest half. */
  add(record: ConnectionRecord): void {
    const text = line(record);
    this.#recent.push(text);
    try {
      if (this.#recent.length <= KEEP) {
        appendFileSync(this.#path, text);
        return;
      }
      this.#recent.splice(0, this.#recent.length - KEEP / 2);
      const tmp = `${this.#path}.tmp`;
      writeFileSync(tmp, this.#recent.join(''), { mode: 0o644 });
      renameSync(tmp, this.#path);
    } catch {
      // As above.
    }
  }
}
