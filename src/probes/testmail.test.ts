import { describe, expect, it } from 'vitest';
import { roundtripMessage } from './smtp.ts';
import { describeRemoved, parseHead, testMailOf } from './testmail.ts';

const token = 'tenken-0b8f5c1e-3d2a-4f6b-9c7d-1e2f3a4b5c6d';
const owner = { from: 'tenken@tenken.invalid', to: 'box@tenken.test' };
const sent = new Date('2026-03-01T01:00:00Z');
const message = (o: Partial<Parameters<typeof roundtripMessage>[0]> = {}): string =>
  roundtripMessage({ ...owner, token, date: sent, helo: 'tenken.invalid', ...o });
/** As delivered: the MTA's headers added on top, LF line ends (a Maildir file). */
const delivered = (m: string): string =>
  `Return-Path: <tenken@tenken.invalid>\nDelivered-To: box@tenken.test\nReceived: from tenken.invalid\n\tby mail.tenken.test; Sun,  1 Mar 2026 01:00:00 +0000 (UTC)\n${m.replaceAll('\r\n', '\n')}`;

describe('testMailOf', () => {
  it("knows tenken's test mail as delivered, with its token and sending time", () => {
    expect(testMailOf(delivered(message()), owner)).toEqual({ token, sent });
  });

  it('knows the test mail of an older version, whose body said "it is deleted once found"', () => {
    const old = message().replace(
      /\r\n\r\n[\s\S]*$/,
      `\r\n\r\ntenken sent this message to check that mail is delivered; it is deleted once found.\r\n${token}\r\n`,
    );
    expect(testMailOf(old, owner)?.token).toBe(token);
  });

  it("never takes a person's mail for one: a body quoting the header, or the header alone", () => {
    const quoting = [
      'From: <alice@tenken.test>',
      'To: <box@tenken.test>',
      'Subject: why do I get these?',
      '',
      `My inbox has a mail with X-Tenken-Probe: ${token} in it.`,
      '',
    ].join('\n');
    expect(testMailOf(quoting, owner)).toBeNull();
    const headerOnly = message().replace(/\r\n\r\n[\s\S]*$/, '\r\n\r\nhello, a mail of mine\r\n');
    expect(testMailOf(headerOnly, owner)).toBeNull();
    expect(testMailOf(message({ from: 'alice@tenken.test' }), owner)).toBeNull();
    expect(testMailOf(message({ to: 'carol@tenken.test' }), owner)).toBeNull();
    expect(testMailOf(message({ token: 'tenken-x1' }), owner)).toBeNull();
    expect(
      testMailOf(message().replace('Subject: tenken round trip', 'Subject: Re: tenken round trip'), owner),
    ).toBeNull();
    expect(testMailOf(`${message()}`.replace(/^/, `X-Tenken-Probe: ${token}\r\n`), owner)).toBeNull();
  });

  it('unfolds folded header lines', () => {
    expect(parseHead('Subject: a\n b\nX: 1\n\nbody').headers.get('subject')).toEqual(['a b']);
  });
});

describe('describeRemoved', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  it('says a delivery hours after sending was delayed, with the oldest sending time', () => {
    const r = describeRemoved(
      [
        { token: 'a', sent, delivered: new Date('2026-03-01T11:59:00Z') },
        { token: 'b', sent: new Date('2026-03-01T02:00:00Z'), delivered: new Date('2026-03-01T11:59:00Z') },
      ],
      now,
    );
    expect(r).toEqual({
      late: true,
      text: '2 test mails of earlier runs arrived late (the oldest sent 2026-03-01 01:00 UTC, 11 h ago; delivered up to 11 h after sending): delivery was delayed; removed',
    });
  });

  it('says mails delivered in time (their run could not read the mailbox) or at an unknown time plainly', () => {
    expect(describeRemoved([{ token: 'a', sent, delivered: new Date(sent.getTime() + 2000) }], now)).toEqual({
      late: false,
      text: '1 test mail of an earlier run removed from the mailbox (sent 2026-03-01 01:00 UTC, 11 h ago)',
    });
    expect(describeRemoved([{ token: 'a', sent, delivered: null }], now)?.late).toBe(false);
    expect(describeRemoved([], now)).toBeNull();
  });
});
