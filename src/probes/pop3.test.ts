import { describe, expect, it } from 'vitest';
import { need } from '../../test/services/index.ts';
import { lines, probe } from './testing.ts';

describe('pop3 probe against dovecot', () => {
  it('reads the greeting and upgrades with STLS', async () => {
    const s = need('dovecot');
    const r = await probe({ url: `pop3://127.0.0.1:${s.ports.pop3}`, ca: s.certs.ca, expect: 'Dovecot' });
    expect(r.status, r.summary).toBe('OK');
    expect(r.details.banner).toMatch(/^\+OK Dovecot.* ready\.$/);
    expect(r.summary).toMatch(/^greeting in \d+ ms, TLS, certificate \d+ days left$/);
    expect(lines(r)).toEqual(expect.arrayContaining(['> CAPA', '> STLS']));
  });

  it('logs in and counts the messages, the password masked', async () => {
    const s = need('dovecot');
    const r = await probe({
      url: `pop3://${s.fixture.mailUser}@127.0.0.1:${s.ports.pop3}`,
      password: s.fixture.mailPassword,
      ca: s.certs.ca,
    });
    expect(r.status, r.summary).toBe('OK');
    expect(r.summary).toMatch(/logged in, \d+ messages/);
    expect(typeof r.details.messages).toBe('number');
    expect(JSON.stringify(r)).not.toContain(s.fixture.mailPassword);
  });

  it('with STLS off, still logs in over loopback', async () => {
    const s = need('dovecot');
    const r = await probe({
      url: `pop3://${s.fixture.mailUser}:${encodeURIComponent(s.fixture.mailPassword)}@127.0.0.1:${s.ports.pop3}`,
      starttls: 'off',
    });
    expect(r.status, r.summary).toBe('OK');
    expect(r.details.certDaysLeft).toBeUndefined();
  });

  it('classifies a greeting without the expected text as bad-content', async () => {
    const s = need('dovecot');
    const r = await probe({ url: `pop3://127.0.0.1:${s.ports.pop3}`, starttls: 'off', expect: 'Courier' });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-content']);
  });

  it('classifies POP3 spoken to an SMTP server as a protocol error', async () => {
    const s = need('postfix');
    const r = await probe({ url: `pop3://127.0.0.1:${s.ports.smtp}` });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'protocol']);
    expect(r.summary).toMatch(/^greeting: not a POP3 reply: 220 /);
  });
});
