// opencode's auth.json (~/.local/share/opencode) goes back after the session only when the
// agent changed nothing but tokens. opencode reads it at every start: a `wellknown` entry
// makes it fetch `<key>/.well-known/opencode` and merge the config it serves (MCP servers,
// commands, plugins: code on the host), and an entry's `baseURL` or `enterpriseUrl` sends
// the key and the conversation elsewhere (auth/index.ts, config/config.ts in opencode's
// source). Pure.

import type { StagedContent } from '../staged.ts';

const URL_FIELDS = ['baseURL', 'enterpriseUrl'] as const;

function entries(content: StagedContent | null): Record<string, unknown> | undefined {
  if (content === null) return {};
  if (content.type !== 'file') return undefined;
  try {
    const json: unknown = JSON.parse(content.bytes.toString('utf8'));
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const field = (v: unknown, k: string): unknown =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;

/** Why this auth.json may not go back, or undefined when only tokens changed. */
export function opencodeAuthCheck(
  content: StagedContent,
  before: StagedContent | null,
): string | undefined {
  const now = entries(content);
  if (now === undefined) return 'not a JSON object: opencode would misread its logins';
  const was = entries(before) ?? {};
  for (const [key, value] of Object.entries(now)) {
    const old = was[key];
    const type = field(value, 'type');
    if (
      (type === 'wellknown' || field(old, 'type') === 'wellknown') &&
      JSON.stringify(value) !== JSON.stringify(old)
    )
      return `entry ${JSON.stringify(key)} is a well-known login: opencode would fetch and obey the config it names`;
    for (const f of URL_FIELDS)
      if (field(value, f) !== field(old, f))
        return `entry ${JSON.stringify(key)}: ${f} changed (where opencode sends the key)`;
  }
  return undefined;
}
