/**
 * One log line written to two files is one line. rsyslog's default rules on Debian and Ubuntu send each
 * mail line to both /var/log/syslog and /var/log/mail.log (kernel lines to syslog and kern.log, cron
 * lines to syslog and cron.log, Ubuntu's mail errors to a third file, mail.err), and the logs check reads
 * them all: counted in each, a healthy day's postfix errors doubled crossed the warning threshold.
 *
 * The same rule as the attacks check's (src/attacks/same-line.ts): per line text (a 52-bit hash of its
 * bytes, a trailing CR aside), the sources are taken in reading order, and a line counts when the current
 * source has had it more often than any earlier source, so n copies in one source and m in a later one
 * count max(n, m) times; identical lines within one source all count. A source is one configured log
 * with its rotated members (one stream), numbered by the engine.
 *
 * Kept for matching lines only (the filter sees lines about to be counted), in an open-addressing table
 * in one Float64Array (16 bytes a slot, no per-entry object): a keyword-dense syslog has millions.
 */

/** Largest copy count kept per source (counts saturate there). */
const MAX_COUNT = 2 ** 20 - 1;

/** Where a line's bytes are copied to be hashed (a native copy, then 4 bytes a read: charCodeAt is slower). */
let scratch = Buffer.alloc(1 << 16);
let words = new Int32Array(scratch.buffer, scratch.byteOffset, scratch.length >> 2);

/**
 * 52-bit hash of a line's latin1 text without a trailing CR: two 32-bit multiply–xorshift lanes over
 * alternate 4-byte words, each mixed into the other at the end (lines differing in one word never
 * collide; others with odds of about n²/2⁵³ among n distinct lines).
 */
export function lineHash(s: string): number {
  if (s.length > scratch.length) {
    scratch = Buffer.alloc(Math.max(s.length, scratch.length * 2));
    words = new Int32Array(scratch.buffer, scratch.byteOffset, scratch.length >> 2);
  }
  let n = scratch.write(s, 0, 'latin1');
  if (n > 0 && scratch[n - 1] === 13) n--;
  let a = 0x811c9dc5 ^ n;
  let b = 0x9e3779b9;
  const full = n >> 2;
  let k = 0;
  for (; k + 2 <= full; k += 2) {
    a = Math.imul(a ^ (words[k] as number), 0x85ebca6b);
    a ^= a >>> 15;
    b = Math.imul(b ^ (words[k + 1] as number), 0xc2b2ae35);
    b ^= b >>> 13;
  }
  for (let i = k << 2; i < n; i++) a = Math.imul(a ^ (scratch[i] as number), 0x01000193);
  a ^= Math.imul(b, 0x27d4eb2f);
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a ^= a >>> 13;
  b ^= Math.imul(a, 0x165667b1);
  b = Math.imul(b ^ (b >>> 15), 0x846ca68b);
  b ^= b >>> 16;
  return (a >>> 0) * 2 ** 20 + ((b >>> 0) & 0xfffff);
}

/**
 * The hash a line is counted once by: its text's, and the services it goes to (`key`). A line rsyslog copied
 * into syslog and mail.log goes to postfix from both and is one line; the same text in two services' own
 * logs (two apps writing "warning: cache full") is two lines, one for each.
 */
export function copyHash(text: string, key: string): number {
  const h = lineHash(text);
  let k = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) k = Math.imul(k ^ key.charCodeAt(i), 0x01000193);
  const high = Math.floor(h / 2 ** 20);
  return ((high ^ k) >>> 0) * 2 ** 20 + (h % 2 ** 20);
}

/** Counts each line of one run once across its sources (see the file's comment). */
export class SameLines {
  /**
   * Two numbers a slot (one cache line holds both): hash + 1 (0: empty), then source index (12 bits),
   * copies in that source (20 bits) and most copies in an earlier source (20 bits).
   */
  private table = new Float64Array(2 << 12);
  private size = 0;
  /** Sources that kept lines, for `earlier`, and the last one added (a Set lookup a line is not free). */
  private readonly stored = new Set<number>();
  private lastStored = -1;

  /**
   * Whether a line with hash `hash` read from source `source` (indexes in reading order) counts, and
   * notes it; with `store` false (no later source reads the table) a line no earlier source had is
   * admitted without being kept.
   */
  admit(source: number, hash: number, store = true): boolean {
    const key = hash + 1;
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    let slot = slotOf(hash, mask);
    let k: number;
    while ((k = table[slot << 1] as number) !== 0 && k !== key) slot = (slot + 1) & mask;
    const src = source & 0xfff;
    if (k === 0) {
      if (!store) return true;
      table[slot << 1] = key;
      table[(slot << 1) + 1] = src * 2 ** 40 + 2 ** 20;
      if (src !== this.lastStored) this.note(src);
      if (++this.size * 4 > (mask + 1) * 3) this.grow();
      return true;
    }
    const packed = table[(slot << 1) + 1] as number;
    let mine = Math.floor(packed / 2 ** 20) % 2 ** 20;
    let before = packed % 2 ** 20;
    if (Math.floor(packed / 2 ** 40) !== src) {
      before = Math.max(before, mine);
      mine = 0;
      if (src !== this.lastStored) this.note(src);
    }
    if (mine < MAX_COUNT) mine++;
    table[(slot << 1) + 1] = src * 2 ** 40 + mine * 2 ** 20 + before;
    return mine > before;
  }

  /** Whether a source other than `source` has kept lines (then `source`'s lines may be copies). */
  earlier(source: number): boolean {
    for (const s of this.stored) if (s !== (source & 0xfff)) return true;
    return false;
  }

  /** Lines kept (distinct texts). */
  get distinct(): number {
    return this.size;
  }

  private note(src: number): void {
    this.stored.add(src);
    this.lastStored = src;
  }

  private grow(): void {
    const old = this.table;
    const table = new Float64Array(old.length * 2);
    const mask = (table.length >> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const key = old[i] as number;
      if (key === 0) continue;
      let slot = slotOf(key - 1, mask);
      while (table[slot << 1] !== 0) slot = (slot + 1) & mask;
      table[slot << 1] = key;
      table[(slot << 1) + 1] = old[i + 1] as number;
    }
    this.table = table;
  }
}

/** A hash's first slot: its bits folded into a table index. */
function slotOf(hash: number, mask: number): number {
  return ((hash % 2 ** 30) ^ Math.floor(hash / 2 ** 22)) & mask;
}
