import { describe, expect, it } from 'vitest';
import { makeZone, parsePrefix, tagMatches } from './syslog.ts';

const utc = makeZone('UTC');
const at = (iso: string) => ({ reference: Date.parse(iso), zone: utc });
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

describe('RFC 3164 prefixes', () => {
  it('takes the year from the file time, and the year before for December lines in a January file', () => {
    const ctx = at('2027-01-02T08:00:00Z');
    expect(iso(parsePrefix('Dec 31 23:59:59 gw sendmail[5836]: x', ctx).time)).toBe(
      '2026-12-31T23:59:59.000Z',
    );
    expect(iso(parsePrefix('Jan  1 00:00:01 gw sendmail[5836]: x', ctx).time)).toBe(
      '2027-01-01T00:00:01.000Z',
    );
    expect(iso(parsePrefix('Jan  2 08:30:00 gw cron: x', ctx).time)).toBe('2027-01-02T08:30:00.000Z');
  });
  it('keeps the file year for a line a few hours ahead (clock skew), not a year back', () => {
    expect(iso(parsePrefix('Nov 24 12:00:00 gw x: y', at('2026-11-24T09:00:00Z')).time)).toBe(
      '2026-11-24T12:00:00.000Z',
    );
  });
  it('reads host and program, dropping the pid; the message starts after the tag', () => {
    const line =
      'Nov 24 10:00:00 gw sendmail[5836]: j4P1a2b3c: SYSERR(root): mailer prog died with signal 213';
    const p = parsePrefix(line, at('2026-11-25T00:00:00Z'));
    expect([p.host, p.program, line.slice(p.messageStart)]).toEqual([
      'gw',
      'sendmail',
      'j4P1a2b3c: SYSERR(root): mailer prog died with signal 213',
    ]);
    expect(
      parsePrefix('Nov  4 10:00:00 gw postfix/smtpd[1]: connect', at('2026-11-25T00:00:00Z')).program,
    ).toBe('postfix/smtpd');
    expect(parsePrefix('Nov 24 10:00:00 gw kernel: [1.0] x', at('2026-11-25T00:00:00Z')).program).toBe(
      'kernel',
    );
    expect(parsePrefix('Nov 24 10:00:00 gw -- MARK --', at('2026-11-25T00:00:00Z')).program).toBeNull();
  });
  it('converts local times in the host zone', () => {
    const p = parsePrefix('Nov 24 10:00:00 gw x: y', {
      reference: Date.parse('2026-12-01T00:00:00Z'),
      zone: makeZone('Asia/Tokyo'),
    });
    expect(iso(p.time)).toBe('2026-11-24T01:00:00.000Z');
  });
});

describe('other prefixes', () => {
  it('parses RFC 5424 with structured data', () => {
    const line =
      '<34>1 2026-11-24T10:00:00.123+09:00 gw sshd 812 ID47 [ex@1 a="x]y"] Failed password for root';
    const p = parsePrefix(line, at('2026-11-25T00:00:00Z'));
    expect([iso(p.time), p.host, p.program, line.slice(p.messageStart)]).toEqual([
      '2026-11-24T01:00:00.123Z',
      'gw',
      'sshd',
      'Failed password for root',
    ]);
  });
  it('parses ISO timestamps (rsyslog high precision)', () => {
    const p = parsePrefix('2026-11-24T10:00:00.5-05:00 gw named[3]: query', at('2026-11-25T00:00:00Z'));
    expect([iso(p.time), p.host, p.program]).toEqual(['2026-11-24T15:00:00.500Z', 'gw', 'named']);
  });
  it('finds the time of Apache common log lines', () => {
    const p = parsePrefix(
      '198.51.100.23 - - [24/Nov/2026:10:00:00 +0900] "GET /cgi-bin/phf HTTP/1.0" 200 12',
      at('2026-11-25T00:00:00Z'),
    );
    expect([iso(p.time), p.program]).toEqual(['2026-11-24T01:00:00.000Z', null]);
  });
});

describe('tag matching', () => {
  it('matches a tag exactly or as the part before a slash, never anywhere in the line', () => {
    expect(tagMatches('sendmail', 'sendmail')).toBe(true);
    expect(tagMatches('postfix/smtpd', 'postfix')).toBe(true);
    expect(tagMatches('sendmail-helper', 'sendmail')).toBe(false);
    expect(tagMatches('postfix', 'postfix/smtpd')).toBe(false);
  });
});
