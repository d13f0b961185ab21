import { describe, expect, it } from 'vitest';
import { exitCode, worst } from './status.ts';

describe('worst', () => {
  it('ranks CRITICAL over UNKNOWN over WARNING over OK', () => {
    expect(worst(['OK', 'WARNING', 'UNKNOWN'])).toBe('UNKNOWN');
    expect(worst(['UNKNOWN', 'CRITICAL', 'WARNING'])).toBe('CRITICAL');
    expect(worst(['OK', 'WARNING'])).toBe('WARNING');
  });
  it('keeps INFO visible but never above a problem', () => {
    expect(worst(['OK', 'INFO'])).toBe('INFO');
    expect(worst(['INFO', 'WARNING'])).toBe('WARNING');
    expect(worst([])).toBe('OK');
  });
  it('maps to Nagios exit codes', () => {
    expect([
      exitCode('OK'),
      exitCode('INFO'),
      exitCode('WARNING'),
      exitCode('CRITICAL'),
      exitCode('UNKNOWN'),
    ]).toEqual([0, 0, 1, 2, 3]);
  });
});
