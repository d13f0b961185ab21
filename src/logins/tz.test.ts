import { describe, expect, it } from 'vitest';
import { localTime, mkTime, zoneFromTZ } from '../core/tz.ts';
import { ctime, ctimeShort, hhmm, isoTime } from './tz.ts';

describe('time zones', () => {
  it('formats ctime and util-linux ISO times in the named zone', () => {
    const t = Date.UTC(2013, 7, 28, 3, 0, 5) / 1000;
    expect(ctime(t, zoneFromTZ('GMT'))).toBe('Wed Aug 28 03:00:05 2013');
    expect(ctime(t, zoneFromTZ('Asia/Tokyo'))).toBe('Wed Aug 28 12:00:05 2013');
    expect(ctime(Date.UTC(2013, 7, 1) / 1000, zoneFromTZ('UTC'))).toBe('Thu Aug  1 00:00:00 2013');
    expect(ctimeShort(t, zoneFromTZ('America/St_Johns'))).toBe('Wed Aug 28 00:30');
    expect(isoTime(t, zoneFromTZ('America/St_Johns'))).toBe('2013-08-28T00:30:05-02:30');
    expect(isoTime(t, zoneFromTZ('Asia/Kolkata'))).toBe('2013-08-28T08:30:05+05:30');
    expect(hhmm(t, zoneFromTZ('Australia/Lord_Howe'))).toBe('13:30');
  });

  it('follows DST transitions exactly, also inside a cached day', () => {
    const berlin = zoneFromTZ('Europe/Berlin');
    const before = Date.UTC(2023, 2, 26, 0, 59, 59) / 1000;
    expect(ctime(before, berlin)).toBe('Sun Mar 26 01:59:59 2023');
    expect(ctime(before + 1, berlin)).toBe('Sun Mar 26 03:00:00 2023');
    expect(localTime(before + 1, berlin).gmtoff).toBe(7200);
  });

  it('reads POSIX and empty TZ values as glibc does', () => {
    const t = Date.UTC(2020, 0, 1, 12) / 1000;
    expect(hhmm(t, zoneFromTZ('JST-9'))).toBe('21:00');
    expect(hhmm(t, zoneFromTZ(''))).toBe('12:00');
    expect(hhmm(t, zoneFromTZ(':Asia/Tokyo'))).toBe('21:00');
    expect(hhmm(t, zoneFromTZ('No/Such_Zone'))).toBe('12:00');
  });

  it('inverts local time with mkTime, normalising overflowing fields', () => {
    const tokyo = zoneFromTZ('Asia/Tokyo');
    expect(mkTime({ year: 2013, month: 8, day: 28, hour: 2, minute: 20, second: 0 }, tokyo)).toBe(
      Date.UTC(2013, 7, 27, 17, 20) / 1000,
    );
    expect(mkTime({ year: 2013, month: 3, day: 0, hour: 0, minute: 0, second: 0 }, zoneFromTZ('UTC'))).toBe(
      Date.UTC(2013, 1, 28) / 1000,
    );
  });
});
