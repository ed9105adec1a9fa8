// This host's own addresses: every address of every interface, read again at
// each decision so that an interface that appears during the session (a new
// docker bridge, a VPN) counts. os.networkInterfaces() costs about 70 µs, far
// below one DNS lookup, so nothing is cached.
import { networkInterfaces } from 'node:os';
import { canonicalIP } from './addresses.ts';

export function readHostAddresses(): ReadonlySet<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) out.add(canonicalIP(info.address.replace(/%.*$/, '')));
  }
  return out;
}
