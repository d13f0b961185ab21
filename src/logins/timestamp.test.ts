import { describe, expect, it } from 'vitest';
import { parseSec, parseTimestamp } from './timestamp.ts';
import { zoneFromTZ } from '../core/tz.ts';

describe('parseTimestamp (util-linux 2.38 parse_timestamp)', () => {
  const gmt = zoneFromTZ('GMT');
  // util-linux's own unit test table (lib/timeutils.c, reference 1674180427, TZ=GMT), minus the `@` and
  // sub-second forms that 2.38 does not have yet.
  it.each([
    ['2012-09-22 16:34:22', 1348331662],
    ['2012-09-22 16:34', 1348331640],
    ['2012-09-22', 1348272000],
    ['16:34:22', 1674232462],
    ['16:34', 1674232440],
    ['now', 1674180427],
    ['yesterday', 1674086400],
    ['today', 1674172800],
    ['tomorrow', 1674259200],
    ['+5min', 1674180727],
    ['-5days', 1673748427],
    ['20120922163422', 1348331662],
  ])('reads %s', (text, expected) => {
    expect(parseTimestamp(text, 1674180427, gmt)).toBe(expected);
  });

  it('reads the README forms, two-digit years, weekday prefixes and "ago"', () => {
    expect(parseTimestamp('2013-08-28T02:20:00', 0, gmt)).toBe(Date.UTC(2013, 7, 28, 2, 20) / 1000);
    expect(parseTimestamp('13-08-28 02:20', 0, gmt)).toBe(Date.UTC(2013, 7, 28, 2, 20) / 1000);
    expect(parseTimestamp('Wed 2013-08-28', 0, gmt)).toBe(Date.UTC(2013, 7, 28) / 1000);
    expect(parseTimestamp('Mon 2013-08-28', 0, gmt)).toBeNull();
    expect(parseTimestamp('1 hour ago', 7200, gmt)).toBe(3600);
  });

  it('rejects what 2.38 rejects', () => {
    for (const bad of [
      '@1348331662',
      '2013-08-28T02:20',
      '2013-08-28 02:20:00.5',
      'xx',
      '2013-13-01',
      '5 parsecs ago',
    ]) {
      expect(parseTimestamp(bad, 0, gmt), bad).toBeNull();
    }
  });

  it('reads local times in the given zone, not the process one', () => {
    expect(parseTimestamp('2013-08-28 02:20', 0, zoneFromTZ('Asia/Tokyo'))).toBe(
      Date.UTC(2013, 7, 27, 17, 20) / 1000,
    );
    expect(parseTimestamp('2013-01-15 12:00', 0, zoneFromTZ('America/New_York'))).toBe(
      Date.UTC(2013, 0, 15, 17) / 1000,
    );
  });

  it('parses systemd time spans', () => {
    expect(parseSec('1h 30min')).toBe(5400e6);
    expect(parseSec('2.5days')).toBe(216000e6);
    expect(parseSec('')).toBeNull();
    expect(parseSec('5 furlongs')).toBeNull();
  });
});
