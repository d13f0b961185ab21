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
  /** The lines before this one (a scanner with `lookback`), valid during the callback only. */
  before?: Preceding;
}

/**
 * How far back a line without a time of its own looks for one (route.ts): the line it takes its time from
 * starts at most this many bytes before it. A bound, so that a part of a file read on another thread finds
 * the same line (it reads this much before its start) and memory stays bounded.
 */
export const LOOKBACK = 64 * 1024;

/** Bytes of a line looked at for its time (a syslog or CLF stamp is within them). */
const LOOKBACK_HEAD = 512;

/** The lines before a hit, nearest first. */
export interface Preceding {
  /**
   * Calls `visit` with each line before the line at content offset `offset` that starts at most LOOKBACK
   * bytes before it, nearest first (its first 512 bytes, latin1, and its start offset), until `visit`
   * returns true. A line longer than the scanner's buffer ends the walk after it (its head is all there
   * is of it), as does the start of the content.
   */
  visitBefore(offset: number, visit: (head: string, start: number) => boolean): void;
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
  /** Keep the last LOOKBACK bytes of consumed content, for `LineHit.before`. */
  lookback?: boolean;
  /**
   * With `lookback`: the content bytes just before `startOffset` (at most LOOKBACK + 1; all of them when
   * fewer), asked for only when a walk back reaches the start.
   */
  before?: () => Uint8Array;
  /**
   * `startOffset` is inside a line longer than the buffer whose head an earlier read already reported
   * (LineScanner.inLine): its bytes up to and including its newline are consumed without a hit or a line.
   */
  skipLine?: boolean;
}

/** Default buffer: 1 MiB keeps peak memory low while the regex runs at full speed. */
export const DEFAULT_CHUNK = 1 << 20;

/** Scans a stream of bytes fed in order; reports hits through `onHit`. */
export class LineScanner implements Preceding {
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
  /** Inside a line already reported (skipLine, or a long line committed unfinished by `finish`). */
  private skipping: boolean;
  /** The SIMD keyword kernel owning `buf`, or null for the regex path. */
  private readonly kernel: KeywordKernel | null;
  // Lookback (see Preceding): the last consumed bytes before the block being scanned, in `hist`
  // [0, histLen), the first at content offset histFrom; `histCut`: bytes before it were dropped (its first
  // byte may be inside a line). A line longer than the buffer resets it, leaving its head as `barrier`.
  private readonly hist: Buffer | null;
  private histLen = 0;
  private histFrom: number;
  private histCut = false;
  private barrier: { start: number; end: number; head: string } | null = null;
  private readonly startOffset: number;
  private readonly fetchBefore: (() => Uint8Array) | undefined;
  private pre: Uint8Array | null = null;
  /** Bytes of a line longer than the buffer that a walk back sees (the head its hit has, up to 512). */
  private readonly walkHead: number;

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
    this.walkHead = Math.min(LOOKBACK_HEAD, this.headBytes);
    this.hist = opts.lookback ? Buffer.allocUnsafe(LOOKBACK + 1) : null;
    this.histFrom = this.base;
    this.startOffset = this.base;
    this.fetchBefore = opts.before;
    this.skipping = opts.skipLine ?? false;
  }

  visitBefore(offset: number, visit: (head: string, start: number) => boolean): void {
    const low = offset - LOOKBACK;
    // The block being scanned (a long line's own hit has none: the buffer holds its last piece).
    if (!this.inLong && offset > this.base) {
      const r = walkBack(this.buf, this.base, offset, true, low, this.buf.length, this.walkHead, visit);
      if (r !== WALK_ON) return;
    }
    const hist = this.hist;
    if (hist === null) return;
    if (this.histLen > 0) {
      const r = walkBack(
        hist,
        this.histFrom,
        this.histFrom + this.histLen,
        !this.histCut,
        low,
        Infinity,
        this.walkHead,
        visit,
      );
      if (r !== WALK_ON) return;
    }
    if (this.histCut) return;
    const b = this.barrier;
    if (b !== null) {
      if (b.end === this.histFrom && b.start >= low) visit(b.head, b.start);
      return;
    }
    // Before the start of this read: asked for (a read of the file) only now.
    if (this.histFrom !== this.startOffset || this.startOffset <= low || this.startOffset === 0) return;
    if (this.pre === null) this.pre = this.fetchBefore?.() ?? new Uint8Array(0);
    const pre = this.pre;
    if (pre.length === 0) return;
    const from = this.startOffset - pre.length;
    walkBack(pre, from, this.startOffset, from === 0, low, this.buf.length, this.walkHead, visit);
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

  /**
   * Whether `offset` is inside a line whose head was reported: a line longer than the buffer that had no
   * newline yet when the input ended (committed by `finish`), or the rest of one a `skipLine` read has
   * not reached the end of. A read resuming at `offset` passes it as `skipLine`.
   */
  get inLine(): boolean {
    return this.skipping;
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

  /**
   * End of input: `consumeTrailing` reports a final line with no newline (else it stays unconsumed). A
   * final line longer than the buffer is reported either way, as far as it was read (its head, as any
   * long line), and the scanner stays `inLine`: it may be written on forever (a file of NULs, an
   * attacker's endless line), and left unconsumed it would be read again by every later read.
   */
  finish(consumeTrailing: boolean): void {
    if (this.inLong) {
      this.longPiece(this.len);
      this.endLong(this.base + this.len, false);
      this.len = 0;
      this.skipping = true;
      return;
    }
    if (!consumeTrailing) return;
    if (this.len > 0) {
      this.block(this.len, false);
      this.base += this.len;
      this.len = 0;
    }
  }

  private drain(): void {
    if (this.skipping && !this.skipRest()) return;
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

  /**
   * Consumes the buffered bytes of a line already reported, up to and including its newline; false when
   * the buffer holds no newline (all of it consumed, still inside the line).
   */
  private skipRest(): boolean {
    const nl = this.buf.subarray(0, this.len).indexOf(10);
    const end = nl < 0 ? this.len : nl + 1;
    this.keepTail(this.buf.subarray(0, end));
    this.consumedAt = this.base + end;
    this.shift(end);
    if (this.hist) {
      // The lines after it look back no further: the line's head is not at hand (a long line ends a walk).
      this.barrier = null;
      this.histLen = 0;
      this.histFrom = this.consumedAt;
      this.histCut = false;
    }
    if (nl < 0) return false;
    this.skipping = false;
    return true;
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
    if (this.hist) this.keepHistory(end);
  }

  /** Appends the block buf[0, end) to the lookback bytes, keeping the last LOOKBACK + 1. */
  private keepHistory(end: number): void {
    const hist = this.hist as Buffer;
    const cap = hist.length;
    if (end >= cap) {
      this.buf.copy(hist, 0, end - cap, end);
      this.histCut = this.histCut || end > cap || this.histLen > 0;
      this.histLen = cap;
    } else {
      const keep = Math.min(this.histLen, cap - end);
      if (keep < this.histLen) {
        hist.copyWithin(0, this.histLen - keep, this.histLen);
        this.histCut = true;
      }
      this.buf.copy(hist, keep, 0, end);
      this.histLen = keep + end;
    }
    this.histFrom = this.base + end - this.histLen;
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
        before: this,
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
        before: this,
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
        before: this,
      });
    // The bytes before it too, when it is shorter than the tail (a small buffer).
    const tail = lastBytes(this.tail, this.longTail, this.tailBytes);
    this.tail = terminated ? lastBytes(tail, Buffer.from([10]), this.tailBytes) : tail;
    if (this.hist) {
      // The lines after it look back as far as it: its head stands for it.
      this.barrier = { start: this.longStart, end: endOffset, head: head.slice(0, this.walkHead) };
      this.histLen = 0;
      this.histFrom = endOffset;
      this.histCut = false;
    }
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

/** walkBack's result: `visit` stopped it, it ended (bound, long line, unknown line start), or it went on. */
const WALK_STOPPED = 0;
const WALK_ENDED = 1;
const WALK_ON = 2;

/**
 * Visits the lines of `bytes` (content offsets [from, to), `to` a line start) backwards, those that start at
 * `low` or later; bytes[0] starts a line when `startsLine`. A line of `longLine` bytes or more (without its
 * newline) is visited with its first `longHead` bytes and ends the walk, as a line longer than the
 * scanner's buffer ends it in a scan (see LineScanner.barrier).
 */
function walkBack(
  bytes: Uint8Array,
  from: number,
  to: number,
  startsLine: boolean,
  low: number,
  longLine: number,
  longHead: number,
  visit: (head: string, start: number) => boolean,
): number {
  let end = to - from; // index just after the line's newline
  while (end > 0) {
    const nl = end >= 2 ? bytes.lastIndexOf(10, end - 2) : -1;
    if (nl < 0 && !startsLine) return WALK_ENDED;
    const ls = nl + 1;
    if (from + ls < low) return WALK_ENDED;
    const len = end - 1 - ls;
    const n = len >= longLine ? longHead : Math.min(len, LOOKBACK_HEAD);
    const head = Buffer.from(bytes.buffer, bytes.byteOffset + ls, n).toString('latin1');
    if (visit(head, from + ls)) return WALK_STOPPED;
    if (len >= longLine) return WALK_ENDED;
    end = ls;
  }
  return startsLine ? WALK_ON : WALK_ENDED;
}

/** The last `n` bytes of `a` followed by `b` (a fresh buffer). */
function lastBytes(a: Buffer, b: Buffer, n: number): Buffer {
  if (b.length >= n) return Buffer.from(b.subarray(b.length - n));
  const fromA = Math.min(a.length, n - b.length);
  return Buffer.concat([a.subarray(a.length - fromA), b]);
}
