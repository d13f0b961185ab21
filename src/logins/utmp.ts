/**
 * Decoder and encoder of glibc `struct utmp` records (utmp, wtmp, btmp files), in both layouts glibc uses on
 * Linux: 384 bytes with 32-bit time fields (x86-64, i386, and other compat ABIs) and 400 bytes with 64-bit
 * `ut_session`/`ut_tv` (aarch64 and other 64-bit ABIs without the compat define).
 *
 * Written by hand: no maintained npm package decodes both layouts, reports garbage instead of throwing, and
 * detects a foreign byte order. Pure: takes bytes, returns data; files are read in wtmp-file.ts.
 *
 * String fields are kept as "byte strings" (latin1: one char per byte, cut at the first NUL) so that column
 * widths and escapes can be computed exactly like util-linux does on bytes; `fieldText` decodes them as UTF-8
 * for reports.
 */

/** `ut_type` values (glibc bits/utmp.h). */
export const UT = {
  EMPTY: 0,
  RUN_LVL: 1,
  BOOT_TIME: 2,
  NEW_TIME: 3,
  OLD_TIME: 4,
  INIT_PROCESS: 5,
  LOGIN_PROCESS: 6,
  USER_PROCESS: 7,
  DEAD_PROCESS: 8,
  ACCOUNTING: 9,
} as const;

/** Byte offsets and sizes of one `struct utmp` layout. */
export interface UtmpLayout {
  /** `glibc-384` (32-bit times, x86-64) or `glibc-400` (64-bit times, aarch64). */
  readonly name: 'glibc-384' | 'glibc-400';
  readonly size: number;
  readonly sessionSize: 4 | 8;
  readonly session: number;
  /** tv_sec and tv_usec, each `timeSize` bytes. */
  readonly sec: number;
  readonly usec: number;
  readonly timeSize: 4 | 8;
  readonly addr: number;
}

/** Offsets shared by both layouts. */
export const FIELD = {
  type: 0,
  pid: 4,
  line: 8,
  lineSize: 32,
  id: 40,
  idSize: 4,
  user: 44,
  userSize: 32,
  host: 76,
  hostSize: 256,
  exit: 332,
} as const;

/** The two glibc layouts, by name. */
export const LAYOUTS = {
  'glibc-384': {
    name: 'glibc-384',
    size: 384,
    session: 336,
    sessionSize: 4,
    sec: 340,
    usec: 344,
    timeSize: 4,
    addr: 348,
  },
  'glibc-400': {
    name: 'glibc-400',
    size: 400,
    session: 336,
    sessionSize: 8,
    sec: 344,
    usec: 352,
    timeSize: 8,
    addr: 360,
  },
} as const satisfies Record<string, UtmpLayout>;

/** Name of a supported layout. */
export type LayoutName = keyof typeof LAYOUTS;

/** One decoded record. Strings are byte strings (latin1), cut at the first NUL. */
export interface UtmpRecord {
  /** 0-based record number in its file (whole records from the start). */
  index: number;
  type: number;
  pid: number;
  line: string;
  id: string;
  user: string;
  host: string;
  exitTermination: number;
  exitStatus: number;
  session: number;
  /** Seconds since the epoch (tv_sec) and microseconds (tv_usec). */
  sec: number;
  usec: number;
  /** `ut_addr_v6` as four 32-bit words read big-endian, so the bytes keep their network order (shared, frozen). */
  addr: readonly [number, number, number, number];
}

/**
 * The record number a user sees of a 0-based `index`: 1-based, like a line number, in summaries, evidence
 * (`/var/log/wtmp:87`), findings' `records` and `last --format json`'s `record` alike.
 */
export function recordNumber(index: number): number {
  return index + 1;
}

/** Input of the encoder: every field optional (zero / empty by default). */
export type UtmpRecordInput = Partial<Omit<UtmpRecord, 'index'>>;

/** Why a whole record looks like garbage; see `recordProblem`. */
export type RecordProblem =
  | 'unknown-type'
  | 'bad-usec'
  | 'bad-time'
  | 'zeroed'
  | 'partly-zeroed'
  | 'control-characters';

// Interned field strings: wtmp repeats a few users, ttys and hosts a million times, and building each one
// again was most of the garbage (and GC time) of `tenken last` on a big file.
const INTERN_SLOTS = 4096;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS);

function cstr(buf: Uint8Array, start: number, size: number): string {
  let end = start;
  const limit = start + size;
  let h = 0x811c9dc5;
  while (end < limit) {
    const b = buf[end] as number;
    if (b === 0) break;
    h = Math.imul(h ^ b, 0x01000193);
    end++;
  }
  const len = end - start;
  if (len === 0) return '';
  const slot = (h >>> 0) % INTERN_SLOTS;
  const hit = interned[slot];
  if (hit !== undefined && hit.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (hit.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const s = Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('latin1');
  interned[slot] = s;
  return s;
}

/** The all-zero address, shared (most local records have no address). */
const NO_ADDR: readonly [number, number, number, number] = Object.freeze([0, 0, 0, 0] as const);

function i64(view: DataView, off: number): number {
  const lo = view.getUint32(off, true);
  const hi = view.getInt32(off + 4, true);
  return hi * 4294967296 + lo;
}

// One DataView per chunk, not per record: decoding a million records is on `tenken last`'s hot path.
let viewOf: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

/** Decodes the record at `off` of `buf` (which must hold `layout.size` bytes there). */
export function decodeRecord(buf: Uint8Array, off: number, layout: UtmpLayout, index: number): UtmpRecord {
  if (viewOf !== buf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewOf = buf;
  }
  const v = view;
  const wide = layout.timeSize === 8;
  return {
    index,
    type: v.getInt16(off + FIELD.type, true),
    pid: v.getInt32(off + FIELD.pid, true),
    line: cstr(buf, off + FIELD.line, FIELD.lineSize),
    id: cstr(buf, off + FIELD.id, FIELD.idSize),
    user: cstr(buf, off + FIELD.user, FIELD.userSize),
    host: cstr(buf, off + FIELD.host, FIELD.hostSize),
    exitTermination: v.getInt16(off + FIELD.exit, true),
    exitStatus: v.getInt16(off + FIELD.exit + 2, true),
    session: wide ? i64(v, off + layout.session) : v.getInt32(off + layout.session, true),
    sec: wide ? i64(v, off + layout.sec) : v.getInt32(off + layout.sec, true),
    usec: wide ? i64(v, off + layout.usec) : v.getInt32(off + layout.usec, true),
    addr: addrAt(v, off + layout.addr),
  };
}

let lastAddr: readonly [number, number, number, number] = NO_ADDR;

function addrAt(v: DataView, off: number): readonly [number, number, number, number] {
  const a0 = v.getUint32(off, false);
  const a1 = v.getUint32(off + 4, false);
  const a2 = v.getUint32(off + 8, false);
  const a3 = v.getUint32(off + 12, false);
  if ((a0 | a1 | a2 | a3) === 0) return NO_ADDR;
  const l = lastAddr;
  if (l[0] === a0 && l[1] === a1 && l[2] === a2 && l[3] === a3) return l;
  lastAddr = Object.freeze([a0, a1, a2, a3] as const);
  return lastAddr;
}

function putStr(buf: Uint8Array, off: number, size: number, s: string | undefined): void {
  if (!s) return;
  const bytes = Buffer.from(s, 'latin1');
  buf.set(bytes.subarray(0, size), off);
}

/** Encodes one record (the inverse of decodeRecord; strings are byte strings, longer ones are cut). */
export function encodeRecord(rec: UtmpRecordInput, layout: UtmpLayout = LAYOUTS['glibc-384']): Uint8Array {
  const buf = new Uint8Array(layout.size);
  const view = new DataView(buf.buffer);
  view.setInt16(FIELD.type, rec.type ?? 0, true);
  view.setInt32(FIELD.pid, rec.pid ?? 0, true);
  putStr(buf, FIELD.line, FIELD.lineSize, rec.line);
  putStr(buf, FIELD.id, FIELD.idSize, rec.id);
  putStr(buf, FIELD.user, FIELD.userSize, rec.user);
  putStr(buf, FIELD.host, FIELD.hostSize, rec.host);
  view.setInt16(FIELD.exit, rec.exitTermination ?? 0, true);
  view.setInt16(FIELD.exit + 2, rec.exitStatus ?? 0, true);
  const put = (off: number, size: 4 | 8, v: number): void => {
    if (size === 4) view.setInt32(off, v, true);
    else view.setBigInt64(off, BigInt(Math.trunc(v)), true);
  };
  put(layout.session, layout.sessionSize, rec.session ?? 0);
  put(layout.sec, layout.timeSize, rec.sec ?? 0);
  put(layout.usec, layout.timeSize, rec.usec ?? 0);
  const addr = rec.addr ?? [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) view.setUint32(layout.addr + 4 * i, (addr[i] ?? 0) >>> 0, false);
  return buf;
}

/** Encodes many records into one file image. */
export function encodeRecords(
  recs: Iterable<UtmpRecordInput>,
  layout: UtmpLayout = LAYOUTS['glibc-384'],
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const r of recs) parts.push(encodeRecord(r, layout));
  return Buffer.concat(parts);
}

/** An IPv4 or IPv6 address as text, to `addr` words (IPv4 goes in the first word, as glibc writers do). */
export function addrFromText(text: string): [number, number, number, number] {
  const v4 = ipv4Word(text);
  if (v4 !== null) return [v4, 0, 0, 0];
  const words = parseIpv6(text);
  if (!words) throw new Error(`not an IP address: ${text}`);
  return [0, 1, 2, 3].map((i) => (((words[2 * i] as number) << 16) | (words[2 * i + 1] as number)) >>> 0) as [
    number,
    number,
    number,
    number,
  ];
}

function ipv4Word(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
  if (a > 255 || b > 255 || c > 255 || d > 255) return null;
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function parseIpv6(text: string): number[] | null {
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = ipv4Word(p);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-f]{1,4}$/i.test(p)) out.push(Number.parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const h = parse(head);
  const t = parse(tail);
  if (!h || !t) return null;
  if (dbl < 0) return h.length === 8 ? h : null;
  if (h.length + t.length > 7) return null;
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/**
 * Why a record looks like garbage, or null when it is plausible. Used to report damaged files (as findings
 * data) and to tell layouts and byte orders apart. A record of only zero bytes is "zeroed" (chkwtmp's test).
 */
export function recordProblem(buf: Uint8Array, off: number, layout: UtmpLayout): RecordProblem | null {
  let nonzero = 0;
  for (let i = 0; i < layout.size; i++) if (buf[off + i] !== 0) nonzero++;
  if (nonzero === 0) return 'zeroed';
  const view = new DataView(buf.buffer, buf.byteOffset + off, layout.size);
  const type = view.getInt16(FIELD.type, true);
  if (type < 0 || type > 9) return 'unknown-type';
  const wide = layout.timeSize === 8;
  const usec = wide ? i64(view, layout.usec) : view.getInt32(layout.usec, true);
  if (usec < 0 || usec >= 1_000_000) return 'bad-usec';
  const sec = wide ? i64(view, layout.sec) : view.getInt32(layout.sec, true);
  // glibc writes times from the clock: before 1970 or after 2200 is not something a writer produced.
  if (sec < 0 || sec > 7_258_118_400) return 'bad-time';
  // A record whose type and time are zero while names are set: zeroed in part (tampering or a torn write).
  if (type === 0 && sec === 0 && nonzero > 0) return 'partly-zeroed';
  for (const [start, size] of [
    [FIELD.line, FIELD.lineSize],
    [FIELD.user, FIELD.userSize],
  ] as const) {
    for (let i = off + start; i < off + start + size; i++) {
      const b = buf[i] as number;
      if (b === 0) break;
      if (b < 0x20 || b === 0x7f) return 'control-characters';
    }
  }
  return null;
}

/** Result of layout detection on the first bytes of a file. */
export type Detection =
  | { ok: true; layout: UtmpLayout /** true when no whole record was there to judge */; guessed: boolean }
  | { ok: false; why: 'big-endian' | 'unknown-layout'; message: string };

function score(
  sample: Uint8Array,
  layout: UtmpLayout,
  bigEndian: boolean,
  start: number,
): { good: number; total: number; timed: number } {
  let good = 0;
  let total = 0;
  /** Plausible records with a time after 1970-01-01 00:00:00: what writers put there (they read the clock). */
  let timed = 0;
  for (let off = start; off + layout.size <= sample.length; off += layout.size) {
    total++;
    const view = new DataView(sample.buffer, sample.byteOffset + off, layout.size);
    const le = !bigEndian;
    const type = view.getInt16(0, le);
    const wide = layout.timeSize === 8;
    const rd = (o: number): number =>
      wide
        ? le
          ? view.getInt32(o + 4, true) * 4294967296 + view.getUint32(o, true)
          : view.getInt32(o, false) * 4294967296 + view.getUint32(o + 4, false)
        : view.getInt32(o, le);
    const sec = rd(layout.sec);
    const usec = rd(layout.usec);
    if (type >= 0 && type <= 9 && usec >= 0 && usec < 1_000_000 && sec >= 0 && sec <= 7_258_118_400) {
      // All-zero records fit every layout and byte order: they count for nothing.
      if (type !== 0 || sec !== 0 || usec !== 0) {
        good++;
        if (sec > 0) timed++;
      } else total--;
    }
  }
  return { good, total, timed };
}

/**
 * Tells which layout a file uses from a sample of its first records (a few KiB is enough), or why it cannot
 * be read: records that only make sense big-endian are refused (decoding them would print garbage, as
 * util-linux `last` silently does), as is anything that fits neither layout.
 *
 * `endSample`, the file's last bytes (ending at `fileSize`), is also scored with records aligned from the end
 * of the file: bytes inserted (or a record cut) among the first records misalign every record after them
 * read from the start, but not read from the end, and the file is still a wtmp file. The alignment under
 * which most records make sense wins.
 */
export function detectLayout(sample: Uint8Array, fileSize: number, endSample?: Uint8Array): Detection {
  const candidates: { layout: UtmpLayout; be: boolean; good: number; total: number; timed: number }[] = [];
  for (const layout of Object.values(LAYOUTS)) {
    for (const be of [false, true]) {
      candidates.push({ layout, be, ...score(sample, layout, be, 0) });
      if (endSample && fileSize % layout.size !== 0)
        candidates.push({ layout, be, ...score(endSample, layout, be, endSample.length % layout.size) });
    }
  }
  const ratio = (c: { good: number; total: number }): number => (c.total === 0 ? 0 : c.good / c.total);
  const timed = (c: { timed: number; total: number }): number => (c.total === 0 ? 0 : c.timed / c.total);
  const fits = (c: { layout: UtmpLayout }): number => (fileSize % c.layout.size === 0 ? 1 : 0);
  // Records that decode with a time of 0 under one layout and a real time under the other settle a tie
  // before the file size does: one 384-byte record plus 16 stray bytes is not a 400-byte record of 1970.
  candidates.sort(
    (a, b) => ratio(b) - ratio(a) || timed(b) - timed(a) || fits(b) - fits(a) || b.good - a.good,
  );
  const best = candidates[0];
  if (!best || best.total === 0) {
    // Empty, shorter than a record, or only zero records: nothing contradicts the usual layout.
    const layout = fileSize % 384 !== 0 && fileSize % 400 === 0 ? LAYOUTS['glibc-400'] : LAYOUTS['glibc-384'];
    return { ok: true, layout, guessed: true };
  }
  if (ratio(best) < 0.5) {
    return {
      ok: false,
      why: 'unknown-layout',
      message: 'not a utmp/wtmp file: its records fit neither glibc layout (384 or 400 bytes)',
    };
  }
  if (best.be) {
    return {
      ok: false,
      why: 'big-endian',
      message: `big-endian utmp records (${best.layout.name}, written on another architecture); tenken reads little-endian files only`,
    };
  }
  return { ok: true, layout: best.layout, guessed: false };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** A byte-string field decoded as UTF-8 (invalid bytes become U+FFFD), for reports and JSON. */
export function fieldText(s: string): string {
  // biome-ignore lint: ASCII fast path
  if (!/[^\x00-\x7f]/.test(s)) return s;
  return utf8.decode(Buffer.from(s, 'latin1'));
}

/** The name of a `ut_type` value (`USER_PROCESS`), or its number. */
export function typeName(type: number): string {
  for (const [k, v] of Object.entries(UT)) if (v === type) return k;
  return String(type);
}
