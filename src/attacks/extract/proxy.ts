import { hostOf, isAddress } from '../host.ts';
import type { Extracted, Extractor, ParsedLine } from '../types.ts';
import { event } from '../types.ts';
import { type AccessRequest, parseClf, requestEvent, requestTarget, web } from './web.ts';

/**
 * A forward proxy's access log: DeleGate's PROTOLOG (`8080.http`, Common Log Format plus timing fields) and
 * Squid's (its native format, or CLF with `logformat common`). Most of its requests name another site
 * (`GET http://www.example.net/cgi-bin/phf`): the proxy relayed them there, and the answer was that site's.
 * Such a request is no probe of this server, so the event carries the site (`target`) and the accounting
 * keeps it only when the site is this host (see `isSelfTarget`). A request for a plain path is one the proxy
 * answered itself and counts like a web server's. A 407 to a request that sent a user is a failed proxy login.
 */

/** Squid's native line: `TIME.MS ELAPSED CLIENT CODE/STATUS BYTES METHOD URL USER HIER/PEER TYPE`. */
const SQUID = /^(\d{9,11})\.\d{3} +-?\d+ (\S+) [A-Z_]+\/(\d{3}) \d+ (\S+) (\S+) (\S+) \S+/;

function parseSquid(line: ParsedLine): AccessRequest | null {
  const m = SQUID.exec(line.message);
  if (!m) return null;
  const host = hostOf(m[2]);
  if (!host) return null;
  return {
    host,
    user: m[6] === '-' ? undefined : m[6],
    request: `${m[4] as string} ${m[5] as string}`,
    status: Number(m[3]),
    time: Number(m[1]) * 1000,
    headers: [],
  };
}

/** `scheme://[userinfo@]host[:port]` and the rest of an absolute-form request target. */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/;

/** The host an authority names (`user@Host:8080` → `host`, `[::1]:80` → `::1`), lower-cased. */
function authorityHost(authority: string): string {
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']') >>> 0);
  const colon = hostPort.indexOf(':');
  return colon < 0 ? hostPort : hostPort.slice(0, colon);
}

function extract(line: ParsedLine): Extracted {
  const r = parseClf(line) ?? parseSquid(line);
  if (!r) return null;
  // The proxy asked for credentials and the client sent some: a failed login to the proxy, wherever to.
  if (r.status === 407 && r.user !== undefined)
    return event('bruteforce', 'failure', r.host, 'proxy', r.time, { user: r.user, status: 407 });
  // CONNECT opens a tunnel to HOST:PORT (mail relaying, TLS): not a web request of this server.
  if (/^CONNECT\s/i.test(r.request)) return null;
  const target = requestTarget(r.request);
  const abs = ABSOLUTE.exec(target);
  if (!abs) return requestEvent(r, target, 'proxy');
  const e = requestEvent(r, abs[2] || '/', 'proxy');
  if (e) e.target = authorityHost(abs[1] as string);
  return e;
}

/**
 * Whether a site a proxy request named is this host: a loopback name or address, or the host's own name
 * (`gauntlet` and `gauntlet.example.jp` are one host when either is written short).
 */
export function isSelfTarget(site: string, names: readonly string[]): boolean {
  const s = site.endsWith('.') ? site.slice(0, -1) : site;
  if (s === 'localhost' || s.endsWith('.localhost') || s === 'localhost.localdomain') return true;
  if (isAddress(s)) return /^127\./.test(s) || s === '::1' || /^::ffff:127\./.test(s);
  const short = s.split('.')[0];
  for (const raw of names) {
    const n = raw.toLowerCase();
    if (n === '' || isAddress(n)) continue;
    if (n === s) return true;
    if ((!n.includes('.') || !s.includes('.')) && n.split('.')[0] === short) return true;
  }
  return false;
}

/** Proxy access log extractor. */
export const proxy = {
  description:
    'Proxy access logs (DeleGate, Squid native or CLF): probes of this host, failed proxy logins; requests relayed to other sites are not probes of this server',
  programs: [],
  needles: [...web.needles, '" 407 ', '/407 '],
  extract,
} satisfies Extractor;
