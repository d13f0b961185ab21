import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTimeZone } from '../core/tz.ts';
import { instantOf, parseHours, wallOf, withinHours } from './time.ts';

describe('zones', () => {
  it('converts wall-clock times of a zone to instants, across DST', () => {
    expect(
      instantOf(
        { year: 2026, month: 7, day: 1, hour: 12, minute: 0, second: 0 },
        'Europe/Berlin',
      ).toISOString(),
    ).toBe('2026-07-01T10:00:00.000Z');
    expect(
      instantOf(
        { year: 2026, month: 1, day: 1, hour: 12, minute: 0, second: 0 },
        'Europe/Berlin',
      ).toISOString(),
    ).toBe('2026-01-01T11:00:00.000Z');
    expect(
      instantOf(
        { year: 2026, month: 5, day: 25, hour: 6, minute: 1, second: 44 },
        'Asia/Tokyo',
      ).toISOString(),
    ).toBe('2026-05-24T21:01:44.000Z');
  });

  it('round-trips wall time and instant in a zone (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 946_684_800, max: 4_102_444_800 }),
        fc.constantFrom('UTC', 'Asia/Tokyo', 'America/Sao_Paulo'),
        (sec, tz) => {
          const d = new Date(sec * 1000);
          const back = instantOf(wallOf(d, tz), tz);
          // In a DST overlap the earlier offset wins; elsewhere the round trip is exact.
          return back.getTime() === d.getTime() || Math.abs(back.getTime() - d.getTime()) === 3_600_000;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('knows zone names', () => {
    expect([isTimeZone('Asia/Tokyo'), isTimeZone('Mars/Olympus')]).toEqual([true, false]);
  });
});

describe('hours', () => {
  it('parses ranges and refuses anything else', () => {
    expect(parseHours('08:00-18:00, 20:00-24:00')).toEqual([
      { start: 480, end: 1080 },
      { start: 1200, end: 1440 },
    ]);
    for (const bad of ['8-18', '08:00-08:00', '25:00-26:00', '08:60-09:00', '', '08:00-18:00,'])
      expect(parseHours(bad)).toBeNull();
  });

  it('tells whether a time is inside, with ranges across midnight and the end excluded', () => {
    const night = parseHours('22:00-06:00') ?? [];
    expect([21, 22, 3, 5, 6].map((hour) => withinHours(night, { hour, minute: 0 }))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });
});
