import type { LineFolder } from '../fold.ts';
import { KeywordKernel } from './kernel.ts';
import { keywordMask, lineMask, type RuleSet } from './rules.ts';

/**
 * The byte-level line scanner: bytes in, matching lines out, with exact byte offsets.
 *
 * Keyword-only rule sets (the runbook pack, user keywords) run on the SIMD kernel (kernel.ts): it reads
 * the buffer in place, counts newlines and returns the matching lines, and only those become strings.
 * Otherwise (user regexes need every line; no WebAssembly) chunks are decoded as latin1 (one char per
 * byte, so string indexes are byte offsets and invalid UTF-8, NULs or Shift_JIS cannot throw or shift
 * anything) and searched with one alternation regex; line bounds are found only around hits (splitting
 * every line is the usual bottleneck). A line longer than the buffer is scanned in overlapping pieces,
 * keeping only its head, so memory stays bounded whatever the line length. Hand-written because no
 * maintained library streams bytes with offsets this way.
 */

/** One line that matched at least one category. */
export interface LineHit {
  /** Byte offset of the line's first byte in the content. */
  offset: number;
  /** 1-based line number, or 0 when line numbers are not counted. */
  line: number;
  /** The line as latin1 (bytes), without its newline; only the head of an over-long line. */
  text: string;
  /** Category bits (RuleSet.categories[i].bit). */
  mask: number;
  /** True when `text` is only the head of a longer line. */
  truncated: boolean;
  /** Keys messages of this line from its bytes (the SIMD kernel's), valid during the callback only. */
  folder?: LineFolder;
}

/** Scanner options. */
export interface LineScannerOptions {
  /** Buffer size: lines longer than this are scanned in pieces. */
  chunk?: number;
  /** Count lines (costs a pass over every newline); off, hits carry line 0. */
  countLines?: boolean;
  /** Offset and line count of the first byte fed (resuming a file). */
  startOffset?: number;
  startLine?: number;
  /** Bytes of the consumed content's end to keep (for the cursor's tail hash). */
  tailBytes?: number;
  /** Bytes of an over-long line kept as its text. */
  headBytes?: number;
}

/** Default buffer: 1 MiB keeps peak memory low while the regex runs at full speed. */
export const DEFAULT_CHUNK = 1 << 20;

/** Scans a stream of bytes fed in order; reports hits through `onHit`. */
export class LineScanner {
  /** Bytes waiting to be scanned; `buf[0]` is at content offset `base`. */
  readonly buf: Buffer;
  len = 0;
  private base: number;
  private consumedAt: number;
  private lines: number;
  private readonly countLines: boolean;
  private readonly tailBytes: number;
  private readonly headBytes: number;
  private tail: Buffer = Buffer.alloc(0);
  // Long-line state: a line that did not fit the buffer.
  private inLong = false;
  private longStart = 0;
  private longHead: Buffer = Buffer.alloc(0);
  private longMask = 0;
  private longTail: Buffer = Buffer.alloc(0);
  /** Bytes at the buffer's front already scanned as the previous piece's overlap. */
  private overlap = 0;
  /** The SIMD keyword kernel owning `buf`, or null for the regex path. */
  private readonly kernel: KeywordKernel | null;

  constructor(
    private readonly rules: RuleSet,
    private readonly onHit: (hit: LineHit) => void,
    opts: LineScannerOptions = {},
  ) {
    const size = Math.max(opts.chunk ?? DEFAULT_CHUNK, rules.maxKeyword * 2 + 2);
    this.kernel =
      rules.keywordList && !rules.perLine && rules.categories.length > 0
        ? KeywordKernel.create(rules.keywordList, size)
        : null;
    this.buf = this.kernel ? this.kernel.data : Buffer.allocUnsafe(size);
    this.base = opts.startOffset ?? 0;
    this.consumedAt = this.base;
    this.lines = opts.startLine ?? 0;
    this.countLines = opts.countLines ?? false;
    this.tailBytes = opts.tailBytes ?? 1024;
    this.headBytes = Math.min(opts.headBytes ?? 64 * 1024, this.buf.length);
  }

  /** Content offset just after the last consumed (complete) line. */
  get offset(): number {
    return this.consumedAt;
  }

  /** Lines consumed so far (including the start line count). */
  get lineCount(): number {
    return this.lines;
  }

  /** The last bytes (up to tailBytes) of the consumed content. */
  get tailContent(): Buffer {
    return this.tail;
  }

  /** Free space at the end of the buffer, for readers that read straight into it. */
  get free(): number {
    return this.buf.length - this.len;
  }

  /** Copies `data` in and scans whatever complete lines it finishes. */
  push(data: Uint8Array): void {
    let at = 0;
    while (at < data.length) {
      const n = Math.min(this.free, data.length - at);
      this.buf.set(data.subarray(at, at + n), this.len);
      this.len += n;
      at += n;
      this.drain();
    }
  }

  /** Call after writing `n` bytes directly at `buf[len]`. */
  wrote(n: number): void {
    this.len += n;
    this.drain();
  }

  /** End of input: `consumeTrailing` reports a final line with no newline (else it stays unconsumed). */
  finish(consumeTrailing: boolean): void {
    if (!consumeTrailing) return;
    if (this.inLong) {
      this.longPiece(this.len);
      this.endLong(this.base + this.len, false);
      this.len = 0;
      return;
    }
    if (this.len > 0) {
      this.block(this.len, false);
      this.base += this.len;
      this.len = 0;
    }
  }

  private drain(): void {
    for (;;) {
      if (this.inLong) {
        const nl = this.buf.indexOf(10);
        if (nl < 0 || nl >= this.len) {
          if (this.len === this.buf.length) this.longPiece(this.len);
          return;
        }
        this.longPiece(nl);
        this.endLong(this.base + nl + 1, true);
        this.shift(nl + 1);
        continue;
      }
      if (this.len === 0) return;
      const nl = this.buf.lastIndexOf(10, this.len - 1);
      if (nl < 0) {
        if (this.len < this.buf.length) return;
        this.inLong = true;
        this.longStart = this.base;
        this.longHead = Buffer.from(this.buf.subarray(0, this.headBytes));
        this.longMask = 0;
        this.longTail = Buffer.alloc(0);
        this.longPiece(this.len);
        continue;
      }
      this.block(nl + 1, true);
      this.shift(nl + 1);
      return;
    }
  }

  /** Drops the first n buffered bytes (already consumed). */
  private shift(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.base += n;
    this.len -= n;
  }

  /** Scans buf[0, end) which holds complete lines (the last ends with \n unless `terminated` is false). */
  private block(end: number, terminated: boolean): void {
    if (this.kernel) this.kernelBlock(this.kernel, end, terminated);
    else this.regexBlock(end, terminated);
    this.consumedAt = this.base + end;
    this.keepTail(this.buf.subarray(0, end));
  }

  /** The kernel finds the matching lines and counts newlines; only matching lines become strings. */
  private kernelBlock(kernel: KeywordKernel, end: number, terminated: boolean): void {
    const buf = this.buf;
    const base = this.base;
    const lines = this.lines;
    const countLines = this.countLines;
    const folder = kernel.folder;
    const newlines = kernel.scan(end, (ls, before, mask) => {
      let le = buf.indexOf(10, ls);
      if (le < 0 || le > end) le = end;
      folder.at = ls;
      this.onHit({
        offset: base + ls,
        line: countLines ? lines + before + 1 : 0,
        text: buf.toString('latin1', ls, le),
        mask,
        truncated: false,
        folder,
      });
    });
    if (countLines) this.lines = lines + newlines + (terminated ? 0 : 1);
  }

  private regexBlock(end: number, terminated: boolean): void {
    const s = this.buf.toString('latin1', 0, end);
    const base = this.base;
    const rules = this.rules;
    const stop = terminated ? end - 1 : end; // index of the last line's terminator (or end)
    let counted = 0; // position up to which newlines were counted
    let lines = this.lines;
    const report = (ls: number, le: number, mask: number) => {
      if (this.countLines) {
        let i = s.indexOf('\n', counted);
        while (i >= 0 && i < ls) {
          lines++;
          i = s.indexOf('\n', i + 1);
        }
        counted = ls;
      }
      this.onHit({
        offset: base + ls,
        line: this.countLines ? lines + 1 : 0,
        text: s.slice(ls, le),
        mask,
        truncated: false,
      });
    };
    if (rules.perLine || !rules.finder) {
      if (rules.categories.length > 0) {
        let ls = 0;
        while (ls < end) {
          let le = s.indexOf('\n', ls);
          if (le < 0) le = end;
          const mask = lineMask(rules, s.slice(ls, le));
          if (mask) report(ls, le, mask);
          ls = le + 1;
        }
      }
    } else {
      const re = rules.finder;
      re.lastIndex = 0;
      while (re.test(s)) {
        const p = re.lastIndex - 1; // inside the match, so on the matching line
        const ls = s.lastIndexOf('\n', p) + 1;
        let le = s.indexOf('\n', p);
        if (le < 0) le = end;
        const mask = lineMask(rules, s.slice(ls, le));
        if (mask) report(ls, le, mask);
        if (le >= stop) break;
        re.lastIndex = le + 1;
      }
    }
    if (this.countLines) {
      let i = s.indexOf('\n', counted);
      while (i >= 0) {
        lines++;
        i = s.indexOf('\n', i + 1);
      }
      if (!terminated) lines++;
    }
    this.lines = lines;
  }

  /** Scans buf[0, end) as a piece of the current long line; keeps an overlap for keywords across pieces. */
  private longPiece(end: number): void {
    this.longMask |= keywordMask(this.rules, this.buf.toString('latin1', 0, end));
    this.longTail = lastBytes(this.longTail, this.buf.subarray(this.overlap, end), this.tailBytes);
    const keep = Math.min(end, this.rules.maxKeyword - 1);
    if (end === this.len) {
      this.buf.copyWithin(0, end - keep, end);
      this.base += end - keep;
      this.len = keep;
      this.overlap = keep;
    }
    // When the piece ends at the newline, the caller shifts the buffer past it.
  }

  private endLong(endOffset: number, terminated: boolean): void {
    const head = this.longHead.toString('latin1');
    // Keywords were found piece by piece; regexes see the head only (documented limit).
    let mask = this.longMask;
    if (this.rules.perLine) mask |= lineMask(this.rules, head) & ~mask;
    this.lines++;
    if (mask)
      this.onHit({
        offset: this.longStart,
        line: this.countLines ? this.lines : 0,
        text: head,
        mask,
        truncated: true,
      });
    this.tail = terminated ? lastBytes(this.longTail, Buffer.from([10]), this.tailBytes) : this.longTail;
    this.consumedAt = endOffset;
    this.inLong = false;
    this.overlap = 0;
    this.longHead = Buffer.alloc(0);
    this.longTail = Buffer.alloc(0);
  }

  private keepTail(consumed: Buffer): void {
    this.tail = lastBytes(this.tail, consumed, this.tailBytes);
  }
}

/** The last `n` bytes of `a` followed by `b` (a fresh buffer). */
function lastBytes(a: Buffer, b: Buffer, n: number): Buffer {
  if (b.length >= n) return Buffer.from(b.subarray(b.length - n));
  const fromA = Math.min(a.length, n - b.length);
  return Buffer.concat([a.subarray(a.length - fromA), b]);
}
