import { describe, expect, it } from 'vitest';
import { runNeedsServices } from './services/setup.ts';

describe('runNeedsServices', () => {
  it('starts the daemons for a whole-suite run and for runs naming a suite that needs them', () => {
    expect(runNeedsServices(['run'])).toBe(true);
    expect(runNeedsServices(['run', '--reporter=json', '--outputFile.json=/tmp/x'])).toBe(true);
    expect(runNeedsServices(['run', 'src/probes'])).toBe(true);
    expect(runNeedsServices(['run', 'src/logins/mail.test.ts'])).toBe(true);
    // A broad filter selects the probe suites too.
    expect(runNeedsServices(['run', 'test', 'src/report'])).toBe(true);
    expect(runNeedsServices(['run', 'src/probes/http.test.ts'])).toBe(true);
    expect(runNeedsServices(['run', 'test/e2e'])).toBe(true);
  });
  it('starts nothing for a run filtered to suites that do not need them', () => {
    expect(runNeedsServices(['run', 'src/logs'])).toBe(false);
    expect(
      runNeedsServices(['run', '--reporter', 'json', 'src/attacks', 'test/conformance/fail2ban.test.ts']),
    ).toBe(false);
  });
});
