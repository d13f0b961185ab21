import { hostOf } from '../host.ts';
import { event, type AttackEvent, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { pamRhost, sshdFrom } from './anchor.ts';
import { linear, linearWhere } from './linear.ts';
import { pamFailure } from './pam.ts';

/**
 * OpenSSH's sshd, current and legacy messages (OpenSSH 3.x to 9.x, Solaris/macOS variants, the
 * `sshd-session` split of 9.8), and Dropbear's. Failures carrying the host become events; lines that need a neighbour
 * (`Too many authentication failures` without a host, pam_unix failures that sshd also logs itself,
 * `Accepted` after pam failures) become notes for the pid joiner.
 */

const SERVICE = 'sshd';

const ENDING = '(?: port \\d+)?(?: on \\S+ port \\d+)?(?: ssh\\d?)?(?: \\[preauth\\])?';
const PAM_AUTH =
  /^(?:error: )?PAM: [aA]uthentication (?:failure|error) for (?:illegal user |invalid user )?(.*) from (\S+?)(?: via \S+)?\s*$/;
const PAM_UNKNOWN =
  /^(?:error: )?PAM: User not known to the underlying authentication module for (?:illegal|invalid) user (.*) from (\S+?)\s*$/;
const FAILED = /^(?:error: )?Failed (\S+) for (invalid user |illegal user )?(.*)$/;
const ROOT_REFUSED = new RegExp(`^ROOT LOGIN REFUSED FROM (\\S+?)${ENDING}$`);
const INVALID = new RegExp(`^(?:[iI]nvalid|[iI]llegal) user (.*?) ?from (\\S+?)${ENDING}$`);
const NOT_ALLOWED =
  /^User (.+) from (\S+) not allowed because (?:not listed in AllowUsers|listed in DenyUsers|not in any group|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups)$/;
const LOCKED = /^User (.+) not allowed because account is locked$/;
const REFUSED_CONNECT = /^refused connect from (\S*) \((\S+)\)$/;
const DISCONNECT_AUTHFAIL =
  /^(?:error: )?Received disconnect from (\S+?)(?: port \d+)?: ?3: .*: Auth fail(?: \[preauth\])?$/;
const DISCONNECT_BYE = /^(?:error: )?Received disconnect from (\S+?)(?: port \d+)?: ?11: .*$/;
const MAX_ATTEMPTS = new RegExp(
  `^(?:error: )?maximum authentication attempts exceeded for (invalid user |illegal user )?(.*) from (\\S+?)${ENDING}$`,
);
const TOO_MANY =
  /^(?:error: )?Disconnecting: Too many authentication failures(?: for (?:invalid user |illegal user )?(.*?))?(?: \[preauth\])?$/;
const DISCONNECTING_USER =
  /^(?:error: )?Disconnecting (?:invalid|authenticating) user (.*) (\S+) port \d+: (Too many authentication failures|Change of username or service not allowed: .*?)(?: \[preauth\])?$/;
const CLOSED =
  /^(?:Connection closed|Connection reset|Disconnected from) (?:by )?(?:(?:invalid|authenticating) user (.*?) )?(\S+?)(?: port \d+)?(?: \[preauth\])?$/;
const CONNECTION_FROM =
  /^Connection from (\S+?) port \d+(?: on \S+ port \d+)?(?: rdomain .*)?$|^Connection from (\S+)$/;
const ACCEPTED = /^Accepted (\S+) for (.*)$/;
const NO_IDENT = new RegExp(`^Did not receive identification string from (\\S+?)${ENDING}$`);
/**
 * OpenSSH 8.0+'s word for a connection that sent no banner (a scanner that connects and hangs up): the host
 * follows on the connection's next line, `Connection closed|reset by HOST port N` (the joiner ties them by
 * pid). Forms with a bad banner are left out: sshd also logs those as `banner exchange: Connection from HOST`.
 */
const NO_BANNER =
  /^(?:error: )?kex_exchange_identification: (?:read: )?Connection (?:closed by remote host|reset by peer)$/;
const BAD_VERSION = /^Bad protocol version identification '.*' from (\S+?)(?: port \d+)?$/;
const NEGOTIATE = /^(?:fatal: )?Unable to negotiate with (\S+?) port \d+: .*$/;
const BANNER = /^(?:banner exchange|ssh_dispatch_run_fatal): Connection from (\S+?) port \d+: .*$/;
const TIMEOUT =
  /^(?:fatal: )?Timeout before authentication for (?:connection from )?(\S+?)(?: port \d+| to \S+, pid = \d+)$/;
/**
 * The listener dropping a connection before forking for it: OpenSSH 9.8+'s PerSourcePenalties (`penalty:
 * failed authentication`, `... without attempting authentication`, `exceeded LoginGraceTime`, `caused
 * crash`...), and MaxStartups (`past MaxStartups`, 9.8+ `past Maxstartups`). The source is the first
 * bracketed address, written by sshd from the socket.
 */
const DROP =
  /^drop connection #\d+ from \[([0-9A-Fa-f:.]+)\]:\d+ on \[[0-9A-Fa-f:.]+\]:\d+ (penalty: .+|past Max[Ss]tartups)$/;

/**
 * Dropbear (its messages; the tag is `dropbear`). Its client is `ADDR:PORT` (IPv6 unbracketed, the port
 * after the last colon): at the end of the line after a user name in quotes (client data, so the line's
 * last `from` is the one), or first in `Exit before auth from <ADDR:PORT>: `. Run from systemd with `-E`,
 * each message opens with dropbear's own `[PID] Mon DD HH:MM:SS `.
 */
const DROPBEAR_STAMP = /^\[\d+\] [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /;
const DROPBEAR_BAD =
  /^[Bb]ad (?:PAM )?password attempt for '(.*)' from ([0-9A-Fa-f:.]+?):\d+$|^[Ll]ogin attempt for nonexistent user (?:'(.*)' )?from ([0-9A-Fa-f:.]+?):\d+$/;
// On the linear engine (`'.*', \d+ fails\): Max auth tries reached - user '(.*)'` was quadratic).
const DROPBEAR_MAX = linearWhere(
  (s) => s.startsWith('Exit before auth') || s.startsWith('exit before auth'),
  /^[Ee]xit before auth (?:from <([0-9A-Fa-f:.]+?):\d+>: (?:\(user '.*', \d+ fails\): )?Max auth tries reached - user '(.*)'|\(user '.*', \d+ fails\): Max auth tries reached - user '(.*)' from ([0-9A-Fa-f:.]+?):\d+)\s*$/,
);
// On the linear engine: its `'(.*)' (?:with .* )?from` was quadratic over a line of `' with ' with ...`.
const DROPBEAR_OK = linear(
  /^(?:Password|Pubkey) auth succeeded for '(.*)' (?:with .* )?from ([0-9A-Fa-f:.]+?):\d+$/,
);

/** The joiner key of an sshd line: its pid (numbers hash without building a string per line). */
export function key(line: ParsedLine): number {
  return line.pid ?? -1;
}

function fail(host: string | null, line: ParsedLine, user: string | undefined): AttackEvent | null {
  return host ? event('bruteforce', 'failure', host, SERVICE, line.time, { user }) : null;
}

function scan(host: string | null, line: ParsedLine): AttackEvent | null {
  return host ? event('portscan', 'refused', host, SERVICE, line.time) : null;
}

function dropbear(line: ParsedLine): Extracted {
  const stamp = DROPBEAR_STAMP.exec(line.message);
  const msg = stamp ? line.message.slice(stamp[0].length) : line.message;
  let m: RegExpExecArray | null;
  if ((m = DROPBEAR_BAD.exec(msg))) return fail(hostOf(m[2] ?? m[4]), line, m[1] ?? m[3]);
  if ((m = DROPBEAR_MAX.exec(msg))) {
    const user = m[2] ?? m[3];
    return fail(hostOf(m[1] ?? m[4]), line, user === 'is invalid' ? undefined : user);
  }
  if ((msg.startsWith('Password auth') || msg.startsWith('Pubkey auth')) && (m = DROPBEAR_OK.exec(msg))) {
    const host = hostOf(m[2]);
    if (!host) return null;
    const e = event('bruteforce', 'success', host, SERVICE, line.time, { user: m[1] });
    return { note: 'success', key: key(line), event: e };
  }
  return null;
}

function extract(line: ParsedLine): Extracted {
  if (line.program === 'dropbear') return dropbear(line);
  // Some journals carry a kernel-style `kernel:[ 970.699]:` stamp inside the message.
  const msg = line.message.startsWith('kernel:')
    ? line.message.replace(/^kernel: ?\[ *\d+\.\d+\]:? /, '')
    : line.message;
  const k = key(line);
  let m: RegExpExecArray | null;
  const c = msg.charCodeAt(0);

  // Dispatch on the first letter keeps the common "no match" path to one or two regex tests.
  if (c === 0x64 /* d */) {
    if (!(m = DROP.exec(msg))) return null;
    const host = hostOf(m[1]);
    if (!host) return null;
    return (m[2] as string) === 'penalty: failed authentication'
      ? event('bruteforce', 'reject', host, SERVICE, line.time)
      : event('portscan', 'refused', host, SERVICE, line.time);
  }
  if (c === 0x46 /* F */ || msg.startsWith('error: Failed')) {
    if ((m = FAILED.exec(msg))) {
      const found = sshdFrom(m[3] as string);
      if (!found) return null;
      const method = m[1] as string;
      // A valid user offering several keys fails on each before the right one: not a guess.
      if (method === 'publickey' && m[2] === undefined) return { note: 'connect', key: k, host: found.host };
      const e = fail(found.host, line, found.user);
      // An unknown user's first `Failed` line is the attempt its `Invalid user` line counted, and old
      // OpenSSH's `Failed keyboard-interactive/pam` the one its `PAM: Authentication failure` counted (the
      // joiner's).
      return e && (m[2] !== undefined || method.startsWith('keyboard-interactive'))
        ? { note: 'attempt', key: k, event: e }
        : e;
    }
    return null;
  }
  if ((m = CLOSED.exec(msg))) {
    const host = hostOf(m[2]);
    return host ? { note: 'close', key: k, host, time: line.time } : null;
  }
  if (
    msg.startsWith('pam_unix(sshd:auth): authentication failure;') ||
    msg.startsWith('pam_unix(sshd-session:auth): authentication failure;')
  ) {
    const p = pamRhost(msg);
    if (!p) return null;
    return { note: 'pam', key: k, host: p.host, user: p.user ?? p.ruser, service: SERVICE, time: line.time };
  }
  if (msg.startsWith('(pam_unix) authentication failure;')) return pamFailure(line, SERVICE);
  if ((m = ACCEPTED.exec(msg))) {
    const found = sshdFrom(m[2] as string);
    if (!found) return null;
    return {
      note: 'success',
      key: k,
      event: event('bruteforce', 'success', found.host, SERVICE, line.time, { user: found.user }),
    };
  }
  if ((m = INVALID.exec(msg))) {
    // The `Failed ... for invalid user` line after it is the same attempt (the joiner counts it once).
    const e = fail(hostOf(m[2]), line, m[1]);
    return e ? { note: 'invalid', key: k, event: e } : null;
  }
  if ((m = PAM_AUTH.exec(msg)) || (m = PAM_UNKNOWN.exec(msg))) {
    // The connection's `Failed keyboard-interactive/pam` line after it is the same attempt.
    const e = fail(hostOf(m[2]), line, m[1]);
    return e ? { note: 'pamError', key: k, event: e } : null;
  }
  if ((m = ROOT_REFUSED.exec(msg))) return fail(hostOf(m[1]), line, 'root');
  if ((m = NOT_ALLOWED.exec(msg))) return fail(hostOf(m[2]), line, m[1]);
  if ((m = MAX_ATTEMPTS.exec(msg))) {
    const host = hostOf(m[3]);
    if (!host) return null;
    // Counted here unless the connection's last `Failed` line (logged just before it) was; the
    // `Disconnecting ...: Too many authentication failures` that follows is the same event.
    return {
      note: 'pending',
      key: k,
      event: event('bruteforce', 'failure', host, SERVICE, line.time, { user: m[2] }),
      afterFailures: true,
    };
  }
  if ((m = DISCONNECTING_USER.exec(msg))) {
    const host = hostOf(m[2]);
    if (!host) return null;
    const e = event('bruteforce', 'failure', host, SERVICE, line.time, { user: m[1] });
    return (m[3] as string).startsWith('Too many')
      ? { note: 'pending', key: k, event: e, unlessCounted: true, afterFailures: true }
      : e;
  }
  if ((m = TOO_MANY.exec(msg))) {
    const e: Omit<AttackEvent, 'host'> = {
      detector: 'bruteforce',
      kind: 'failure',
      service: SERVICE,
      attempts: 1,
      time: line.time,
    };
    if (m[1] !== undefined) e.user = m[1];
    return { note: 'pending', key: k, event: e, unlessCounted: true, afterFailures: true };
  }
  if ((m = LOCKED.exec(msg))) {
    const e = {
      detector: 'bruteforce',
      kind: 'failure',
      service: SERVICE,
      attempts: 1,
      time: line.time,
      user: m[1] as string,
    } as const;
    return { note: 'pending', key: k, event: e, defer: true };
  }
  if ((m = DISCONNECT_AUTHFAIL.exec(msg))) return fail(hostOf(m[1]), line, undefined);
  if ((m = DISCONNECT_BYE.exec(msg))) {
    const host = hostOf(m[1]);
    return host ? { note: 'close', key: k, host, time: line.time } : null;
  }
  if ((m = CONNECTION_FROM.exec(msg))) {
    const host = hostOf(m[1] ?? m[2]);
    return host ? { note: 'connect', key: k, host } : null;
  }
  if ((m = REFUSED_CONNECT.exec(msg))) return scan(hostOf(m[2]), line);
  if ((m = NO_IDENT.exec(msg))) return scan(hostOf(m[1]), line);
  if (NO_BANNER.test(msg)) {
    const e: Omit<AttackEvent, 'host'> = {
      detector: 'portscan',
      kind: 'refused',
      service: SERVICE,
      attempts: 1,
      time: line.time,
    };
    return { note: 'pending', key: k, event: e };
  }
  if ((m = BAD_VERSION.exec(msg))) return scan(hostOf(m[1]), line);
  if ((m = NEGOTIATE.exec(msg))) return scan(hostOf(m[1]), line);
  if ((m = BANNER.exec(msg))) return scan(hostOf(m[1]), line);
  if ((m = TIMEOUT.exec(msg))) return scan(hostOf(m[1]), line);
  return null;
}

/** sshd's extractor. */
export const sshd = {
  description:
    'OpenSSH sshd and Dropbear: failed/invalid logins, refused users, pre-auth disconnects, penalty drops, banner scans',
  programs: ['sshd', 'sshd-session', 'sshd-auth', 'sshd(pam_unix)', 'dropbear'],
  // Each needle is the fixed text of some pattern above (the reader matches them without case): narrow on
  // purpose, so sshd's ordinary lines (`session opened`, `Disconnected from user`) are mostly never split.
  needles: [
    'Failed ',
    'nvalid user',
    'llegal user',
    'uthentication',
    'LOGIN REFUSED',
    'not allowed because',
    'refused connect',
    'Received disconnect',
    'Too many',
    'maximum authentication',
    'Connection closed',
    'Connection reset',
    'Connection from',
    'Disconnected from',
    'Disconnecting',
    'Accepted ',
    'Did not receive',
    'Bad protocol',
    'Unable to negotiate',
    'Timeout before',
    'not known to the underlying',
    'drop connection',
    // Dropbear's lines by their tag (its messages hold none of the reader's anchors; the tag does).
    'dropbear',
  ],
  extract,
} satisfies Extractor;
