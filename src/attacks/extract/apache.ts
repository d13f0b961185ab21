import { hostOf } from '../host.ts';
import { fsProbeName, passwdPath, probeName, SHELLSHOCK } from '../probes.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { linear } from './linear.ts';

/**
 * Apache httpd error log (own file or `ErrorLog syslog`): basic/digest authentication failures, SNI
 * mismatches, probe paths denied by configuration, shellshock function imports, missing scripts on probe paths,
 * password-file traversal. The client is the `[client ADDR[:PORT]]` field that opens every request-bound
 * message; everything after it (user names, paths) is client data and never searched for an address.
 */

const SERVICE = 'apache';
const HEAD =
  /^(?:\[[^\]]*\d{4}\] )?\[(?:(\w*):)?(\w+)\](?: \[pid [^\]]*\])? \[(?:client|remote) (\[[0-9A-Fa-f:.]+\](?::\d+)?|[0-9A-Fa-f:.]+)\] (?:AH\d{5}: )?(.*)$/;
/** In order: mod_auth_digest's `user `NAME' in realm `R' not found` before the generic `user NAME not found`. */
const AUTH_FAILURES: readonly { exec(s: string): RegExpExecArray | null }[] = [
  startingWith(['user `', 'Digest: user `'], linear(/^(?:Digest: )?user `(.*)' in realm `.*' not found: /)),
  /^user (.*?) not found(?:: .*)?$/,
  /^user (.*?): authentication failure for "/,
  /^user (.*?): authorization failure for "/,
  startingWith(
    ['Authorization of user '],
    linear(/^Authorization of user (.*?) to access .* failed, reason: /),
  ),
  /^(?:Digest: )?user (.*?): password mismatch: /,
  /^client used wrong authentication scheme: /,
  /^(?:Digest: )?invalid qop `/,
  /^(?:Digest: )?realm mismatch - got `/,
  /^(?:Digest: )?unknown algorithm `/,
  /^(?:Digest: )?invalid nonce \S+ received - (?:length is not \d+|user attempted time travel)$/,
  /^Hostname \S+ provided via SNI(?:, but no hostname provided| and hostname \S+ provided via HTTP (?:are different|have no compatible SSL setup))/,
  /^No hostname was provided via SNI for a name based virtual host/,
];
/**
 * A pattern run only on messages opening with one of `heads`. For the two whose `.*` made a crafted line
 * quadratic on the backtracking engine: they run on the linear one, and only where they can match.
 */
function startingWith(
  heads: readonly string[],
  re: { exec(s: string): RegExpExecArray | null },
): { exec(s: string): RegExpExecArray | null } {
  return { exec: (s) => (heads.some((h) => s.startsWith(h)) ? re.exec(s) : null) };
}

/**
 * `Require` refused the request (mod_authz_core's AH01630, access_compat's AH01797): no credentials were
 * involved, so it is not a failed login. A refusal of a probe path (`/server-status`, `/.env`, `/phpmyadmin`)
 * is still a web probe; any other refused path is ordinary access control, not counted.
 */
const DENIED = /^client denied by server configuration: (.*?)(?:, referer: .*)?$/;

const SHELLSHOCK_BASH =
  /^\/bin\/(?:ba)?sh: (?:warning: \S+: ignoring function definition attempt|error importing function definition for `)/;
const MISSING = /^(?:File does not exist: (.*?)(?:, referer: .*)?|invalid URI path \((.*)\))$/;
/** A request for a script that does not exist: someone guessing at CGI/PHP entry points. */
const NO_SCRIPT =
  /^(?:script '(.*)' not found or unable to stat|(?:stderr from )?(\S*?):? ?script not found or unable to stat(?:: (.*))?|Got error 'Primary script unknown(?:\\n)?')$/;
/** Requests Apache could not even parse: binary junk, wrong protocol, overlong URIs. */
const MALFORMED =
  /^(?:Invalid URI in request|Invalid method in request|request failed: (?:URI too long|erroneous characters after protocol string))/;
const BAD_URI = /^Invalid URI in request (?:[A-Z]+ )?(\S+)/;

/**
 * `[ADDR]:PORT`, `ADDR:PORT` or a bare address, to the address. Apache 2.4 (its `[module:level]` lines)
 * always appends the port, to an IPv6 address too and without brackets (`2001:db8::1:51000`, log.c's
 * `%s:%d`); 2.2 wrote the address alone.
 */
function clientOf(field: string, withPort: boolean): string | null {
  if (field.startsWith('[')) return hostOf(field.slice(1, field.indexOf(']')));
  const colons = field.split(':').length - 1;
  if (colons === 1) return hostOf(field.slice(0, field.indexOf(':')));
  if (withPort && colons > 1) {
    // An IPv6 address with 2.4's port glued on: the digits after the last colon are the port.
    const colon = field.lastIndexOf(':');
    return /^\d{1,5}$/.test(field.slice(colon + 1)) ? hostOf(field.slice(0, colon)) : null;
  }
  return hostOf(field);
}

function extract(line: ParsedLine): Extracted {
  const h = HEAD.exec(line.message);
  if (!h) return null;
  const host = clientOf(h[3] as string, h[1] !== undefined);
  if (!host) return null;
  const module = h[1] ?? '';
  const msg = h[4] as string;
  for (const re of AUTH_FAILURES) {
    const m = re.exec(msg);
    if (m) {
      // mod_evasive's denials are rate limiting, not authentication.
      if (module.startsWith('evasive')) return null;
      return event('bruteforce', 'failure', host, SERVICE, line.time, { user: m[1] });
    }
  }
  if (SHELLSHOCK_BASH.test(msg) || SHELLSHOCK.test(msg))
    return event('webprobe', 'probe', host, SERVICE, line.time, { path: '() {' });
  let m = DENIED.exec(msg);
  if (m) {
    // mod_evasive's denials are rate limiting, not a request for that path.
    if (module.startsWith('evasive')) return null;
    const path = m[1] as string;
    if (passwdPath(path)) return event('passwd', 'probe', host, SERVICE, line.time, { path });
    // A file-system path, not the URL: the DocumentRoot's own names must not make it a probe.
    return fsProbeName(path) ? event('webprobe', 'probe', host, SERVICE, line.time, { path }) : null;
  }
  m = NO_SCRIPT.exec(msg);
  if (m) {
    const path = m[1] ?? m[3] ?? m[2] ?? '';
    if (passwdPath(path)) return event('passwd', 'probe', host, SERVICE, line.time, { path });
    return event('webprobe', 'probe', host, SERVICE, line.time, { path: path || '(missing script)' });
  }
  m = MISSING.exec(msg);
  if (m) {
    const path = (m[1] ?? m[2]) as string;
    if (passwdPath(path)) return event('passwd', 'probe', host, SERVICE, line.time, { path });
    // `File does not exist` names the file on disk: the DocumentRoot's own names (`/srv/www/phpapp`) must not
    // make every missing image a probe. `invalid URI path` names the request's path.
    const probe = m[1] !== undefined ? fsProbeName(path) : probeName(path);
    return probe ? event('webprobe', 'probe', host, SERVICE, line.time, { path }) : null;
  }
  m = BAD_URI.exec(msg);
  if (m) {
    const path = m[1] as string;
    if (passwdPath(path)) return event('passwd', 'probe', host, SERVICE, line.time, { path });
    return event('webprobe', 'probe', host, SERVICE, line.time, {
      path: probeName(path) ? path : '(malformed request)',
    });
  }
  if (MALFORMED.test(msg))
    return event('webprobe', 'probe', host, SERVICE, line.time, { path: '(malformed request)' });
  return null;
}

/** Apache error log extractor. */
export const apache = {
  description:
    'Apache error log: auth failures, probe paths (missing or denied), shellshock, passwd traversal',
  programs: ['httpd', 'apache', 'apache2'],
  programPattern: /^(?:httpd|apache2?)\//,
  needles: ['[client ', '[remote '],
  extract,
} satisfies Extractor;
