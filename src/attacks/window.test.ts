import { describe, expect, it } from 'vitest';
import { peak, peakDistinct } from './window.ts';

describe('sliding windows', () => {
  it('finds the densest window whatever the input order', () => {
    const times = [0, 1000, 700_000, 701_000, 702_000, 703_000, 5000];
    expect(peak(times, 600_000)).toEqual({ count: 4, at: 700_000 });
  });
  it('counts an event at the window edge as inside', () => {
    expect(peak([0, 600_000], 600_000).count).toBe(2);
    expect(peak([0, 600_001], 600_000).count).toBe(1);
  });
  it('counts distinct targets, not repeats', () => {
    const items = [22, 22, 23, 25, 80].map((p, i) => ({ t: i * 1000, key: `port ${p}` }));
    expect(peakDistinct(items, 10_000)).toBe(4);
    expect(peakDistinct(items, 1000)).toBe(2);
  });
});
