import { describe, expect, it } from 'vitest';
import { DEMO_ROOT, runCli, tempDir } from '../../test/helpers/cli.ts';
import { parseSince } from './time.ts';
import { makeZone } from './tz.ts';

const NOW = new Date('2026-11-25T12:00:00Z');

describe('parseSince', () => {
  it.each([
    ['90s', '2026-11-25T11:58:30.000Z'],
    ['30m', '2026-11-25T11:30:00.000Z'],
    ['24h', '2026-11-24T12:00:00.000Z'],
    ['7d', '2026-11-18T12:00:00.000Z'],
    ['2w', '2026-11-11T12:00:00.000Z'],
    [' 7d ', '2026-11-18T12:00:00.000Z'],
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2026-11-24T06:00Z', '2026-11-24T06:00:00.000Z'],
    ['2026-11-24 06:00:30Z', '2026-11-24T06:00:30.000Z'],
    ['2026-11-24T06:00:00.250Z', '2026-11-24T06:00:00.250Z'],
    ['2026-11-24T06:00+09:00', '2026-11-23T21:00:00.000Z'],
    ['2026-11-24T06:00-0500', '2026-11-24T11:00:00.000Z'],
  ])('accepts %j', (text, iso) => {
    expect(parseSince(text, NOW).toISOString()).toBe(iso);
  });

  it("reads a date or date-time without offset as the host's wall clock (UTC without a zone)", () => {
    const tokyo = makeZone('Asia/Tokyo');
    expect(parseSince('2026-11-24T06:00', NOW).toISOString()).toBe('2026-11-24T06:00:00.000Z');
    expect(parseSince('2026-11-24T06:00', NOW, { zone: tokyo }).toISOString()).toBe(
      '2026-11-23T21:00:00.000Z',
    );
    // A date alone is the host's midnight: a Tokyo admin's "since Nov 1" includes 08:00 JST on Nov 1.
    expect(parseSince('2026-11-01', NOW, { zone: tokyo }).toISOString()).toBe('2026-10-31T15:00:00.000Z');
    expect(parseSince('2026-11-24T06:00:00.250', NOW, { zone: tokyo }).toISOString()).toBe(
      '2026-11-23T21:00:00.250Z',
    );
    // An offset, when given, wins over the zone.
    expect(parseSince('2026-11-24T06:00Z', NOW, { zone: tokyo }).toISOString()).toBe(
      '2026-11-24T06:00:00.000Z',
    );
  });

  it.each([
    ['12', 'expected a span back from now or an ISO date (e.g. 24h, 7d, 2026-11-01)'],
    ['0', 'expected'],
    ['-5', 'expected'],
    ['x 1', 'expected'],
    ['30 d', 'expected'],
    ['7days', 'expected'],
    ['1.5h', 'expected'],
    ['yesterday', 'expected'],
    ['', 'expected'],
    ['2026-11', 'expected'],
    ['2026-1-5', 'expected'],
    ['Nov 24 2026', 'expected'],
    ['2026-02-30', 'no such date'],
    ['2025-02-29', 'no such date'],
    ['2026-13-01', 'no such date'],
    ['2026-11-00', 'no such date'],
    ['2026-11-24T24:00', 'no such time'],
    ['2026-11-24T06:60', 'no such time'],
    ['2026-11-24T06:00+25:00', 'no such UTC offset'],
    ['99999999d', 'reaches back before 1970'],
    ['1969-12-31', 'before 1970'],
  ])('refuses %j', (text, why) => {
    expect(() => parseSince(text, NOW)).toThrow(`Invalid --since ${JSON.stringify(text)}: ${why}`);
  });

  it('refuses a time more than a minute ahead of now (it would select nothing), allowing a minute of skew', () => {
    expect(() => parseSince('2026-11-25T12:01:01Z', NOW)).toThrow(
      'Invalid --since "2026-11-25T12:01:01Z": in the future (it is 2026-11-25T12:00:00Z now)',
    );
    expect(() => parseSince('2099-01-01', NOW)).toThrow(/^Invalid --since "2099-01-01": in the future/);
    expect(parseSince('2026-11-25T12:00:59Z', NOW).toISOString()).toBe('2026-11-25T12:00:59.000Z');
    expect(parseSince('0s', NOW).toISOString()).toBe(NOW.toISOString());
  });

  it('names the setting it parses', () => {
    expect(() => parseSince('soon', NOW, { what: 'checks.logins.reportSince' })).toThrow(
      /^Invalid checks\.logins\.reportSince "soon": expected/,
    );
  });
});

describe('--since on the command line', () => {
  it('is refused the same way by check, scan, attacks and logins report', async () => {
    const msg =
      'Invalid --since "12": expected a span back from now or an ISO date (e.g. 24h, 7d, 2026-11-01)';
    for (const cmd of [['check'], ['scan'], ['attacks'], ['logins', 'report']]) {
      const r = await runCli(['--root', DEMO_ROOT, ...cmd, '--since', '12']);
      expect({ cmd, code: r.code, stderr: r.stderr }).toEqual({ cmd, code: 3, stderr: `tenken: ${msg}\n` });
    }
  });

  it('is refused in the future by check, scan, attacks, logins report and logins mail, in one line', async () => {
    for (const cmd of [
      ['check'],
      ['scan'],
      ['attacks'],
      ['logins', 'report'],
      ['logins', 'mail', '--dry-run', tempDir()],
    ]) {
      const r = await runCli(['--root', DEMO_ROOT, ...cmd, '--since', '2099-01-01']);
      expect({ cmd, code: r.code, out: r.stdout }).toEqual({ cmd, code: 3, out: '' });
      expect(r.stderr).toMatch(/^tenken: Invalid --since "2099-01-01": in the future \(it is \S+Z now\)\n$/);
    }
  });
});
