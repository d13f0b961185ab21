import type { ParsedLine } from './types.ts';

/**
 * A minimal syslog prefix splitter (time, host, `program[pid]: `) for the attack extractors, until the log
 * reader's own parser (src/logs) replaces it. Written by hand because the lines to split mix RFC 3164,
 * RFC 5424, ISO-8601, TAI64N (daemontools) and journal short output, plus daemons' own log files without any
 * tag; no maintained library covers that mix without also owning the file reading.
 */

/** Options of the splitter. */
export interface SplitOptions {
  /** The inspection time: a year-less syslog date gets the year that does not put it in the future. */
  now: Date;
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

const RFC3164 = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? +/;
const ISO = /^(\d{4})-(\d{2})-(\d{1,2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})? +/;
const SLASHED = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) +/;
const TAI64N = /^@4000([0-9a-fA-F]{12})[0-9a-fA-F]{8} +/;
const RFC5424 =
  /^<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[[^\]"]*(?:"(?:[^"\\]|\\.)*"[^\]"]*)*\])+)(?: (.*))?$/;
const BSD_FACILITY = /^<\w+\.\w+> +/;
/** `prog[pid]:`, `prog(pid):`, `prog:`, `prog[pid]` (proftpd logs no colon), `sshd(pam_unix)[pid]:`. */
const TAG = /^([A-Za-z0-9_.\/-]+(?:\(pam_unix\))?)(?:\[(\d+)\]:?|\((\d+)\):|:)$/;
const BRACKET_TAG = /^\[([A-Za-z0-9_.\/-]+)\]:?$/;
const HOSTNAME = /^[A-Za-z0-9_.:-]+$/;
const SOLARIS_MSGID = /^\[ID \d+ [\w.]+\] /;

function localDate(y: number, mo: number, d: number, h: number, mi: number, s: number): Date {
  return new Date(y, mo, d, h, mi, s);
}

/**
 * Local midnight per (now, month, day), and whether that day has a DST change. Building a local Date costs
 * more than everything else in a line's accounting, and a log holds few distinct days.
 */
const dayCache = new Map<string, { midnight: number; year: number; steady: boolean }>();

/** The day of the previous call (consecutive lines share it): a memo, like dayCache. */
let last: {
  now: number;
  mo: number;
  d: number;
  day: { midnight: number; year: number; steady: boolean };
} | null = null;

/** Year for a year-less syslog date: this year, or last year when that would be more than a day ahead. */
function withYear(now: Date, mo: number, d: number, h: number, mi: number, s: number): Date {
  let day =
    last !== null && last.now === now.getTime() && last.mo === mo && last.d === d ? last.day : undefined;
  if (day === undefined) {
    const key = `${now.getTime()}/${mo}/${d}`;
    day = dayCache.get(key);
    if (day === undefined) {
      let year = now.getFullYear();
      if (localDate(year, mo, d, 0, 0, 0).getTime() > now.getTime() + 86_400_000) year--;
      const midnight = localDate(year, mo, d, 0, 0, 0);
      const next = localDate(year, mo, d + 1, 0, 0, 0);
      const steady = midnight.getTimezoneOffset() === next.getTimezoneOffset();
      if (dayCache.size > 1000) dayCache.clear();
      day = { midnight: midnight.getTime(), year, steady };
      dayCache.set(key, day);
    }
    last = { now: now.getTime(), mo, d, day };
  }
  const t = day.steady
    ? new Date(day.midnight + ((h * 60 + mi) * 60 + s) * 1000)
    : localDate(day.year, mo, d, h, mi, s);
  // A time-of-day later than `now` + 1 day on the boundary day belongs to last year too.
  if (t.getTime() > now.getTime() + 86_400_000) return localDate(day.year - 1, mo, d, h, mi, s);
  return t;
}

interface Stamp {
  time: Date | null;
  rest: string;
  /** RFC 3164 stamp: only then may a bare `[prog]` tag follow. */
  classic: boolean;
}

const MONTH_CODES = new Map<number, number>(
  Object.entries(MONTHS).map(([name, mo]) => [
    (name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2),
    mo,
  ]),
);

function digit(line: string, i: number): number {
  const c = line.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** `Mmm dd hh:mm:ss ` by character codes: the common case, without a RegExp match array. */
function fastClassic(line: string, opts: SplitOptions): Stamp | null {
  if (
    line.length < 16 ||
    line.charCodeAt(3) !== 32 ||
    line.charCodeAt(6) !== 32 ||
    line.charCodeAt(15) !== 32
  )
    return null;
  if (line.charCodeAt(9) !== 58 || line.charCodeAt(12) !== 58) return null;
  const mo = MONTH_CODES.get((line.charCodeAt(0) << 16) | (line.charCodeAt(1) << 8) | line.charCodeAt(2));
  if (mo === undefined) return null;
  const d1 = line.charCodeAt(4) === 32 ? 0 : digit(line, 4);
  const d2 = digit(line, 5);
  const h1 = digit(line, 7);
  const h2 = digit(line, 8);
  const m1 = digit(line, 10);
  const m2 = digit(line, 11);
  const s1 = digit(line, 13);
  const s2 = digit(line, 14);
  if ((d1 | d2 | h1 | h2 | m1 | m2 | s1 | s2) < 0) return null;
  const time = withYear(opts.now, mo, d1 * 10 + d2, h1 * 10 + h2, m1 * 10 + m2, s1 * 10 + s2);
  let rest = line.slice(16);
  if (rest.charCodeAt(0) === 60 /* < */) {
    const f = BSD_FACILITY.exec(rest);
    if (f) rest = rest.slice(f[0].length);
  }
  return { time, rest, classic: true };
}

function stamp(line: string, opts: SplitOptions): Stamp | null {
  const fast = fastClassic(line, opts);
  if (fast) return fast;
  let m = RFC3164.exec(line);
  if (m) {
    const mo = MONTHS[m[1] as string];
    if (mo !== undefined) {
      const time = withYear(opts.now, mo, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
      let rest = line.slice(m[0].length);
      const f = BSD_FACILITY.exec(rest);
      if (f) rest = rest.slice(f[0].length);
      return { time, rest, classic: true };
    }
  }
  m = ISO.exec(line);
  if (m) {
    const [, y, mo, d, h, mi, s, , tz] = m;
    const time =
      tz === undefined
        ? localDate(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
        : new Date(
            `${y}-${mo}-${(d as string).padStart(2, '0')}T${h}:${mi}:${s}${tz === 'Z' ? 'Z' : tz.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`,
          );
    return {
      time: Number.isNaN(time.getTime()) ? null : time,
      rest: line.slice(m[0].length),
      classic: false,
    };
  }
  m = SLASHED.exec(line);
  if (m) {
    const time = localDate(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    );
    return { time, rest: line.slice(m[0].length), classic: false };
  }
  m = TAI64N.exec(line);
  if (m) {
    // TAI64 label minus 2^62; TAI runs ahead of UTC by 10 s + leap seconds (37 today): close enough for
    // windows of minutes.
    const secs = Number.parseInt(m[1] as string, 16) - 10;
    return { time: new Date(secs * 1000), rest: line.slice(m[0].length), classic: false };
  }
  return null;
}

function firstToken(s: string): [string, string] {
  const i = s.indexOf(' ');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function tagged(
  program: string,
  pid: number | null,
  message: string,
  text: string,
  time: Date | null,
): ParsedLine {
  const msg = SOLARIS_MSGID.test(message) ? message.replace(SOLARIS_MSGID, '') : message;
  return { program, pid, message: msg, text, time };
}

function tagOf(token: string): { program: string; pid: number | null } | null {
  const m = TAG.exec(token);
  if (!m) return null;
  const pid = m[2] ?? m[3];
  return { program: m[1] as string, pid: pid === undefined ? null : Number(pid) };
}

/**
 * Splits one log line (no newline) into program, pid, message and time. Lines without a recognisable
 * tag come back with program '' and the text after any time stamp as the message, so the caller's family
 * hint (the service whose own log it is) decides which extractor reads them.
 */
export function splitLine(raw: string, opts: SplitOptions): ParsedLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const r5424 = RFC5424.exec(line);
  if (r5424) {
    const t = new Date(r5424[1] as string);
    const app = r5424[3] === '-' ? '' : (r5424[3] as string);
    const pid = /^\d+$/.test(r5424[4] as string) ? Number(r5424[4]) : null;
    const msg = r5424[7] ?? '';
    return tagged(app, pid, msg, msg, Number.isNaN(t.getTime()) ? null : t);
  }
  const st = stamp(line, opts);
  const time = st?.time ?? null;
  const rest = st ? st.rest : line;
  const [t1, after1] = firstToken(rest);
  const tag1 = tagOf(t1);
  if (tag1) return tagged(tag1.program, tag1.pid, after1, rest, time);
  if (st?.classic) {
    const b = BRACKET_TAG.exec(t1);
    if (b) return tagged(b[1] as string, null, after1, rest, time);
  }
  if (HOSTNAME.test(t1)) {
    const [t2, after2] = firstToken(after1);
    const tag2 = tagOf(t2);
    if (tag2) return tagged(tag2.program, tag2.pid, after2, after1, time);
  }
  return { program: '', pid: null, message: rest, text: rest, time };
}
