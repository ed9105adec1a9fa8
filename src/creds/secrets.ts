// Reading the real credential on the host, when a request needs it: a variable of bubble's
// own environment, a command the user configured (like git's credential helpers), or
// Claude Code's login file, refreshed here when its access token is about to expire (the
// sandbox only has placeholders, so the agent cannot refresh it itself).

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import type { Carrier } from './apis.ts';
import { codexApiKey, type CredentialSource } from './plan.ts';

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

/** Claude Code's OAuth client (public: it is in every copy of the client) and token endpoint. */
const CLAUDE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';
const CLAUDE_TOKEN_URL = 'https://platform.claude.com/v1/oauth/token';
/** Refresh this long before the expiry Claude itself would use. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface SecretReaderOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** For the refresh request (tests point it at a stand-in; BUBBLE_OAUTH_TOKEN_URL). */
  tokenUrl?: string;
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
  const commandCache = new Map<string, Promise<string>>();
  let refreshing: Promise<string> | undefined;

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
