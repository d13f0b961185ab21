import { hostOf } from '../host.ts';
import { passwdPath, probeName, SHELLSHOCK } from '../probes.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

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

function extract(line: ParsedLine): Extracted {
  const m = CLF.exec(line.message);
  if (!m) return null;
  const host = hostOf(m[2]);
  if (!host) return null;
  const request = m[11] as string;
  const status = Number(m[12]);
  const user = m[3] === '-' ? undefined : m[3];
  const time = timeOf(m) ?? line.time;
  // The target after the method and any run of spaces (nginx serves `GET  /.env` and logs it as sent).
  const path = /^\S+\s+(\S+)/.exec(request)?.[1] ?? request;
  const answered = status >= 200 && status < 300;
  if (SHELLSHOCK.test(request) || SHELLSHOCK.test(m[13] ?? '') || SHELLSHOCK.test(m[14] ?? '')) {
    return event('webprobe', 'probe', host, 'web', time, { path: '() {', status, user, answered });
  }
  if (passwdPath(path)) return event('passwd', 'probe', host, 'web', time, { path, status, user, answered });
  if (probeName(path, status))
    return event('webprobe', 'probe', host, 'web', time, { path, status, user, answered });
  // A 401 without a user is the challenge every browser gets before it sends credentials: not a guess.
  if (status === 401 && user !== undefined)
    return event('bruteforce', 'failure', host, 'web', time, { user, path, status });
  return null;
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
