import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon, Ports } from '../../test/services/daemons.ts';
import { need, privateDaemon } from '../../test/services/index.ts';
import { lines, probe } from './testing.ts';

// A private postfix + dovecot pair: failed logins make dovecot delay the next login from 127.0.0.1,
// which must not slow the shared instance the other tests use. The three failed logins run concurrently,
// so none waits for the delay another one caused.
describe('mail probes against a private postfix + dovecot that refuses logins and then stops', () => {
  let daemon: Daemon;
  let ports: Ports;
  let ca: string;
  let user: string;
  beforeAll(async () => {
    const s = need('postfix', 'dovecot');
    ca = s.certs.ca;
    user = s.fixture.mailUser;
    ({ daemon, ports } = await privateDaemon('mail'));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it.concurrent('classifies a wrong SMTP AUTH password as bad-status with the 535 reply', async () => {
    const r = await probe({ url: `smtp://127.0.0.1:${ports.smtp}`, ca, user, password: 'wrong' });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(r.summary).toMatch(/^AUTH as box: 535 /);
  });

  it.concurrent('classifies a wrong POP3 password as bad-status with the -ERR reply', async () => {
    const r = await probe({ url: `pop3://${user}:wrong@127.0.0.1:${ports.pop3}`, ca });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(r.summary).toMatch(/^login as box: -ERR \[AUTH\] Authentication failed/);
    expect(lines(r)).toContain('> PASS ***');
    expect(JSON.stringify(r)).not.toContain('wrong');
  });

  it.concurrent('classifies a wrong IMAP password as bad-status with the NO reply', async () => {
    const r = await probe({ url: `imap://${user}:wrong@127.0.0.1:${ports.imap}`, ca });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(r.summary).toMatch(/^login as box: NO \[AUTHENTICATIONFAILED\]/);
    expect(JSON.stringify(r)).not.toContain('wrong');
  });

  it.concurrent("says a round trip's mailbox failure is the mailbox's, not the SMTP server's", async () => {
    const r = await probe({
      url: `smtp://127.0.0.1:${ports.smtp}`,
      ca,
      timeout: 5,
      roundtrip: {
        to: `${user}@tenken.test`,
        fetch: `pop3://${user}:wrong@127.0.0.1:${ports.pop3}`,
        wait: 2,
      },
    });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(r.summary).toMatch(
      new RegExp(`^mailbox pop3://${user}@127\\.0\\.0\\.1:${ports.pop3}/?: login as ${user}: -ERR`),
    );
    expect(JSON.stringify(r)).not.toContain('wrong');
  });

  it('names the refusal on each port once the daemons are stopped', async () => {
    expect((await probe({ url: `smtp://127.0.0.1:${ports.smtp}`, ca })).status).toBe('OK');
    await daemon.stop();
    for (const url of [
      `smtp://127.0.0.1:${ports.smtp}`,
      `pop3://127.0.0.1:${ports.pop3}`,
      `imap://127.0.0.1:${ports.imap}`,
    ]) {
      const r = await probe({ url, ca });
      expect([url, r.status, r.failure, r.summary]).toEqual([
        url,
        'CRITICAL',
        'refused',
        'connection refused',
      ]);
    }
  });
});
