import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FOLD_CLIP, foldEquals, foldHash, foldMessage, foldRange, trimEnd, trimStart } from './fold.ts';

/** The regex folder the hand-written one replaced: the oracle. */
const TOKEN = /(?<![0-9A-Za-z_.:-])[A-Za-z_.:-]*\d[0-9A-Za-z_.:-]*/g;
function oracleFold(message: string): string {
  const m = message.length > 300 ? message.slice(0, 300) : message;
  return m.replace(TOKEN, '#').trim();
}

/** Characters that matter to folding: word chars, digits, the JS trim set and its neighbours, `#`. */
const PIECES = [
  'a',
  'Z',
  '_',
  '.',
  ':',
  '-',
  '0',
  '7',
  '9',
  ' ',
  '\t',
  '\r',
  '\v',
  '\u00a0',
  '\u0085',
  '\u2000',
  '\u3000',
  '\ufeff',
  '#',
  '/',
  '[',
  'é',
  '\u00ff',
  '\u0000',
  'pid=',
  'j4P1a2b3c',
  'sshd[123]:',
  '192.0.2.1',
  'root',
];
const message = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { maxLength: 120 })
  .map((a) => a.join(''));

/** The clipped and trimmed range foldMessage folds. */
function range(m: string): [number, number] {
  const end = Math.min(m.length, FOLD_CLIP);
  const start = trimStart(m, 0, end);
  return [start, trimEnd(m, start, end)];
}

describe('foldMessage', () => {
  it('replaces ids and numbers by # and keeps words', () => {
    expect(foldMessage('  j4P1a2b3c: SYSERR(root): mailer prog died with signal 13 ')).toBe(
      '# SYSERR(root): mailer prog died with signal #',
    );
    expect(foldMessage('connect from mail7.example.net[192.0.2.1] port=22')).toBe('connect from #[#] port=#');
  });

  it('agrees with the regex folder on generated messages, long ones clipped at 300 characters', () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 400 }), (m, pad) => {
        const long = `${'x'.repeat(pad)}${m}`;
        expect(foldMessage(m)).toBe(oracleFold(m));
        expect(foldMessage(long)).toBe(oracleFold(long));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a message by hash and comparison exactly when the folded forms are equal', () => {
    fc.assert(
      fc.property(message, message, (a, b) => {
        const [as, ae] = range(a);
        const [bs, be] = range(b);
        const fa = oracleFold(a);
        const fb = oracleFold(b);
        expect(foldRange(a, as, ae)).toBe(fa);
        expect(foldEquals(a, as, ae, fa)).toBe(true);
        expect(foldEquals(b, bs, be, fa)).toBe(fa === fb);
        if (fa === fb) expect(foldHash(a, as, ae)).toBe(foldHash(b, bs, be));
      }),
      { numRuns: 2000 },
    );
  });

  it('tells apart messages whose folded forms differ only in length or in one character', () => {
    const m = 'error at 12 x';
    const [s, e] = range(m);
    expect(foldEquals(m, s, e, 'error at # x')).toBe(true);
    expect(foldEquals(m, s, e, 'error at # x ')).toBe(false);
    expect(foldEquals(m, s, e, 'error at #')).toBe(false);
    expect(foldEquals(m, s, e, 'error at ## x')).toBe(false);
    expect(foldEquals(m, s, e, 'error at 1 x')).toBe(false);
  });
});
