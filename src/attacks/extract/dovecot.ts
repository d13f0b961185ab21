import { hostOf } from '../host.ts';
import { hasBreak, linearWhere } from './linear.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * Dovecot: login processes (`imap-login: Disconnected (auth failed, N attempts ...): user=<U>, ..., rip=ADDR`,
 * and `imap-login: Login: user=<U>, ..., rip=ADDR` for a success: after a dictionary attack, the login that
 * makes it CRITICAL, as sshd's `Accepted` does) and auth workers (`pam(USER,ADDR[,<session>]): unknown user |
 * Password mismatch | ...`, dovecot 2.4's `auth(USER,ADDR,sasl:mech)<session>: ... Password mismatch`). USER is client data and comes before the
 * address: the login line's address is its last `rip=`, the worker's the last `,ADDR` before `): REASON`.
 */

const SERVICE = 'dovecot';
const LOGIN_FAIL =
  /\((?:auth failed, \d+ attempts?[^)]*|tried to use (?:disabled|disallowed) [^)]*|proxy dest auth failed)\)/;
const LOGIN = /^(?:.*?: )?(?:imap|pop3|managesieve|submission|lmtp|sieve)-login: (?:Info: )?(.*)$/;
const ATTEMPTS = /\(auth failed, (\d{1,6}) attempts?/;
const USER_END = />, (?:method=\S+, )?rip=/y;

function isAddrChar(c: number): boolean {
  return (c >= 48 && c <= 58) || c === 46 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102); // 0-9 : . A-F a-f
}

/**
 * The address of the last ` rip=ADDR` or `,rip=ADDR` followed by `,` or the end (what
 * `/.*[ ,]rip=([0-9A-Fa-f:.]+)(?:,|$)/` found on a text without line breaks, which was quadratic: its
 * leading `.*` gave back one character at a time on a long line without `rip=`).
 */
function lastRip(s: string): string | undefined {
  for (let j = s.lastIndexOf('rip='); j > 0; j = s.lastIndexOf('rip=', j - 1)) {
    const before = s.charCodeAt(j - 1);
    if (before !== 32 && before !== 44) continue;
    let k = j + 4;
    while (k < s.length && isAddrChar(s.charCodeAt(k))) k++;
    if (k > j + 4 && (k === s.length || s.charCodeAt(k) === 44)) return s.slice(j + 4, k);
  }
  return undefined;
}

/**
 * The user of the first `user=<U>, [method=M, ]rip=` (what `/user=<(.*?)>, (?:method=\S+, )?rip=/` found on a
 * text without line breaks, quadratic over a line of `user=<user=<...`): U runs from the first `user=<` to
 * the first `>, ` after it that the rest follows.
 */
function userOf(s: string): string | undefined {
  const i = s.indexOf('user=<');
  if (i < 0) return undefined;
  for (let e = s.indexOf('>, ', i + 6); e >= 0; e = s.indexOf('>, ', e + 1)) {
    USER_END.lastIndex = e;
    if (USER_END.test(s)) return s.slice(i + 6, e);
  }
  return undefined;
}
// WORKER and AUTH24 run on the linear engine, on texts holding one of their reasons: `\((.*),ADDR...` and
// `auth\((.*?),ADDR,sasl:...\)<[^>]*>` were quadratic (or, on V8's fallback, ~30 µs a character) over
// crafted lines.
const canWorker = (s: string) =>
  s.includes('unknown user') ||
  s.includes('Password mismatch') ||
  s.includes('invalid credentials') ||
  s.includes('pam_authenticate() failed');
const WORKER = linearWhere(
  canWorker,
  /(?:^|: )(?:pam|passwd-file|passwd|shadow|sql|ldap|checkpassword|static|bsdauth|lua|oauth2)\((.*),([0-9A-Fa-f:.]+)(?:,<[^>]*>)?,?\): (?:unknown user|Password mismatch|invalid credentials|pam_authenticate\(\) failed: (?:Authentication failure|User not known|Permission denied))/,
);
/** 2.4's worker line, after syslog's tag or at the start of its own log's line (after its `%b %d %T ` stamp). */
const AUTH24 = linearWhere(
  canWorker,
  /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})? )?(?:dovecot: )?auth\((.*?),([0-9A-Fa-f:.]+),sasl:[\w-]+\)<[^>]*>: (?:Info: )?\w+: (?:unknown user|Password mismatch)/,
);

function extract(line: ParsedLine): Extracted {
  const text = line.program ? `${line.program}: ${line.message}` : line.message;
  // LOGIN cannot match a text with a line break (`.` and `$`), and tried every `: ` against one.
  let m = hasBreak(text) ? null : LOGIN.exec(text);
  // `[^)]*\)` cannot match past the last `)`: without the cut, a line of `(tried to use disallowed ` was
  // scanned to its end from each `(`.
  if (m && LOGIN_FAIL.test((m[1] as string).slice(0, (m[1] as string).lastIndexOf(')') + 1))) {
    // LOGIN's `(.*)$` holds no line break, which the rewritten RIP and USER rely on.
    const host = hostOf(lastRip(m[1] as string));
    if (!host) return null;
    const u = userOf(m[1] as string);
    // `auth failed, 3 attempts`: a client that tried three passwords on one connection made three guesses.
    const n = Number(ATTEMPTS.exec(m[1] as string)?.[1] ?? 1);
    return event('bruteforce', 'failure', host, SERVICE, line.time, {
      user: u === '' ? undefined : u,
      attempts: Math.min(Math.max(n, 1), 1000),
    });
  }
  if (m && (m[1] as string).startsWith('Login: ')) {
    const host = hostOf(lastRip(m[1] as string));
    const u = userOf(m[1] as string);
    return host && u ? event('bruteforce', 'success', host, SERVICE, line.time, { user: u }) : null;
  }
  m = WORKER.exec(text) ?? AUTH24.exec(text);
  if (m) {
    const host = hostOf(m[2]);
    // The login process logs the same attempt (`auth failed`) when the client goes: see echo.ts.
    return host
      ? event('bruteforce', 'failure', host, SERVICE, line.time, { user: m[1], echo: 'backend' })
      : null;
  }
  return null;
}

/** Dovecot extractor. */
export const dovecot = {
  description: 'Dovecot: failed and successful IMAP/POP3/sieve logins, auth worker failures',
  programs: [
    'dovecot',
    'auth',
    'auth-worker',
    'imap-login',
    'pop3-login',
    'managesieve-login',
    'submission-login',
    'dovecot-auth',
  ],
  needles: [
    'auth failed',
    'plaintext auth',
    'disallowed',
    'unknown user',
    'Password mismatch',
    'invalid credentials',
    'pam_authenticate',
    'Login: user=<',
  ],
  extract,
} satisfies Extractor;
