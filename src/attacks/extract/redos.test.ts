import { describe, expect, it } from 'vitest';
import { makeZone } from '../../core/tz.ts';
import { enableLinearEngine } from '../../logs/scan/linear.ts';
import { Accountant } from '../account.ts';
import type { Family } from './registry.ts';

/**
 * Crafted single lines (attacker-written user names, HELO names, URLs) that made an extractor's regex take
 * quadratic time on V8's backtracking engine: a line just under 1 MB took a minute or more. A guard against
 * the hang, not a speed measurement: each line must give its real result well inside the timeout.
 */

const N = 1_000_000;
const rep = (s: string, n: number) => s.repeat(Math.max(1, Math.ceil(n / s.length)));
const SYS = (tag: string, msg: string) => `Nov 25 10:00:00 gauntlet ${tag}: ${msg}`;
const APACHE = '[Wed Nov 25 10:00:00 2026] [error] [client 1.2.3.4] ';

interface Case {
  name: string;
  line: () => string;
  hints?: Family[];
  /** kind/host of the event, or null. */
  want: string | null;
}

const CASES: Case[] = [
  {
    name: 'dovecot RIP: a login line without rip=',
    line: () => SYS('dovecot[99]', `imap-login: Disconnected (auth failed, 1 attempts) ${rep('x', N)}`),
    want: null,
  },
  {
    name: 'dovecot USER: user=<user=<... before the real rip=',
    line: () =>
      SYS(
        'dovecot[99]',
        `imap-login: Disconnected (auth failed, 1 attempts) ${rep('user=<', N)} rip=1.2.3.4`,
      ),
    want: 'failure/1.2.3.4',
  },
  {
    name: 'dovecot Login: user=<user=<...',
    line: () => SYS('dovecot[99]', `imap-login: Login: ${rep('user=<', N)}`),
    want: null,
  },
  {
    name: 'dovecot LOGIN_FAIL: (tried to use disallowed ... without )',
    line: () => SYS('dovecot[99]', `imap-login: Disconnected ${rep('(tried to use disallowed ', N)}`),
    want: null,
  },
  {
    name: 'dovecot LOGIN with a CR after many `: imap-login: `',
    line: () => SYS('dovecot[99]', `${rep('a: imap-login: ', N)}\rx`),
    want: null,
  },
  {
    name: 'login(1) FAILED LOGIN with a CR mid-line',
    line: () => SYS('login[99]', `FAILED LOGIN 0 FROM F FOR M${rep(', ', N)}\rx`),
    want: null,
  },
  {
    name: 'courier from=<...>,to=<... ',
    line: () => SYS('courieresmtpd[99]', `error,relay=A,from=<${rep('>,to=<=', N)}`),
    want: null,
  },
  {
    name: 'sendmail pre-greeting with a long [-studded name',
    line: () => SYS('sendmail[99]', `rejecting commands from ${rep('affic[s', N)} pre-greeting`),
    want: null,
  },
  {
    name: "dropbear auth succeeded for '' with ' with ...",
    line: () => SYS('dropbear[99]', `Pubkey auth succeeded for '${rep("' with ", N)}f`),
    want: null,
  },
  {
    name: 'vsftpd FAIL LOGIN[pid 0] [ repeated',
    line: () => SYS('vsftpd[99]', rep(' FAIL LOGIN[pid 0] [', N)),
    want: null,
  },
  {
    name: 'vsftpd [[[ then ] OK LOGIN repeated and a CR',
    line: () => SYS('vsftpd[99]', `${rep('[', N / 2)}${rep('] OK LOGIN: Client ":", ', N / 2)}\rx`),
    want: null,
  },
  {
    name: 'vsftpd FTP command repeated, no closing quote',
    line: () => SYS('vsftpd[99]', `${rep('FTP command: Client ":", "SIZE ', N)}M`),
    want: null,
  },
  {
    name: 'apache Authorization of user ... to access ... (no failed)',
    line: () => `${APACHE}Authorization of user ${rep(' to access ', N)}`,
    hints: ['apache'],
    want: null,
  },
  {
    name: "apache user `' in realm `... (no not found)",
    line: () => `${APACHE}user \`${rep("' in realm `", N)}`,
    hints: ['apache'],
    want: null,
  },
  {
    name: 'pam_unix user= of a million spaces (the [preauth] trim)',
    line: () =>
      SYS(
        'vsftpd[99]',
        `pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=203.0.113.9  user=${rep(' ', N)}x`,
      ),
    want: 'failure/203.0.113.9',
  },
  {
    name: 'dovecot auth worker pam(... without the closing ): (F6)',
    line: () => SYS('dovecot[99]', `auth: Password mismatch ${rep(': pam(,2,<h', N)}`),
    want: null,
  },
  {
    name: 'dovecot 2.4 auth(,:,sasl:d)<0 repeated',
    line: () => SYS('dovecot[99]', `auth(${rep(',:,sasl:d)<0', N)} Password mismatch`),
    want: null,
  },
  {
    name: 'sendmail AUTH failure with , user= repeated',
    line: () => SYS('sendmail[99]', `AUTH failure (LOGIN): ${rep(', user=', N)}`),
    want: null,
  },
  {
    name: 'sendmail from= ... nrcpts=0 ... relay= repeated (F6)',
    line: () => SYS('sendmail[99]', `q1: from=${rep(', nrcpts=0, ', N / 2)}]${rep('relay=c', N / 2)}m]`),
    want: null,
  },
  {
    name: 'exim synchronization error with rejected "" H=[c] input= repeated (F6)',
    line: () =>
      SYS('exim[99]', `SMTP protocol synchronization error (${rep('): rejected "" H=[c] input="(', N)}\rx`),
    want: null,
  },
  {
    name: "dropbear Exit before auth (user ' repeated",
    line: () =>
      SYS(
        'dropbear[99]',
        `Exit before auth (user '${rep("', 0 fails): Max auth tries reached - user 'm", N)}`,
      ),
    want: null,
  },
  {
    name: 'wu-ftpd FTP LOGIN REFUSED with a CR mid-line',
    line: () => SYS('ftpd[99]', `FTP LOGIN REFUSED (${rep(') FROM [G], ', N)}\rx`),
    want: null,
  },
  {
    name: 'pure-ftpd (@s) [INFO] repeated',
    line: () => SYS('pure-ftpd[99]', `(${rep('@s) [INFO] ', N)}l`),
    want: null,
  },
  {
    name: 'nginx PAM user with a long request word',
    line: () =>
      `2026/11/25 10:00:00 [error] 1#1: *1 PAM: user '' - not authenticated: , client: 1.2.3.4, server: , request: "M :${rep('nB', N)}`,
    hints: ['nginx'],
    want: 'failure/1.2.3.4',
  },
  {
    name: 'nginx access forbidden with a long request word',
    line: () =>
      `2026/11/25 10:00:00 [error] 1#1: *1 access forbidden by rule, client: 1.2.3.4, server: , request: "A ${rep('e', N)}f, server: `,
    hints: ['nginx'],
    want: null,
  },
];

describe('crafted long lines', () => {
  // The attacks check runs with V8's linear-engine fallback on (the logs reader compiles its rules first).
  enableLinearEngine();
  for (const c of CASES) {
    it(`${c.name}: real result without a hang`, { timeout: 10_000 }, () => {
      const acc = new Accountant({
        now: new Date(Date.UTC(2026, 10, 26, 14)),
        zone: makeZone('UTC'),
        hints: c.hints ?? [],
      });
      const line = c.line();
      expect(line.length).toBeGreaterThan(900_000);
      expect(line.length).toBeLessThan(1 << 20);
      const e = acc.hit(line, 1);
      expect(e ? `${e.kind}/${e.host}` : null).toBe(c.want);
    });
  }
});
