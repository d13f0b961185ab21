/**
 * Remote host tokens taken from log lines. Extraction is anchored to each message's fixed structure; this
 * module only checks that the token found there looks like an address or a DNS name, and normalises it the
 * way reports show it: exactly as logged, minus an IPv4-mapped `::ffff:` prefix and an `IPv6:` tag.
 * Names are never resolved: the attacker controls reverse DNS, and a lookup tells them someone looked.
 */

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::\d{1,3}(?:\.\d{1,3}){3})?(?:%[\w.-]+)?$/;
const NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;

/** The host as reports show it (`::ffff:1.2.3.4` → `1.2.3.4`, `IPv6:2001:db8::1` → `2001:db8::1`). */
export function normHost(token: string): string {
  let t = token;
  if (t.startsWith('IPv6:')) t = t.slice(5);
  if (
    t.length > 7 &&
    t.charCodeAt(0) === 58 &&
    t.slice(0, 7).toLowerCase() === '::ffff:' &&
    IPV4.test(t.slice(7))
  )
    t = t.slice(7);
  return t;
}

/** Whether a (normalised) token is an IPv4/IPv6 address or a syntactically valid host name. */
export function isHost(token: string): boolean {
  if (token.length === 0 || token.length > 253) return false;
  if (IPV4.test(token)) return true;
  if (token.includes(':')) return IPV6.test(token);
  return NAME.test(token) && !/^\d+$/.test(token);
}

/** Whether a token is an IP address (v4 or v6), not a name. */
export function isAddress(token: string): boolean {
  return IPV4.test(token) || (token.includes(':') && IPV6.test(token));
}

/** Normalises a token and returns it if it is a host, else null. */
export function hostOf(token: string | undefined): string | null {
  if (token === undefined) return null;
  const h = normHost(token);
  return isHost(h) ? h : null;
}

const sourceKeys = new Map<string, string>();

/**
 * The key the detectors group a source under: an IPv6 address in its RFC 5952 text, anything else as
 * logged. The kernel's LOG lines print IPv6 in full (`SRC=2001:0db8:0000:...:0149`) where sshd and postfix
 * print `2001:db8::149`: one attacker was two sources. Forms with an IPv4 tail or a zone stay as logged.
 * Serialised by the WHATWG URL parser (Node's own), the well-kept implementation of that text form.
 */
export function sourceKey(host: string): string {
  if (!host.includes(':') || host.includes('.') || host.includes('%')) return host;
  let key = sourceKeys.get(host);
  if (key === undefined) {
    try {
      key = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    } catch {
      key = host;
    }
    if (sourceKeys.size >= 10_000) sourceKeys.clear();
    sourceKeys.set(host, key);
  }
  return key;
}

/**
 * The names and addresses this host goes by, from its name and /etc/hosts text: every name and the address
 * of each hosts line that names it (Debian's `127.0.1.1 gauntlet.ash.or.jp gauntlet`, RHEL's line for its
 * own address). A proxy's request for any of them is a request for this host. Pure: the caller reads the file.
 */
export function selfNamesOf(name: string, hostsText: string): string[] {
  const self = new Set([name.toLowerCase()]);
  const short = name.toLowerCase().split('.')[0];
  for (const raw of hostsText.split('\n')) {
    const [addr, ...names] = (raw.split('#')[0] ?? '').trim().toLowerCase().split(/\s+/);
    if (addr === undefined || names.length === 0) continue;
    if (!names.some((n) => n === name.toLowerCase() || n.split('.')[0] === short)) continue;
    for (const n of names) self.add(n);
    // 127.0.1.1 (Debian) is loopback anyway; a real address is the host's own.
    self.add(addr);
  }
  return [...self];
}
