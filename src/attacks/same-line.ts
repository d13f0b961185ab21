/**
 * One log line written to two files is one event. rsyslog's default rules on Debian and Ubuntu send mail
 * lines to both /var/log/syslog and /var/log/mail.log (and kernel lines to syslog and kern.log); exim writes
 * each rejection to mainlog and rejectlog. Counting both copies doubles a source's failures, and three
 * wrong passwords already cross the brute-force threshold.
 *
 * Per line text (as a 52-bit hash: the texts themselves would keep every counted line alive), the sources
 * are taken in reading order: a line counts when the current source has had it more often than any
 * earlier source, so n copies in one file and m in another count max(n, m) times. Identical lines within
 * one file (two failures in the same second of one connection) all count.
 */
export class SameLineFilter {
  /** Hash → source index (12 bits), copies in that source (20 bits), most copies in an earlier source (20 bits). */
  private readonly seen = new Map<number, number>();
  private readonly names = new Map<string, number>();

  /** Whether an event read from `source` on this line text is new (count it), false when a copy. */
  admit(source: string, text: string): boolean {
    let index = this.names.get(source);
    if (index === undefined) {
      index = this.names.size & 0xfff;
      this.names.set(source, index);
    }
    const key = hash52(text);
    const packed = this.seen.get(key);
    let src = index;
    let mine = 0;
    let before = 0;
    if (packed !== undefined) {
      src = Math.floor(packed / 2 ** 40);
      mine = Math.floor(packed / 2 ** 20) % 2 ** 20;
      before = packed % 2 ** 20;
      if (src !== index) {
        before = Math.max(before, mine);
        src = index;
        mine = 0;
      }
    }
    if (mine < 2 ** 20 - 1) mine++;
    this.seen.set(key, src * 2 ** 40 + mine * 2 ** 20 + before);
    return mine > before;
  }
}

/** Two 32-bit multiplicative hashes of the text, combined into an integer below 2^52. */
function hash52(s: string): number {
  let a = 0x811c9dc5 | 0;
  let b = s.length | 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0) * 2 ** 20 + ((b >>> 0) % 2 ** 20);
}
