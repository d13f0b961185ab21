/**
 * Reading utmp/wtmp/btmp files in place: plain or gzip-compressed (rotated backups such as `wtmp.1` and
 * `wtmp-20261101.gz`), in chunks so memory stays bounded whatever the size (an attacker controls btmp's).
 * Records are aligned from the start of the file; bytes after the last whole record are reported as a stray
 * tail instead of shifting every record (util-linux `last` aligns from the end and then shows nothing). When
 * the last record reads right only from the end (bytes inserted further up: an edit), the records after the
 * edit are aligned from the end, as util-linux does, the ones before it from the start (util-linux misreads
 * those), and the tail is marked misaligned.
 * A gzip file is decompressed into memory when small; a larger one is inflated once only counting, then, when
 * within the bounds (`maxSize`, `maxRatio`), again into an unlinked temporary file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { reason, describe as what, TenkenError } from '../core/errors.ts';
import { openRegularSync } from '../core/open.ts';
import {
  decodeRecord,
  detectLayout,
  type RecordProblem,
  recordProblem,
  type UtmpLayout,
  type UtmpRecord,
} from './utmp.ts';

/** Bytes after the last whole record. */
export interface StrayTail {
  offset: number;
  length: number;
  /**
   * The last record makes sense read from the end of the file but not from its start: the extra bytes are
   * not a torn write at the end but were inserted (or a record was cut) further up, and the records after
   * that point are misread from the start. Only an edit does that. `offset` is then where the record they
   * went into starts: the records before it are read from the start of the file, the rest from its end.
   */
  misaligned?: boolean;
  /** With `misaligned`: how many records (from the first) are read aligned from the start, before the edit. */
  before?: number;
}

/** An opened utmp-format file, ready for chunked reads. */
export interface WtmpFile {
  /** Path as the host sees it (for messages and evidence). */
  display: string;
  layout: UtmpLayout;
  /** Whole records in the file. */
  records: number;
  /** Decompressed size in bytes. */
  size: number;
  tail: StrayTail | null;
  compressed: boolean;
  /**
   * A .gz cut short or damaged (`unexpected end of file`, `incorrect data check`), opened with
   * `readTruncated`: the records are its readable part, as `zcat` prints it.
   */
  truncated: boolean;
  /** With `truncated`: why inflating stopped. */
  damage: string | null;
  /** The file's first record as it starts at byte 0 (util-linux's `begins`), whatever the alignment; null when empty. */
  head: Buffer | null;
  /** The file's ctime in seconds (util-linux's `begins` time for a file without a whole record). */
  ctime: number;
  /** Reads `count` records from record `first`, into `into` when given (reused between chunks), else a new buffer. */
  read(first: number, count: number, into?: Buffer): Buffer;
  close(): void;
}

/** How to open: where the host path is shown, and limits. */
export interface OpenOptions {
  display?: string;
  /** Largest decompressed size of a .gz kept in memory (default 32 MiB); larger ones go to a temp file. */
  memoryLimit?: number;
  /**
   * Largest decompressed size accepted at all (default 4 GiB, 11 million records): a gzip bomb is refused,
   * not unpacked.
   */
  maxSize?: number;
  /**
   * Largest decompressed size per compressed byte (default 500, with 64 MiB always allowed). gzip packs real
   * wtmp and btmp 10 to 60 times, identical records about 230 times; only long runs of one byte (a bomb of
   * zeros) reach deflate's ceiling of about 1000. Inflating stops as soon as a limit is passed, and nothing
   * is written to disk before the whole file is known to be within them.
   */
  maxRatio?: number;
  /**
   * Read a .gz that ends too early (a compression cut short by a full disk, a partial copy) up to where it
   * ends, as `gzip -dc` does, and say so in `truncated`; otherwise such a file is an error.
   */
  readTruncated?: boolean;
  tmpDir?: string;
  /** The host's root: under --root, the file's links resolve inside the tree (src/core/open.ts). */
  root?: string;
}

const SAMPLE = 64 * 400;

/** Whether the open file `fd` starts with gzip's magic bytes (as zcat decides, whatever its name). */
export function isGzip(fd: number): boolean {
  const head = Buffer.alloc(2);
  const n = fs.readSync(fd, head, 0, 2, 0);
  return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

interface Bytes {
  size: number;
  /** A gzip stream that ended too early or turned bad: these are the bytes before that point. */
  truncated?: boolean;
  /** Why it stopped (`unexpected end of file`, `incorrect data check`). */
  damage?: string;
  readAt(buf: Buffer, pos: number): number;
  close(): void;
}

function fdBytes(fd: number, size: number): Bytes {
  return {
    size,
    readAt(buf, pos) {
      let done = 0;
      while (done < buf.length) {
        const n = fs.readSync(fd, buf, done, buf.length - done, pos + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
    close() {
      fs.closeSync(fd);
    },
  };
}

/** The most a .gz may inflate to per compressed byte (see OpenOptions.maxRatio). */
export const GZIP_MAX_RATIO = 500;
/** Inflated bytes always allowed, whatever the ratio (a small backup of a few records). */
export const GZIP_RATIO_FLOOR = 64 * 1024 * 1024;
/** Inflated bytes never exceeded (see OpenOptions.maxSize). */
export const GZIP_MAX_SIZE = 4 * 1024 * 1024 * 1024;

/**
 * The most a .gz of `compressed` bytes may inflate to: `maxRatio` times its size (at least the floor), and
 * never more than `maxSize`; with the reason a larger one is refused, for the message (`what`: the kind of
 * file, `utmp file`, `mgetty log`). Shared by every reader of rotated `.gz` members that inflates them itself.
 */
export function gzipLimit(
  compressed: number,
  maxSize = GZIP_MAX_SIZE,
  maxRatio = GZIP_MAX_RATIO,
  what = 'utmp file',
): { limit: number; why: string } {
  const byRatio = Math.max(GZIP_RATIO_FLOOR, compressed * maxRatio);
  return byRatio < maxSize
    ? {
        limit: byRatio,
        why: `more than ${maxRatio} times its size: no ${what} compresses that well (a gzip bomb?)`,
      }
    : { limit: maxSize, why: 'the most tenken inflates (a gzip bomb?)' };
}

class TooBig extends Error {}

/**
 * Inflates `file` once, handing each chunk to `sink`, and stops (throws TooBig) as soon as more than
 * `limit` bytes came out. Returns the inflated size and whether the stream ended early (cut short, or bad
 * data further on) when `readTruncated` allows keeping the part before.
 */
async function inflate(
  file: string,
  root: string | undefined,
  limit: number,
  readTruncated: boolean,
  sink: (chunk: Buffer, total: number) => void,
  /** Read the file only up to this byte (exclusive), to leave out a trailer that does not check out. */
  end?: number,
): Promise<{ total: number; truncated: string | null }> {
  let total = 0;
  let tooBig = false;
  try {
    await pipeline(
      fs.createReadStream('', {
        fd: openRegularSync(file, root === undefined ? {} : { root }).fd,
        highWaterMark: 1 << 18,
        ...(end !== undefined ? { end: end - 1 } : {}),
      }),
      zlib.createGunzip({ chunkSize: 1 << 18 }),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          total += chunk.length;
          if (total > limit) {
            tooBig = true;
            throw new TooBig();
          }
          sink(chunk, total);
        }
      },
    );
  } catch (err) {
    // The pipeline may reject with its own AbortError once the consumer threw.
    if (tooBig) throw new TooBig();
    // zlib hands out everything it decoded before it finds the stream cut short or damaged: that prefix is
    // what `zcat` prints too.
    if (readTruncated && !(err instanceof TooBig) && isZlibError(err))
      return { total, truncated: reason(err) };
    throw err;
  }
  return { total, truncated: null };
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^Z_(BUF|DATA)_ERROR$/.test(code);
}

async function gunzip(file: string, display: string, opts: OpenOptions, compressed: number): Promise<Bytes> {
  const whole = await gunzipOnce(file, display, opts, compressed);
  // A CRC or length that does not match: every byte inflated, but zlib drops the output of its last step
  // with the error. Read again without the 8-byte trailer: the stream then just ends, and all comes out.
  if (
    opts.readTruncated &&
    whole.damage &&
    /incorrect (data|length) check/.test(whole.damage) &&
    compressed > 18
  ) {
    whole.close();
    const again = await gunzipOnce(file, display, opts, compressed, compressed - 8);
    return { ...again, truncated: true, damage: whole.damage };
  }
  return whole;
}

async function gunzipOnce(
  file: string,
  display: string,
  opts: OpenOptions,
  compressed: number,
  end?: number,
): Promise<Bytes> {
  const memLimit = opts.memoryLimit ?? 32 * 1024 * 1024;
  const { limit, why } = gzipLimit(compressed, opts.maxSize, opts.maxRatio);
  const refuse = (): TenkenError =>
    new TenkenError(`Cannot read ${display}: decompresses to more than ${limit} bytes, ${why}`);
  // gzip's ISIZE trailer is not consulted: it is the writer's word, wraps at 4 GiB, and in a file cut short
  // the last four bytes are compressed data; inflating only counts past the memory limit, which is cheap.
  const readTruncated = opts.readTruncated === true;
  const chunks: Buffer[] = [];
  let inMemory = true;
  let first: { total: number; truncated: string | null };
  try {
    // First pass in memory; past the memory limit it only counts, so a bomb is refused without a byte
    // written to disk (a tmpfs /tmp is RAM).
    first = await inflate(
      file,
      opts.root,
      limit,
      readTruncated,
      (chunk, total) => {
        if (!inMemory) return;
        chunks.push(chunk);
        if (total > memLimit) {
          inMemory = false;
          chunks.length = 0;
        }
      },
      end,
    );
  } catch (err) {
    if (err instanceof TooBig) throw refuse();
    throw new TenkenError(what(`Cannot read ${display}`, err));
  }
  if (inMemory) {
    const all = Buffer.concat(chunks);
    return {
      truncated: first.truncated !== null,
      ...(first.truncated !== null ? { damage: first.truncated } : {}),
      size: all.length,
      readAt(buf, pos) {
        return all.copy(buf, 0, pos, Math.min(all.length, pos + buf.length));
      },
      close() {},
    };
  }
  // Within the limits but too large for memory: inflate again into an unlinked temporary file.
  const dir = fs.mkdtempSync(path.join(opts.tmpDir ?? os.tmpdir(), 'tenken-wtmp-'));
  const tmp = path.join(dir, 'records');
  const fd = fs.openSync(tmp, 'wx+', 0o600);
  // Unlinked at once: the data lives while the descriptor is open, and no temp file outlives us.
  fs.unlinkSync(tmp);
  fs.rmdirSync(dir);
  let second: { total: number; truncated: string | null };
  try {
    second = await inflate(
      file,
      opts.root,
      limit,
      readTruncated,
      (chunk) => {
        fs.writeSync(fd, chunk);
      },
      end,
    );
  } catch (err) {
    fs.closeSync(fd);
    if (err instanceof TooBig) throw refuse();
    throw new TenkenError(what(`Cannot read ${display}`, err));
  }
  return {
    ...fdBytes(fd, second.total),
    truncated: second.truncated !== null,
    ...(second.truncated !== null ? { damage: second.truncated } : {}),
  };
}

/**
 * Opens a utmp-format file (plain or gzip) and detects its layout. Throws a one-line TenkenError for an
 * unreadable file or one that is not little-endian glibc utmp (`Cannot read /var/log/wtmp: big-endian ...`).
 */
export async function openWtmp(file: string, opts: OpenOptions = {}): Promise<WtmpFile> {
  const display = opts.display ?? file;
  let fd: number;
  let st: fs.Stats;
  try {
    ({ fd, stat: st } = openRegularSync(file, opts.root === undefined ? {} : { root: opts.root }));
  } catch (err) {
    throw new TenkenError(what(`Cannot read ${display}`, err));
  }
  let bytes: Bytes;
  let compressed = false;
  let ctime: number;
  // Whether `fd` is still ours to close. Once closed, its number is free: another open (this process reads
  // other files meanwhile) can get it, and closing it again closed that file (EBADF elsewhere, or worse).
  let open = true;
  try {
    ctime = Math.floor(st.ctimeMs / 1000);
    if (isGzip(fd)) {
      compressed = true;
      fs.closeSync(fd);
      open = false;
      bytes = await gunzip(file, display, opts, st.size);
    } else bytes = fdBytes(fd, st.size);
  } catch (err) {
    if (open) fs.closeSync(fd);
    if (err instanceof TenkenError) throw err;
    throw new TenkenError(what(`Cannot read ${display}`, err));
  }
  const sample = Buffer.alloc(Math.min(SAMPLE, bytes.size));
  bytes.readAt(sample, 0);
  let endSample: Buffer | undefined;
  if (bytes.size > sample.length) {
    endSample = Buffer.alloc(Math.min(SAMPLE, bytes.size));
    bytes.readAt(endSample, bytes.size - endSample.length);
  } else endSample = sample;
  const det = detectLayout(sample, bytes.size, endSample);
  if (!det.ok) {
    bytes.close();
    throw new TenkenError(`Cannot read ${display}: ${det.message}`);
  }
  const layout = det.layout;
  const records = Math.floor(bytes.size / layout.size);
  const rest = bytes.size - records * layout.size;
  let misaligned = false;
  if (rest > 0 && records > 0) {
    const ends = Buffer.alloc(layout.size * 2);
    bytes.readAt(ends.subarray(0, layout.size), (records - 1) * layout.size);
    bytes.readAt(ends.subarray(layout.size), bytes.size - layout.size);
    misaligned = recordProblem(ends, 0, layout) !== null && recordProblem(ends, layout.size, layout) === null;
  }
  // Bytes inserted further up: the records after the insertion read right from the end, as util-linux's
  // last reads them, and the ones before it from the start; only the record where they went is misread.
  const split = misaligned ? findSplit(bytes, layout, records, rest) : records;
  const shift = misaligned ? rest : 0;
  let head: Buffer | null = null;
  if (records > 0) {
    head = Buffer.alloc(layout.size);
    bytes.readAt(head, 0);
  }
  return {
    display,
    layout,
    records,
    size: bytes.size,
    tail:
      rest > 0
        ? misaligned
          ? { offset: split * layout.size, length: rest, misaligned, before: split }
          : { offset: records * layout.size, length: rest }
        : null,
    compressed,
    truncated: bytes.truncated === true,
    damage: bytes.damage ?? null,
    head,
    ctime,
    read(first, count, into) {
      const n = Math.max(0, Math.min(count, records - first));
      const buf =
        into && into.length >= n * layout.size
          ? into.subarray(0, n * layout.size)
          : Buffer.allocUnsafe(n * layout.size);
      // Records before the split are read from the start of the file, the others `rest` bytes further on.
      const head = Math.max(0, Math.min(n, split - first)) * layout.size;
      let got = head > 0 ? bytes.readAt(buf.subarray(0, head), first * layout.size) : 0;
      if (got === head && head < buf.length)
        got += bytes.readAt(buf.subarray(head), shift + first * layout.size + head);
      // A file that shrank while we read (rotation, truncation) yields fewer records, never stale bytes.
      return got === buf.length ? buf : buf.subarray(0, Math.floor(got / layout.size) * layout.size);
    },
    close() {
      bytes.close();
    },
  };
}

const CHUNK_RECORDS = 2048;

/**
 * What a misaligned tail means for the reader, for warnings and findings: where the extra bytes went and
 * which records are read how (`12 bytes too many in record 6 (offset 1920): ...`).
 */
export function misalignedText(tail: StrayTail): string {
  const before = tail.before ?? 0;
  const record = before + 1;
  return `${tail.length} bytes too many in record ${record} (offset ${tail.offset}), not at the end: bytes were inserted or a record cut there (an edit); record ${record} is misread, the ${before} before it are read from the start of the file and the ones after it from its end`;
}

/**
 * 1 for a record that is plausible and not EMPTY, else 0. A record read a few bytes off its place often
 * passes `recordProblem` as an EMPTY one (its type read from the padding after `ut_type`), so EMPTY records
 * say nothing about which alignment is right.
 */
function sound(buf: Buffer, off: number, layout: UtmpLayout): number {
  if (buf[off] === 0 && buf[off + 1] === 0) return 0;
  return recordProblem(buf, off, layout) === null ? 1 : 0;
}

/**
 * Where `rest` bytes too many went in a file whose records read right from its end but not from its start:
 * the record number `a` such that records before it read from the start and those from it on read from the
 * end (`rest` bytes further) make the most plausible records. One pass over both alignments.
 */
function findSplit(bytes: Bytes, layout: UtmpLayout, records: number, rest: number): number {
  const size = layout.size;
  const fromStart = Buffer.allocUnsafe(CHUNK_RECORDS * size);
  const fromEnd = Buffer.allocUnsafe(CHUNK_RECORDS * size);
  // score(a) = (plausible from the start before a) + (plausible from the end from a on); track its running
  // difference from score(0) and keep the first best a.
  let run = 0;
  let best = 0;
  let bestAt = 0;
  for (let first = 0; first < records; first += CHUNK_RECORDS) {
    const n = Math.min(CHUNK_RECORDS, records - first);
    const s = bytes.readAt(fromStart.subarray(0, n * size), first * size);
    const e = bytes.readAt(fromEnd.subarray(0, n * size), rest + first * size);
    if (s < n * size || e < n * size) break;
    for (let i = 0; i < n; i++) {
      const okStart = sound(fromStart, i * size, layout);
      const okEnd = sound(fromEnd, i * size, layout);
      run += okStart - okEnd;
      if (run > best) {
        best = run;
        bestAt = first + i + 1;
      }
    }
  }
  return bestAt;
}

/** The file's records from the first to the last, decoded chunk by chunk (one read buffer, reused). */
export function* recordsForward(f: WtmpFile, chunk = CHUNK_RECORDS): Generator<UtmpRecord> {
  for (const batch of chunksForward(f, chunk)) yield* batch;
}

/** Like recordsForward, a chunk (array) at a time: fewer generator steps on a million records. */
export function* chunksForward(f: WtmpFile, chunk = CHUNK_RECORDS): Generator<UtmpRecord[]> {
  const size = f.layout.size;
  const into = Buffer.allocUnsafe(chunk * size);
  for (let first = 0; first < f.records; first += chunk) {
    const buf = f.read(first, chunk, into);
    const n = buf.length / size;
    const out = new Array<UtmpRecord>(n);
    for (let i = 0; i < n; i++) out[i] = decodeRecord(buf, i * size, f.layout, first + i);
    yield out;
    if (n < Math.min(chunk, f.records - first)) return;
  }
}

/** The file's records from the last to the first (what `last` needs), decoded chunk by chunk. */
export function* recordsBackward(f: WtmpFile, chunk = CHUNK_RECORDS): Generator<UtmpRecord> {
  for (const batch of chunksBackward(f, chunk)) yield* batch;
}

/** Like recordsBackward, a chunk (array, newest first) at a time. */
export function* chunksBackward(f: WtmpFile, chunk = CHUNK_RECORDS): Generator<UtmpRecord[]> {
  const size = f.layout.size;
  const into = Buffer.allocUnsafe(chunk * size);
  for (let end = f.records; end > 0; end -= chunk) {
    const first = Math.max(0, end - chunk);
    const buf = f.read(first, end - first, into);
    const n = buf.length / size;
    const out = new Array<UtmpRecord>(n);
    for (let i = n - 1, j = 0; i >= 0; i--, j++) out[j] = decodeRecord(buf, i * size, f.layout, first + i);
    yield out;
  }
}

/** One damaged record, as findings data. */
export interface RecordAnomaly {
  index: number;
  offset: number;
  problem: RecordProblem;
}

/** What a full scan of a file found wrong: counts per problem, the first few records, and the stray tail. */
export interface FileAnomalies {
  file: string;
  layout: UtmpLayout['name'];
  records: number;
  counts: Partial<Record<RecordProblem, number>>;
  /** At most `limit` examples, in file order. */
  examples: RecordAnomaly[];
  tail: StrayTail | null;
}

/** Scans every whole record for garbage (bounded memory and bounded examples). */
export function scanAnomalies(f: WtmpFile, limit = 20): FileAnomalies {
  const size = f.layout.size;
  const out: FileAnomalies = {
    file: f.display,
    layout: f.layout.name,
    records: f.records,
    counts: {},
    examples: [],
    tail: f.tail,
  };
  const into = Buffer.allocUnsafe(CHUNK_RECORDS * size);
  for (let first = 0; first < f.records; first += CHUNK_RECORDS) {
    const buf = f.read(first, CHUNK_RECORDS, into);
    const n = buf.length / size;
    for (let i = 0; i < n; i++) {
      const problem = recordProblem(buf, i * size, f.layout);
      if (!problem) continue;
      out.counts[problem] = (out.counts[problem] ?? 0) + 1;
      if (out.examples.length < limit)
        out.examples.push({ index: first + i, offset: (first + i) * size, problem });
    }
    if (n === 0) break;
  }
  return out;
}
