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

function extract(line: ParsedLine): Extracted {
  const r = parseClf(line);
  return r ? requestEvent(r, requestTarget(r.request), 'web') : null;
}

/** Access log extractor. */
export const web = {
  description: 'Web access logs (CLF/combined, optional vhost): probes, passwd reads, shellshock, 401s',
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
  ],
  extract,
} satisfies Extractor;
