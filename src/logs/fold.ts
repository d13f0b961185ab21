/**
 * Folds a message so that lines differing only in numbers and ids count as one: every word-like token
 * containing a digit (pids, ports, IPs, queue ids like `j4P1a2b3c`, hex) becomes `#`.
 *
 * A token is a maximal run of `[0-9A-Za-z_.:-]`; the folded form replaces each run holding an ASCII digit
 * by `#`, then trims (JS `trim`). This is what `message.replace(/(?<![0-9A-Za-z_.:-])[A-Za-z_.:-]*\d[0-9A-Za-z_.:-]*\/g,
 * '#').trim()` computes (fold.test.ts keeps that regex as the oracle), written by hand because the engine
 * folds every matching line: `foldHash` keys a line's folded form without building a string, which a
 * regex cannot do.
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

/** Seeds of the two fold hashes: random per thread, so crafted log lines cannot aim at a collision. */
const SEEDS = crypto.getRandomValues(new Uint32Array(2));
/** The first hash's seed (the SIMD kernel's fold takes the same). */
export const SEED1 = (SEEDS[0] as number) | 0;
/** The second hash's seed. */
export const SEED2 = (SEEDS[1] as number) | 0;

/** Word classes of bytes 0-255 (0 other, 1 word character, 2 digit), for the kernel's copy of foldHash. */
export const FOLD_WORDS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t.set(WORD);
  return t;
})();

/**
 * Keys messages inside a line a scanner is reporting without a string pass: the SIMD kernel's fold over
 * the line's bytes in its memory (kernel.ts). Valid only during the hit's callback.
 */
export interface LineFolder {
  /** The low half of the key of the folded form of the line's [start, end) (offsets into its text). */
  key(start: number, end: number): number;
  /** The high half of the key `key` computed last. */
  high: number;
}

/** Holds the second half of the key `foldHash` computed last (read it right after the call). */
export const foldKey = { high: 0 };

/**
 * A 64-bit key of the folded form of `s[start, end)` (already clipped and trimmed), computed without
 * building it: the low 32 bits are returned, the high 32 bits left in `foldKey.high`. Equal folded forms
 * have equal keys; different ones collide with odds of about n²/2⁶⁵ among n distinct messages (one in
 * 10¹² for the few thousand a top list keeps), so the aggregator counts by key without comparing text.
 * Both halves mix each character non-linearly (FNV-1a, and a Murmur-style multiply–xorshift) from random
 * seeds: polynomial hashes modulo 2³² collide on known strings (Thue–Morse) whatever their base.
 */
export function foldHash(s: string, start: number, end: number): number {
  let h = SEED1;
  let g = SEED2;
  let i = start;
  while (i < end) {
    let c = s.charCodeAt(i);
    if (c < 128 && WORD[c] !== 0) {
      let digit = false;
      let rh = h;
      let rg = g;
      do {
        if (WORD[c] === 2) digit = true;
        rh = Math.imul(rh ^ c, 0x01000193);
        rg = Math.imul(rg + c, 0x5bd1e995);
        rg ^= rg >>> 15;
        if (++i >= end) break;
        c = s.charCodeAt(i);
      } while (c < 128 && WORD[c] !== 0);
      if (digit) {
        h = Math.imul(h ^ HASH, 0x01000193);
        g = Math.imul(g + HASH, 0x5bd1e995);
        g ^= g >>> 15;
      } else {
        h = rh;
        g = rg;
      }
    } else {
      h = Math.imul(h ^ c, 0x01000193);
      g = Math.imul(g + c, 0x5bd1e995);
      g ^= g >>> 15;
      i++;
    }
  }
  foldKey.high = g;
  return h;
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
