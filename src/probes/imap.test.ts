import { describe, expect, it } from 'vitest';
import { need } from '../../test/services/index.ts';
import { quote } from './imap.ts';
import { lines, probe } from './testing.ts';

describe('imap probe against dovecot', () => {
  it('reads the greeting, capabilities and upgrades with STARTTLS', async () => {
    const s = need('dovecot');
    const r = await probe({ url: `imap://127.0.0.1:${s.ports.imap}`, ca: s.certs.ca });
    expect(r.status, r.summary).toBe('OK');
    expect(r.details.banner).toMatch(/^\* OK .*Dovecot/);
    expect(r.details.capabilities).toContain('IMAP4rev1');
    expect(lines(r)).toContain('> t2 STARTTLS');
    expect(r.summary).toMatch(/^greeting in \d+ ms, TLS, certificate \d+ days left$/);
  });

  it('logs in and counts INBOX, the password masked', async () => {
    const s = need('dovecot');
    const r = await probe({
      url: `imap://${s.fixture.mailUser}:${encodeURIComponent(s.fixture.mailPassword)}@127.0.0.1:${s.ports.imap}`,
      ca: s.certs.ca,
    });
    expect(r.status, r.summary).toBe('OK');
    expect(r.summary).toMatch(/logged in, \d+ messages? in INBOX/);
    expect(lines(r).some((l) => /^> t\d+ LOGIN "box" \*\*\*$/.test(l))).toBe(true);
    expect(JSON.stringify(r)).not.toContain(s.fixture.mailPassword);
  });

  it('fails when STARTTLS is required but the certificate is untrusted (tls)', async () => {
    const s = need('dovecot');
    const r = await probe({ url: `imap://127.0.0.1:${s.ports.imap}`, starttls: 'require' });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'tls']);
  });

  it('classifies IMAP spoken to a POP3 server as a protocol error', async () => {
    const s = need('dovecot');
    const r = await probe({ url: `imap://127.0.0.1:${s.ports.pop3}` });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'protocol']);
    expect(r.summary).toMatch(/^greeting: not an IMAP greeting: \+OK/);
  });
});

describe('quote', () => {
  it('escapes backslashes and double quotes for an IMAP quoted string', () => {
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});
