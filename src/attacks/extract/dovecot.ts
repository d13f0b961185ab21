import { hostOf } from '../host.ts';
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
const RIP = /.*[ ,]rip=([0-9A-Fa-f:.]+)(?:,|$)/;
const ATTEMPTS = /\(auth failed, (\d{1,6}) attempts?/;
const USER = /user=<(.*?)>, (?:method=\S+, )?rip=/;
const WORKER =
  /(?:^|: )(?:pam|passwd-file|passwd|shadow|sql|ldap|checkpassword|static|bsdauth|lua|oauth2)\((.*),([0-9A-Fa-f:.]+)(?:,<[^>]*>)?,?\): (?:unknown user|Password mismatch|invalid credentials|pam_authenticate\(\) failed: (?:Authentication failure|User not known|Permission denied))/;
/** 2.4's worker line, after syslog's tag or at the start of its own log's line (after its `%b %d %T ` stamp). */
const AUTH24 =
  /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})? )?(?:dovecot: )?auth\((.*?),([0-9A-Fa-f:.]+),sasl:[\w-]+\)<[^>]*>: (?:Info: )?\w+: (?:unknown user|Password mismatch)/;

function extract(line: ParsedLine): Extracted {
  const text = line.program ? `${line.program}: ${line.message}` : line.message;
  let m = LOGIN.exec(text);
  if (m && LOGIN_FAIL.test(m[1] as string)) {
    const r = RIP.exec(m[1] as string);
    const host = hostOf(r?.[1]);
    if (!host) return null;
    const u = USER.exec(m[1] as string)?.[1];
    // `auth failed, 3 attempts`: a client that tried three passwords on one connection made three guesses.
    const n = Number(ATTEMPTS.exec(m[1] as string)?.[1] ?? 1);
    return event('bruteforce', 'failure', host, SERVICE, line.time, {
      user: u === '' ? undefined : u,
      attempts: Math.min(Math.max(n, 1), 1000),
    });
  }
  if (m && (m[1] as string).startsWith('Login: ')) {
    const host = hostOf(RIP.exec(m[1] as string)?.[1]);
    const u = USER.exec(m[1] as string)?.[1];
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
