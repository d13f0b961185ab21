import { describe, expect, it } from 'vitest';
import { append } from './array.ts';

describe('append', () => {
  it('appends 300k items where push(...items) overflows the stack', () => {
    const big = Array.from({ length: 300_000 }, (_, i) => i);
    expect(() => [0].push(...big)).toThrow(RangeError);
    const to = [-1];
    expect(append(to, big)).toBe(to);
    expect(to.length).toBe(300_001);
    expect(to[0]).toBe(-1);
    expect(to.at(-1)).toBe(299_999);
  });

  it('takes any iterable', () => {
    expect(append(['a'], new Set(['b', 'c']))).toEqual(['a', 'b', 'c']);
  });
});
