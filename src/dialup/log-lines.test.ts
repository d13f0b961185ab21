import { describe, expect, it } from 'vitest';
import { LineSplitter, LONG_LINE_HEAD_BYTES, MAX_LINE_BYTES } from './log-lines.ts';

/** The lines LineSplitter makes of `bytes` fed in chunks of `size`. */
function split(bytes: Buffer, size: number): [string, number][] {
  const out: [string, number][] = [];
  const s = new LineSplitter((line, no) => out.push([line.toString('latin1'), no]));
  for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
  s.end();
  return out;
}

describe('LineSplitter', () => {
  it('makes the lines split("\\n") makes (but a last empty one), whatever the chunk size', () => {
    const text = 'a\n\nbc\r\nlast';
    for (const size of [1, 2, 3, 5, 100])
      expect(split(Buffer.from(text), size)).toEqual([
        ['a', 1],
        ['', 2],
        ['bc\r', 3],
        ['last', 4],
      ]);
    expect(split(Buffer.from('a\n'), 1)).toEqual([['a', 1]]);
  });

  it('keeps the first 64 KiB of a line over 1 MiB, as src/logs does, and counts the lines after it', () => {
    const long = Buffer.alloc(MAX_LINE_BYTES + 10, 'x');
    for (const size of [4096, MAX_LINE_BYTES + 100]) {
      const got = split(Buffer.concat([long, Buffer.from('\nnext\n')]), size);
      expect(got.map(([l, n]) => [l.length, n])).toEqual([
        [LONG_LINE_HEAD_BYTES, 1],
        [4, 2],
      ]);
    }
    expect(split(Buffer.alloc(MAX_LINE_BYTES, 'y'), 1 << 16)[0]?.[0].length).toBe(MAX_LINE_BYTES);
  });
});
