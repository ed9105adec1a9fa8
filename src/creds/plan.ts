// Which model API credentials this session keeps on the host, and what the sandbox sees
// instead. Pure: it reads the host only through facts (for the login file's non-secret
// fields) and never holds a secret value; the secret is read by the reverse proxy on the
// host when a request needs it (inject.ts).

import { join } from 'node:path';
import { MODEL_APIS, modelApi, type ApiName, type Carrier, type ModelApi } from './apis.ts';
import {
  chatgptTokens,
  codexApiKey,
  codexConfigPath,
  codexLoginPath,
  configuredChatgptBase,
  maskedCodexLogin,
} from './codex-login.ts';

/** Where the real credential is on the host. Names only, never the value. */
export type CredentialSource =
  | { kind: 'env'; name: string; carrier: Carrier }
  | { kind: 'command'; command: string; carrier: Carrier }
  | { kind: 'claude-login'; path: string }
  /** An API key saved by `codex login --with-api-key` in Codex's auth.json. */
  | { kind: 'codex-login'; path: string }
  /** A ChatGPT login in Codex's auth.json: its access token, refreshed on the host. */
  | { kind: 'codex-chatgpt'; path: string };

export interface InjectedApi {
  api: ApiName;
  prefix: string;
  /** The real API's base URL (the host's own base-URL variable, or the API's default). */
  upstream: string;
  source: CredentialSource;
  /** The base URL the agent gets inside. */
  insideBase: string;
}

export interface CredentialPlan {
  injected: InjectedApi[];
  /** Variables set inside (base URLs, placeholder keys); they replace the host's values. */
  env: Record<string, string>;
  envWhy: Record<string, string>;
  /** Host variables holding a credential that must not pass into the sandbox. */
  withheld: string[];
  /** Arguments put right after the command (clients configured by file, not variable). */
  argv: string[];
  /** Files inside replaced by a copy without secrets: path -> content. */
  masked: { path: string; content: string; why: string }[];
  notes: string[];
}

export interface CredentialInput {
  profile: string;
  /** The basename of the command run. */
  command: string;
  home: string;
  env: Readonly<Record<string, string | undefined>>;
  readText: (path: string) => string | undefined;
  /** The proxy port the sandbox reaches bubble on, or undefined when there is no proxy. */
  proxyPort: number | undefined;
  /** `--pass-credentials`: today's behaviour, the credential goes in. */
  pass: boolean;
  /** `api_key_command` from the user's config, per API. */
  commands: Partial<Record<ApiName, string>>;
}

/** Claude Code's login file on Linux (its docs: "Authentication"; macOS uses the Keychain). */
function claudeLoginPath(home: string, env: CredentialInput['env']): string {
  const dir = env['CLAUDE_CONFIG_DIR'];
  return join(
    dir !== undefined && dir.startsWith('/') ? dir : join(home, '.claude'),
    '.credentials.json',
  );
}

interface ClaudeLogin {
  claudeAiOauth?: Record<string, unknown>;
}

function parseLogin(text: string | undefined): ClaudeLogin | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

const PLACEHOLDER_ACCESS_TOKEN = 'sk-ant-oat01-bubble-placeholder-the-real-token-stays-outside';
const PLACEHOLDER_REFRESH_TOKEN = 'sk-ant-ort01-bubble-placeholder-refreshed-outside';
/** Far enough that the client never tries to refresh inside: bubble refreshes outside. */
const PLACEHOLDER_EXPIRY = Date.UTC(2099, 0, 1);

/**
 * The login file the sandbox sees: the account's non-secret fields (scopes, subscription),
 * placeholder tokens, and nothing else (MCP servers' OAuth tokens stay outside too).
 */
export function maskedClaudeLogin(text: string | undefined): string | undefined {
  const login = parseLogin(text);
  const oauth = login?.claudeAiOauth;
  if (oauth === undefined || typeof oauth !== 'object') return undefined;
  const kept: Record<string, unknown> = {};
  for (const key of ['scopes', 'subscriptionType', 'rateLimitTier']) {
    if (key in oauth) kept[key] = oauth[key];
  }
  return `${JSON.stringify({
    claudeAiOauth: {
      accessToken: PLACEHOLDER_ACCESS_TOKEN,
      refreshToken: PLACEHOLDER_REFRESH_TOKEN,
      expiresAt: PLACEHOLDER_EXPIRY,
      ...kept,
    },
  })}\n`;
}

/** The upstream base URL the user set (`where` says where), when it is a usable http(s) URL. */
function upstreamOf(
  api: ModelApi,
  raw: string | undefined,
  where: string,
  notes: string[],
): string {
  if (raw === undefined || raw.trim() === '') return api.defaultUpstream;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    notes.push(`${where}=${JSON.stringify(raw)} is not a URL: using ${api.defaultUpstream}`);
    return api.defaultUpstream;
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' ||
    url.password !== ''
  ) {
    notes.push(
      `${where}: only http(s) URLs without credentials are supported: using ${api.defaultUpstream}`,
    );
    return api.defaultUpstream;
  }
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** The user's base URL for `api`: the host's variable, or for ChatGPT Codex's own config. */
function userBase(api: ModelApi, input: CredentialInput): { raw?: string; where: string } {
  if (api.baseEnv !== undefined) return { raw: input.env[api.baseEnv], where: api.baseEnv };
  const path = codexConfigPath(input.home, input.env);
  const configured = configuredChatgptBase(input.readText(path));
  // The model endpoint is below the backend, as Codex has it (`{chatgpt_base_url}/codex`).
  const raw =
    configured === undefined || api.name !== 'chatgpt-codex'
      ? configured
      : `${configured.replace(/\/+$/, '')}/codex`;
  return { ...(raw === undefined ? {} : { raw }), where: `chatgpt_base_url in ${path}` };
}

function sourceFor(api: ModelApi, input: CredentialInput): CredentialSource | undefined {
  if (api.name === 'chatgpt' || api.name === 'chatgpt-codex') {
    const path = codexLoginPath(input.home, input.env);
    return chatgptTokens(input.readText(path)) !== undefined
      ? { kind: 'codex-chatgpt', path }
      : undefined;
  }
  const command = input.commands[api.name];
  if (command !== undefined && command.trim() !== '' && api.keys.length > 0) {
    return { kind: 'command', command, carrier: api.keys[0]!.carrier };
  }
  for (const key of api.keys) {
    const value = input.env[key.name];
    if (value !== undefined && value !== '')
      return { kind: 'env', name: key.name, carrier: key.carrier };
  }
  if (api.name === 'anthropic') {
    const path = claudeLoginPath(input.home, input.env);
    if (maskedClaudeLogin(input.readText(path)) !== undefined)
      return { kind: 'claude-login', path };
  }
  if (api.name === 'openai' && input.profile === 'codex') {
    const path = codexLoginPath(input.home, input.env);
    if (codexApiKey(input.readText(path)) !== undefined) return { kind: 'codex-login', path };
  }
  return undefined;
}

export function credentialPlan(input: CredentialInput): CredentialPlan {
  const plan: CredentialPlan = {
    injected: [],
    env: {},
    envWhy: {},
    withheld: [],
    argv: [],
    masked: [],
    notes: [],
  };
  if (input.pass) return plan;
  const apis = MODEL_APIS.filter((a) => a.profiles.includes(input.profile));
  const sources = new Map(apis.map((a) => [a.name, sourceFor(a, input)] as const));
  for (const api of apis) {
    const source = sources.get(api.name);
    if (source === undefined) continue;
    if (input.proxyPort === undefined) {
      plan.notes.push(
        `${api.name} credentials pass into the sandbox: this network mode has no proxy to add them outside`,
      );
      continue;
    }
    const base = userBase(api, input);
    const upstream = upstreamOf(api, base.raw, base.where, plan.notes);
    const basePath = new URL(upstream).pathname.replace(/\/+$/, '');
    const insideBase = `http://127.0.0.1:${input.proxyPort}${api.prefix}${api.hideUpstreamPath ? '' : basePath}`;
    plan.injected.push({ api: api.name, prefix: api.prefix, upstream, source, insideBase });
    const why = `the ${api.name} credential stays outside: bubble adds it (--pass-credentials to pass it)`;
    for (const key of api.keys) plan.withheld.push(key.name);
    if (api.baseEnv !== undefined) {
      plan.env[api.baseEnv] = insideBase;
      plan.envWhy[api.baseEnv] = why;
    }
    // Codex signed in with ChatGPT sends its model requests to ChatGPT's backend, with the
    // login's token: the ChatGPT base URLs are its arguments, not the API's.
    const superseded = api.name === 'openai' && sources.get('chatgpt-codex') !== undefined;
    for (const arg of superseded ? [] : (api.baseArgs?.[input.command] ?? []))
      plan.argv.push(arg.replaceAll('{base}', insideBase));
    // A client that insists on a key gets one that is worth nothing. Claude Code remembers
    // the user's approval of a key by its last 20 characters (customApiKeyResponses in
    // ~/.claude.json, which the sandbox sees anyway): the placeholder ends the same way, so
    // the approval carries over and nothing more of the key goes in.
    const shown =
      source.kind === 'env'
        ? source.name
        : source.kind === 'command'
          ? api.keys[0]!.name
          : undefined;
    if (shown !== undefined) {
      const real = source.kind === 'env' ? (input.env[source.name] ?? '') : '';
      plan.env[shown] =
        api.name === 'anthropic' && real.length > 20
          ? `${api.placeholder}-${real.slice(-20)}`
          : api.placeholder;
      plan.envWhy[shown] = why;
    }
  }
  // Claude Code's login holds a refresh token that mints new access tokens: the sandbox only
  // ever sees placeholders, whichever credential this session uses.
  if (input.profile === 'claude' && input.proxyPort !== undefined) {
    const path = claudeLoginPath(input.home, input.env);
    const masked = maskedClaudeLogin(input.readText(path));
    if (masked !== undefined) {
      plan.masked.push({
        path,
        content: masked,
        why: 'your Claude login stays outside: placeholder tokens, bubble adds the real one',
      });
    }
  }
  // Codex's auth.json: its API key and a ChatGPT login's tokens stay outside.
  if (input.profile === 'codex' && input.proxyPort !== undefined) {
    const path = codexLoginPath(input.home, input.env);
    const masked = maskedCodexLogin(input.readText(path), modelApi('openai').placeholder);
    if (masked !== undefined)
      plan.masked.push({
        path,
        content: masked,
        why: 'your Codex login stays outside: placeholder key and tokens, bubble adds the real ones',
      });
  }
  return plan;
}
