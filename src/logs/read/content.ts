import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type OpenOptions, openRegular } from '../../core/open.ts';
import { GZIP_MAX_RATIO, GZIP_MAX_SIZE, gzipLimit } from '../../logins/wtmp-file.ts';
import { LineScanner, type LineHit, type LineScannerOptions, LOOKBACK } from '../scan/lines.ts';
import type { RuleSet } from '../scan/rules.ts';

/**
 * Opening a log file and reading its content: plain bytes, or the decompressed bytes of a `.gz`
 * (several gzip members are read as one stream, as `zcat` does). Offsets are content offsets.
 */

/** An open log file, identified, with the first bytes of its content. */
export interface OpenFile {
  /** Local path. */
  path: string;
  gzip: boolean;
  dev: number;
  ino: number;
  /** File size on disk when opened (the content read is limited to it for plain files). */
  size: number;
  mtimeMs: number;
  /** First bytes of the content (up to the fingerprint length), for identifying it. */
  head: Buffer;
  handle: FileHandle;
}

/** Short content hash for fingerprints and tails. */
export function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
}

/**
 * Opens and identifies a regular file (throws the system error, or `not a regular file` for a FIFO etc.).
 * A symbolic link is followed only when trusted (src/core/open.ts), unless `opts` says otherwise.
 */
export async function openLog(
  path: string,
  gzip: boolean,
  fpBytes: number,
  opts: OpenOptions = {},
): Promise<OpenFile> {
  const { handle, stat: st } = await openRegular(path, opts);
  try {
    const file: OpenFile = {
      path,
      gzip,
      dev: st.dev,
      ino: st.ino,
      size: st.size,
      mtimeMs: st.mtimeMs,
      head: Buffer.alloc(0),
      handle,
    };
    if (gzip) {
      const parts: Buffer[] = [];
      let got = 0;
      for await (const chunk of gunzipFrom(handle)) {
        parts.push(chunk);
        got += chunk.length;
        if (got >= fpBytes) break;
      }
      file.head = Buffer.concat(parts).subarray(0, fpBytes);
    } else {
      const head = Buffer.alloc(Math.min(fpBytes, st.size));
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      file.head = head.subarray(0, bytesRead);
    }
    return file;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * The decompressed chunks of the gzip file open as `handle` (all members, from its start, as `zcat` reads
 * them), in order, 64 KiB at a time: memory stays a chunk or two whatever the file inflates to. A damaged or
 * cut file throws zlib's error (`Z_BUF_ERROR` for a file cut short, `Z_DATA_ERROR` for a bad CRC) after the
 * chunks that did decompress. Stopping early (break, return, a throw in the loop) stops the reading. The
 * handle stays the caller's to close, after the loop.
 */
export async function* gunzipFrom(handle: FileHandle): AsyncGenerator<Buffer> {
  // Positional reads (not handle.createReadStream, which takes ownership of the handle and closes it).
  async function* compressed(): AsyncGenerator<Buffer> {
    let pos = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(1 << 16);
      const { bytesRead } = await handle.read(b, 0, b.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      yield b.subarray(0, bytesRead);
    }
  }
  const src = Readable.from(compressed(), { objectMode: false });
  const gz = createGunzip({ chunkSize: 1 << 16 });
  pipeline(src, gz, () => {});
  try {
    for await (const chunk of gz) yield chunk as Buffer;
  } finally {
    src.destroy();
    gz.destroy();
  }
}

/** Content bytes [offset - n, offset), or null when the content is shorter than `offset`. */
export async function contentBefore(file: OpenFile, offset: number, n: number): Promise<Buffer | null> {
  const from = offset - n;
  if (!file.gzip) {
    if (file.size < offset) return null;
    const b = Buffer.alloc(n);
    const { bytesRead } = await file.handle.read(b, 0, n, from);
    return bytesRead === n ? b : null;
  }
  let at = 0;
  const parts: Buffer[] = [];
  try {
    for await (const chunk of gunzipFrom(file.handle)) {
      const end = at + chunk.length;
      if (end > from && at < offset)
        parts.push(chunk.subarray(Math.max(0, from - at), Math.min(chunk.length, offset - at)));
      at = end;
      if (at >= offset) break;
    }
  } catch {
    // A damaged or cut .gz: only what decompresses is content (reading it reports the damage).
  }
  return at >= offset ? Buffer.concat(parts) : null;
}

/**
 * Content length: a plain file's size, a `.gz`'s decompressed length up to any damage (one pass), and no
 * further than gzipLimit (a gzip bomb is as long as it is read: see readLog).
 */
export async function contentLength(file: OpenFile): Promise<number> {
  if (!file.gzip) return file.size;
  const { limit } = gzipLimit(file.size, GZIP_MAX_SIZE, GZIP_MAX_RATIO, 'log');
  let n = 0;
  try {
    for await (const chunk of gunzipFrom(file.handle)) {
      n += chunk.length;
      if (n >= limit) return limit;
    }
  } catch {
    // As in contentBefore: what decompresses.
  }
  return n;
}

/** How a file was read. */
export interface ReadResult {
  /** Content offset after the last consumed line. */
  offset: number;
  /** Lines consumed from the start of the content, or -1 when unknown. */
  line: number;
  /** Last bytes of the consumed content (for the next cursor's tail hash). */
  tail: Buffer;
  /** Whether everything up to the content's end was consumed. */
  eof: boolean;
  /** Content bytes read in this pass. */
  bytes: number;
  /** `offset` is inside a line longer than the buffer whose head was reported (see LineScanner.inLine). */
  inLine: boolean;
  /**
   * The per-read byte limit, or the caller's memory (`why`: see `pressure`), stopped the read before the end
   * of the content: `left` content bytes were not read (null for a `.gz`, whose length is not known without
   * inflating it).
   */
  limited?: { left: number | null; why?: string };
  /**
   * A `.gz` inflated past gzipLimit (a gzip bomb): the read stopped there and the member is taken as read,
   * with the reason.
   */
  inflated?: string;
  /** A read or decompression error part-way (lines before it were reported). */
  error?: unknown;
}

/** A part of a plain file read on another thread: content [from, to), to - from bytes. */
export interface PartTask {
  fd: number;
  from: number;
  to: number;
  /** Report a final line with no newline (the file's last part, when the read does). */
  consumeTrailing: boolean;
  countLines: boolean;
  tailBytes: number;
  chunk?: number;
}

/** What the thread that read a part found (lines counted from the part's start). */
export interface PartOutcome {
  /** Content offset after its last consumed line. */
  offset: number;
  /** Where its reading stopped (the part's end, unless the file shrank). */
  end: number;
  lines: number;
  tail: Uint8Array;
  bytes: number;
  /** Its offset is inside a long line already reported (its last line had no newline: LineScanner.inLine). */
  inLine?: boolean;
  /** The read error part-way, as a message. */
  error?: string;
}

/**
 * Reading a big plain file in parts on several threads: the first part on this one through `onHit`, the
 * others by `run` (a worker thread counting into its own stats), taken back in file order by `merge`.
 */
export interface SplitOptions<O extends PartOutcome = PartOutcome> {
  /** Threads to use at most, this one included. */
  threads: number;
  /** Fewest bytes worth a part of its own. */
  minPart: number;
  /**
   * Content offsets to cut at (each moved to the next line start) instead of equal shares, whatever
   * `threads` and `minPart` say. Why: where a read is cut must never show in what it counts, and tests
   * prove that by cutting at every line they choose (parallel.cuts.test.ts).
   */
  at?: readonly number[];
  /** Reads one part elsewhere; rejects when the thread failed (the part is then read here). */
  run(task: PartTask): Promise<O>;
  /** Takes a part's counts, in file order, with the number of lines before the part. */
  merge(outcome: O, lineBase: number): void;
}

/**
 * Bytes the first part gets beyond an equal share: this thread starts reading at once, a worker first
 * starts up (~50 ms, in which this thread reads about this much).
 */
const LEAD = 24 << 20;

/** Where to cut content [start, end) into at most `n` parts: line starts, each part at least `min` bytes. */
async function splitPoints(
  file: OpenFile,
  start: number,
  end: number,
  n: number,
  min: number,
  at?: readonly number[],
): Promise<number[]> {
  if (at !== undefined) return forcedPoints(file, start, end, at);
  const parts = Math.min(n, Math.floor((end - start) / min));
  const points: number[] = [];
  if (parts < 2) return points;
  const probe = Buffer.alloc(1 << 16);
  let prev = start;
  const lead = Math.min(LEAD, Math.floor((end - start) / (2 * parts)));
  for (let k = 1; k < parts; k++) {
    const at = start + lead + Math.floor(((end - start - lead) * k) / parts);
    // From the byte before: a newline there makes `at` itself a line start.
    const { bytesRead } = await file.handle.read(probe, 0, probe.length, at - 1);
    const nl = probe.subarray(0, bytesRead).indexOf(10);
    if (nl < 0) continue; // inside a line longer than the probe: no cut here
    const p = at + nl;
    if (p - prev < min / 2 || end - p < min / 2) continue;
    points.push(p);
    prev = p;
  }
  return points;
}

/** The line starts at or after each of `at` strictly inside (start, end), ascending, each once (SplitOptions.at). */
async function forcedPoints(
  file: OpenFile,
  start: number,
  end: number,
  at: readonly number[],
): Promise<number[]> {
  const probe = Buffer.alloc(1 << 16);
  const points = new Set<number>();
  for (const want of at) {
    if (want <= start || want >= end) continue;
    const { bytesRead } = await file.handle.read(probe, 0, probe.length, want - 1);
    const nl = probe.subarray(0, bytesRead).indexOf(10);
    if (nl >= 0 && want + nl < end) points.add(want + nl);
  }
  return [...points].sort((a, b) => a - b);
}

/**
 * The LOOKBACK + 1 bytes of the plain file open as `fd` before `offset` (fewer near its start; none on a
 * read error), read synchronously: a scanner asks for them from within a line's callback, when a line
 * without a time of its own walks back past where the read started (LineScannerOptions.before).
 */
export function bytesBefore(fd: number, offset: number): Buffer {
  const n = Math.min(LOOKBACK + 1, offset);
  const b = Buffer.alloc(n);
  try {
    const got = readSync(fd, b, 0, n, offset - n);
    return got === n ? b : Buffer.alloc(0);
  } catch {
    return Buffer.alloc(0);
  }
}

/** Reads plain content [from, to) into `scanner`; returns where reading stopped and the bytes read. */
async function readPlain(
  file: OpenFile,
  scanner: LineScanner,
  from: number,
  to: number,
  signal: AbortSignal | undefined,
  pressure?: () => string | null,
): Promise<{ pos: number; bytes: number; stopped?: string }> {
  let pos = from;
  while (pos < to) {
    signal?.throwIfAborted();
    const why = pressure?.();
    if (why) return { pos, bytes: pos - from, stopped: why };
    const n = Math.min(scanner.free, to - pos);
    const { bytesRead } = await file.handle.read(scanner.buf, scanner.len, n, pos);
    if (bytesRead === 0) break; // shrank while reading: the rest is for the next run
    pos += bytesRead;
    scanner.wrote(bytesRead);
  }
  return { pos, bytes: pos - from };
}

/** Reads `file` from content offset `start`, reporting matching lines. */
export async function readLog(
  file: OpenFile,
  rules: RuleSet,
  opts: {
    start: number;
    /** Lines before `start`, or -1 when unknown (then hits carry no line number). */
    startLine: number;
    /** Report a final line with no newline (rotated files never complete it). */
    consumeTrailing: boolean;
    countLines: boolean;
    tailBytes: number;
    chunk?: number;
    /** Content bytes [start - tailBytes, start), when known, so a read that consumes little has its tail. */
    before?: Buffer;
    /** `start` is inside a long line already reported (Cursor.inLine): skip to the end of it. */
    skipLine?: boolean;
    /**
     * Asked before each chunk: a reason to stop now (the caller's memory is running out), or null. The read
     * then stops as at the limit (`limited` with the reason), and the next read goes on from there.
     */
    pressure?: () => string | null;
    /**
     * Content bytes to read at most (0 or absent: no limit; at least the scanner's buffer, so that every
     * read gets past a line): the read stops at the last line end before it, or inside a long line
     * (committed, `inLine`), and says so (`limited`); the next read goes on from there.
     */
    limit?: number;
    signal?: AbortSignal;
    /** Read a big plain file in parts on several threads. */
    split?: SplitOptions;
  },
  onHit: (hit: LineHit) => void,
): Promise<ReadResult> {
  const known = opts.startLine >= 0;
  /** Content bytes before `start` kept while decompressing a .gz (its tail hash and LineHit.before). */
  const pre: Buffer[] = [];
  const scanOpts: LineScannerOptions = {
    startOffset: opts.start,
    startLine: known ? opts.startLine : 0,
    countLines: opts.countLines && known,
    tailBytes: opts.tailBytes,
    lookback: true,
    before: file.gzip
      ? () => Buffer.concat(pre).subarray(-(LOOKBACK + 1))
      : () => bytesBefore(file.handle.fd, opts.start),
  };
  if (opts.chunk !== undefined) scanOpts.chunk = opts.chunk;
  if (opts.skipLine) scanOpts.skipLine = true;
  const scanner = new LineScanner(rules, onHit, scanOpts);
  /** Content bytes this read may take (see opts.limit). */
  const limit = opts.limit ? Math.max(opts.limit, scanner.buf.length) : Number.POSITIVE_INFINITY;
  let bytes = 0;
  let error: unknown;
  let end = -1;
  let limited: ReadResult['limited'];
  let inflated: string | undefined;
  /** Set when later parts were read on other threads: the position, lines, tail and line state after them. */
  let after: { offset: number; lines: number; tail: Buffer; inLine: boolean } | undefined;
  try {
    if (!file.gzip) {
      const stop = Math.min(file.size, opts.start + limit);
      if (stop < file.size) limited = { left: 0 };
      // A read stopped by the limit leaves its last line (unfinished here) for the next read.
      if (limited) opts = { ...opts, consumeTrailing: false };
      const split = opts.split;
      const points = split
        ? await splitPoints(file, opts.start, stop, split.threads, split.minPart, split.at)
        : [];
      if (split && points.length > 0) {
        const r = await readParts(file, rules, opts, scanOpts, scanner, points, stop, split, onHit);
        ({ bytes, end, after } = r);
        if (r.error !== undefined) error = r.error;
      } else {
        const r = await readPlain(file, scanner, opts.start, stop, opts.signal, opts.pressure);
        bytes = r.bytes;
        end = r.pos;
        if (r.stopped !== undefined) {
          limited = { left: 0, why: r.stopped };
          opts = { ...opts, consumeTrailing: false };
        }
      }
    } else {
      let at = 0;
      const preFrom = opts.start - Math.min(Math.max(opts.tailBytes, LOOKBACK + 1), opts.start);
      // A gzip bomb is inflated no further than any other reader of rotated .gz members inflates one.
      const bound = gzipLimit(file.size, GZIP_MAX_SIZE, GZIP_MAX_RATIO, 'log');
      const stop = Math.min(bound.limit, opts.start + limit);
      for await (const chunk of gunzipFrom(file.handle)) {
        opts.signal?.throwIfAborted();
        const why = at >= opts.start ? opts.pressure?.() : null;
        if (why) {
          limited = { left: null, why };
          opts = { ...opts, consumeTrailing: false };
          break;
        }
        let next = at + chunk.length;
        if (next > preFrom && at < opts.start)
          pre.push(chunk.subarray(Math.max(0, preFrom - at), Math.min(chunk.length, opts.start - at)));
        const over = next > stop;
        if (over) next = stop;
        if (next > opts.start) {
          const part = chunk.subarray(Math.max(0, opts.start - at), next - at);
          bytes += part.length;
          scanner.push(part);
        }
        at = next;
        if (over) {
          if (stop === bound.limit)
            inflated = `decompresses to more than ${bound.limit} bytes, ${bound.why}; read up to there`;
          else limited = { left: null };
          opts = { ...opts, consumeTrailing: false };
          break;
        }
      }
      end = at;
      if (opts.before === undefined && opts.start > 0) opts = { ...opts, before: Buffer.concat(pre) };
    }
    scanner.finish(opts.consumeTrailing);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    error = err;
  }
  const offset = after?.offset ?? scanner.offset;
  let tail = after?.tail ?? scanner.tailContent;
  const consumed = offset - opts.start;
  if (consumed < opts.tailBytes && opts.start > 0) {
    const before =
      opts.before ??
      (file.gzip ? null : await contentBefore(file, opts.start, Math.min(opts.tailBytes, opts.start)));
    if (before) tail = Buffer.concat([before, tail]).subarray(-Math.min(opts.tailBytes, offset));
  }
  const result: ReadResult = {
    offset,
    line: scanOpts.countLines ? (after?.lines ?? scanner.lineCount) : -1,
    tail,
    // Stopped by the limit: not at the end, whatever the offset; stopped by the gzip bound: taken as read.
    eof: inflated !== undefined || (limited === undefined && end >= 0 && offset === end),
    bytes,
    inLine: after?.inLine ?? scanner.inLine,
  };
  // A read that failed part-way stopped short of the limit: the error says why it stopped.
  if (limited && error === undefined)
    result.limited = {
      left: limited.left === null ? null : file.size - offset,
      ...(limited.why !== undefined ? { why: limited.why } : {}),
    };
  if (inflated !== undefined && error === undefined) result.inflated = inflated;
  if (error !== undefined) result.error = error;
  return result;
}

/**
 * A byte count for messages: `3.1 GB`, `512.0 MB`, `12 kB` (decimal, as `df -H` prints), or with `binary`
 * in the units a limit is configured in (`2 GiB`, `1.5 MiB`, `64 KiB`, `100 bytes`).
 */
export function sizeOf(bytes: number, binary = false): string {
  if (binary) {
    for (const [unit, n] of [
      ['GiB', 2 ** 30],
      ['MiB', 2 ** 20],
      ['KiB', 2 ** 10],
    ] as const)
      if (bytes >= n) return `${Number((bytes / n).toFixed(1))} ${unit}`;
    return `${bytes} bytes`;
  }
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1e3)} kB`;
}

/**
 * The parts of a split read: parts after the first start on other threads at once, the first is read
 * here meanwhile, then the others are taken in file order. A part whose thread failed is read here; a
 * part that stopped short (a read error, a file that shrank) ends the read there, later parts unmerged.
 */
async function readParts(
  file: OpenFile,
  rules: RuleSet,
  opts: { start: number; consumeTrailing: boolean; tailBytes: number; chunk?: number; signal?: AbortSignal },
  scanOpts: LineScannerOptions,
  scanner: LineScanner,
  points: number[],
  /** Where the read ends (the file's size, or where the read limit stops it). */
  stop: number,
  split: SplitOptions,
  onHit: (hit: LineHit) => void,
): Promise<{
  bytes: number;
  end: number;
  after: { offset: number; lines: number; tail: Buffer; inLine: boolean } | undefined;
  error?: unknown;
}> {
  const bounds = [...points, stop];
  const running = points.map((from, k) => {
    const task: PartTask = {
      fd: file.handle.fd,
      from,
      to: bounds[k + 1] as number,
      consumeTrailing: k === points.length - 1 && opts.consumeTrailing,
      countLines: scanOpts.countLines ?? false,
      tailBytes: opts.tailBytes,
      ...(opts.chunk !== undefined ? { chunk: opts.chunk } : {}),
    };
    // A thread that cannot even start is a failed part too (read here), never an error of the file.
    return Promise.resolve()
      .then(() => split.run(task))
      .then(
        (outcome) => ({ task, outcome }),
        () => ({ task, outcome: undefined }),
      );
  });
  // The workers read through this handle's descriptor: never return (and let it close) before they end.
  const settled = Promise.all(running);
  let bytes = 0;
  let error: unknown;
  let stopped = false;
  let end = -1;
  let lines = scanner.lineCount;
  let offset = opts.start;
  let tail: Buffer = scanner.tailContent;
  let inLine = false;
  try {
    const first = await readPlain(file, scanner, opts.start, points[0] as number, opts.signal);
    bytes = first.bytes;
    end = first.pos;
    lines = scanner.lineCount;
    offset = scanner.offset;
    tail = scanner.tailContent;
    if (offset !== points[0]) {
      // Part one stopped short: the read ends in it, as if unsplit (the caller finishes its scanner).
      await settled;
      return { bytes, end, after: undefined };
    }
    for (const job of running) {
      const { task, outcome } = await job;
      if (stopped) continue;
      if (outcome === undefined) {
        // The thread failed: read the part here, counting through onHit.
        const local = new LineScanner(rules, onHit, {
          ...scanOpts,
          startOffset: task.from,
          startLine: lines,
          before: () => bytesBefore(file.handle.fd, task.from),
        });
        const r = await readPlain(file, local, task.from, task.to, opts.signal);
        local.finish(task.consumeTrailing);
        bytes += r.bytes;
        end = r.pos;
        lines = local.lineCount;
        offset = local.offset;
        tail = lastTail(tail, local.tailContent, opts.tailBytes);
        inLine = local.inLine;
        stopped = r.pos !== task.to;
        continue;
      }
      split.merge(outcome, lines);
      bytes += outcome.bytes;
      end = outcome.end;
      lines += outcome.lines;
      offset = outcome.offset;
      tail = lastTail(tail, Buffer.from(outcome.tail), opts.tailBytes);
      inLine = outcome.inLine ?? false;
      if (outcome.error !== undefined) {
        error = new Error(outcome.error);
        end = -1; // as an unsplit read that failed: not at the end
        stopped = true;
      } else if (outcome.end !== task.to) stopped = true;
    }
  } catch (err) {
    await settled;
    throw err;
  }
  await settled;
  const result: Awaited<ReturnType<typeof readParts>> = {
    bytes,
    end,
    after: { offset, lines, tail, inLine },
  };
  if (error !== undefined) result.error = error;
  return result;
}

/** The last `n` bytes of `a` followed by `b`. */
function lastTail(a: Buffer, b: Buffer, n: number): Buffer {
  if (b.length >= n) return b.subarray(b.length - n);
  return Buffer.concat([a.subarray(Math.max(0, a.length - (n - b.length))), b]);
}
