import { sourceKey } from './host.ts';

/**
 * This host's own addresses, from the kernel's tables in /proc: `/proc/net/fib_trie` (IPv4: the `/32 host
 * LOCAL` leaves are this host's addresses) and `/proc/net/if_inet6` (IPv6: each address). A proxy's client on
 * one is the host itself: Debian's /etc/hosts names the host `127.0.1.1`, so `apt` with
 * `http_proxy=http://<public address>:3128` on the box itself was an open-proxy CRITICAL. The networks the host
 * is directly connected to are not taken: on a rented server its "LAN" (a provider's 159.89.0.0/20, a shared
 * IPv6 /64) is other customers, strangers to the proxy; a private LAN is local anyway (LocalClients), and a
 * public one whose clients are the proxy's users goes in `checks.attacks.openproxy.allow`. Pure: the caller
 * reads the files (under `--root`).
 */

/** The kernel's tables as read (absent: that table is unknown). */
export interface ProcNet {
  fibTrie?: string;
  ifInet6?: string;
}

/** This host's IPv4 addresses: the `/32 host LOCAL` leaves of `/proc/net/fib_trie` (loopback left out). */
export function localV4(fibTrie: string): string[] {
  const out = new Set<string>();
  let leaf: string | null = null;
  for (const line of fibTrie.split('\n')) {
    const l = /^[\s|+-]*\|-- (\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line);
    if (l) {
      leaf = l[1] as string;
      continue;
    }
    if (/^\s*\+--/.test(line)) leaf = null;
    else if (leaf !== null && /^\s*\/32 host LOCAL\s*$/.test(line) && !leaf.startsWith('127.')) out.add(leaf);
  }
  return [...out];
}

/**
 * The IPv6 addresses (every scope but the host's own loopback) as `/128` CIDRs, from `/proc/net/if_inet6`'s text
 * (`ADDRESS IFINDEX PREFIXLEN SCOPE FLAGS NAME`, hex fields). The prefix length (the on-link network) is not used.
 */
export function localV6(text: string): string[] {
  const addresses: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const [hex, plen, scope] = [f[0], f[2], f[3]];
    if (hex === undefined || plen === undefined || scope === undefined) continue;
    if (
      !/^[0-9a-fA-F]{32}$/.test(hex) ||
      !/^[0-9a-fA-F]{1,2}$/.test(plen) ||
      !/^[0-9a-fA-F]{1,2}$/.test(scope)
    )
      continue;
    const groups = hex.toLowerCase().match(/.{4}/g) as string[];
    const address = sourceKey(groups.join(':'));
    if (address === '::1') continue;
    addresses.push(`${address}/128`);
  }
  return addresses;
}

/** This host's own addresses (`/32`, `/128` CIDRs) from whichever of the two tables were read. */
export function hostAddressesOf(proc: ProcNet): string[] {
  return [
    ...(proc.fibTrie !== undefined ? localV4(proc.fibTrie).map((a) => `${a}/32`) : []),
    ...(proc.ifInet6 !== undefined ? localV6(proc.ifInet6) : []),
  ];
}
