import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import { LineScanner, LOOKBACK } from './lines.ts';
import { compileRules, type RuleSet } from './rules.ts';

/*
 * The lines before a hit (LineHit.before), as a line without a time of its own walks them: whatever the
 * buffer size, the pieces the bytes come in and where the read starts (a resumed read, a part of a split
 * read), the walk sees the same lines: every line that starts at most LOOKBACK bytes before the hit,
 * nearest first, each as its first 512 bytes, ending after a line longer than the buffer (a scan sees only
 * its head) or at the content's start.
 */

const rules = compileRules(logsConfig.parse({}));
const { keywordList: _, ...regexRules } = rules;

/** What a walk from `offset` must see in `content` (the oracle: every line split out of the whole). */
function expected(content: Buffer, offset: number, buffer: number): [string, number][] {
  const starts = [0];
  for (let i = content.indexOf(10); i >= 0 && i + 1 < offset; i = content.indexOf(10, i + 1))
    starts.push(i + 1);
  const out: [string, number][] = [];
  for (let k = starts.length - 1; k >= 0; k--) {
    const ls = starts[k] as number;
    if (ls >= offset) continue;
    if (ls < offset - LOOKBACK) break;
    const len = content.indexOf(10, ls) - ls;
    const long = len >= buffer;
    out.push([content.toString('latin1', ls, ls + (long ? Math.min(512, buffer) : Math.min(len, 512))), ls]);
    if (long) break;
  }
  return out;
}

/** Walks seen by a scanner over content[start, end), fed in `pieces`, for every hit. */
function walks(ruleSet: RuleSet, content: Buffer, start: number, chunk: number, pieces: number[]) {
  const seen: { offset: number; walk: [string, number][] }[] = [];
  const s = new LineScanner(
    ruleSet,
    (hit) => {
      const walk: [string, number][] = [];
      hit.before?.visitBefore(hit.offset, (head, at) => {
        walk.push([head, at]);
        return false;
      });
      seen.push({ offset: hit.offset, walk });
    },
    {
      chunk,
      startOffset: start,
      lookback: true,
      before: () => content.subarray(Math.max(0, start - LOOKBACK - 1), start),
    },
  );
  let at = start;
  for (const p of pieces) {
    s.push(content.subarray(at, Math.min(content.length, at + p)));
    at = Math.min(content.length, at + p);
  }
  s.push(content.subarray(at));
  s.finish(false);
  return { seen, buffer: s.buf.length };
}

/** Lines of every length that matters: empty, short, a few KiB, and longer than some buffers. */
const line = fc.tuple(fc.nat({ max: 19 }), fc.nat({ max: 3 }), fc.boolean()).map(([kind, n, hit]) => {
  const len = kind === 0 ? 20_000 + n * 20_000 : kind === 1 ? 0 : kind < 5 ? 1000 + n * 1000 : 10 + n * 40;
  return `${String.fromCharCode(97 + kind).repeat(len)}${hit ? ' err' : ''}\n`;
});

describe('the lines before a hit', () => {
  it('are the same whatever the buffer, the pieces and where the read starts', () => {
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 40, maxLength: 160 }),
        fc.constantFrom(64, 4096, LOOKBACK + 1, 1 << 20),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 10 }),
        fc.nat(),
        fc.boolean(),
        (lines, chunk, pieces, startAt, regex) => {
          const content = Buffer.from(lines.join(''), 'latin1');
          const starts = [0, ...lines.map((_, i) => lines.slice(0, i + 1).join('').length)].slice(0, -1);
          const start = starts[startAt % starts.length] as number;
          const { seen, buffer } = walks(regex ? regexRules : rules, content, start, chunk, pieces);
          expect(seen.length).toBe(
            lines.filter((l, i) => l.endsWith(' err\n') && (starts[i] as number) >= start).length,
          );
          for (const { offset, walk } of seen) expect(walk).toEqual(expected(content, offset, buffer));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('a line longer than the buffer that has not ended', () => {
  for (const [name, set] of [
    ['kernel', rules],
    ['regex', regexRules as RuleSet],
  ] as const)
    it(`is reported as far as it was read, and a read from there skips its rest (${name})`, () => {
      const hits: string[] = [];
      const one = new LineScanner(set, (h) => hits.push(`${h.line}@${h.offset} ${h.truncated}`), {
        chunk: 64,
        countLines: true,
        tailBytes: 16,
      });
      one.push(Buffer.from(`a error\nlong error ${'x'.repeat(200)}`));
      one.finish(false);
      expect(hits).toEqual(['1@0 false', '2@8 true']);
      expect([one.offset, one.lineCount, one.inLine]).toEqual([8 + 11 + 200, 2, true]);
      expect(one.tailContent.toString()).toBe('x'.repeat(16));

      // A short unfinished line stays unconsumed, as before.
      const short = new LineScanner(set, () => {}, { chunk: 64 });
      short.push(Buffer.from('a error\nb err'));
      short.finish(false);
      expect([short.offset, short.inLine]).toEqual([8, false]);

      // The next read starts inside it: no hit and no line for its rest, whatever pieces it comes in.
      hits.length = 0;
      const two = new LineScanner(set, (h) => hits.push(`${h.line}@${h.offset} ${h.text}`), {
        chunk: 64,
        countLines: true,
        startOffset: one.offset,
        startLine: one.lineCount,
        skipLine: true,
        tailBytes: 16,
      });
      two.push(Buffer.from('x'.repeat(100)));
      expect([two.offset, two.inLine]).toEqual([one.offset + 100, true]);
      two.push(Buffer.from('rest error\nnext error\nend'));
      two.finish(false);
      expect(hits).toEqual([`3@${one.offset + 111} next error`]);
      expect([two.offset, two.lineCount, two.inLine]).toEqual([one.offset + 122, 3, false]);
      expect(two.tailContent.toString()).toBe('rest error\nnext error\n'.slice(-16));
    });
});
