/**
 * Folds a message so that lines differing only in numbers and ids count as one: every word-like token
 * containing a digit (pids, ports, IPs, queue ids like `j4P1a2b3c`, hex) becomes `#`.
 *
 * A token is a maximal run of `[0-9A-Za-z_.:-]`; the folded form replaces each run holding an ASCII digit
 * by `#`, then trims (JS `trim`). This is what `message.replace(/(?<![0-9A-Za-z_.:-])[A-Za-z_.:-]*\d[0-9A-Za-z_.:-]*\/g,
 * '#').trim()` computes (fold.test.ts keeps that regex as the oracle), written by hand because the engine
 * folds every matching line: `foldHash`/`foldEquals` find a line's folded form among known ones without
 * building a string, which a regex cannot do.
 */

import { isSpace } from './syslog.ts';

/** Longest message prefix that is folded (characters). */
export const FOLD_CLIP = 300;

const WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  WORD[c] = /[0-9A-Za-z_.:-]/.test(ch) ? (c >= 48 && c <= 57 ? 2 : 1) : 0;
}
const HASH = 35; // '#'

const isTrimmed = isSpace;

/** Start of the folded range of `s[start, end)` (leading whitespace skipped). */
export function trimStart(s: string, start: number, end: number): number {
  while (start < end && isTrimmed(s.charCodeAt(start))) start++;
  return start;
}

/** End of the folded range of `s[start, end)` (trailing whitespace dropped). */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start && isTrimmed(s.charCodeAt(end - 1))) end--;
  return end;
}

/**
 * A 32-bit hash of the folded form of `s[start, end)` (already clipped and trimmed), computed without
 * building it: equal folded forms have equal hashes.
 */
export function foldHash(s: string, start: number, end: number): number {
  let h = 0;
  let i = start;
  while (i < end) {
    let c = s.charCodeAt(i);
    if (c < 128 && WORD[c] !== 0) {
      let digit = false;
      let run = h;
      do {
        if (WORD[c] === 2) digit = true;
        run = (Math.imul(run, 31) + c) | 0;
        if (++i >= end) break;
        c = s.charCodeAt(i);
      } while (c < 128 && WORD[c] !== 0);
      h = digit ? (Math.imul(h, 31) + HASH) | 0 : run;
    } else {
      h = (Math.imul(h, 31) + c) | 0;
      i++;
    }
  }
  return h;
}

/**
 * Whether the folded form of `s[start, end)` (clipped and trimmed) is exactly `folded`. One pass that stops
 * at the first difference: where `folded` has `#` at a token's start the token must hold a digit (a token
 * never starts with `#`), elsewhere the token must be there verbatim and hold none.
 */
export function foldEquals(s: string, start: number, end: number, folded: string): boolean {
  let k = 0;
  let i = start;
  while (i < end) {
    let c = s.charCodeAt(i);
    if (c < 128 && WORD[c] !== 0) {
      if (folded.charCodeAt(k) === HASH) {
        let digit = false;
        do {
          if (WORD[c] === 2) digit = true;
          if (++i >= end) break;
          c = s.charCodeAt(i);
        } while (c < 128 && WORD[c] !== 0);
        if (!digit) return false;
        k++;
      } else {
        do {
          if (WORD[c] === 2 || c !== folded.charCodeAt(k)) return false;
          k++;
          if (++i >= end) break;
          c = s.charCodeAt(i);
        } while (c < 128 && WORD[c] !== 0);
      }
    } else {
      if (c !== folded.charCodeAt(k)) return false;
      k++;
      i++;
    }
  }
  return k === folded.length;
}

/** The folded form of `s[start, end)` (clipped and trimmed) as a string. */
export function foldRange(s: string, start: number, end: number): string {
  let out = '';
  let from = start; // start of the pending verbatim stretch
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 128 && WORD[c] !== 0) {
      const runStart = i;
      let digit = false;
      for (; i < end; i++) {
        const x = s.charCodeAt(i);
        if (x >= 128 || WORD[x] === 0) break;
        if (WORD[x] === 2) digit = true;
      }
      if (digit) {
        out += `${s.slice(from, runStart)}#`;
        from = i;
      }
    } else i++;
  }
  return from === start ? s.slice(start, end) : out + s.slice(from, end);
}

/** The folded form of a message (clipped to 300 characters first). */
export function foldMessage(message: string): string {
  const end = message.length > FOLD_CLIP ? FOLD_CLIP : message.length;
  const start = trimStart(message, 0, end);
  return foldRange(message, start, trimEnd(message, start, end));
}
