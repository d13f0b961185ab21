import { describe, expect, it } from 'vitest';
import { clipWidth, displayWidth, padEndWidth } from './width.ts';

describe('display width', () => {
  it('counts East Asian Wide and Fullwidth characters as 2 columns, combining marks as 0', () => {
    expect(displayWidth('alice')).toBe(5);
    expect(displayWidth('やまだ')).toBe(6);
    expect(displayWidth('東京.example.jp')).toBe(15);
    expect(displayWidth('ｶﾀｶﾅ')).toBe(4); // halfwidth katakana: 1 each
    expect(displayWidth('𠮷野家')).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
  });
  it('pads and clips to terminal columns, never splitting a character', () => {
    expect(padEndWidth('やまだ', 8)).toBe('やまだ  ');
    expect(padEndWidth('やまだ', 4)).toBe('やまだ');
    expect(clipWidth('やまだたろう', 6)).toBe('やま…');
    expect(displayWidth(clipWidth('やまだたろう', 6))).toBe(5);
    expect(clipWidth('abcdefgh', 6)).toBe('abcde…');
    expect(clipWidth('abc', 6)).toBe('abc');
  });
});
