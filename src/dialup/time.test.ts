import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inferYears, instantOf, isTimeZone, parseHours, wallOf, withinHours } from './time.ts';

const stamp = (month: number, day: number, hour = 0) => ({ month, day, hour, minute: 0, second: 0 });
const ref = (year: number, month: number, day: number) => ({
  year,
  month,
  day,
  hour: 12,
  minute: 0,
  second: 0,
});

describe('inferYears', () => {
  it('puts lines in the year of the last write', () => {
    expect(inferYears([stamp(5, 1), stamp(5, 25)], ref(2026, 6, 1))).toEqual([2026, 2026]);
  });

  it('steps back a year at each December → January turn, walking back from the end', () => {
    expect(
      inferYears([stamp(11, 30), stamp(12, 31), stamp(1, 1), stamp(12, 1), stamp(1, 2)], ref(2027, 1, 3)),
    ).toEqual([2025, 2025, 2026, 2026, 2027]);
  });

  it('puts a line dated after the last write in the year before (a December log read in January)', () => {
    expect(inferYears([stamp(12, 30), stamp(12, 31)], ref(2027, 1, 2))).toEqual([2026, 2026]);
  });

  it('allows a day of slack for zone doubts', () => {
    expect(inferYears([stamp(6, 2, 5)], ref(2026, 6, 1))).toEqual([2026]);
    expect(inferYears([stamp(6, 3, 5)], ref(2026, 6, 1))).toEqual([2025]);
  });

  it('never yields a time after the last write (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 28 }) }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.integer({ min: 2000, max: 2100 }),
        (days, year) => {
          const stamps = days.map((d) => stamp(d.month, d.day));
          const years = inferYears(stamps, ref(year, 12, 31));
          const last = stamps.length - 1;
          return years[last] === year && years.every((y, i) => i === last || y <= (years[i + 1] as number));
        },
      ),
      { numRuns: 200 },
    );
  });
});

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
