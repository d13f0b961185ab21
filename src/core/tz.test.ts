import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeHost } from './host.ts';
import {
  civilFromDays,
  daysFromCivil,
  hostZoneChoice,
  hostZoneName,
  inspectedZone,
  inferYear,
  inferYears,
  isTimeZone,
  localTime,
  makeZone,
  mkTime,
  timezoneFileName,
  type YearContext,
  zoneFromTZ,
  zoneNotice,
} from './tz.ts';

describe('calendar arithmetic', () => {
  it('round-trips day counts and agrees with Date.UTC (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), (days) => {
        const [y, m, d] = civilFromDays(days);
        const ms = Date.UTC(2000, 0, 1) + (days - daysFromCivil(2000, 1, 1)) * 86_400_000;
        const date = new Date(ms);
        return (
          daysFromCivil(y, m, d) === days &&
          (Math.abs(y) > 9999 ||
            (date.getUTCFullYear() === y && date.getUTCMonth() + 1 === m && date.getUTCDate() === d))
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('zones', () => {
  it('gives the local time of an instant as Intl does, DST included', () => {
    const t = Date.UTC(2026, 6, 1, 10) / 1000;
    expect(localTime(t, zoneFromTZ('Europe/Berlin'))).toMatchObject({ hour: 12, gmtoff: 7200 });
    expect(localTime(t, makeZone('Europe/Berlin'))).toMatchObject({ hour: 12, gmtoff: 7200 });
    expect(localTime(Date.UTC(2026, 0, 1, 10) / 1000, zoneFromTZ('Europe/Berlin')).hour).toBe(11);
  });

  it('converts wall-clock times to instants and back (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 946_684_800, max: 4_102_444_800 }),
        fc.constantFrom('UTC', 'Asia/Tokyo', 'America/Sao_Paulo', 'Europe/Berlin', 'Australia/Lord_Howe'),
        (sec, tz) => {
          const zone = makeZone(tz);
          const w = localTime(sec, zone);
          const back = zone.toEpoch(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) / 1000;
          // A wall time that happens twice (a DST overlap) may come back as its other instance.
          const again = localTime(back, zone);
          return (
            back === sec ||
            (Math.abs(back - sec) <= 3600 &&
              again.day === w.day &&
              again.hour === w.hour &&
              again.minute === w.minute &&
              again.second === w.second)
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads TZ values as glibc does, and names ICU knows as the log readers always have', () => {
    const t = Date.UTC(2020, 6, 1, 12) / 1000;
    expect(localTime(t, zoneFromTZ('JST-9')).hour).toBe(21);
    expect(localTime(t, zoneFromTZ('')).hour).toBe(12);
    expect(localTime(t, zoneFromTZ(':Asia/Tokyo')).hour).toBe(21);
    expect(localTime(t, zoneFromTZ('No/Such_Zone')).hour).toBe(12);
    expect(localTime(t, makeZone(':Asia/Tokyo')).hour).toBe(21);
    expect(localTime(t, makeZone('JST-9')).hour).toBe(21);
    expect(localTime(t, makeZone('EST5EDT')).hour).toBe(8); // the tz database's zone, with its summer time
    expect([isTimeZone('Asia/Tokyo'), isTimeZone('Mars/Olympus')]).toEqual([true, false]);
  });

  it("uses this process's zone and Date's rules when the host names none", () => {
    const zone = makeZone(undefined);
    for (const [y, mo, d, h, mi] of [
      [2026, 2, 29, 2, 30], // a gap in Europe, not elsewhere
      [2026, 9, 25, 2, 30], // an overlap in Europe
      [2026, 6, 1, 12, 5],
    ] as const) {
      const ms = new Date(y, mo, d, h, mi, 7).getTime();
      expect(zone.toEpoch(y, mo, d, h, mi, 7)).toBe(ms);
      expect(zone.yearOf(ms)).toBe(new Date(ms).getFullYear());
      expect(localTime(ms / 1000, zone).hour).toBe(new Date(ms).getHours());
    }
  });

  it('resolves a DST overlap as each reader always has', () => {
    // Berlin repeats 02:00-03:00 on 2026-10-25: the readers pick the second (CET), Date the first.
    const berlin = makeZone('Europe/Berlin');
    expect(new Date(berlin.toEpoch(2026, 9, 25, 2, 30, 0)).toISOString()).toBe('2026-10-25T01:30:00.000Z');
    expect(mkTime({ year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0 }, berlin)).toBe(
      Date.UTC(2026, 9, 25, 1, 30) / 1000,
    );
    // New York repeats 01:00-02:00 on 2026-11-01: the first (EDT).
    const ny = zoneFromTZ('America/New_York');
    expect(new Date(ny.toEpoch(2026, 10, 1, 1, 30, 0)).toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });
});

describe('year inference', () => {
  const utc = makeZone('UTC');
  const ctx = (reference: number): YearContext => ({ reference, zone: utc });
  const stamp = (month: number, day: number, hour = 0) => ({ month, day, hour, minute: 0, second: 0 });

  it("puts a line in the file's year unless that makes it newer than the last write (a day of slack)", () => {
    const ref = Date.UTC(2026, 5, 1, 12);
    expect(inferYear(4, 25, 0, 0, 0, ctx(ref))).toBe(2026);
    expect(inferYear(5, 2, 5, 0, 0, ctx(ref))).toBe(2026);
    expect(inferYear(5, 3, 5, 0, 0, ctx(ref))).toBe(2025);
    expect(inferYear(11, 31, 23, 0, 0, ctx(Date.UTC(2027, 0, 2)))).toBe(2026);
    // The slack is a real day, also across a month's end.
    expect(inferYear(1, 1, 0, 30, 0, ctx(Date.UTC(2026, 0, 31, 12)))).toBe(2026);
  });

  it("uses the zone's calendar for the reference's year", () => {
    const tokyo = makeZone('Asia/Tokyo');
    // 2026-12-31T20:00Z is already 2027 in Tokyo: a January 1st line is this year's.
    expect(inferYear(0, 1, 3, 0, 0, { reference: Date.UTC(2026, 11, 31, 20), zone: tokyo })).toBe(2027);
    expect(inferYear(0, 1, 3, 0, 0, { reference: Date.UTC(2026, 11, 31, 20), zone: utc })).toBe(2026);
  });

  it('steps back a year at each December → January turn, walking back from the end', () => {
    expect(
      inferYears(
        [stamp(11, 30), stamp(12, 31), stamp(1, 1), stamp(12, 1), stamp(1, 2)],
        ctx(Date.UTC(2027, 0, 3, 12)),
      ),
    ).toEqual([2025, 2025, 2026, 2026, 2027]);
    expect(inferYears([stamp(12, 30), stamp(12, 31)], ctx(Date.UTC(2027, 0, 2, 12)))).toEqual([2026, 2026]);
    expect(inferYears([], ctx(0))).toEqual([]);
  });

  it('never yields years that go back in time or a last line after the last write (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 28 }) }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.integer({ min: 2000, max: 2100 }),
        (days, year) => {
          const stamps = days.map((d) => stamp(d.month, d.day));
          const years = inferYears(stamps, ctx(Date.UTC(year, 11, 31, 12)));
          const last = stamps.length - 1;
          return years[last] === year && years.every((y, i) => i === last || y <= (years[i + 1] as number));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('hostZoneName', () => {
  it('reads the zone of a tree under --root: the /etc/localtime link, else /etc/timezone, else UTC', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-tz-'));
    try {
      fs.mkdirSync(path.join(root, 'etc'));
      const host = makeHost({ root, name: 'h', env: { TZ: 'Asia/Tokyo' } });
      expect(hostZoneName(host, undefined)).toBe('UTC');
      fs.writeFileSync(path.join(root, 'etc/timezone'), 'Asia/Kolkata\n');
      expect(hostZoneName(host, undefined)).toBe('Asia/Kolkata');
      // timedatectl set-timezone moves the link and leaves /etc/timezone stale (Debian 12, Ubuntu 24.04):
      // the link is what glibc and the daemons' stamps follow.
      fs.symlinkSync('/usr/share/zoneinfo/Europe/Berlin', path.join(root, 'etc/localtime'));
      expect(hostZoneName(host, undefined)).toBe('Europe/Berlin');
      fs.rmSync(path.join(root, 'etc/localtime'));
      fs.symlinkSync('/usr/share/zoneinfo/Mars/Olympus', path.join(root, 'etc/localtime'));
      expect(hostZoneName(host, undefined)).toBe('Asia/Kolkata');
      expect(hostZoneName(host, 'Europe/Paris')).toBe('Europe/Paris');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("hostZoneName: a tree's /etc/timezone that is a link", () => {
  it('reads it inside the tree (an absolute target is the tree’s file), never the auditing machine’s', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-tz-'));
    try {
      fs.mkdirSync(path.join(root, 'etc'));
      fs.writeFileSync(path.join(root, 'etc/timezone.tenken-real'), 'Asia/Kolkata\n');
      fs.symlinkSync('/etc/timezone.tenken-real', path.join(root, 'etc/timezone'));
      expect(hostZoneName(makeHost({ root, name: 'h' }), undefined)).toBe('Asia/Kolkata');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("hostZoneChoice: a tree's /etc/localtime that is no plain zoneinfo/NAME link", () => {
  const SYSTEM = '/usr/share/zoneinfo';
  const withTree = (f: (root: string, localtime: string) => void): void => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-tz-'));
    try {
      fs.mkdirSync(path.join(root, 'etc'));
      f(root, path.join(root, 'etc/localtime'));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  };
  const choice = (root: string) => hostZoneChoice(makeHost({ root, name: 'h' }), undefined);

  it('names a link into posix/ or right/ after the zone (Intl knows neither copy)', () => {
    withTree((root, localtime) => {
      fs.symlinkSync('/usr/share/zoneinfo/posix/Asia/Tokyo', localtime);
      expect(choice(root)).toEqual({ name: 'Asia/Tokyo' });
      fs.rmSync(localtime);
      fs.symlinkSync('../usr/share/zoneinfo/right/Europe/Berlin', localtime);
      expect(choice(root)).toEqual({ name: 'Europe/Berlin' });
    });
  });

  it('names a copied zone file (cp /usr/share/zoneinfo/Asia/Tokyo /etc/localtime) by its bytes', () => {
    withTree((root, localtime) => {
      fs.copyFileSync(path.join(SYSTEM, 'Asia/Tokyo'), localtime);
      expect(choice(root)).toEqual({ name: 'Asia/Tokyo' });
      expect(
        localTime(Date.UTC(2026, 10, 26, 3) / 1000, inspectedZone(makeHost({ root, name: 'h' }), undefined))
          .hour,
      ).toBe(12);
    });
  });

  it("names it from the tree's own zoneinfo first", () => {
    withTree((root, localtime) => {
      const tokyo = fs.readFileSync(path.join(SYSTEM, 'Asia/Tokyo'));
      const edited = Buffer.from(tokyo);
      edited[edited.length - 5] = 0x4b; // "JKT-9": bytes no zone of this machine has
      fs.mkdirSync(path.join(root, 'usr/share/zoneinfo/Asia'), { recursive: true });
      fs.writeFileSync(path.join(root, 'usr/share/zoneinfo/Asia/Seoul'), edited);
      fs.writeFileSync(localtime, edited);
      expect(choice(root)).toEqual({ name: 'Asia/Seoul' });
    });
  });

  it('takes the fixed offset of the footer of a file matching no zone, as Etc/GMT (the sign inverted)', () => {
    withTree((root, localtime) => {
      const tokyo = fs.readFileSync(path.join(SYSTEM, 'Asia/Tokyo'));
      const edited = Buffer.from(tokyo);
      edited[edited.length - 5] = 0x4b; // footer "JKT-9"
      fs.writeFileSync(localtime, edited);
      expect(choice(root)).toEqual({ name: 'Etc/GMT-9' });
      // /etc/timezone names it better than an offset does
      fs.writeFileSync(path.join(root, 'etc/timezone'), 'Asia/Tokyo\n');
      expect(choice(root)).toEqual({ name: 'Asia/Tokyo' });
    });
  });

  it('is UTC, saying why once, for a file with a DST rule matching no zone', () => {
    withTree((root, localtime) => {
      const berlin = Buffer.from(fs.readFileSync(path.join(SYSTEM, 'Europe/Berlin')));
      berlin[berlin.length - 2] = 0x34; // M10.5.0/4: no zone's file
      fs.writeFileSync(localtime, berlin);
      const got = choice(root);
      expect(got.name).toBe('UTC');
      expect(zoneNotice(got)).toBe(
        'zone: UTC (cannot tell the zone of /etc/localtime: a regular file matching no zone, and its rule "CET-1CEST,M3.5.0,M10.5.0/4" is not a fixed offset this system can name)',
      );
    });
  });

  it('is UTC with a notice, never a throw, for a truncated or garbage file', () => {
    withTree((root, localtime) => {
      fs.writeFileSync(localtime, fs.readFileSync(path.join(SYSTEM, 'Asia/Tokyo')).subarray(0, 100));
      expect(zoneNotice(choice(root))).toBe(
        'zone: UTC (cannot tell the zone of /etc/localtime: not a zone file (TZif), or cut short)',
      );
      fs.writeFileSync(localtime, 'Asia/Tokyo\n');
      expect(choice(root)).toMatchObject({ name: 'UTC', unknown: 'not a zone file (TZif), or cut short' });
      fs.rmSync(localtime);
      fs.mkdirSync(localtime);
      expect(choice(root)).toMatchObject({ name: 'UTC', unknown: 'is a directory' });
    });
  });

  it('says nothing for a tree without /etc/localtime, or one whose zone is configured', () => {
    withTree((root, localtime) => {
      expect(choice(root)).toEqual({ name: 'UTC' });
      fs.writeFileSync(localtime, 'garbage');
      expect(hostZoneChoice(makeHost({ root, name: 'h' }), 'Asia/Tokyo')).toEqual({ name: 'Asia/Tokyo' });
    });
  });
});

describe("hostZoneChoice: a tree's /etc/timezone", () => {
  const withTree = (f: (root: string, timezone: string) => void): void => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-tz-'));
    try {
      fs.mkdirSync(path.join(root, 'etc'));
      f(root, path.join(root, 'etc/timezone'));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  };
  const choice = (root: string) => hostZoneChoice(makeHost({ root, name: 'h' }), undefined);

  it('is read from its first line that is neither blank nor a comment, whatever junk follows it', () => {
    expect(timezoneFileName('Asia/Tokyo\n$(id)\u001b[2J\n')).toBe('Asia/Tokyo');
    expect(timezoneFileName('\n# set by the installer\n  Europe/Berlin  \r\nAsia/Tokyo\n')).toBe(
      'Europe/Berlin',
    );
    expect(timezoneFileName('\n# nothing\n\n')).toBeNull();
    withTree((root, timezone) => {
      fs.writeFileSync(timezone, 'Asia/Tokyo\n$(id)\u001b[2J\n');
      expect(choice(root)).toEqual({ name: 'Asia/Tokyo' });
      fs.writeFileSync(timezone, '# written by hand\n\nAmerica/New_York\njunk\n');
      expect(choice(root)).toEqual({ name: 'America/New_York' });
    });
  });

  it('naming no zone is UTC with a notice naming /etc/timezone and why, its text escaped', () => {
    withTree((root, timezone) => {
      fs.writeFileSync(timezone, '../../../../etc/\u001b]0;pwn\u0007\n');
      const got = choice(root);
      expect(got).toMatchObject({ name: 'UTC', path: '/etc/timezone' });
      expect(zoneNotice(got)).toBe(
        'zone: UTC (cannot tell the zone of /etc/timezone: it names "../../../../etc/\\u001b]0;pwn\\u0007", which is no zone this system knows)',
      );
      fs.writeFileSync(timezone, '# only a comment\n');
      expect(zoneNotice(choice(root))).toBe(
        'zone: UTC (cannot tell the zone of /etc/timezone: it holds no zone name (only blank lines and comments))',
      );
      fs.rmSync(timezone);
      fs.mkdirSync(timezone);
      expect(zoneNotice(choice(root))).toBe(
        'zone: UTC (cannot tell the zone of /etc/timezone: is a directory)',
      );
    });
  });

  it('naming no zone either, beside an /etc/localtime that tells none, is said after it', () => {
    withTree((root, timezone) => {
      fs.symlinkSync('/usr/share/zoneinfo/Nowhere/Nope', path.join(root, 'etc/localtime'));
      fs.writeFileSync(timezone, 'Mars/Olympus\n');
      expect(zoneNotice(choice(root))).toBe(
        'zone: UTC (cannot tell the zone of /etc/localtime: a link to "/usr/share/zoneinfo/Nowhere/Nope", which names no zone this system knows; nor of /etc/timezone: it names "Mars/Olympus", which is no zone this system knows)',
      );
    });
  });
});
