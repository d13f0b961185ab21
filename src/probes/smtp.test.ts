import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { need } from '../../test/services/index.ts';
import { roundtripMessage } from './smtp.ts';
import { lines, probe } from './testing.ts';

const smtpUrl = (port: number): string => `smtp://127.0.0.1:${port}`;

describe('smtp probe against postfix', () => {
  it('reads the banner, EHLO and upgrades with STARTTLS', async () => {
    const s = need('postfix');
    const r = await probe({ url: smtpUrl(s.ports.smtp), ca: s.certs.ca, expect: 'tenken-test' });
    expect(r.status, r.summary).toBe('OK');
    expect(r.details.banner).toBe('220 mail.tenken.test ESMTP tenken-test');
    expect(r.details.extensions).toContain('AUTH');
    expect(r.details.certTrusted).toBe(true);
    expect(r.summary).toMatch(/^banner in \d+ ms, STARTTLS, certificate \d+ days left$/);
    expect(lines(r)).toEqual(expect.arrayContaining(['> EHLO tenken.invalid', '> STARTTLS', '> QUIT']));
  });

  it('warns about an untrusted STARTTLS certificate, and fails it when STARTTLS is required', async () => {
    const s = need('postfix');
    const auto = await probe({ url: smtpUrl(s.ports.smtp) });
    expect([auto.status, auto.failure, auto.details.certTrusted]).toEqual(['WARNING', 'tls', false]);
    expect(auto.summary).toMatch(/^STARTTLS certificate not trusted: .*; banner in \d+ ms, STARTTLS/);
    const required = await probe({
      url: smtpUrl(s.ports.smtp),
      starttls: 'require',
      user: s.fixture.mailUser,
      password: s.fixture.mailPassword,
    });
    expect([required.status, required.failure]).toEqual(['CRITICAL', 'tls']);
    expect(lines(required).some((l) => l.startsWith('> AUTH'))).toBe(false);
  });

  it('authenticates with AUTH PLAIN and never shows the password', async () => {
    const s = need('postfix', 'dovecot');
    const r = await probe({
      url: `smtp://${s.fixture.mailUser}:${encodeURIComponent(s.fixture.mailPassword)}@127.0.0.1:${s.ports.smtp}`,
      ca: s.certs.ca,
    });
    expect(r.status, r.summary).toBe('OK');
    expect(r.summary).toContain('AUTH');
    expect(r.url).not.toContain(s.fixture.mailPassword);
    expect(JSON.stringify(r)).not.toContain(s.fixture.mailPassword);
    expect(JSON.stringify(r)).not.toContain(
      Buffer.from(`\0${s.fixture.mailUser}\0${s.fixture.mailPassword}`).toString('base64'),
    );
    expect(lines(r)).toContain('> AUTH PLAIN ***');
  });

  it('classifies a banner without the expected text as bad-content', async () => {
    const s = need('postfix');
    const r = await probe({ url: smtpUrl(s.ports.smtp), starttls: 'off', expect: 'Microsoft ESMTP' });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-content']);
  });

  it('delivers a round-trip mail into the Maildir, times it, and removes it', async () => {
    const s = need('postfix');
    const maildir = path.join(s.mailDir, s.fixture.mailUser);
    const r = await probe({
      url: smtpUrl(s.ports.smtp),
      ca: s.certs.ca,
      roundtrip: { to: `${s.fixture.mailUser}@${s.fixture.mailDomain}`, maildir },
    });
    expect(r.status, `${r.summary}\n${lines(r).join('\n')}`).toBe('OK');
    expect(r.summary).toMatch(/round trip delivered in \d+ ms/);
    expect(r.details.deliveryMs).toBeGreaterThanOrEqual(0);
    expect(r.timings.delivered).toBeGreaterThan(r.timings.queued ?? Number.POSITIVE_INFINITY);
    const left = [
      ...(await readdir(path.join(maildir, 'new'))),
      ...(await readdir(path.join(maildir, 'cur'))),
    ];
    const token = String(r.details.token);
    for (const f of left) expect(f).not.toContain(token);
  });

  it('delivers a round-trip mail fetched over POP3 and over IMAP', async () => {
    const s = need('postfix', 'dovecot');
    const to = `${s.fixture.mailUser}@${s.fixture.mailDomain}`;
    const cred = `${s.fixture.mailUser}:${encodeURIComponent(s.fixture.mailPassword)}`;
    const viaPop = await probe({
      url: smtpUrl(s.ports.smtp),
      ca: s.certs.ca,
      roundtrip: { to, fetch: `pop3://${cred}@127.0.0.1:${s.ports.pop3}` },
    });
    expect(viaPop.status, `${viaPop.summary}\n${lines(viaPop).join('\n')}`).toBe('OK');
    const viaImap = await probe({
      url: smtpUrl(s.ports.smtp),
      ca: s.certs.ca,
      roundtrip: { to, fetch: `imap://${cred}@127.0.0.1:${s.ports.imap}` },
    });
    expect(viaImap.status, `${viaImap.summary}\n${lines(viaImap).join('\n')}`).toBe('OK');
    expect(JSON.stringify([viaPop, viaImap])).not.toContain(s.fixture.mailPassword);
  });

  it('times out a round trip to a mailbox that never receives it', async () => {
    const s = need('postfix');
    const r = await probe({
      url: smtpUrl(s.ports.smtp),
      ca: s.certs.ca,
      timeout: 3,
      roundtrip: {
        to: `${s.fixture.mailUser}@${s.fixture.mailDomain}`,
        maildir: path.join(s.dir, 'nowhere'),
        wait: 1,
        keep: true,
      },
    });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'timeout']);
    expect(r.summary).toMatch(/^test mail tenken-[0-9a-f-]+ not delivered to .*nowhere within 1 s$/);
  });

  it('classifies a rejected recipient as bad-status', async () => {
    const s = need('postfix');
    const r = await probe({
      url: smtpUrl(s.ports.smtp),
      ca: s.certs.ca,
      roundtrip: { to: `nobody@${s.fixture.mailDomain}`, maildir: path.join(s.dir, 'nowhere') },
    });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(r.summary).toMatch(/^RCPT TO:<nobody@tenken.test>: 550 .*User unknown/);
  });

  it('names a refused connection on a port without a server', async () => {
    const r = await probe({ url: 'smtp://127.0.0.1:1' });
    expect([r.status, r.failure, r.summary]).toEqual(['CRITICAL', 'refused', 'connection refused']);
  });
});

describe('roundtripMessage', () => {
  it('carries the token in subject, Message-ID, header and body, with CRLF line ends', () => {
    const m = roundtripMessage({
      from: 'a@b',
      to: 'c@d',
      token: 'tenken-x1',
      date: new Date(0),
      helo: 'h.test',
    });
    expect(m).toContain('Subject: tenken round trip tenken-x1\r\n');
    expect(m).toContain('Message-ID: <tenken-x1@h.test>\r\n');
    expect(m).toContain('X-Tenken-Probe: tenken-x1\r\n');
    expect(m).toContain('Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n');
    expect(
      m.endsWith(
        '\r\n\r\ntenken sent this message to check that mail is delivered.\r\n' +
          'tenken deletes it when it finds it in this mailbox: at once, or at a later check if it arrives late ' +
          'or the mailbox could not be read. You may delete it.\r\ntenken-x1\r\n',
      ),
    ).toBe(true);
    expect(m.split('\r\n').some((l) => l.startsWith('.'))).toBe(false);
  });
});
