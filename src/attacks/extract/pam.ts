import { hostOf } from '../host.ts';
import { event, type AttackEvent, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { pamRhost } from './anchor.ts';
import { hasBreak } from './linear.ts';

/**
 * pam_unix authentication failures from any program (`pam_unix(svc:auth):`, the pre-0.99 `(pam_unix)` and
 * `svc(pam_unix)[pid]:` forms, bare `authentication failure; logname=`), login(1) (`FAILED LOGIN`,
 * `REPEATED login failures`, `LOGIN FAILURES FROM`) and su (`FAILED SU`). A failure without a remote host
 * (su, a console login) is attributed to `local`.
 */

const PAM_SVC = /^pam_unix\(([\w.-]+):auth\): authentication failure;/;
const PAM_ANY = /^(?:pam_unix(?:\([\w.-]*\))?: |\(pam_unix\) )?authentication failure; logname=/;
const LOGIN_UTIL = /^FAILED LOGIN (?:\d+|\(\d+\)) (?:on '?\S+?'? )?FROM '?(\S+?)'? FOR '?(.*?)'?, .*$/;
const LOGIN_SHADOW = /^FAILED LOGIN \(\d+\) on '(\S+)' FOR '(.*)', .*$/;
const LOGIN_MANY =
  /^(?:\d+ LOGIN FAILURES FROM (\S+?), (.*)|REPEATED login failures(?: on \S+)? (?:FROM|from) (\S+?)(?: FOR (.*))?)$/;
// Lines are latin1: JS `\s` matches U+00A0, a byte of UTF-8 names (だ is E3 81 A0); su separates with spaces.
const SU_FAILED = /^FAILED SU \(to ([^ ]+)\) ([^ ]+) on ([^ ]+)$/;

/** Whether a message is pam_unix's own `authentication failure` line (not a program's words for it). */
export function isPamUnixLine(msg: string): boolean {
  return PAM_SVC.test(msg) || PAM_ANY.test(msg);
}

/** Service name of a pam line: `pam_unix(svc:auth)`, else the program without `(pam_unix)`. */
function serviceOf(line: ParsedLine): string {
  const m = PAM_SVC.exec(line.message);
  if (m) return m[1] as string;
  return line.program.replace(/\(pam_unix\)$/, '').replace(/\/.*$/, '') || 'pam';
}

/** A pam_unix failure line to an event (host `local` for su/login without a remote host), or null. */
export function pamFailure(line: ParsedLine, service?: string): AttackEvent | null {
  const svc = service ?? serviceOf(line);
  const p = pamRhost(line.message);
  if (p)
    return event('bruteforce', 'failure', p.host, svc, line.time, { user: p.user ?? (p.ruser || undefined) });
  // `rhost=` empty: local su/login/sudo.
  if (/ rhost=\s*(?: user=|$)/.test(line.message) && /^(?:su|sudo|login|su-l|runuser)$/.test(svc)) {
    const u = / user=([^ ]+) *$/.exec(line.message);
    return event('bruteforce', 'failure', 'local', svc, line.time, { user: u?.[1] });
  }
  return null;
}

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  let m: RegExpExecArray | null;
  if (isPamUnixLine(msg)) return pamFailure(line);
  if (msg.startsWith('FAILED LOGIN')) {
    // Both patterns run `^...$` over `.`: a line break mid-line rules them out, and made LOGIN_UTIL try its
    // tail `.*$` from every `, ` (quadratic).
    if (hasBreak(msg)) return null;
    if ((m = LOGIN_UTIL.exec(msg))) {
      const host = hostOf(m[1]);
      return host ? event('bruteforce', 'failure', host, 'login', line.time, { user: m[2] }) : null;
    }
    if ((m = LOGIN_SHADOW.exec(msg)))
      return event('bruteforce', 'failure', 'local', 'login', line.time, { user: m[2] });
    return null;
  }
  if ((m = LOGIN_MANY.exec(msg))) {
    const host = hostOf(m[1] ?? m[3]);
    const user = m[2] ?? m[4];
    return host
      ? event('bruteforce', 'failure', host, 'login', line.time, { user: user?.replace(/^'|'$/g, '') })
      : null;
  }
  if ((m = SU_FAILED.exec(msg)))
    return event('bruteforce', 'failure', 'local', 'su', line.time, { user: m[1] });
  return null;
}

/** pam_unix/login/su extractor; also consulted for every program whose own family found nothing. */
export const pam = {
  description: 'pam_unix authentication failures (any service), login(1) and su failures',
  programs: ['login', 'su', 'sudo', 'pam', 'auth'],
  needles: ['authentication failure', 'FAILED LOGIN', 'LOGIN FAILURES', 'login failures', 'FAILED SU'],
  extract,
} satisfies Extractor;
