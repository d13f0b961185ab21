import { describe, expect, it } from 'vitest';
import { addrText, careful, durationText, type FormatOptions, formatEntry, trailer } from './last-format.ts';
import type { LastEntry } from './sessions.ts';
import { zoneFromTZ } from '../core/tz.ts';
import { addrFromText, decodeRecord, encodeRecord, LAYOUTS, type UtmpRecordInput } from './utmp.ts';

const T = Date.UTC(2013, 7, 28, 12) / 1000;
const opts: FormatOptions = {
  timeFormat: 'short',
  showHost: true,
  hostLast: false,
  useIp: false,
  fullNames: false,
  now: T + 86_400 * 400,
  zone: zoneFromTZ('GMT'),
};
const entry = (r: UtmpRecordInput, more: Partial<LastEntry> = {}): LastEntry => ({
  kind: 'login',
  end: 'logout',
  record: decodeRecord(encodeRecord({ type: 7, sec: T, ...r }), 0, LAYOUTS['glibc-384'], 0),
  line: r.line ?? '',
  logout: T + 600,
  file: 0,
  ...more,
});

describe('last columns', () => {
  it('formats durations with util-linux sign quirks', () => {
    expect(durationText(600)).toBe(' (00:10)');
    expect(durationText(3 * 86400 + 3600 + 60)).toBe('(3+01:01)');
    expect(durationText(-120)).toBe(' (-00:02)');
    expect(durationText(-7200 - 60)).toBe(' (-2:01)');
    expect(durationText(-86400 * 2 - 60)).toBe('(-2+00:01)');
  });

  it('prints addresses like glibc inet_ntop, IPv4 in the first word', () => {
    expect(addrText(addrFromText('198.41.0.4'))).toBe('198.41.0.4');
    expect(addrText([0, 0, 0, 0])).toBe('0.0.0.0');
    expect(addrText(addrFromText('::ffff:10.0.0.1'))).toBe('10.0.0.1');
    expect(addrText(addrFromText('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(addrText(addrFromText('fe80::1'))).toBe('fe80::1');
    expect(addrText(addrFromText('::1'))).toBe('::1');
    expect(addrText(addrFromText('::1.2.3.4'))).toBe('::1.2.3.4');
    expect(addrText(addrFromText('1:0:2:0:3:0:4:0'))).toBe('1:0:2:0:3:0:4:0');
  });

  it('escapes unprintable bytes as last does, and also newline, CR and bell', () => {
    expect(careful('a\u0001b\u00c3\u00a9\u007f\tz')).toBe('a*Ab\\303\\251*?\tz');
    expect(careful('evil\nroot     pts/0\r\u0007')).toBe('evil*Jroot     pts/0*M*G');
  });

  it('lays out the default, -R, -a and -w columns', () => {
    const e = entry({
      user: 'alice',
      line: 'pts/0',
      host: 'workstation.example.org',
      addr: addrFromText('192.0.2.1'),
    });
    expect(formatEntry(e, opts)).toBe(
      'alice    pts/0        workstation.exam Wed Aug 28 12:00 - 12:10  (00:10)\n',
    );
    expect(formatEntry(e, { ...opts, showHost: false })).toBe(
      'alice    pts/0        Wed Aug 28 12:00 - 12:10  (00:10)\n',
    );
    expect(formatEntry(e, { ...opts, hostLast: true, useIp: true })).toBe(
      'alice    pts/0        Wed Aug 28 12:00 - 12:10  (00:10)     192.0.2.1\n',
    );
    expect(formatEntry(e, { ...opts, fullNames: true, timeFormat: 'iso' })).toBe(
      'alice    pts/0        workstation.example.org 2013-08-28T12:00:00+00:00 - 2013-08-28T12:10:00+00:00  (00:10)\n',
    );
  });

  it('words open sessions per time format', () => {
    const e = entry({ user: 'bob', line: 'tty1' }, { end: 'gone', logout: 0 });
    expect(formatEntry(e, opts)).toBe(
      'bob      tty1                          Wed Aug 28 12:00    gone - no logout\n',
    );
    expect(formatEntry(e, { ...opts, timeFormat: 'notime' })).toBe(
      'bob      tty1                            no logout\n',
    );
    const s = entry({ user: 'bob', line: 'tty1' }, { end: 'still-logged-in', logout: 0 });
    expect(formatEntry(s, { ...opts, timeFormat: 'full' })).toBe(
      'bob      tty1                          Wed Aug 28 12:00:00 2013   still logged in\n',
    );
    const crash = entry({ user: 'bob', line: 'tty1' }, { end: 'crash', logout: T + 90_000 });
    expect(formatEntry(crash, opts)).toBe(
      'bob      tty1                          Wed Aug 28 12:00 - crash (1+01:00)\n',
    );
  });

  it('writes the begins trailer, except with notime', () => {
    expect(trailer('wtmp', T, opts)).toBe('\nwtmp begins Wed Aug 28 12:00:00 2013\n');
    expect(trailer('wtmp', T, { ...opts, timeFormat: 'notime' })).toBe('');
  });
});
