/**
 * Display width of text in a terminal's columns, for text tables that pad user and host names: an East Asian
 * Wide or Fullwidth character (漢, カ, Ａ) takes 2 columns, a combining mark 0, so `padEnd` (which counts
 * UTF-16 units) misaligned every column after a Japanese name. string-width does the Unicode part (grapheme
 * clusters, emoji, East Asian Width); ambiguous-width characters count as narrow, as in a UTF-8 terminal
 * outside a CJK legacy setting.
 */
import { lazyRequire } from './lazy.ts';

// Loaded on first use (a non-ASCII text): its module compiles Unicode property RegExps and an Intl.Segmenter,
// ~25 ms of every start-up, which most runs (ASCII logs and names) never need.
const stringWidth = lazyRequire<typeof import('string-width')>('string-width');

/** The columns `text` takes on a terminal (text already terminal-safe: no escapes). */
export function displayWidth(text: string): number {
  // ASCII without controls: one column a character (the common case, without the segmenter's cost).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: printable ASCII is the fast path
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  return stringWidth().default(text);
}

/** `text` padded with spaces to `width` columns (as String.padEnd does for characters); longer text as is. */
export function padEndWidth(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}

/** Made on first use, as string-width is. */
let segmenter: Intl.Segmenter | undefined;

/**
 * `text` cut to at most `width` columns, marking the cut with `…` (as clip does for characters); a wide
 * character that would cross the edge is left out, and a grapheme cluster is never split.
 */
export function clipWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  segmenter ??= new Intl.Segmenter();
  for (const { segment } of segmenter.segment(text)) {
    const w = displayWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}
