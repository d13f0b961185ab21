import { sourceKey } from './host.ts';

/**
 * This host's own addresses and the networks it is directly connected to, from the kernel's tables in /proc:
 * `/proc/net/route` (IPv4 routes of the main table: one with no gateway is a directly connected network),
 * `/proc/net/fib_trie` (IPv4: the `/32 host LOCAL` leaves are this host's addresses) and `/proc/net/if_inet6`
 * (IPv6: each address with its prefix length and scope; a global one's prefix is the LAN's). A proxy's client
 * on one of them is the host itself or its LAN, not an outsider: Debian's /etc/hosts names the host
 * `127.0.1.1`, so `apt` with `http_proxy=http://<public address>:3128` on the box itself, or a neighbour on
 * its public /24, was an open-proxy CRITICAL. Pure: the caller reads the files (under `--root`).
 */

/** The kernel's tables as read (absent: that table is unknown). */
export interface ProcNet {
  route?: string;
  fibTrie?: string;
  ifInet6?: string;
}

/** This host's addresses and on-link networks, as CIDRs (`192.0.2.2/32`, `192.0.2.0/24`, `2001:db8:1::/64`). */
export interface HostNetworks {
  /** This host's own addresses (`/32`, `/128`). */
  addresses: string[];
  /** The networks it is directly connected to. */
  networks: string[];
}

/**
 * Networks wider than these are not taken as a LAN: a device route such as `0.0.0.0/1 dev tun0` or
 * `default dev ppp0` (no gateway) is the Internet, not a neighbourhood.
 */
const MIN_PREFIX_V4 = 8;
const MIN_PREFIX_V6 = 32;

/** An IPv4 address from 8 hex digits in /proc's host byte order (`little`: as x86 and ARM print them). */
function v4(hex: string, little: boolean): number[] {
  const n = Number.parseInt(hex, 16) >>> 0;
  const bytes = [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return little ? bytes.reverse() : bytes;
}

/** The prefix length of a netmask's bytes, or -1 when its ones are not contiguous from the top. */
function prefixOf(mask: number[]): number {
  let bits = 0;
  let ended = false;
  for (const b of mask)
    for (let i = 7; i >= 0; i--) {
      const one = ((b >>> i) & 1) === 1;
      if (one && ended) return -1;
      if (one) bits++;
      else ended = true;
    }
  return bits;
}

/** The directly connected IPv4 networks of `/proc/net/route`'s text (rows that are up and have no gateway). */
export function onLinkV4(route: string): string[] {
  const out: string[] = [];
  for (const line of route.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const [dest, gateway, flags, mask] = [f[1], f[2], f[3], f[7]];
    if (dest === undefined || gateway === undefined || flags === undefined || mask === undefined) continue;
    if (![dest, gateway, flags, mask].every((x) => /^[0-9A-Fa-f]{1,8}$/.test(x))) continue;
    // RTF_UP and no RTF_GATEWAY (0x2): a network on the interface's own link.
    const fl = Number.parseInt(flags, 16);
    if ((fl & 1) === 0 || (fl & 2) !== 0 || Number.parseInt(gateway, 16) !== 0) continue;
    // /proc prints the raw network-order word in host order: little-endian on nearly every host; a mask that
    // is no prefix read that way is a big-endian host's.
    let little = true;
    let prefix = prefixOf(v4(mask, true));
    if (prefix < 0) {
      little = false;
      prefix = prefixOf(v4(mask, false));
    }
    if (prefix < MIN_PREFIX_V4) continue;
    const m = v4(mask, little);
    const net = v4(dest, little).map((b, i) => b & (m[i] as number));
    out.push(`${net.join('.')}/${prefix}`);
  }
  return out;
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
 * The IPv6 addresses (every scope but the host's own loopback) and the prefixes of the global ones, from
 * `/proc/net/if_inet6`'s text (`ADDRESS IFINDEX PREFIXLEN SCOPE FLAGS NAME`, hex fields).
 */
export function fromIfInet6(text: string): HostNetworks {
  const addresses: string[] = [];
  const networks: string[] = [];
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
    const prefix = Number.parseInt(plen, 16);
    // Scope 0 is global (0x20 link, 0x10 host, 0x40 site); only a global prefix is a LAN to add.
    if (Number.parseInt(scope, 16) !== 0 || prefix < MIN_PREFIX_V6 || prefix > 128) continue;
    const bits = groups.map((g) => Number.parseInt(g, 16));
    const net = bits.map((g, i) => {
      const keep = Math.max(0, Math.min(16, prefix - i * 16));
      return keep === 0 ? 0 : g & ((0xffff << (16 - keep)) & 0xffff);
    });
    networks.push(`${sourceKey(net.map((g) => g.toString(16)).join(':'))}/${prefix}`);
  }
  return { addresses, networks };
}

/** This host's addresses and on-link networks from whichever of the three tables were read. */
export function hostNetworksOf(proc: ProcNet): HostNetworks {
  const v6 = proc.ifInet6 !== undefined ? fromIfInet6(proc.ifInet6) : { addresses: [], networks: [] };
  return {
    addresses: [
      ...(proc.fibTrie !== undefined ? localV4(proc.fibTrie).map((a) => `${a}/32`) : []),
      ...v6.addresses,
    ],
    networks: [...(proc.route !== undefined ? onLinkV4(proc.route) : []), ...v6.networks],
  };
}
