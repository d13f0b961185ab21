/**
 * Login records for the dial-up correlation, from wtmp, through src/logins's decoder (both glibc layouts,
 * byte-order and garbage detection), or from a wtmpdb's entries as src/logins pairs them. This adapter only
 * maps them to the small LoginRecord shape correlate.ts needs, so the correlation does not depend on the
 * readers' internals.
 */
import type { LastEntry } from '../logins/sessions.ts';
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

/**
 * Login records for the correlation from a wtmpdb's entries (src/logins/wtmpdb.ts `wtmpdbEntries`, which
 * pairs its rows as `last` does), keeping those `keep` accepts. wtmpdb keeps one row per session or boot
 * rather than one record per event, so each session becomes the records a wtmp would hold for it: a
 * USER_PROCESS at its login, and a DEAD_PROCESS on its line when `last` sees it end there (its logout, or the
 * shutdown or boot that closed it); a session still open gets no end record, as in wtmp. Each boot is a
 * BOOT_TIME. wtmpdb records no pid (0). Every record carries the database (`source`) and its row's ID
 * (`row`), so evidence names them. `oldest` is the earliest time of every entry read, kept or not.
 */
export function wtmpdbRecords(
  entries: Iterable<LastEntry>,
  source: string,
  keep: (type: UtType, line: string) => boolean = () => true,
): { records: LoginRecord[]; oldest: number } {
  const records: LoginRecord[] = [];
  let oldest = Number.POSITIVE_INFINITY;
  for (const e of entries) {
    const r = e.record;
    const time = r.sec * 1000 + Math.floor(r.usec / 1000);
    if (time < oldest) oldest = time;
    const line = fieldText(r.line);
    const base = {
      pid: 0,
      line,
      user: fieldText(r.user),
      host: fieldText(r.host),
      source,
      ...(e.row !== undefined ? { row: e.row } : {}),
    };
    if (e.kind === 'reboot') {
      if (keep('BOOT_TIME', line)) records.push({ ...base, type: 'BOOT_TIME', time: new Date(time) });
      continue;
    }
    if (e.kind !== 'login' || !keep('USER_PROCESS', line)) continue;
    records.push({ ...base, type: 'USER_PROCESS', time: new Date(time) });
    const ended = e.end === 'logout' || e.end === 'crash' || e.end === 'down';
    if (ended && e.logout > 0 && keep('DEAD_PROCESS', line))
      records.push({ ...base, type: 'DEAD_PROCESS', user: '', host: '', time: new Date(e.logout * 1000) });
  }
  return { records, oldest };
}
