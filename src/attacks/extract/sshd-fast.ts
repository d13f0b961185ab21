/**
 * sshd's hot message shapes read by character codes, for the accounting's fast path: `Failed password for`,
 * `Invalid user`, `Connection closed by` / `Disconnected from`, `pam_unix(sshd:auth): authentication
 * failure`, `Accepted`, `Received disconnect from ... 11:`. Each shape is accepted only in the exact form
 * whose meaning under sshd.ts's RegExps is certain (an IPv4 host at its fixed place, the fixed tail after
 * it); anything else, however slight the difference, answers UNHANDLED and the line takes the RegExp path,
 * so both paths give the same result on every line (`sshd-fast.test.ts` checks it on generated lines,
 * injection attempts included). Written by hand because the RegExps cost ~1 µs a line and a dictionary
 * attack logs millions of these lines.
 *
 * The caller guarantees the line holds no CR or LF (so `.` in the RegExps matches every character).
 */

/** Not a shape this module reads with certainty: use the RegExp extractor. */
export const UNHANDLED = -1;
/** sshd's extractor returns null for the line. */
export const NONE = 0;
/** A failure event from `host` (`user` set). */
export const FAIL = 1;
/** A `connect` note for the pid (a valid user's publickey failure). */
export const CONNECT = 2;
/** A `close` note for the pid. */
export const CLOSE = 3;
/** A pam_unix `pam` note for the pid (`user`: the user, or the empty ruser). */
export const PAM = 4;
/** A successful login (`user` set). */
export const SUCCESS = 5;
/** `Invalid user`: an `invalid` note for the pid (`host`, `user` set). */
export const INVALID = 6;
/** `Failed ... for invalid user`, `Failed keyboard-interactive...`: an `attempt` note for the pid (`host`, `user` set). */
export const ATTEMPT = 7;

/** What a read line holds (valid until the next call). */
export interface FastSshd {
  host: string;
  user: string;
}

/** Cuts host and user texts out of the line (an Interner, so repeated texts are one string). */
export interface Cutter {
  slice(s: string, from: number, to: number): string;
}

/** `\s` of a RegExp, for the character codes a latin1 line can hold. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End of a dotted quad (`\d{1,3}(\.\d{1,3}){3}`) at `i` followed by a space or the end, else -1. */
function ipv4End(s: string, i: number): number {
  let p = i;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (s.charCodeAt(p) !== 46) return -1;
      p++;
    }
    const from = p;
    while (p - from < 3 && isDigit(s.charCodeAt(p))) p++;
    if (p === from) return -1;
  }
  return p === s.length || s.charCodeAt(p) === 32 ? p : -1;
}

/**
 * Index of the first ` from ` starting at or after `at`, or -1. Searched as `from ` then the space before it:
 * indexOf with a pattern that starts with a space stops at every space of the line.
 */
function spacedFrom(s: string, at: number): number {
  for (let i = s.indexOf('from ', at + 1); i >= 0; i = s.indexOf('from ', i + 1))
    if (s.charCodeAt(i - 1) === 32) return i - 1;
  return -1;
}

/** End of `\d+` at `i` (i when none). */
function digitsEnd(s: string, i: number): number {
  let p = i;
  while (isDigit(s.charCodeAt(p))) p++;
  return p;
}

/** Start of the `\d+` that ends at `e` (e when none). */
function digitsBack(s: string, e: number): number {
  let p = e;
  while (p > 0 && isDigit(s.charCodeAt(p - 1))) p--;
  return p;
}

/** End of the `\S+` token at `i` (i when none). */
function tokenEnd(s: string, i: number): number {
  let p = i;
  const n = s.length;
  while (p < n && !isSpace(s.charCodeAt(p))) p++;
  return p;
}

/** After an optional ` port \d+` at `i`: its end (i when absent), or -1 for ` port ` without digits. */
function portEnd(s: string, i: number): number {
  if (!s.startsWith(' port ', i)) return i;
  const d = digitsEnd(s, i + 6);
  return d === i + 6 ? -1 : d;
}

/** After an optional ` ssh` with an optional digit (` ssh2`) at `i`: its end, i when absent. */
function sshEnd(s: string, i: number): number {
  if (!s.startsWith(' ssh', i)) return i;
  return isDigit(s.charCodeAt(i + 4)) ? i + 5 : i + 4;
}

/** After an optional ` [preauth]` at `i`. */
const preauthEnd = (s: string, i: number): number => (s.startsWith(' [preauth]', i) ? i + 10 : i);

/** Whether `s` from `i` is exactly `( port \d+)?( \[preauth\])?` to the end (CLOSED's tail). */
function closedTail(s: string, i: number): boolean {
  const p = portEnd(s, i);
  return p >= 0 && preauthEnd(s, p) === s.length;
}

/**
 * Whether `s` from `i` is exactly `( port \d+)?( ssh\d?)?( \[preauth\])?` to the end (sshd.ts's ENDING
 * without its rare ` on ADDR port N` part, which answers false and so takes the RegExp path).
 */
function endingTail(s: string, i: number): boolean {
  const p = portEnd(s, i);
  return p >= 0 && preauthEnd(s, sshEnd(s, p)) === s.length;
}

/**
 * anchor.ts's `sshdFrom` on the tail at `t`, when its first ` from ` is followed by an IPv4 host and exactly
 * `[ port N[ sshD]]` then the end or `: `: that is the first candidate, its user holds no ` from `, so it
 * wins. Sets `out` and returns true; false when the tail is anything else.
 */
function firstFrom(s: string, t: number, out: FastSshd, cut: Cutter): boolean {
  const f = spacedFrom(s, t);
  if (f < 0) return false;
  const h = f + 6;
  const e = ipv4End(s, h);
  if (e < 0) return false;
  let p = portEnd(s, e);
  if (p < 0) return false;
  if (p > e) p = sshEnd(s, p); // ` sshD` only after a port
  if (p !== s.length && !(s.charCodeAt(p) === 58 && s.charCodeAt(p + 1) === 32)) return false;
  out.host = cut.slice(s, h, e);
  out.user = cut.slice(s, t, f);
  return true;
}

/** `METHOD for ` at `i` (`\S+ for `): the index after it, or -1. */
function methodFor(s: string, i: number): number {
  const m = tokenEnd(s, i);
  if (m === i || !s.startsWith(' for ', m)) return -1;
  return m + 5;
}

/** `Failed METHOD for [invalid user |illegal user ]TAIL`. */
function failed(s: string, ms: number, out: FastSshd, cut: Cutter): number {
  const m = ms + 7;
  const t0 = methodFor(s, m);
  if (t0 < 0) return UNHANDLED;
  let t = t0;
  const invalid = s.startsWith('invalid user ', t) || s.startsWith('illegal user ', t);
  if (invalid) t += 13;
  if (!firstFrom(s, t, out, cut)) return spacedFrom(s, t) < 0 ? NONE : UNHANDLED;
  // A valid user offering several keys fails on each before the right one: not a guess.
  if (!invalid && t0 - m - 5 === 9 && s.startsWith('publickey', m)) return CONNECT;
  // Old OpenSSH's keyboard-interactive failure may be the attempt its `PAM: ...` line counted (sshd.ts).
  return invalid || s.startsWith('keyboard-interactive', m) ? ATTEMPT : FAIL;
}

/** `Invalid user USER from HOST[ENDING]` (INVALID's lazy user ends before the first `from `). */
function invalidUser(s: string, ms: number, out: FastSshd, cut: Cutter): number {
  const u = ms + 13;
  const f = s.indexOf('from ', u);
  if (f < 0) return UNHANDLED;
  const h = f + 5;
  const e = ipv4End(s, h);
  if (e < 0 || !endingTail(s, e)) return UNHANDLED;
  out.user = cut.slice(s, u, f > u && s.charCodeAt(f - 1) === 32 ? f - 1 : f);
  out.host = cut.slice(s, h, e);
  return INVALID;
}

/**
 * `Connection closed |Connection reset |Disconnected from ` then REST at `r`, as CLOSED reads it:
 * `[by ][(invalid|authenticating) user USER ]HOST( port N)?( \[preauth\])?`.
 */
function closed(s: string, r: number, out: FastSshd, cut: Cutter): number {
  let p = r;
  const by = s.startsWith('by ', p);
  if (by) p += 3;
  const userAt = s.startsWith('invalid user ', p)
    ? p + 13
    : s.startsWith('authenticating user ', p)
      ? p + 20
      : -1;
  if (userAt >= 0) {
    // Lazy `(.*?) ` then `(\S+?)( port \d+)?( \[preauth\])?$`: the host is the token before the tail.
    let e = s.endsWith(' [preauth]') ? s.length - 10 : s.length;
    const d = digitsBack(s, e);
    if (d < e && d >= 6 && s.startsWith(' port ', d - 6)) e = d - 6;
    const sp = s.lastIndexOf(' ', e - 1);
    // No room for the user and its space, or another space in the host: the RegExp path decides.
    if (sp < userAt || sp + 1 >= e || tokenEnd(s, sp + 1) !== e) return UNHANDLED;
    out.host = cut.slice(s, sp + 1, e);
    return CLOSE; // the caller validates the host (hostOf), as sshd.ts does
  }
  const e = tokenEnd(s, p);
  if (e === p) return by ? UNHANDLED : NONE;
  if (e < s.length && s.charCodeAt(e) !== 32) return by ? UNHANDLED : NONE;
  if (!closedTail(s, e)) return by ? UNHANDLED : NONE;
  out.host = cut.slice(s, p, e);
  return CLOSE;
}

/** `pam_unix(sshd:auth): authentication failure; ... ruser= rhost=HOST[ {1,2}user=USER]` (pamRhost). */
function pamAuth(s: string, ms: number, out: FastSshd, cut: Cutter): number {
  const a = s.indexOf('ruser=', ms);
  if (a < 0) return NONE;
  if (!s.startsWith(' rhost=', a + 6)) return UNHANDLED;
  const h = a + 13;
  const e = ipv4End(s, h);
  if (e < 0) return UNHANDLED;
  out.host = cut.slice(s, h, e);
  if (e === s.length) {
    out.user = '';
    return PAM;
  }
  const u = s.startsWith('  user=', e) ? e + 7 : s.startsWith(' user=', e) ? e + 6 : -1;
  // A user ending in `]` may carry `[preauth]`, which pamRhost strips: the RegExp path decides.
  if (u < 0 || s.charCodeAt(s.length - 1) === 93) return UNHANDLED;
  out.user = cut.slice(s, u, s.length);
  return PAM;
}

/** `Received disconnect from HOST port N: ?11: ...` (DISCONNECT_BYE; DISCONNECT_AUTHFAIL needs `3: `). */
function receivedDisconnect(s: string, r: number, out: FastSshd, cut: Cutter): number {
  const e = ipv4End(s, r);
  if (e < 0) return UNHANDLED;
  let p = portEnd(s, e);
  if (p <= e || s.charCodeAt(p) !== 58) return UNHANDLED; // the port is required here
  p++;
  if (s.charCodeAt(p) === 32) p++;
  if (!s.startsWith('11: ', p)) return UNHANDLED;
  out.host = cut.slice(s, r, e);
  return CLOSE;
}

/**
 * Reads sshd message at `ms` of line `s` (a classic syslog line, no CR/LF) into `out`: one of the result
 * codes above. Hosts are IPv4 as logged (hostOf leaves them unchanged), except CLOSE, whose host the caller
 * still validates with hostOf.
 */
export function sshdFast(s: string, ms: number, out: FastSshd, cut: Cutter): number {
  switch (s.charCodeAt(ms)) {
    case 70 /* F */:
      return s.startsWith('Failed ', ms) ? failed(s, ms, out, cut) : UNHANDLED;
    case 67 /* C */:
      if (s.startsWith('Connection closed ', ms)) return closed(s, ms + 18, out, cut);
      if (s.startsWith('Connection reset ', ms)) return closed(s, ms + 17, out, cut);
      return UNHANDLED;
    case 68 /* D */:
      return s.startsWith('Disconnected from ', ms) ? closed(s, ms + 18, out, cut) : UNHANDLED;
    case 112 /* p */:
      return s.startsWith('pam_unix(sshd:auth): authentication failure;', ms)
        ? pamAuth(s, ms, out, cut)
        : UNHANDLED;
    case 65 /* A */:
      {
        if (!s.startsWith('Accepted ', ms)) return UNHANDLED;
        const t = methodFor(s, ms + 9);
        if (t < 0) return UNHANDLED;
        if (firstFrom(s, t, out, cut)) return SUCCESS;
        return spacedFrom(s, t) < 0 ? NONE : UNHANDLED;
      }
    case 73 /* I */:
      return s.startsWith('Invalid user ', ms) ? invalidUser(s, ms, out, cut) : UNHANDLED;
    case 82 /* R */:
      return s.startsWith('Received disconnect from ', ms)
        ? receivedDisconnect(s, ms + 25, out, cut)
        : UNHANDLED;
    default:
      return UNHANDLED;
  }
}
