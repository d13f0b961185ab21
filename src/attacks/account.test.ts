import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeZone } from '../core/tz.ts';
import { Accountant, readerNeedles, SYSLOG_ANCHORS, SYSLOG_FAMILIES } from './account.ts';
import { extractors } from './extract/registry.ts';

describe('reader needles', () => {
  it('cover every needle of every syslog family (each contains an anchor, ignoring case)', () => {
    for (const f of SYSLOG_FAMILIES) {
      for (const n of extractors[f].needles) {
        const lower = n.toLowerCase();
        expect(
          SYSLOG_ANCHORS.some((a) => lower.includes(a)),
          `${f} needle ${JSON.stringify(n)} has no anchor`,
        ).toBe(true);
      }
    }
  });

  it('add the needles of hinted own-log families', () => {
    expect(readerNeedles(['web'])).toEqual(expect.arrayContaining([...extractors.web.needles]));
    expect(readerNeedles(['proxy'])).toEqual(expect.arrayContaining([...extractors.proxy.needles]));
    expect(readerNeedles([])).not.toContain('/phf');
  });
});

describe('accountant fast path', () => {
  const now = new Date(Date.UTC(2024, 11, 31));
  const zone = makeZone('UTC');
  const host = fc.constantFrom(
    '203.0.113.7',
    '198.51.100.2',
    '::ffff:192.0.2.9',
    '2001:db8::5',
    'bad host',
    '',
  );
  /** Tagged lines of the programs the fast path reads the prefix of and hands on (and a few it takes). */
  const line = fc
    .tuple(
      fc.integer({ min: 0, max: 59 }),
      fc.constantFrom('srv ', ''),
      fc.constantFrom(
        'dovecot',
        'postfix/smtpd[5]',
        'kernel',
        'su[7]',
        'login[8]',
        'syslogd',
        'sshd[9]',
        'x',
      ),
      host,
      fc.constantFrom(
        (h: string) =>
          `imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<a>, method=PLAIN, rip=${h}, lip=192.0.2.5`,
        (h: string) => `imap-login: Login: user=<a>, method=PLAIN, rip=${h}, lip=192.0.2.5, mpid=1`,
        (h: string) => `warning: unknown[${h}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`,
        (h: string) => `[UFW BLOCK] IN=eth0 OUT= SRC=${h} DST=192.0.2.5 PROTO=TCP SPT=1 DPT=22 SYN`,
        (h: string) =>
          `pam_unix(su:auth): authentication failure; logname=a uid=1 euid=0 tty=pts/0 ruser=a rhost=${h}  user=root`,
        (_h: string) => 'FAILED SU (to root) a on pts/0',
        (h: string) => `Failed password for root from ${h} port 22 ssh2`,
        (_h: string) => 'last message repeated 3 times',
        (h: string) => `message repeated 2 times: [ Failed password for root from ${h} port 22 ssh2]`,
      ),
      fc.constantFrom('', '\r'),
    )
    // Known difference, left as is: the fast path reads `kernel:`'s and `sshd[N]:`'s own messages only, so
    // a `last message repeated` under those tags (no syslog daemon writes one) is no repeat there.
    .filter(([, , tag, h, msg]) => !(/^(?:kernel|sshd)/.test(tag) && msg(h).startsWith('last message')))
    .map(
      ([s, hn, tag, h, msg, cr]) => `Jun 30 10:00:${String(s).padStart(2, '0')} ${hn}${tag}: ${msg(h)}${cr}`,
    );

  it('counts exactly what the general path counts on lines it hands on (the prefix read once)', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const run = (fast: boolean) => {
          const acc = new Accountant({ now, zone, fast });
          return lines.map((l, i) => acc.hit(l, i + 1));
        };
        expect(run(true)).toStrictEqual(run(false));
      }),
      { numRuns: 2000 },
    );
  });
});
