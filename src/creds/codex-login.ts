// Codex's login file, $CODEX_HOME/auth.json (~/.codex/auth.json): an API key saved by
// `codex login --with-api-key`, or a ChatGPT login (an id token, an access token and a
// refresh token). Pure: what is in it, and the copy the sandbox sees instead. The format
// is Codex's AuthDotJson (codex-rs/login/src/auth/storage.rs, token_data.rs in 0.171).

import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** Codex's home: $CODEX_HOME when absolute, ~/.codex by default. */
function codexHome(home: string, env: Env): string {
  const dir = env['CODEX_HOME'];
  return dir !== undefined && dir.startsWith('/') ? dir : join(home, '.codex');
}

export function codexLoginPath(home: string, env: Env): string {
  return join(codexHome(home, env), 'auth.json');
}

export function codexConfigPath(home: string, env: Env): string {
  return join(codexHome(home, env), 'config.toml');
}

export function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The API key in Codex's auth.json, when it holds one. */
export function codexApiKey(text: string | undefined): string | undefined {
  const key = parseObject(text)?.['OPENAI_API_KEY'];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

export interface ChatgptTokens {
  idToken: string | undefined;
  accessToken: string;
  refreshToken: string | undefined;
}

/**
 * The tokens of a ChatGPT login Codex would use: its mode, as Codex resolves it, is
 * ChatGPT (`auth_mode: "chatgpt"`, or no mode and no API key) and it has an access token.
 */
export function chatgptTokens(text: string | undefined): ChatgptTokens | undefined {
  const auth = parseObject(text);
  if (auth === undefined) return undefined;
  const mode = auth['auth_mode'];
  const chatgpt =
    mode === undefined || mode === null ? codexApiKey(text) === undefined : mode === 'chatgpt';
  const tokens = auth['tokens'];
  if (!chatgpt || typeof tokens !== 'object' || tokens === null) return undefined;
  const t = tokens as Record<string, unknown>;
  if (typeof t['access_token'] !== 'string' || t['access_token'] === '') return undefined;
  return {
    idToken: typeof t['id_token'] === 'string' ? t['id_token'] : undefined,
    accessToken: t['access_token'],
    refreshToken: typeof t['refresh_token'] === 'string' ? t['refresh_token'] : undefined,
  };
}

/** The `exp` of a JWT, in milliseconds; undefined when it is not a JWT with one. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

const PLACEHOLDER_REFRESH = 'bubble-placeholder-the-refresh-token-stays-outside';
const PLACEHOLDER_SIGNATURE = 'bubble-placeholder-signature';

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * The access token the sandbox sees: a JWT Codex can read (it only decodes the claims,
 * never checks the signature) that expires far away, so Codex never tries to refresh it
 * inside (it would send the placeholder refresh token to OpenAI); worth nothing upstream.
 */
export const PLACEHOLDER_ACCESS_JWT = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
  exp: Date.UTC(2099, 0, 1) / 1000,
  bubble: 'placeholder: the ChatGPT access token stays outside, bubble adds it',
})}.${PLACEHOLDER_SIGNATURE}`;

/**
 * The id token with its signature replaced: Codex reads the account's email, plan and ids
 * from its claims; without the signature it cannot be exchanged for an API key (as Codex's
 * own login does with the real one).
 */
function unsignedIdToken(token: unknown): string {
  const parts = typeof token === 'string' ? token.split('.') : [];
  return parts.length === 3
    ? `${parts[0]}.${parts[1]}.${PLACEHOLDER_SIGNATURE}`
    : `${b64({ alg: 'none', typ: 'JWT' })}.${b64({})}.${PLACEHOLDER_SIGNATURE}`;
}

/**
 * The auth.json the sandbox sees: an API key replaced by `placeholderKey` (bubble adds the
 * real one), a ChatGPT login's tokens by placeholders (bubble adds the real access token
 * and refreshes it on the host); the rest (mode, account id, last refresh) as it is.
 * Undefined when there is nothing to hide.
 */
export function maskedCodexLogin(
  text: string | undefined,
  placeholderKey: string,
): string | undefined {
  const auth = parseObject(text);
  if (auth === undefined) return undefined;
  const out: Record<string, unknown> = { ...auth };
  let hidden = false;
  if (codexApiKey(text) !== undefined) {
    out['OPENAI_API_KEY'] = placeholderKey;
    hidden = true;
  }
  const tokens = auth['tokens'];
  if (typeof tokens === 'object' && tokens !== null) {
    const t = tokens as Record<string, unknown>;
    out['tokens'] = {
      ...t,
      ...('id_token' in t ? { id_token: unsignedIdToken(t['id_token']) } : {}),
      ...('access_token' in t ? { access_token: PLACEHOLDER_ACCESS_JWT } : {}),
      ...('refresh_token' in t ? { refresh_token: PLACEHOLDER_REFRESH } : {}),
    };
    hidden = true;
  }
  return hidden ? `${JSON.stringify(out, null, 2)}\n` : undefined;
}

/**
 * `chatgpt_base_url` from the user's own config.toml (not a project's: bubble overrides
 * that with `-c` for the session), where a user points Codex at another ChatGPT backend.
 */
export function configuredChatgptBase(text: string | undefined): string | undefined {
  // Read without a TOML parser: every launch plans credentials, and the parser is loaded
  // only when a bubble config file exists. Top-level keys come before the first table.
  for (const line of (text ?? '').split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) break;
    const m = /^"?chatgpt_base_url"?\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*')\s*(?:#.*)?$/.exec(t);
    if (m === null) continue;
    let value: unknown;
    try {
      value = m[1]!.startsWith("'") ? m[1]!.slice(1, -1) : JSON.parse(m[1]!);
    } catch {
      return undefined;
    }
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  }
  return undefined;
}
