// Model APIs served on this machine (a local model server, a gateway): when an agent's API
// base URL names the host's loopback, the sandbox can only reach it through a published
// port. Pure: the caller supplies the environment and the agent settings' `env` tables.

/** The variables agents read their API base URL from. */
const API_URL_VARIABLES = [
  'ANTHROPIC_BASE_URL',
  'OPENAI_BASE_URL',
  'GOOGLE_GEMINI_BASE_URL',
] as const;

export interface LoopbackApi {
  variable: string;
  url: string;
  port: number;
  /** Where the URL was set: `environment` or a settings file's path. */
  source: string;
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
  );
}

/** The loopback port a base URL names, or undefined (not a URL, not loopback). */
export function loopbackPort(url: string): number | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (!isLoopbackHost(u.hostname)) return undefined;
  return u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/**
 * Every API base URL that points at the host's loopback, first source winning per variable
 * (the environment, then settings files in the order given, as agents apply them).
 */
export function loopbackApis(
  sources: ReadonlyArray<{ source: string; env: Record<string, unknown> }>,
): LoopbackApi[] {
  const out: LoopbackApi[] = [];
  for (const variable of API_URL_VARIABLES) {
    for (const { source, env } of sources) {
      const url = env[variable];
      if (typeof url !== 'string' || url === '') continue;
      const port = loopbackPort(url);
      if (port !== undefined) out.push({ variable, url, port, source });
      break;
    }
  }
  return out;
}
