// The network modes (`--net`) and what each implies, in one table: every decision that
// depends on the mode asks this table instead of listing modes. A leaf: it imports nothing,
// so config, policy, net and the log can all use it.

export type NetMode = 'filtered' | 'logged' | 'host' | 'none';

export interface NetModeTraits {
  /** The sandbox's network: its own namespace (loopback only) or the host's. */
  network: 'own' | 'host';
  /**
   * How the sandbox reaches bubble's proxy: a Unix socket bound in and bridged to the
   * sandbox's loopback (the only way out), a host loopback port the proxy variables name
   * (bypassable), or no proxy at all (nothing logged, no rules).
   */
  proxy: 'socket' | 'port' | 'none';
  /** Stricter modes rank higher: an untrusted project file may only raise it. */
  strictness: number;
}

export const NET_MODE_TRAITS: Readonly<Record<NetMode, NetModeTraits>> = {
  filtered: { network: 'own', proxy: 'socket', strictness: 2 },
  logged: { network: 'host', proxy: 'port', strictness: 1 },
  host: { network: 'host', proxy: 'none', strictness: 0 },
  none: { network: 'own', proxy: 'none', strictness: 3 },
};

/** In the order help and errors list them. */
export const NET_MODES = Object.keys(NET_MODE_TRAITS) as readonly NetMode[];

/** Own network namespace; the proxy is the only way out. */
export const DEFAULT_NET_MODE: NetMode = 'filtered';

export function isNetMode(value: string): value is NetMode {
  return Object.hasOwn(NET_MODE_TRAITS, value);
}

/** The mode runs bubble's proxy: rules apply, connections are logged. */
export function proxied(mode: NetMode): boolean {
  return NET_MODE_TRAITS[mode].proxy !== 'none';
}
