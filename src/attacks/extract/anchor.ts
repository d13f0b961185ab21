import { hostOf } from '../host.ts';

/**
 * Helpers for anchored extraction. The rule everywhere: the host is taken from the place the daemon's
 * format string puts it, with the fixed text on both sides matched, so that text an attacker controls (a
 * user name, a URL, an SSH client's auth info) cannot move the host to an address of their choosing
 * (fail2ban CVE-2013-7176 / CVE-2013-2178).
 */

/** Case-sensitive RegExp source for a host token (validated afterwards by hostOf). */
export const HOST = '(\\S+?)';

/**
 * sshd's `<what> for [invalid user ]USER from HOST port N [ssh2][: INFO]` tail. USER and INFO are client
 * data. A candidate is each ` from HOST[ port N][ on ADDR][ sshN]` followed by the end or `: `; the first
 * whose user part holds no ` from ` wins, else the last one ending the line (fail2ban's resolution: a user
 * name cannot hide ` from `, and auth info comes only after `: `).
 */
export function sshdFrom(tail: string): { user: string; host: string } | null {
  const re = / from (\S+?)(?: port \d+)?(?: on \S+ port \d+)?(?: ssh\d?)?(?=$|: )/g;
  let firstClean: { user: string; host: string } | null = null;
  let lastAtEnd: { user: string; host: string } | null = null;
  for (let m = re.exec(tail); m; m = re.exec(tail)) {
    const host = hostOf(m[1]);
    if (!host) continue;
    const user = tail.slice(0, m.index);
    const cand = { user, host };
    if (firstClean === null && !user.includes(' from ')) firstClean = cand;
    if (m.index + m[0].length === tail.length) lastAtEnd = cand;
  }
  return firstClean ?? lastAtEnd;
}

/**
 * pam_unix's `... ruser=RUSER rhost=RHOST[  user=USER]`. RUSER and USER may be client data. An empty ruser
 * (`ruser= rhost=`) fixes the host right there; otherwise the last `rhost=` followed by the end, `[preauth]`
 * or two spaces and `user=` (pam_unix's own separator) is the real one, because a forged `rhost=` inside
 * RUSER comes before it.
 */
export function pamRhost(msg: string): { host: string; user?: string; ruser: string } | null {
  const at = msg.indexOf('ruser=');
  if (at < 0) return null;
  const fields = msg.slice(at + 6);
  const tailRe = /^(?:\s*\[preauth\])?\s*$|^ {1,2}user=(.*)$/;
  const parse = (ruser: string, afterRhost: string) => {
    const sp = afterRhost.search(/ |$/);
    const hostTok = afterRhost.slice(0, sp);
    const tail = afterRhost.slice(sp);
    const t = tailRe.exec(tail);
    if (!t) return null;
    const host = hostOf(hostTok);
    if (!host) return null;
    const r: { host: string; user?: string; ruser: string } = { host, ruser };
    const user = t[1] === undefined ? undefined : withoutPreauth(t[1]);
    if (user !== undefined && user !== '') r.user = user;
    return r;
  };
  if (fields.startsWith(' rhost=')) {
    const r = parse('', fields.slice(7));
    if (r) return r;
  }
  // Only the last candidates: a line crafted with thousands of ` rhost=` made this quadratic.
  const at7: number[] = [];
  for (let i = fields.indexOf(' rhost='); i >= 0; i = fields.indexOf(' rhost=', i + 1)) {
    at7.push(i);
    if (at7.length > MAX_CANDIDATES) at7.shift();
  }
  let best: { host: string; user?: string; ruser: string } | null = null;
  for (const i of at7) {
    const r = parse(fields.slice(0, i), fields.slice(i + 7));
    if (!r) continue;
    // A daemon that sets PAM_RUSER to the login name (vsftpd) with pam_unix's `audit` logs the name twice,
    // `ruser=NAME rhost=HOST  user=NAME`: the split where both agree is the real one, whatever NAME holds.
    if (r.user !== undefined && r.user === r.ruser) return r;
    best = r;
  }
  return best;
}

/** How many ` rhost=` candidates of one line are tried (a real line has one, a forged name a few). */
const MAX_CANDIDATES = 64;

const SPACE = /\s/;

/**
 * `user` without a trailing `[preauth]` and the white space before it (what `.replace(/\s*\[preauth\]$/, '')`
 * did, in linear time: that regex tried `\s*` from every space of a long run of them).
 */
function withoutPreauth(user: string): string {
  if (!user.endsWith('[preauth]')) return user;
  let end = user.length - 9;
  while (end > 0 && SPACE.test(user.charAt(end - 1))) end--;
  return user.slice(0, end);
}
