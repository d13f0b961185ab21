import { describe, expect, it } from 'vitest';
import { BUILTIN_IGNORE, DEFAULT_THRESHOLDS, logsConfig, statusFor, thresholdFor } from './config.ts';
import { linearProblem } from './scan/linear.ts';

describe('thresholdFor', () => {
  it("lays the config's * over categories without thresholds of their own only", () => {
    const config = { '*': { warn: 100, warnPerHour: 100 } };
    // cgi keeps its own defaults (one probe is worth a look); it does not become warn 100 / crit 20.
    expect(thresholdFor('cgi', config, {})).toEqual(DEFAULT_THRESHOLDS.cgi);
    expect(statusFor(1, 1, thresholdFor('cgi', config, {}))).toBe('WARNING');
    // A user category has none: the config's * is its.
    expect(thresholdFor('diskfull', config, {})).toEqual({
      ...DEFAULT_THRESHOLDS['*'],
      warn: 100,
      warnPerHour: 100,
    });
  });

  it("applies a category's own setting, then the service's * and its own, field by field", () => {
    const t = thresholdFor('error', { error: { warn: 5 } }, { '*': { crit: 7 }, error: { warnPerHour: 2 } });
    expect(t).toEqual({
      warn: 5,
      crit: 7,
      warnPerHour: 2,
      critPerHour: DEFAULT_THRESHOLDS.error?.critPerHour,
    });
  });
});

describe("tenken's own known-benign lines", () => {
  it('are rules a user could write: valid, linear-time regexes, limited to passwd and the password programs', () => {
    const parsed = logsConfig.parse({ ignore: BUILTIN_IGNORE });
    for (const rule of Object.values(parsed.ignore).flat()) {
      if (typeof rule === 'string') throw new Error('a built-in rule names its categories and programs');
      expect(linearProblem(rule.regex as string)).toBeNull();
      expect(rule.categories).toEqual(['passwd']);
      expect(rule.programs).toEqual(['passwd', 'chpasswd', 'usermod']);
    }
    expect(logsConfig.parse({}).builtinIgnore).toBe(true);
  });
});

describe('maxReadPerRun', () => {
  it('defaults to 2 GiB and takes bytes or a size with a binary unit; 0 turns it off', () => {
    expect(logsConfig.parse({}).maxReadPerRun).toBe(2 ** 31);
    for (const [v, bytes] of [
      [1000, 1000],
      [0, 0],
      ['2GiB', 2 ** 31],
      ['512M', 512 * 2 ** 20],
      ['1.5 G', 1.5 * 2 ** 30],
      ['64KB', 64 * 1024],
      ['4096', 4096],
    ] as const)
      expect(logsConfig.parse({ maxReadPerRun: v }).maxReadPerRun).toBe(bytes);
    for (const v of ['2 GB of it', '-1', 'lots', -5, 1.5])
      expect(logsConfig.safeParse({ maxReadPerRun: v }).success).toBe(false);
  });
});
