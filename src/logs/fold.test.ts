import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FOLD_CLIP, foldHash, foldKey, foldMessage, foldRange, trimEnd, trimStart } from './fold.ts';

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

  it('gives two messages the same 64-bit key exactly when their folded forms are equal', () => {
    fc.assert(
      fc.property(message, message, (a, b) => {
        const [as, ae] = range(a);
        const [bs, be] = range(b);
        const fa = oracleFold(a);
        const fb = oracleFold(b);
        expect(foldRange(a, as, ae)).toBe(fa);
        expect(key(a, as, ae) === key(b, bs, be)).toBe(fa === fb);
      }),
      { numRuns: 2000 },
    );
  });

  it('tells apart folded forms that differ only in length or in one character', () => {
    const keyOf = (m: string) => key(m, ...range(m));
    const base = keyOf('error at 12 x');
    expect(keyOf('  error at 7 x\t')).toBe(base);
    for (const other of [
      'error at 12 x y',
      'error at 12',
      'error at 12 13 x',
      'error at xx x',
      'error at a x',
      'error at 12  x',
    ])
      expect(keyOf(other), other).not.toBe(base);
  });

  it('keys a Thue-Morse pair apart (equal under every polynomial hash modulo 2^32)', () => {
    // t and its complement collide for x -> sum c_i * b^i mod 2^32 with any odd base b once long enough.
    let t = 'a';
    let u = 'b';
    while (t.length < 256) [t, u] = [t + u, u + t];
    expect(key(t, 0, t.length)).not.toBe(key(u, 0, u.length));
  });
});

/** foldHash's whole 64-bit key as a string. */
function key(s: string, start: number, end: number): string {
  const low = foldHash(s, start, end);
  return `${low}:${foldKey.high}`;
}
