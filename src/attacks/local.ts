import { BlockList, isIP } from 'node:net';
import { normHost } from './host.ts';

/**
 * Which proxy clients are the proxy's own users: loopback, the private and link-local ranges, this host's own
 * addresses, and the admin's list (`checks.attacks.openproxy.allow`). A relay for anyone else is an open proxy.
 * Only the client's address as the proxy logged it in its fixed field is judged; names are never resolved.
 */

/** The ranges a proxy's own users come from on any network: loopback, RFC 1918, CGNAT, link-local, ULA. */
const LOCAL_RANGES: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['127.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
];

const LOCAL_LIST = new BlockList();
for (const [a, p, f] of LOCAL_RANGES) LOCAL_LIST.addSubnet(a, p, f);

/** An address as logged, ready for a BlockList: without a zone (`fe80::1%eth0`), with its family; null for a name. */
function addressOf(h: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  const at = h.indexOf('%');
  const address = at < 0 ? h : h.slice(0, at);
  const v = isIP(address);
  return v === 0 ? null : { address, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether a host as logged is an address in `list` (a name never is). */
function inList(list: BlockList, h: string): boolean {
  const a = addressOf(h);
  return a !== null && list.check(a.address, a.family);
}

/** Whether an address as logged is in LOCAL_RANGES (loopback, private, CGNAT, link-local, ULA); a name is not. */
export function isLocalAddress(host: string): boolean {
  const h = normHost(host).toLowerCase();
  return h === 'localhost' || inList(LOCAL_LIST, h);
}

/** `ADDR` or `ADDR/PREFIX` split and checked: the family and prefix, or null when it is neither. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const v = isIP(address);
  if (v === 0) return null;
  const max = v === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** The zod message of an `allow` entry that is no address or CIDR. */
export const CIDR_MESSAGE = 'an IP address or CIDR, like 203.0.113.7 or 198.51.100.0/24 or 2001:db8::/32';

/**
 * Judges proxy clients: `isLocal(host)` for loopback, private ranges, this host's own addresses and the allow
 * list. It never judges the servers a proxy fetched from: a relay to a private or LAN server is an outsider
 * reaching this network through the proxy, worse than one to another site (see Accountant.relay).
 */
export class LocalClients {
  private readonly list = new BlockList();
  private readonly own: Set<string>;

  /**
   * `self`: this host's names and addresses (selfNames); `allow`: addresses or CIDRs (validated by the config);
   * `addresses`: this host's own addresses as `/32` and `/128` CIDRs (hostAddresses, from /proc). Networks the
   * host is merely connected to are not taken: on a rented server they are the provider's other customers.
   */
  constructor(self: readonly string[], allow: readonly string[] = [], addresses: readonly string[] = []) {
    for (const [a, p, f] of LOCAL_RANGES) this.list.addSubnet(a, p, f);
    for (const entry of [...allow, ...addresses]) {
      const c = parseCidr(entry);
      if (c) this.list.addSubnet(c.address, c.prefix, c.family);
    }
    this.own = new Set(self.map((s) => s.toLowerCase()));
  }

  /** Whether a client as logged is local (a name is local only when it is one of this host's). */
  isLocal(host: string): boolean {
    const h = normHost(host).toLowerCase();
    return this.own.has(h) || h === 'localhost' || inList(this.list, h);
  }
}

/**
 * The sources `checks.attacks.ignore` names: exact sources as logged (a name, an address in any of its IPv6
 * forms) and, for an entry with a `/`, every address in that CIDR (a monitoring subnet, a NAT pool). Before, a
 * CIDR was taken as a literal source and matched nothing, silently.
 */
export class IgnoredSources {
  private readonly exact: Set<string>;
  private readonly ranges = new BlockList();
  private readonly hasRanges: boolean;

  /** `entries`: the config's list (a `/` entry is a CIDR, checked at load). */
  constructor(
    entries: readonly string[],
    private readonly key: (host: string) => string,
  ) {
    this.exact = new Set<string>();
    let ranges = false;
    for (const entry of entries) {
      const c = entry.includes('/') ? parseCidr(entry) : null;
      if (c) {
        this.ranges.addSubnet(c.address, c.prefix, c.family);
        ranges = true;
      } else {
        this.exact.add(entry);
        this.exact.add(key(entry));
      }
    }
    this.hasRanges = ranges;
  }

  /** Whether a source as logged (or its key) is ignored. */
  has(host: string): boolean {
    if (this.exact.has(host) || this.exact.has(this.key(host))) return true;
    return this.hasRanges && inList(this.ranges, normHost(host).toLowerCase());
  }
}
