/**
 * Login records for the dial-up correlation, from wtmp, through src/logins's decoder (both glibc layouts,
 * byte-order and garbage detection). This adapter only maps its records to the small LoginRecord shape
 * correlate.ts needs, so the correlation does not depend on the decoder's internals.
 */
import { decodeRecord, detectLayout, fieldText, typeName, type UtmpLayout } from '../logins/utmp.ts';
import type { LoginRecord, UtType } from './correlate.ts';

const KNOWN: readonly UtType[] = [
  'EMPTY',
  'RUN_LVL',
  'BOOT_TIME',
  'NEW_TIME',
  'OLD_TIME',
  'INIT_PROCESS',
  'LOGIN_PROCESS',
  'USER_PROCESS',
  'DEAD_PROCESS',
  'ACCOUNTING',
];

/** The name of a numeric `ut_type` (unknown numbers become `UNKNOWN`). */
export function utTypeName(n: number): UtType {
  const name = typeName(n) as UtType;
  return KNOWN.includes(name) ? name : 'UNKNOWN';
}

/** Result of decoding a wtmp file. */
export type WtmpDecoded =
  | {
      ok: true;
      records: LoginRecord[];
      /** Bytes at the end that do not make a whole record (a torn write). */
      trailingBytes: number;
    }
  | { ok: false; reason: string };

/** The largest time (ms) a Date holds. */
const MAX_DATE = 8.64e15;

/** How much of a wtmp's start decides its layout (64 records of the larger one). */
export const LAYOUT_SAMPLE = 64 * 400;

/**
 * A wtmp's layout from its first bytes (at least LAYOUT_SAMPLE of them, when it has that many) and its
 * size: records are aligned from the start of the file, the bytes after the last whole one left over.
 */
export function wtmpLayout(
  head: Uint8Array,
  size: number,
): { ok: true; layout: UtmpLayout } | { ok: false; reason: string } {
  const detection = detectLayout(head.subarray(0, LAYOUT_SAMPLE), size);
  return detection.ok ? { ok: true, layout: detection.layout } : { ok: false, reason: detection.message };
}

/**
 * A wtmp of a known layout and size decoded as its bytes arrive (in chunks of any size, in file order),
 * keeping only the records `keep` accepts, so that memory grows with those and not with the file. Records
 * are numbered from 1 in the file; the bytes after the `size`'s last whole record are not decoded (a torn
 * write). `oldest` is how far back the file reaches, counting every record read, kept or not.
 */
export class WtmpDecoder {
  /** The records kept, in file order. */
  readonly records: LoginRecord[] = [];
  /** Time (ms) of the oldest record that is not EMPTY and has a time, over all records; +Infinity: none. */
  oldest = Number.POSITIVE_INFINITY;
  /** Records decoded so far. */
  decoded = 0;
  private readonly whole: number;
  private readonly pending: Buffer;
  private filled = 0;

  constructor(
    private readonly layout: UtmpLayout,
    size: number,
    private readonly source: string,
    private readonly keep: (type: UtType, line: string) => boolean = () => true,
  ) {
    this.whole = Math.floor(size / layout.size);
    this.pending = Buffer.alloc(layout.size);
  }

  /** Whether every whole record of the file's size was decoded. */
  get done(): boolean {
    return this.decoded >= this.whole;
  }

  /** Decodes the whole records in `chunk` (with the part of one the last chunk ended in). */
  push(chunk: Uint8Array): void {
    const size = this.layout.size;
    let at = 0;
    if (this.filled > 0) {
      const n = Math.min(size - this.filled, chunk.length);
      this.pending.set(chunk.subarray(0, n), this.filled);
      this.filled += n;
      at = n;
      if (this.filled < size) return;
      this.filled = 0;
      this.decode(this.pending, 0);
    }
    for (; at + size <= chunk.length; at += size) this.decode(chunk, at);
    if (at < chunk.length && !this.done) {
      this.pending.set(chunk.subarray(at), 0);
      this.filled = chunk.length - at;
    }
  }

  private decode(buf: Uint8Array, off: number): void {
    if (this.done) return;
    const r = decodeRecord(buf, off, this.layout, this.decoded);
    this.decoded++;
    const type = utTypeName(r.type);
    const time = r.sec * 1000 + Math.floor(r.usec / 1000);
    // A time past what a Date holds is no time (an invalid Date, as the records keep it).
    if (type !== 'EMPTY' && time > 0 && time <= MAX_DATE && time < this.oldest) this.oldest = time;
    const line = fieldText(r.line);
    if (!this.keep(type, line)) return;
    this.records.push({
      type,
      pid: r.pid,
      line,
      user: fieldText(r.user),
      host: fieldText(r.host),
      time: new Date(time),
      source: this.source,
      index: this.decoded,
    });
  }
}

/** Decodes a wtmp file's bytes into login records; `source` is its host path, for evidence. */
export function decodeWtmp(bytes: Uint8Array, source: string): WtmpDecoded {
  const layout = wtmpLayout(bytes, bytes.length);
  if (!layout.ok) return layout;
  const decoder = new WtmpDecoder(layout.layout, bytes.length, source);
  decoder.push(bytes);
  return {
    ok: true,
    records: decoder.records,
    trailingBytes: bytes.length - decoder.decoded * layout.layout.size,
  };
}
