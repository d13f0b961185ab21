import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LineScanner, type LineHit, type LineScannerOptions } from '../scan/lines.ts';
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

/** Opens and identifies a file (throws the system error when it cannot be opened). */
export async function openLog(path: string, gzip: boolean, fpBytes: number): Promise<OpenFile> {
  const handle = await open(path, 'r');
  try {
    const st = await handle.stat({ bigint: false });
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
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

/** Decompressed chunks of a gzip file (all members). */
async function* gunzipFrom(handle: FileHandle): AsyncGenerator<Buffer> {
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

/** Content length: a plain file's size, a `.gz`'s decompressed length up to any damage (one pass). */
export async function contentLength(file: OpenFile): Promise<number> {
  if (!file.gzip) return file.size;
  let n = 0;
  try {
    for await (const chunk of gunzipFrom(file.handle)) n += chunk.length;
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
  /** A read or decompression error part-way (lines before it were reported). */
  error?: unknown;
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
    signal?: AbortSignal;
  },
  onHit: (hit: LineHit) => void,
): Promise<ReadResult> {
  const known = opts.startLine >= 0;
  const scanOpts: LineScannerOptions = {
    startOffset: opts.start,
    startLine: known ? opts.startLine : 0,
    countLines: opts.countLines && known,
    tailBytes: opts.tailBytes,
  };
  if (opts.chunk !== undefined) scanOpts.chunk = opts.chunk;
  const scanner = new LineScanner(rules, onHit, scanOpts);
  let bytes = 0;
  let error: unknown;
  let end = -1;
  try {
    if (!file.gzip) {
      let pos = opts.start;
      while (pos < file.size) {
        opts.signal?.throwIfAborted();
        const n = Math.min(scanner.free, file.size - pos);
        const { bytesRead } = await file.handle.read(scanner.buf, scanner.len, n, pos);
        if (bytesRead === 0) break; // shrank while reading: the rest is for the next run
        pos += bytesRead;
        bytes += bytesRead;
        scanner.wrote(bytesRead);
      }
      end = pos;
    } else {
      let at = 0;
      const preFrom = opts.start - Math.min(opts.tailBytes, opts.start);
      const pre: Buffer[] = [];
      for await (const chunk of gunzipFrom(file.handle)) {
        opts.signal?.throwIfAborted();
        const next = at + chunk.length;
        if (next > preFrom && at < opts.start)
          pre.push(chunk.subarray(Math.max(0, preFrom - at), Math.min(chunk.length, opts.start - at)));
        if (next > opts.start) {
          const part = at >= opts.start ? chunk : chunk.subarray(opts.start - at);
          bytes += part.length;
          scanner.push(part);
        }
        at = next;
      }
      end = at;
      if (opts.before === undefined && opts.start > 0) opts = { ...opts, before: Buffer.concat(pre) };
    }
    scanner.finish(opts.consumeTrailing);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    error = err;
  }
  let tail = scanner.tailContent;
  const consumed = scanner.offset - opts.start;
  if (consumed < opts.tailBytes && opts.start > 0) {
    const before =
      opts.before ??
      (file.gzip ? null : await contentBefore(file, opts.start, Math.min(opts.tailBytes, opts.start)));
    if (before) tail = Buffer.concat([before, tail]).subarray(-Math.min(opts.tailBytes, scanner.offset));
  }
  const result: ReadResult = {
    offset: scanner.offset,
    line: scanOpts.countLines ? scanner.lineCount : -1,
    tail,
    eof: end >= 0 && scanner.offset === end,
    bytes,
  };
  if (error !== undefined) result.error = error;
  return result;
}
