import { hostOf } from '../host.ts';
import { passwdPath, probeName, SHELLSHOCK } from '../probes.ts';
import { type AttackEvent, event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * Web access logs in Common/Combined Log Format, with or without a leading virtual host (`vhost[:port]`),
 * from Apache, nginx, lighttpd and the like. The remote host is the first field (after the vhost); the
 * request, referer and user agent are quoted with `\"` escaped, so a request cannot forge the fields around
 * it. Counts probe paths (webprobe), password-file reads (passwd), shellshock in any quoted field, and 401
 * answers to a request that sent a user (a basic-auth failure, user from the CLF user field; a 401 with user
 * `-` is the challenge a browser gets before it sends credentials).
 */

const CLF =
  /^(?:(\S+) )?(\S+) \S+ (\S+) \[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) \S+(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?/;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

function timeOf(m: RegExpExecArray): number | null {
  const mo = MONTHS.indexOf(m[5] as string) / 3;
  if (!Number.isInteger(mo) || mo < 0) return null;
  const tz = m[10] as string;
  const iso = `${m[6]}-${String(mo + 1).padStart(2, '0')}-${m[4]}T${m[7]}:${m[8]}:${m[9]}${tz.slice(0, 3)}:${tz.slice(3)}`;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** One request of an access log: who asked what, and the answer. Text fields are untrusted. */
export interface AccessRequest {
  host: string;
  /** The authenticated user, when the log has one (not `-`). */
  user: string | undefined;
  /** The request line as logged (`GET /x HTTP/1.0`). */
  request: string;
  status: number;
  time: number | null;
  /** Quoted fields that may carry a shellshock header (referer, user agent). */
  headers: readonly string[];
}

/** A Common/Combined Log Format line (optional leading vhost) to its request, or null. */
export function parseClf(line: ParsedLine): AccessRequest | null {
  const m = CLF.exec(line.message);
  if (!m) return null;
  const host = hostOf(m[2]);
  if (!host) return null;
  return {
    host,
    user: m[3] === '-' ? undefined : m[3],
    request: m[11] as string,
    status: Number(m[12]),
    time: timeOf(m) ?? line.time,
    headers: [m[13] ?? '', m[14] ?? ''],
  };
}

/** The target after the method and any run of spaces (nginx serves `GET  /.env` and logs it as sent). */
export function requestTarget(request: string): string {
  return /^\S+\s+(\S+)/.exec(request)?.[1] ?? request;
}

/**
 * What a request for `path` counts as, for `service`: shellshock anywhere, a password-file read, a probe
 * path, or a 401 answer to a request that sent a user (a failed basic-auth login); else null.
 */
export function requestEvent(r: AccessRequest, path: string, service: string): AttackEvent | null {
  const { host, status, user, time } = r;
  const answered = status >= 200 && status < 300;
  if (SHELLSHOCK.test(r.request) || r.headers.some((h) => SHELLSHOCK.test(h))) {
    return event('webprobe', 'probe', host, service, time, { path: '() {', status, user, answered });
  }
  if (passwdPath(path))
    return event('passwd', 'probe', host, service, time, { path, status, user, answered });
  if (probeName(path, status))
    return event('webprobe', 'probe', host, service, time, { path, status, user, answered });
  // A 401 without a user is the challenge every browser gets before it sends credentials: not a guess.
  if (status === 401 && user !== undefined)
    return event('bruteforce', 'failure', host, service, time, { user, path, status });
  return null;
}

/** An absolute-form request target (`http://azenv.net/`): a proxy request, whatever the scheme. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * A proxy request sent to a web server (`CONNECT host:443`, `GET http://azenv.net/`): scanners looking for
 * open proxies. A CONNECT answered 2xx without a user means the server opened the tunnel (Apache's
 * mod_proxy_connect open to all): a relay, which the accounting keeps for a client that is not local. Else it
 * is a web probe ("proxy probe") that is never "answered": nginx's default server answers any absolute URI
 * with its own page and 200, so the status says nothing about a relay.
 */
function proxyRequest(r: AccessRequest, target: string): AttackEvent | null {
  if (/^CONNECT\s/i.test(r.request) && r.status >= 200 && r.status < 300) {
    if (r.user !== undefined) return null; // an authenticated tunnel: the admin's design
    const e = event('openproxy', 'relay', r.host, 'web', r.time, { status: r.status });
    e.relayed = true;
    return e;
  }
  return event('webprobe', 'probe', r.host, 'web', r.time, {
    path: target,
    status: r.status,
    user: r.user,
    answered: false,
  });
}

function extract(line: ParsedLine): Extracted {
  const r = parseClf(line);
  if (!r) return null;
  const target = requestTarget(r.request);
  if (ABSOLUTE_FORM.test(target) || /^CONNECT\s/i.test(r.request)) return proxyRequest(r, target);
  return requestEvent(r, target, 'web');
}

/** Access log extractor. */
export const web = {
  description:
    'Web access logs (CLF/combined, optional vhost): probes, passwd reads, shellshock, 401s, proxy requests (CONNECT answered 2xx: open proxy)',
  programs: [],
  needles: [
    '/phf',
    '/php',
    'test-cgi',
    'cgi-bin',
    'wp-',
    'xmlrpc',
    '.env',
    '/.',
    'passwd',
    'shadow',
    '()',
    '..',
    '%2',
    '%5',
    '" 401 ',
    'pma',
    'admin',
    'HNAP',
    'boaform',
    'actuator',
    'solr',
    'console',
    'manager',
    'setup',
    'shell',
    'bin/',
    'cmd',
    'c99',
    'r57',
    'Gpon',
    // Proxy requests: an absolute URI after the method, or CONNECT (matched without case, as every web needle).
    ' http://',
    ' https://',
    '"CONNECT ',
  ],
  extract,
} satisfies Extractor;

/**
 * The protected area a 401 answered for: the request's directory (`/private/x.html` → `/private/`), or the
 * path itself when its last segment names no file (`/private`, a directory asked without its slash).
 */
function areaOf(target: string): string {
  const q = target.search(/[?#]/);
  const p = q < 0 ? target : target.slice(0, q);
  const slash = p.lastIndexOf('/');
  if (slash < 0) return '/';
  return p.includes('.', slash) ? p.slice(0, slash + 1) : p;
}

/** Longest area kept: a longer path (attacker-chosen) is cut back to a directory within it. */
const MAX_AREA = 200;
/** Areas kept per source, sources noted per run, and sources looked for (needles) or kept in the state. */
const MAX_AREAS = 20;
const MAX_NOTED = 10_000;
/** Sources looked for in a second read, and kept for later runs: the ones with the most failures. */
const MAX_LOOKED_FOR = 1000;

/** An area no longer than MAX_AREA: cut back to the last `/` within it (a broader area, never a longer one). */
function boundedArea(area: string): string {
  if (area.length <= MAX_AREA) return area;
  const cut = area.slice(0, MAX_AREA);
  return cut.slice(0, cut.lastIndexOf('/') + 1) || '/';
}

/**
 * Basic-auth logins in an access log after failed ones. A success has no keyword (every authenticated request
 * would pass the prefilter: ~9x the reading time of a busy log), so the accounting reads the web logs again
 * for the sources that failed basic auth (`note`), with their addresses as needles (`hosts`). A login is a
 * 2xx or 304 answer with a user, from such a source, inside an area a 401 answered for: nginx logs the
 * Authorization header's user on any page, so a user sent to a public page is no login. Everything here is
 * bounded (areas cut and counted, sources counted): the paths and the addresses (an IPv6 /64 has plenty) are
 * the attacker's to choose, and the areas go into the saved state.
 */
export class BasicAuthLogins {
  private readonly noted = new Map<string, Noted>();

  /** `saved`: the areas of sources an earlier run kept (see `kept`), whose login may come in this run. */
  constructor(saved: Readonly<Record<string, readonly string[]>> = {}) {
    for (const [host, areas] of Object.entries(saved).slice(0, MAX_LOOKED_FOR))
      this.noted.set(host, {
        failures: 0,
        areas: new Set(areas.slice(0, MAX_AREAS).map(boundedArea)),
        loggedIn: false,
      });
  }

  /** The sources with the most failures first, at most MAX_LOOKED_FOR of them. */
  private top(): [string, Noted][] {
    return [...this.noted].sort((a, b) => b[1].failures - a[1].failures).slice(0, MAX_LOOKED_FOR);
  }

  /**
   * The areas of the sources `keep` says (those the detectors carry on): the next run's `saved`. A source
   * that logged in is said once and no longer looked for: every request of a basic-auth session logs its
   * user, so someone who mistyped their password five times was CRITICAL on every run for as long as the
   * state kept them.
   */
  kept(keep: (host: string) => boolean): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [host, n] of this.top()) if (!n.loggedIn && keep(host)) out[host] = [...n.areas];
    return out;
  }

  /** Takes note of an access log's 401 that carried a user (a failed basic-auth login). */
  note(e: AttackEvent): void {
    if (e.detector !== 'bruteforce' || e.kind !== 'failure' || e.status !== 401 || e.path === undefined)
      return;
    let n = this.noted.get(e.host);
    if (n === undefined) {
      if (this.noted.size >= MAX_NOTED) return;
      this.noted.set(e.host, (n = { failures: 0, areas: new Set(), loggedIn: false }));
    }
    n.failures++;
    if (n.areas.size < MAX_AREAS) n.areas.add(boundedArea(areaOf(e.path)));
  }

  /** The sources that failed basic auth, to look for their later requests (the most failures first, bounded). */
  hosts(): string[] {
    return this.top().map(([host]) => host);
  }

  /** A CLF line (its whole text) as a basic-auth login of a noted source, or null. */
  login(text: string): AttackEvent | null {
    const r = parseClf({ program: '', pid: null, message: text, text, time: null });
    if (r === null || r.user === undefined || (!(r.status >= 200 && r.status < 300) && r.status !== 304))
      return null;
    const n = this.noted.get(r.host);
    if (n === undefined) return null;
    const target = requestTarget(r.request);
    for (const area of n.areas)
      if (target.startsWith(area)) {
        n.loggedIn = true;
        return event('bruteforce', 'success', r.host, 'web', r.time, {
          user: r.user,
          path: target,
          status: r.status,
        });
      }
    return null;
  }
}

/** What BasicAuthLogins knows of one source. */
interface Noted {
  failures: number;
  areas: Set<string>;
  /** A login of it was read in this run. */
  loggedIn: boolean;
}
