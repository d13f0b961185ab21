import { hostOf, isAddress } from '../host.ts';
import type { AttackEvent, Extracted, Extractor, ParsedLine } from '../types.ts';
import { event } from '../types.ts';
import { type AccessRequest, parseClf, requestEvent, requestTarget, web } from './web.ts';

/**
 * A forward proxy's access log: DeleGate's PROTOLOG (`8080.http`, Common Log Format plus timing fields) and
 * Squid's (its native format, or CLF with `logformat common`). Most of its requests name another site
 * (`GET http://www.example.net/cgi-bin/phf`): the proxy relayed them there, and the answer was that site's.
 * Such a request is no probe of this server, so the event carries the site (`target`) and the accounting
 * keeps it only when the site is this host (see `isSelfTarget`). A request for a plain path is one the proxy
 * answered itself and counts like a web server's. A 407 to a request that sent a user is a failed proxy login.
 * A request it relayed (2xx/3xx, a Squid code of a fetch, not `TCP_DENIED`, no proxy user) to another site, or
 * a CONNECT tunnel it opened, is marked `relayed`: for a client that is not local, the accounting makes it an
 * `openproxy` relay (an open proxy is found and abused within hours, and the server's address blocklisted).
 */

/** Squid's native line: `TIME.MS ELAPSED CLIENT CODE/STATUS BYTES METHOD URL USER HIER/PEER TYPE`. */
const SQUID = /^(\d{9,11})\.\d{3} +-?\d+ (\S+) ([A-Z_]+)\/(\d{3}) \d+ (\S+) (\S+) (\S+) [A-Z_]+\/(\S+)/;

/** A proxy request, and (Squid) the server it fetched the answer from and its result code (`TCP_MISS`). */
type ProxyRequest = AccessRequest & { peer?: string; code?: string };

function parseSquid(line: ParsedLine): ProxyRequest | null {
  const m = SQUID.exec(line.message);
  if (!m) return null;
  const host = hostOf(m[2]);
  if (!host) return null;
  const peer = m[8] as string;
  return {
    host,
    user: m[7] === '-' ? undefined : m[7],
    request: `${m[5] as string} ${m[6] as string}`,
    status: Number(m[4]),
    time: Number(m[1]) * 1000,
    headers: [],
    code: m[3] as string,
    ...(peer !== '-' ? { peer: peer.toLowerCase() } : {}),
  };
}

/** `scheme://[userinfo@]host[:port]` and the rest of an absolute-form request target. */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/;

/**
 * The host an authority names (`user@Host:8080` → `host`, `[::1]:80` → `::1`), lower-cased and, for address
 * literals, in the WHATWG URL parser's form: `[0:0:0:0:0:0:0:1]` is `::1` and `2130706433` is `127.0.0.1`,
 * as the proxy itself would have read them (else such spellings hid a probe of localhost).
 */
function authorityHost(authority: string): string {
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  try {
    const h = new URL(`http://${hostPort}/`).hostname;
    return h.startsWith('[') ? h.slice(1, -1) : h;
  } catch {
    if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']') >>> 0);
    const colon = hostPort.indexOf(':');
    return colon < 0 ? hostPort : hostPort.slice(0, colon);
  }
}

/**
 * Whether the proxy relayed the request for an anonymous client: answered 2xx/3xx, by Squid with a code of a
 * fetch or tunnel (`TCP_MISS`, `TCP_HIT`, `TCP_TUNNEL`...; not `TCP_DENIED*`, nor `TCP_REDIRECT`, its own
 * redirector's answer, nor `NONE`/`TAG_NONE`, a request it never forwarded), and without a proxy user: an
 * authenticated user is the admin's design.
 */
function isRelayed(r: ProxyRequest): boolean {
  if (r.user !== undefined || r.status < 200 || r.status >= 400) return false;
  const code = r.code;
  return code === undefined || (/^(?:TCP|UDP)_/.test(code) && !/DENIED|REDIRECT/.test(code));
}

/** A relay for the client (the accounting keeps it only for a client that is not local). */
function relayEvent(r: ProxyRequest): AttackEvent {
  const e = event('openproxy', 'relay', r.host, 'proxy', r.time, { status: r.status });
  e.relayed = true;
  return e;
}

function extract(line: ParsedLine): Extracted {
  const r: ProxyRequest | null = parseClf(line) ?? parseSquid(line);
  if (!r) return null;
  // The proxy asked for credentials and the client sent some: a failed login to the proxy, wherever to.
  if (r.status === 407 && r.user !== undefined)
    return event('bruteforce', 'failure', r.host, 'proxy', r.time, { user: r.user, status: 407 });
  const relayed = isRelayed(r);
  // CONNECT opens a tunnel to HOST:PORT (mail relaying, TLS): not a web request of this server, but a tunnel
  // opened for an outsider, to any host (this one's own port 25 too: the spam relay open proxies are known for).
  if (/^CONNECT\s/i.test(r.request)) return relayed ? relayEvent(r) : null;
  const target = requestTarget(r.request);
  const abs = ABSOLUTE.exec(target);
  if (!abs) return requestEvent(r, target, 'proxy');
  const e = requestEvent(r, abs[2] || '/', 'proxy') ?? (relayed ? relayEvent(r) : null);
  if (e) {
    e.target = authorityHost(abs[1] as string);
    // Squid fetched it from this host (a reverse proxy in front of it, or a name that resolves to 127.0.0.1).
    if (r.peer !== undefined) e.targetPeer = r.peer;
    if (relayed) e.relayed = true;
  }
  return e;
}

/**
 * Whether a site a proxy request named is this host: a loopback name or address, or the host's own name. A
 * site written short (`http://gauntlet/`) is this host when its name is the host's first label; a dotted one
 * only when it is the host's full name: a proxy called `mail` relays its users' `mail.example.net`.
 */
export function isSelfTarget(site: string, names: readonly string[]): boolean {
  const s = site.endsWith('.') ? site.slice(0, -1) : site;
  if (s === 'localhost' || s.endsWith('.localhost') || s === 'localhost.localdomain') return true;
  if (isAddress(s)) return isLoopbackAddress(s) || names.some((n) => n.toLowerCase() === s);
  for (const raw of names) {
    const n = raw.toLowerCase();
    if (n === '' || isAddress(n)) continue;
    if (n === s) return true;
    if (!s.includes('.') && n.split('.')[0] === s) return true;
  }
  return false;
}

/** 127/8, ::1, and IPv4-mapped loopback in either spelling (`::ffff:127.0.0.1`, `::ffff:7f00:1`). */
function isLoopbackAddress(a: string): boolean {
  if (/^127\./.test(a) || a === '::1' || /^::ffff:127\./.test(a)) return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(a);
  return mapped !== null && Number.parseInt(mapped[1] as string, 16) >> 8 === 127;
}

/** Proxy access log extractor. */
export const proxy = {
  description:
    'Proxy access logs (DeleGate, Squid native or CLF): probes of this host, failed proxy logins, requests relayed for outside clients (open proxy)',
  programs: [],
  // Every relayed request names a site (` http://`, ` https://` after the method) or is a CONNECT.
  needles: [...web.needles, '" 407 ', '/407 ', ' http://', ' https://', 'CONNECT '],
  extract,
} satisfies Extractor;
