import { describe, expect, it } from 'vitest';
import { adHocSpec } from './probe.ts';

describe('probe --timeout', () => {
  it('says a timeout of 0 (or more than 300) must be more than 0 and at most 300, not "between 0 and 300"', () => {
    const spec = (timeout: string) => () => adHocSpec('http://127.0.0.1/', { timeout, insecure: false });
    for (const t of ['0', '-1', '301', 'soon'])
      expect(spec(t)).toThrow(`Bad --timeout ${t}: give seconds, more than 0 and at most 300`);
    expect(spec('0.5')).not.toThrow();
    expect(spec('300')).not.toThrow();
  });
});
