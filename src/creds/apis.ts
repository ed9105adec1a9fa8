// The model APIs whose credentials bubble keeps on the host, as data. Inside the sandbox
// the agent's base URL names bubble's own proxy port with a path prefix
// (http://127.0.0.1:3128/anthropic); the reverse proxy in the bubble process takes such a
// request, checks its route against `routes`, drops every credential the client sent, adds
// the real one, and speaks TLS to the real API itself. No certificate authority, no
// interception: the agent talks plain HTTP to bubble on its own loopback.

export type ApiName = 'anthropic' | 'openai' | 'gemini' | 'chatgpt' | 'chatgpt-codex';

/** How a credential goes on the wire. */
export type Carrier = 'x-api-key' | 'bearer' | 'x-goog-api-key';

/** A host environment variable that holds a credential, and how the API wants it sent. */
export interface KeyVariable {
  name: string;
  carrier: Carrier;
}

/** A request the API's clients really make: method and path relative to the base URL. */
export interface Route {
  methods: readonly string[];
  /** Matched against the path (no query) below the upstream base URL's own path. */
  path: RegExp;
  /** False: forwarded without any credential (a connectivity check). */
  credential: boolean;
}

export interface ModelApi {
  name: ApiName;
  /** Profiles whose agent talks to this API. */
  profiles: readonly string[];
  /** The path prefix on bubble's proxy port. */
  prefix: string;
  /**
   * The variable the client reads its base URL from; a host value becomes the upstream.
   * None for an API only reached with a login (its base URL is given by `baseArgs`).
   */
  baseEnv?: string;
  defaultUpstream: string;
  /** Host variables with the credential, in order of preference. */
  keys: readonly KeyVariable[];
  routes: readonly Route[];
  /** Query parameters that carry a credential (stripped from what the client sends). */
  queryKeys: readonly string[];
  /** A value clients accept as a key, so they start: never a usable secret. */
  placeholder: string;
  /**
   * Clients that read their base URL from a config file rather than `baseEnv`: arguments put
   * right after the command, by the command's name ({base}: the inside base URL). Only when
   * that command is the one run: `--profile codex -- sh` gets none.
   */
  baseArgs?: Readonly<Record<string, readonly string[]>>;
  /**
   * The inside base URL is the prefix alone, without the upstream's path (bubble adds it):
   * for a client that treats a URL with that path specially.
   */
  hideUpstreamPath?: boolean;
}

const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'x-goog-api-key', 'proxy-authorization'];

/** Headers a client may use to carry a credential: all of them are dropped, for every API. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.includes(name.toLowerCase());
}

export const MODEL_APIS: readonly ModelApi[] = [
  {
    name: 'anthropic',
    profiles: ['claude', 'opencode', 'aider'],
    prefix: '/anthropic',
    baseEnv: 'ANTHROPIC_BASE_URL',
    defaultUpstream: 'https://api.anthropic.com',
    // ANTHROPIC_API_KEY goes as x-api-key; ANTHROPIC_AUTH_TOKEN and the long-lived token of
    // `claude setup-token` as a bearer (Anthropic's TypeScript SDK and Claude Code's docs).
    keys: [
      { name: 'ANTHROPIC_API_KEY', carrier: 'x-api-key' },
      { name: 'ANTHROPIC_AUTH_TOKEN', carrier: 'bearer' },
      { name: 'CLAUDE_CODE_OAUTH_TOKEN', carrier: 'bearer' },
    ],
    // The Messages API and what Claude Code 2.1 asks at start-up (seen against a stand-in
    // API). Not /api/oauth/*: with a login token those mint API keys and change the account.
    routes: [
      { methods: ['POST'], path: /^\/v1\/messages(\/count_tokens)?$/, credential: true },
      { methods: ['GET'], path: /^\/v1\/models(\/[A-Za-z0-9._:-]+)?$/, credential: true },
      { methods: ['GET', 'HEAD'], path: /^\/api\/hello$/, credential: false },
    ],
    queryKeys: [],
    placeholder: 'sk-ant-api03-bubble-placeholder-the-real-key-stays-outside',
  },
  {
    name: 'openai',
    profiles: ['codex', 'opencode', 'aider'],
    prefix: '/openai',
    baseEnv: 'OPENAI_BASE_URL',
    defaultUpstream: 'https://api.openai.com/v1',
    keys: [{ name: 'OPENAI_API_KEY', carrier: 'bearer' }],
    // Codex 0.171 takes its base URL from config.toml's openai_base_url (seen: it ignores
    // OPENAI_BASE_URL); `-c` overrides a config value for one run, the user's file untouched.
    baseArgs: { codex: ['-c', 'openai_base_url="{base}"'] },
    // Responses (Codex), Chat Completions (aider, opencode), models and embeddings.
    routes: [
      { methods: ['POST'], path: /^\/responses(\/compact)?$/, credential: true },
      { methods: ['POST'], path: /^\/chat\/completions$/, credential: true },
      { methods: ['POST'], path: /^\/embeddings$/, credential: true },
      { methods: ['GET'], path: /^\/models(\/[A-Za-z0-9._:-]+)?$/, credential: true },
    ],
    queryKeys: [],
    placeholder: 'sk-bubble-placeholder-the-real-key-stays-outside',
  },
  {
    name: 'gemini',
    profiles: ['gemini'],
    prefix: '/gemini',
    baseEnv: 'GOOGLE_GEMINI_BASE_URL',
    defaultUpstream: 'https://generativelanguage.googleapis.com',
    keys: [
      { name: 'GEMINI_API_KEY', carrier: 'x-goog-api-key' },
      { name: 'GOOGLE_API_KEY', carrier: 'x-goog-api-key' },
    ],
    // generateContent, streamGenerateContent, countTokens, embedContent and the model list.
    routes: [
      {
        methods: ['POST'],
        path: /^\/v1(beta|alpha)?\/models\/[A-Za-z0-9._-]+:(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$/,
        credential: true,
      },
      {
        methods: ['GET'],
        path: /^\/v1(beta|alpha)?\/models(\/[A-Za-z0-9._-]+)?$/,
        credential: true,
      },
    ],
    queryKeys: ['key'],
    placeholder: 'bubble-placeholder-the-real-key-stays-outside',
  },
  {
    // Codex signed in with ChatGPT: its account reads go to ChatGPT's backend
    // (`chatgpt_base_url`) with the login's access token as a bearer (seen with Codex 0.171
    // against a stand-in). The path must keep /backend-api: Codex asks other paths of a
    // backend without it (/api/codex/...).
    name: 'chatgpt',
    profiles: ['codex'],
    prefix: '/chatgpt',
    defaultUpstream: 'https://chatgpt.com/backend-api',
    keys: [],
    baseArgs: { codex: ['-c', 'chatgpt_base_url="{base}/"'] },
    // What Codex asks at start-up and for its work: rate limits, the account, plugin lists,
    // its own analytics. Not the connectors' MCP (/ps/mcp: the user's connected apps),
    // cloud tasks (/wham/tasks), nor the rest of ChatGPT (conversations, memory, settings).
    routes: [
      { methods: ['POST'], path: /^\/codex\/analytics-events\/events$/, credential: true },
      {
        methods: ['GET'],
        path: /^\/wham\/(usage|accounts\/check|settings\/user)$/,
        credential: true,
      },
      {
        methods: ['GET'],
        path: /^\/ps\/plugins\/(installed|suggested\/codex|tooling-state\/[a-z0-9_-]+)$/,
        credential: true,
      },
    ],
    queryKeys: [],
    placeholder: 'bubble-placeholder-the-chatgpt-token-stays-outside',
  },
  {
    // Codex's model requests with a ChatGPT login (`openai_base_url`). The inside URL has no
    // /backend-api: Codex takes a model URL with it for ChatGPT's own, asks for the
    // workspace's backend origin first and insists on https (seen: "workspace routing
    // discovery failed"); bubble adds the path.
    name: 'chatgpt-codex',
    profiles: ['codex'],
    prefix: '/chatgpt-codex',
    defaultUpstream: 'https://chatgpt.com/backend-api/codex',
    keys: [],
    baseArgs: { codex: ['-c', 'openai_base_url="{base}"'] },
    hideUpstreamPath: true,
    routes: [
      { methods: ['POST'], path: /^\/responses(\/compact)?$/, credential: true },
      { methods: ['GET'], path: /^\/models$/, credential: true },
    ],
    queryKeys: [],
    placeholder: 'bubble-placeholder-the-chatgpt-token-stays-outside',
  },
];

export function modelApi(name: ApiName): ModelApi {
  const api = MODEL_APIS.find((a) => a.name === name);
  if (api === undefined) throw new Error(`no model API ${name}`);
  return api;
}

/** The route that allows `method path`, or undefined. `path` is below the base URL's path. */
export function matchRoute(api: ModelApi, method: string, path: string): Route | undefined {
  return api.routes.find((r) => r.methods.includes(method) && r.path.test(path));
}
