// Reading the real credential on the host, when a request needs it: a variable of bubble's
// own environment, a command the user configured (like git's credential helpers), or
// Claude Code's login file, refreshed here when its access token is about to expire (the
// sandbox only has placeholders, so the agent cannot refresh it itself).

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import type { Carrier } from './apis.ts';
import { chatgptTokens, codexApiKey, jwtExpiry, parseObject } from './codex-login.ts';
import type { CredentialSource } from './plan.ts';

export interface Credential {
  value: string;
  carrier: Carrier;
}

export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

/** Someone else refreshed the login meanwhile: their token, not an error. */
class FreshToken extends Error {
  constructor(readonly token: string) {
    super('refreshed meanwhile');
  }
}

/** Claude Code's OAuth client (public: it is in every copy of the client) and token endpoint. */
const CLAUDE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';
const CLAUDE_TOKEN_URL = 'https://platform.claude.com/v1/oauth/token';
/** Codex's OAuth client (public, in every copy of Codex) and token endpoint. */
const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
const CODEX_TOKEN_URL = 'https://auth.openai.com/oauth/token';
/** Refresh this long before the expiry Claude itself would use. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface SecretReaderOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** For the refresh request (tests point it at a stand-in; BUBBLE_OAUTH_TOKEN_URL). */
  tokenUrl?: string;
  /** For Codex's refresh request: Codex's own override, CODEX_REFRESH_TOKEN_URL_OVERRIDE. */
  codexTokenUrl?: string;
  /** Fetch for the refresh request (bubble's own process, so its upstream proxy settings hold). */
  fetch?: typeof fetch;
  now?: () => number;
}

function runCommand(command: string, env: SecretReaderOptions['env']): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      '/bin/sh',
      ['-c', command],
      { env: env, timeout: 30_000, maxBuffer: 64 * 1024 },
      (error, stdout) => {
        if (error)
          reject(new CredentialError(`api_key_command failed: ${error.message.split('\n')[0]}`));
        else resolve(stdout.trim());
      },
    );
  });
}

interface OAuthBlock {
  accessToken?: unknown;
  refreshToken?: unknown;
  expiresAt?: unknown;
  scopes?: unknown;
  [key: string]: unknown;
}

/**
 * Rewrites the login file in place, keeping its inode: the sandbox sees a placeholder
 * mounted over that name, and replacing the file by rename would detach that mount inside.
 * Never follows a link at the name; the file stays private.
 */
function rewritePrivate(path: string, text: string): void {
  const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW);
  try {
    fs.fchmodSync(fd, 0o600);
    const bytes = Buffer.from(text);
    fs.writeSync(fd, bytes, 0, bytes.length, 0);
    fs.ftruncateSync(fd, bytes.length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function secretReader(
  options: SecretReaderOptions,
): (source: CredentialSource) => Promise<Credential> {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const tokenUrl = options.tokenUrl ?? options.env['BUBBLE_OAUTH_TOKEN_URL'] ?? CLAUDE_TOKEN_URL;
  const codexTokenUrl =
    options.codexTokenUrl ?? options.env['CODEX_REFRESH_TOKEN_URL_OVERRIDE'] ?? CODEX_TOKEN_URL;
  const commandCache = new Map<string, Promise<string>>();
  let refreshing: Promise<string> | undefined;
  let refreshingCodex: Promise<string> | undefined;

  const readCodex = (path: string): string => {
    try {
      return fs.readFileSync(path, 'utf8');
    } catch {
      throw new CredentialError(
        `no Codex login at ${path}: codex login outside the sandbox, or set OPENAI_API_KEY`,
      );
    }
  };
  /** The access token when it has more than the margin left (no expiry known: it has). */
  const fresh = (token: string): boolean =>
    (jwtExpiry(token) ?? Infinity) - REFRESH_MARGIN_MS > now();

  // What Codex does when its token expires (refresh_and_persist_chatgpt_token in
  // codex-rs/login/src/auth/manager.rs): the refresh token for new tokens, written back in
  // place with last_refresh. The file is read again just before, as Codex does, so a
  // refresh done meanwhile by Codex outside (or another session) is used, not repeated;
  // and once more after a failure, for the same reason (OpenAI's refresh tokens are used once).
  const refreshCodex = async (path: string): Promise<string> => {
    const text = readCodex(path);
    const tokens = chatgptTokens(text);
    if (tokens === undefined) throw new CredentialError(`${path}: no ChatGPT login in it`);
    if (fresh(tokens.accessToken)) return tokens.accessToken;
    const expired = `the ChatGPT login in ${path} expired`;
    if (tokens.refreshToken === undefined || tokens.refreshToken === '')
      throw new CredentialError(`${expired}: log in with codex outside the sandbox`);
    const failed = (why: string): never => {
      const again = chatgptTokens(fs.existsSync(path) ? readCodex(path) : undefined);
      if (
        again !== undefined &&
        again.accessToken !== tokens.accessToken &&
        fresh(again.accessToken)
      )
        throw new FreshToken(again.accessToken);
      throw new CredentialError(
        `${expired} and bubble could not refresh it (${why}): log in with codex outside the sandbox`,
      );
    };
    const response = await doFetch(codexTokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: CODEX_CLIENT_ID,
        grant_type: 'refresh_token',
        refresh_token: tokens.refreshToken,
      }),
      signal: AbortSignal.timeout(30_000),
    }).catch((e: Error) => failed(e.message));
    if (!response.ok) failed(`the token endpoint answered ${response.status}`);
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (typeof body['access_token'] !== 'string') failed('no access token in the answer');
    const all = parseObject(readCodex(path)) ?? {};
    const old = (all['tokens'] ?? {}) as Record<string, unknown>;
    const next = {
      ...old,
      access_token: body['access_token'],
      ...(typeof body['id_token'] === 'string' ? { id_token: body['id_token'] } : {}),
      ...(typeof body['refresh_token'] === 'string'
        ? { refresh_token: body['refresh_token'] }
        : {}),
    };
    // What Codex itself writes: the same file, pretty-printed, the new tokens, last_refresh.
    rewritePrivate(
      path,
      JSON.stringify(
        { ...all, tokens: next, last_refresh: new Date(now()).toISOString() },
        null,
        2,
      ),
    );
    return body['access_token'] as string;
  };

  const readLogin = (path: string): { all: Record<string, unknown>; oauth: OAuthBlock } => {
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch {
      throw new CredentialError(
        `no Claude login at ${path}: log in with claude outside the sandbox, or set ANTHROPIC_API_KEY`,
      );
    }
    try {
      const all = JSON.parse(text) as Record<string, unknown>;
      const oauth = all['claudeAiOauth'] as OAuthBlock | undefined;
      if (oauth === undefined || typeof oauth.accessToken !== 'string') throw new Error('no token');
      return { all, oauth };
    } catch {
      throw new CredentialError(`${path}: no Claude login token in it`);
    }
  };

  const refresh = async (
    path: string,
    oauth: OAuthBlock,
    all: Record<string, unknown>,
  ): Promise<string> => {
    if (typeof oauth.refreshToken !== 'string')
      throw new CredentialError(
        `${path}: the login expired and has no refresh token: log in with claude outside the sandbox`,
      );
    const scopes = Array.isArray(oauth.scopes) ? oauth.scopes.join(' ') : undefined;
    const response = await doFetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: oauth.refreshToken,
        client_id: CLAUDE_CLIENT_ID,
        ...(scopes ? { scope: scopes } : {}),
      }),
      signal: AbortSignal.timeout(30_000),
    }).catch((e: Error) => {
      throw new CredentialError(`refreshing the Claude login failed: ${e.message}`);
    });
    if (!response.ok)
      throw new CredentialError(
        `refreshing the Claude login failed: the token endpoint answered ${response.status}: log in with claude outside the sandbox`,
      );
    const body = (await response.json()) as {
      access_token?: unknown;
      refresh_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof body.access_token !== 'string')
      throw new CredentialError(
        'refreshing the Claude login failed: no access token in the answer',
      );
    const next: OAuthBlock = {
      ...oauth,
      accessToken: body.access_token,
      ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
      ...(typeof body.expires_in === 'number' ? { expiresAt: now() + body.expires_in * 1000 } : {}),
    };
    // What Claude itself would have written: the same file, the new tokens.
    rewritePrivate(path, `${JSON.stringify({ ...all, claudeAiOauth: next })}\n`);
    return body.access_token;
  };

  return async (source) => {
    switch (source.kind) {
      case 'env': {
        const value = options.env[source.name];
        if (value === undefined || value === '')
          throw new CredentialError(`${source.name} is not set in bubble's environment`);
        return { value, carrier: source.carrier };
      }
      case 'command': {
        let pending = commandCache.get(source.command);
        if (pending === undefined) {
          pending = runCommand(source.command, options.env);
          commandCache.set(source.command, pending);
          pending.catch(() => commandCache.delete(source.command));
        }
        const value = await pending;
        if (value === '') throw new CredentialError('api_key_command printed nothing');
        return { value, carrier: source.carrier };
      }
      case 'codex-login': {
        let text: string;
        try {
          text = fs.readFileSync(source.path, 'utf8');
        } catch {
          throw new CredentialError(
            `no Codex login at ${source.path}: codex login --with-api-key outside the sandbox, or set OPENAI_API_KEY`,
          );
        }
        const value = codexApiKey(text);
        if (value === undefined) throw new CredentialError(`${source.path}: no API key in it`);
        return { value, carrier: 'bearer' };
      }
      case 'codex-chatgpt': {
        const tokens = chatgptTokens(readCodex(source.path));
        if (tokens === undefined)
          throw new CredentialError(`${source.path}: no ChatGPT login in it`);
        if (fresh(tokens.accessToken)) return { value: tokens.accessToken, carrier: 'bearer' };
        refreshingCodex ??= refreshCodex(source.path)
          .catch((e: unknown) => {
            if (e instanceof FreshToken) return e.token;
            throw e;
          })
          .finally(() => {
            refreshingCodex = undefined;
          });
        return { value: await refreshingCodex, carrier: 'bearer' };
      }
      case 'claude-login': {
        const { all, oauth } = readLogin(source.path);
        const expires = typeof oauth.expiresAt === 'number' ? oauth.expiresAt : Infinity;
        if (expires - REFRESH_MARGIN_MS > now())
          return { value: oauth.accessToken as string, carrier: 'bearer' };
        refreshing ??= refresh(source.path, oauth, all).finally(() => {
          refreshing = undefined;
        });
        return { value: await refreshing, carrier: 'bearer' };
      }
    }
  };
}
