import { describe, expect, it } from 'vitest';
import { makeZone } from '../../core/tz.ts';
import { Accountant } from '../account.ts';
import type { Family } from './registry.ts';

/** The lines dovecot 2.3.19 (Debian 12) wrote to its `log_path` in test/e2e-attacks.test.ts, as they are. */
const OWN_LOG = [
  'Nov 26 13:18:32 pop3-login: Info: Disconnected: Connection closed (auth failed, 2 attempts in 1 secs): user=<nosuchpop>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, secured, session=<nsekxy1hjMV/AAAB>',
  'Nov 26 13:18:32 pop3-login: Info: Login: user=<box>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=23835, secured, session=<Iiu0xy1hjsV/AAAB>',
  'Nov 26 13:18:32 pop3(box)<23835><Iiu0xy1hjsV/AAAB>: Info: Disconnected: Logged out top=0/0, retr=0/0, del=0/0, size=0',
  'Nov 26 13:18:32 imap-login: Info: Disconnected: Connection closed (auth failed, 3 attempts in 1 secs): user=<nosuchimap>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, secured, session=<mMqkxy1horV/AAAB>',
  'Nov 26 13:18:32 imap-login: Info: Login: user=<box>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=23839, secured, session=<M967xy1hpLV/AAAB>',
];

function events(lines: string[], hints: Family[]) {
  const acc = new Accountant({ now: new Date(Date.UTC(2026, 10, 26, 14)), zone: makeZone('UTC'), hints });
  return lines.flatMap((l) => {
    const e = acc.line(l);
    return e ? [{ kind: e.kind, host: e.host, user: e.user, service: e.service, attempts: e.attempts }] : [];
  });
}

describe('dovecot logins', () => {
  const expected = [
    { kind: 'failure', host: '127.0.0.1', user: 'nosuchpop', service: 'dovecot', attempts: 2 },
    { kind: 'success', host: '127.0.0.1', user: 'box', service: 'dovecot', attempts: 0 },
    { kind: 'failure', host: '127.0.0.1', user: 'nosuchimap', service: 'dovecot', attempts: 3 },
    { kind: 'success', host: '127.0.0.1', user: 'box', service: 'dovecot', attempts: 0 },
  ];

  it('counts a login process`s `Login: user=<U>` as a success from its rip, in its own log and through syslog', () => {
    expect(events(OWN_LOG, ['dovecot'])).toEqual(expected);
    // the same messages as rsyslog writes them (Debian's dovecot logs to syslog by default)
    const syslog = OWN_LOG.map((l) => l.replace(/^(\w{3} \d\d \d\d:\d\d:\d\d) /, '$1 mail dovecot: '));
    expect(events(syslog, [])).toEqual(expected);
  });

  it('takes the host from the last rip= (dovecot`s own), not from a user name holding one', () => {
    const line =
      'Nov 26 13:18:32 imap-login: Info: Login: user=<a>, method=PLAIN, rip=6.6.6.6>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=23839, secured, session=<M967xy1hpLV/AAAB>';
    expect(events([line], ['dovecot'])).toMatchObject([{ kind: 'success', host: '127.0.0.1' }]);
  });
});

describe('dovecot auth workers in its own log', () => {
  it('counts a 2.4 `auth(USER,ADDR,sasl:mech)` mismatch and its login line as one attempt, with the user whole', async () => {
    const { AttackDetectors } = await import('../detect.ts');
    const { attacksConfig } = await import('../config.ts');
    // dovecot's `log_path` lines (its default `%b %d %H:%M:%S ` stamp): the worker line has no syslog tag.
    const lines = [
      'Nov 26 10:01:00 auth(bob,192.0.2.6,sasl:plain)<xyz>: Info: sql: Password mismatch',
      'Nov 26 10:01:02 imap-login: Info: Login aborted: Connection closed (auth failed, 1 attempts in 2 secs) (auth_failed): user=<bob>, method=PLAIN, rip=192.0.2.6, lip=0.0.0.0, TLS, session=<xyz>',
    ];
    const acc = new Accountant({
      now: new Date(Date.UTC(2026, 10, 26, 14)),
      zone: makeZone('UTC'),
      hints: ['dovecot'],
    });
    const det = new AttackDetectors(attacksConfig.parse({}));
    lines.forEach((l, i) => {
      const e = acc.line(l);
      if (e) det.add({ event: e, line: i + 1, text: l, source: '/var/log/dovecot.log' });
    });
    expect(det.finish().sources).toMatchObject([{ host: '192.0.2.6', failures: 1, users: ['bob'] }]);
  });
});
