/**
 * Syslog prefixes → time, host and program of a line: RFC 3164 (`Nov 24 10:00:00 host sendmail[5836]: ...`,
 * year inferred), RFC 5424 (`<34>1 2026-11-24T10:00:00Z host app pid msgid [sd] msg`), ISO timestamps as
 * rsyslog's high-precision format writes them, plus the time of Apache's common log format and mgetty
 * lines (`11/24 10:00:00 yS0 ...`), Samba's `[2026/11/24 10:00:00, 0]` and Tinyproxy's own log. Pure: the reference time and zone are parameters.
 */

import { inferYear, laterPass, type YearContext, type Zone } from '../core/tz.ts';

/** Zones and year inference live in src/core/tz.ts; re-exported for the readers that import them from here. */

/** What a line's prefix says. */
export interface LinePrefix {
  /** Epoch milliseconds, or null when the line has no recognisable time. */
  time: number | null;
  host: string | null;
  /** The syslog tag without its pid (`sendmail[5836]` → `sendmail`), or null. */
  program: string | null;
  /** Index in the line where the message (after the prefix) starts. */
  messageStart: number;
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const RFC5424 = /1 (-|\S+) (\S+) (\S+) (\S+) (\S+) /y;
const MGETTY = /(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) /y;
/**
 * Squid's native access log: `1764150000.123    12 CLIENT ...`, seconds since the epoch with milliseconds, then
 * the elapsed time. The message is the whole line (the attacks' proxy extractor reads the stamp itself).
 */
const SQUID = /(\d{9,11})\.(\d{3}) +-?\d+ /y;
/**
 * The audit daemon's log (`type=AVC msg=audit(1764838800.123:412): avc:  denied ...`, with `node=NAME ` first
 * where auditd's name_format is set): seconds since the epoch with milliseconds, then the event's serial. The
 * message is the whole line: its record type is what tells an AVC from a PAM record.
 */
const AUDIT = /(?:node=\S+ )?type=\w+ msg=audit\((\d{9,11})\.(\d{3}):\d+\): /y;
const CLF =
  /\[(\d\d)\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]/;
const SAMBA = /\[(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)[.,\]]/y;
/** nginx's error log (and other daemons' own files): `2026/11/25 00:28:09 [error] ...`, local time. */
const SLASHED = /(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) +/y;
/** Apache httpd's error log: `[Sun Jun 30 10:00:01 2024] ` (2.2), `[Sun Jun 30 10:00:01.123456 2024] ` (2.4). */
const APACHE =
  /\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})? (\d{4})\] /y;
/**
 * Tinyproxy's own log (`NOTICE    Nov 26 13:30:00.123 [1234]: ...`): its level padded to nine, then a year-less
 * local stamp with milliseconds and its pid.
 */
const TINYPROXY =
  /(?:CRITICAL|ERROR|WARNING|NOTICE|CONNECT|INFO|DEBUG) +(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})? \[\d+\]: /y;
/** A bare ctime(3) stamp, local time: vsftpd's own log and xferlog (`Thu Nov 26 09:58:08 2026 [pid 3] ...`). */
const CTIME =
  /(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4}) /y;

/** Groups 1-6 of a stamp match (year, month 1-12, day, hour, minute, second) as numbers. */
export function stampFields(m: RegExpExecArray): [number, number, number, number, number, number] {
  return [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])];
}

/*
 * The classic prefix (`<PRI>` and `Mmm dd hh:mm:ss[.ffffff] host tag[pid]: `) and the ISO one
 * (`2026-11-24T10:00:00.123456+09:00 host tag[pid]: `) are parsed by hand with
 * charCodeAt: the engine parses every matching line, and the RegExps (kept as the oracle in
 * syslog.test.ts) plus their match arrays were a quarter of a keyword-dense scan. What each step accepts is
 * exactly what these RegExps accept (`\s` and `\S` as JS defines them, `\d` ASCII only):
 *   PRI     /^<\d{1,3}>/
 *   RFC3164 /(Jan|...|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})? /y
 *   ISO     /(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)? /y
 *           (rsyslog's RSYSLOG_FileFormat, RFC 3339 with microseconds and offset: rsyslog's own default
 *           for files, written wherever the traditional format is not selected)
 *   HOST    /([^\s]+) /y
 *   TAG     /([^\s[\]:]+)(?:\[[^\]\s]*\])?: ?/y
 */

/** Whether a char code is matched by JS `\s` (the same set `String.prototype.trim` removes). */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return (
    c === 160 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** `Jan`..`Dec` as the three char codes packed in one number → month index. */
const MONTH_CODES = new Map<number, number>(
  Object.entries(MONTHS).map(([name, i]) => [
    (name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2),
    i,
  ]),
);

/** End of `<PRI>` at the line's start, or 0 when there is none. */
function priEnd(line: string): number {
  if (line.charCodeAt(0) !== 60) return 0; // <
  let i = 1;
  while (i < 4 && isDigit(line.charCodeAt(i))) i++;
  return i > 1 && line.charCodeAt(i) === 62 ? i + 1 : 0; // >
}

/** Where a line's tag and message are, as indexes (the engine's path: no substrings). */
export interface PrefixIndexes {
  /** Host as `[hostStart, hostEnd)`, hostStart -1 when none. */
  hostStart: number;
  hostEnd: number;
  /** Program (tag without pid) as `[programStart, programEnd)`, programStart -1 when none. */
  programStart: number;
  programEnd: number;
  messageStart: number;
}

/** Where TAG's program ends when tagEnd matched (set by tagEnd). */
let tagProgramEnd = 0;

/** TAG at `at`: the index after it (its `: ` included), or -1; sets tagProgramEnd. */
function tagEnd(line: string, at: number): number {
  const n = line.length;
  let i = at;
  let c = 0;
  for (; i < n; i++) {
    c = line.charCodeAt(i);
    if (c === 91 || c === 93 || c === 58 || isSpace(c)) break; // [ ] :
  }
  if (i === at || i === n) return -1;
  tagProgramEnd = i;
  if (c === 91) {
    let j = i + 1;
    for (; j < n; j++) {
      const d = line.charCodeAt(j);
      if (d === 93 || isSpace(d)) break;
    }
    if (j + 1 >= n || line.charCodeAt(j) !== 93 || line.charCodeAt(j + 1) !== 58) return -1;
    i = j + 1;
  } else if (c !== 58) return -1;
  i++; // the colon
  return i < n && line.charCodeAt(i) === 32 ? i + 1 : i;
}

/** HOST at `at`: the end of the host (a single space follows it), or -1. */
function hostEnd(line: string, at: number): number {
  const n = line.length;
  let i = at;
  while (i < n && !isSpace(line.charCodeAt(i))) i++;
  return i > at && i < n && line.charCodeAt(i) === 32 ? i : -1;
}

/**
 * Host and tag after a time stamp ending at `at`. With `hostNeedsTag` (ISO stamps, which applications' own
 * logs use too: `2026-11-26T10:01:00Z ERROR disk quota exceeded`) a word is a host only when a tag follows
 * it, so the level word stays in the message that ignore rules and top messages see.
 */
function hostAndTagIndexes(line: string, at: number, out: PrefixIndexes, hostNeedsTag = false): void {
  out.hostStart = -1;
  out.programStart = -1;
  // A tag right after the time means the writer left out the host (some daemons' own files).
  let e = tagEnd(line, at);
  if (e < 0) {
    const h = hostEnd(line, at);
    if (h < 0 || (hostNeedsTag && tagEnd(line, h + 1) < 0)) {
      out.messageStart = at;
      return;
    }
    out.hostStart = at;
    out.hostEnd = h;
    at = h + 1;
    e = tagEnd(line, at);
  }
  if (e >= 0) {
    out.programStart = at;
    out.programEnd = tagProgramEnd;
    out.messageStart = e;
  } else out.messageStart = at;
}

// The last hour a classic stamp fell in, per year context: lines come in time order, so most lines reuse it.
let memoCtx: YearContext | undefined;
let memoReference = 0;
let memoCtxYear: number | undefined;
let memoZone: Zone | undefined;
let memoKey = -1;
let memoYear = 0;
let memoStart = 0;
let memoPrevStart = Number.NaN;

/** The time of a yearless stamp, as `zone.toEpoch(inferYear(...), ...)` computes it. */
function yearlessTime(mo: number, d: number, h: number, mi: number, s: number, ctx: YearContext): number {
  const zone = ctx.zone;
  // Every Zone's toEpoch is its hour's start plus minutes and seconds under 60 (see Zone.toEpoch).
  if (mi > 59 || s > 59) return zone.toEpoch(inferYear(mo, d, h, mi, s, ctx), mo, d, h, mi, s);
  const key = (mo * 100 + d) * 100 + h;
  if (
    memoKey !== key ||
    memoCtx !== ctx ||
    memoReference !== ctx.reference ||
    memoCtxYear !== ctx.year ||
    memoZone !== zone
  ) {
    memoCtx = ctx;
    memoReference = ctx.reference;
    memoCtxYear = ctx.year;
    memoZone = zone;
    memoKey = key;
    memoYear = ctx.year ?? zone.yearOf(ctx.reference);
    memoStart = zone.toEpoch(memoYear, mo, d, h, 0, 0);
    memoPrevStart = Number.NaN;
  }
  const within = mi * 60_000 + s * 1000;
  let t = memoStart + within;
  if (t > ctx.reference + 86_400_000) {
    if (Number.isNaN(memoPrevStart)) memoPrevStart = zone.toEpoch(memoYear - 1, mo, d, h, 0, 0);
    t = memoPrevStart + within;
  }
  // Lines come in time order: a stamp well before the previous one, in an hour the clocks fell back over,
  // is that hour's second pass (else a burst across the change is split and an hour's counts doubled).
  const last = ctx.last;
  if (last !== undefined && t < last - FOLD_SLACK_MS) {
    const later = laterPass(zone, t);
    if (later !== null && later >= last - FOLD_SLACK_MS) t = later;
  }
  ctx.last = t;
  return t;
}

/** How far a line may go back before the previous one and still be read as written (small clock steps). */
const FOLD_SLACK_MS = 10 * 60_000;

/** Time, host and program of a classic or ISO-stamped line, as indexes: what the engine needs without substrings. */
export interface StampedPrefix extends PrefixIndexes {
  time: number;
}

/** A fresh StampedPrefix for parseStamped to fill (one per reader: it is reused line after line). */
export function stampedPrefix(): StampedPrefix {
  return { time: 0, hostStart: -1, hostEnd: -1, programStart: -1, programEnd: -1, messageStart: 0 };
}

const SCRATCH: StampedPrefix = stampedPrefix();

/** RFC3164 at `at`: fills `out` and returns true, or false when the stamp is not there. */
function classicAt(line: string, at: number, ctx: YearContext, out: StampedPrefix): boolean {
  const n = line.length;
  if (at + 15 > n) return false; // `Jan 1 00:00:00 ` is the shortest
  const c0 = line.charCodeAt(at);
  const c1 = line.charCodeAt(at + 1);
  const c2 = line.charCodeAt(at + 2);
  if (c0 > 255 || c1 > 255 || c2 > 255) return false;
  const mo = MONTH_CODES.get((c0 << 16) | (c1 << 8) | c2);
  if (mo === undefined || line.charCodeAt(at + 3) !== 32) return false;
  let i = at + 4;
  if (line.charCodeAt(i) === 32) i++;
  let c = line.charCodeAt(i);
  if (!isDigit(c)) return false;
  let d = c - 48;
  c = line.charCodeAt(++i);
  if (isDigit(c)) {
    d = d * 10 + c - 48;
    c = line.charCodeAt(++i);
  }
  if (c !== 32) return false;
  i++;
  if (i + 9 > n) return false;
  const h1 = line.charCodeAt(i) - 48;
  const h2 = line.charCodeAt(i + 1) - 48;
  const m1 = line.charCodeAt(i + 3) - 48;
  const m2 = line.charCodeAt(i + 4) - 48;
  const s1 = line.charCodeAt(i + 6) - 48;
  const s2 = line.charCodeAt(i + 7) - 48;
  if (
    !(h1 >= 0 && h1 <= 9 && h2 >= 0 && h2 <= 9 && m1 >= 0 && m1 <= 9) ||
    !(m2 >= 0 && m2 <= 9 && s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9) ||
    line.charCodeAt(i + 2) !== 58 ||
    line.charCodeAt(i + 5) !== 58
  )
    return false;
  i += 8;
  c = line.charCodeAt(i);
  if (c === 46) {
    // `.ffffff`: 1 to 6 digits, then the space
    let j = i + 1;
    while (j < n && j - i <= 7 && isDigit(line.charCodeAt(j))) j++;
    if (j === i + 1 || j - i > 7 || line.charCodeAt(j) !== 32) return false;
    i = j;
  } else if (c !== 32) return false;
  out.time = yearlessTime(mo, d, h1 * 10 + h2, m1 * 10 + m2, s1 * 10 + s2, ctx);
  hostAndTagIndexes(line, i + 1, out);
  return true;
}

/** Two ASCII digits at `i` as a number, or -1. */
function twoDigits(line: string, i: number): number {
  const a = line.charCodeAt(i) - 48;
  const b = line.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** ISO at `at` (see the grammar above): fills `out` and returns true, or false when the stamp is not there. */
function isoAt(line: string, at: number, ctx: YearContext, out: StampedPrefix): boolean {
  const n = line.length;
  if (at + 20 > n) return false; // `2026-11-24T10:00:00 ` is the shortest
  const y1 = twoDigits(line, at);
  const y2 = twoDigits(line, at + 2);
  if (y1 < 0 || y2 < 0 || line.charCodeAt(at + 4) !== 45 || line.charCodeAt(at + 7) !== 45) return false;
  const t = line.charCodeAt(at + 10);
  if ((t !== 84 && t !== 32) || line.charCodeAt(at + 13) !== 58 || line.charCodeAt(at + 16) !== 58)
    return false;
  const mo = twoDigits(line, at + 5);
  const d = twoDigits(line, at + 8);
  const h = twoDigits(line, at + 11);
  const mi = twoDigits(line, at + 14);
  const sec = twoDigits(line, at + 17);
  if (mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return false;
  let i = at + 19;
  let c = line.charCodeAt(i);
  let ms = 0;
  if (c === 46 || c === 44) {
    // `.f` to `.fffffffff`, truncated to milliseconds (a tenth digit fails the space test below)
    let j = i + 1;
    while (j < n && j - i <= 9 && isDigit(line.charCodeAt(j))) {
      if (j - i <= 3) ms = ms * 10 + line.charCodeAt(j) - 48;
      j++;
    }
    if (j === i + 1) return false;
    for (let k = j - i; k <= 3; k++) ms *= 10;
    i = j;
    c = line.charCodeAt(i);
  }
  let offset = Number.NaN; // minutes east of UTC; NaN: no offset, the zone's wall clock
  if (c === 90) {
    offset = 0;
    c = line.charCodeAt(++i);
  } else if (c === 43 || c === 45) {
    const oh = twoDigits(line, i + 1);
    const colon = line.charCodeAt(i + 3) === 58 ? 1 : 0;
    const om = twoDigits(line, i + 3 + colon);
    if (oh < 0 || om < 0) return false;
    offset = (c === 45 ? -1 : 1) * (oh * 60 + om);
    i += 5 + colon;
    c = line.charCodeAt(i);
  }
  if (c !== 32) return false;
  out.time = isoStampTime(y1 * 100 + y2, mo, d, h, mi, sec, ms, offset, ctx.zone);
  hostAndTagIndexes(line, i + 1, out, true);
  return true;
}

// The last hour an ISO stamp fell in (lines come in time order, so most lines reuse it).
let isoMemoKey = -1;
let isoMemoOffset = 0;
let isoMemoZone: Zone | undefined;
let isoMemoStart = 0;

/** The time of an ISO stamp's fields (`offset` in minutes east of UTC, NaN for the zone's wall clock). */
function isoStampTime(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  offset: number,
  zone: Zone,
): number {
  const wall = Number.isNaN(offset);
  // Every Zone's toEpoch is its hour's start plus minutes and seconds under 60 (see Zone.toEpoch);
  // Date.UTC is linear in them.
  if (wall && (mi > 59 || s > 59)) return zone.toEpoch(y, mo - 1, d, h, mi, s) + ms;
  const key = ((y * 100 + mo) * 100 + d) * 100 + h;
  if (key !== isoMemoKey || !Object.is(offset, isoMemoOffset) || (wall && zone !== isoMemoZone)) {
    isoMemoKey = key;
    isoMemoOffset = offset;
    isoMemoZone = zone;
    isoMemoStart = wall
      ? zone.toEpoch(y, mo - 1, d, h, 0, 0)
      : Date.UTC(y, mo - 1, d, h, 0, 0) - offset * 60_000;
  }
  return isoMemoStart + mi * 60_000 + s * 1000 + ms;
}

/**
 * The prefix of a line with a classic (RFC 3164) or an ISO (RFC 3339) stamp, `<PRI>` optional, into `out`;
 * false when the line has another shape (then parsePrefix gives its time, host and program). Same results
 * as parsePrefix.
 */
export function parseStamped(line: string, ctx: YearContext, out: StampedPrefix): boolean {
  const at = priEnd(line);
  return classicAt(line, at, ctx, out) || isoAt(line, at, ctx, out);
}

/** Parses the prefix of one line (latin1 or text; only ASCII matters here). */
export function parsePrefix(line: string, ctx: YearContext): LinePrefix {
  const out: LinePrefix = { time: null, host: null, program: null, messageStart: 0 };
  const at = priEnd(line);
  if (classicAt(line, at, ctx, SCRATCH) || isoAt(line, at, ctx, SCRATCH)) {
    out.time = SCRATCH.time;
    if (SCRATCH.hostStart >= 0) out.host = line.slice(SCRATCH.hostStart, SCRATCH.hostEnd);
    if (SCRATCH.programStart >= 0) out.program = line.slice(SCRATCH.programStart, SCRATCH.programEnd);
    out.messageStart = SCRATCH.messageStart;
    return out;
  }
  const pri = at > 0;
  let m: RegExpExecArray | null;
  if (pri) {
    RFC5424.lastIndex = at;
    m = RFC5424.exec(line);
    if (m) {
      const ts = m[1] as string;
      if (ts !== '-' && isoAt(`${ts} `, 0, ctx, SCRATCH)) out.time = SCRATCH.time;
      out.host = m[2] === '-' ? null : (m[2] ?? null);
      out.program = m[3] === '-' ? null : (m[3] ?? null);
      out.messageStart = skipStructuredData(line, RFC5424.lastIndex);
      return out;
    }
  }
  SQUID.lastIndex = 0;
  m = SQUID.exec(line);
  if (!m) {
    AUDIT.lastIndex = 0;
    m = AUDIT.exec(line);
  }
  if (m) {
    out.time = Number(m[1]) * 1000 + Number(m[2]);
    return out;
  }
  MGETTY.lastIndex = 0;
  m = MGETTY.exec(line);
  if (m) {
    const [mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    if (mo >= 1 && mo <= 12) {
      out.time = ctx.zone.toEpoch(inferYear(mo - 1, d, h, mi, s, ctx), mo - 1, d, h, mi, s);
      out.messageStart = MGETTY.lastIndex;
      return out;
    }
  }
  SAMBA.lastIndex = 0;
  m = SAMBA.exec(line);
  if (m) {
    const [y, mo, d, h, mi, s] = stampFields(m);
    out.time = ctx.zone.toEpoch(y, mo - 1, d, h, mi, s);
    return out;
  }
  SLASHED.lastIndex = 0;
  m = SLASHED.exec(line);
  if (m) {
    const [y, mo, d, h, mi, s] = stampFields(m);
    out.time = ctx.zone.toEpoch(y, mo - 1, d, h, mi, s);
    out.messageStart = SLASHED.lastIndex;
    return out;
  }
  TINYPROXY.lastIndex = 0;
  m = TINYPROXY.exec(line);
  if (m) {
    const mo = MONTHS[m[1] as string] as number;
    const [d, h, mi, s] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
    out.time = yearlessTime(mo, d, h, mi, s, ctx);
    out.messageStart = TINYPROXY.lastIndex;
    return out;
  }
  APACHE.lastIndex = 0;
  m = APACHE.exec(line);
  if (!m) {
    CTIME.lastIndex = 0;
    m = CTIME.exec(line);
  }
  if (m) {
    const mo = MONTHS[m[1] as string] as number;
    const [d, h, mi, s, y] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    out.time = ctx.zone.toEpoch(y, mo, d, h, mi, s);
    out.messageStart = m[0].length;
    return out;
  }
  const clf = CLF.exec(line.length > 512 ? line.slice(0, 512) : line);
  if (clf) {
    const [d, y, h, mi, s, oh, om] = [clf[1], clf[3], clf[4], clf[5], clf[6], clf[8], clf[9]].map(Number);
    const sign = clf[7] === '-' ? -1 : 1;
    const mo = MONTHS[clf[2] as string] as number;
    out.time =
      Date.UTC(y as number, mo, d, h, mi, s) - sign * ((oh as number) * 60 + (om as number)) * 60_000;
  }
  return out;
}

/** Skips RFC 5424 structured data (`-` or `[id k="v"]...`, quotes may hold `]`), returning the message start. */
function skipStructuredData(line: string, at: number): number {
  if (line[at] === '-') return line[at + 1] === ' ' ? at + 2 : at + 1;
  while (line[at] === '[') {
    let i = at + 1;
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '\\') i++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === ']') break;
    }
    at = i + 1;
  }
  return line[at] === ' ' ? at + 1 : at;
}

/** Whether a line's program belongs to a profile's syslog tag: exact, or `postfix` for `postfix/smtpd`. */
export function tagMatches(program: string, tag: string): boolean {
  return (
    program === tag || (program.length > tag.length && program.startsWith(tag) && program[tag.length] === '/')
  );
}
