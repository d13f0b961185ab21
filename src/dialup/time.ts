/**
 * Time helpers for logs that write local wall-clock time without a year (mgetty's `MM/DD HH:MM:SS`,
 * RFC 3164 syslog's `Mon DD HH:MM:SS`). Pure: the reference time and the zone are parameters.
 *
 * Written here because src/logs had no exported year-inference helper when the dial-up check was built;
 * once it has one, this module's inferYears should defer to it (same rule: never after the file's mtime,
 * a year back at each December → January step).
 */

/** A wall-clock time as a log wrote it (month 1-12). */
export interface WallStamp {
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** A wall-clock time with its year. */
export interface WallTime extends WallStamp {
  year: number;
}

function key(s: WallStamp): number {
  return (((s.month * 32 + s.day) * 24 + s.hour) * 60 + s.minute) * 60 + s.second;
}

const DAY_KEY_SLACK = 24 * 60 * 60;

/**
 * Years for stamps in file order, given the wall-clock time of the file's last write (its mtime in the
 * host's zone). Walking back from the end: the last stamp is in the reference's year unless that would put
 * it after the reference (more than a day's slack, for zone doubts), and the year steps back whenever the
 * month jumps back by half a year or more between one line and the next (a December line before a January
 * one). A December log read in January thus gets last year.
 */
export function inferYears(stamps: readonly WallStamp[], reference: WallTime): number[] {
  const years = new Array<number>(stamps.length);
  if (stamps.length === 0) return years;
  const last = stamps[stamps.length - 1] as WallStamp;
  let year = reference.year;
  if (key(last) > key(reference) + DAY_KEY_SLACK) year--;
  years[stamps.length - 1] = year;
  for (let i = stamps.length - 2; i >= 0; i--) {
    const earlier = stamps[i] as WallStamp;
    const later = stamps[i + 1] as WallStamp;
    if (earlier.month - later.month >= 6) year--;
    years[i] = year;
  }
  return years;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether a time zone name is one this Node (ICU) knows. */
export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time of an instant in a zone (undefined: this process's local zone). */
export function wallOf(instant: Date, timeZone?: string): WallTime {
  if (timeZone === undefined) {
    return {
      year: instant.getFullYear(),
      month: instant.getMonth() + 1,
      day: instant.getDate(),
      hour: instant.getHours(),
      minute: instant.getMinutes(),
      second: instant.getSeconds(),
    };
  }
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function utcOf(w: WallTime): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/**
 * The instant a wall-clock time stands for in a zone (undefined: this process's local zone). In a DST gap
 * or overlap it picks the earlier offset, as mktime does by default; log lines are seconds apart anyway.
 */
export function instantOf(w: WallTime, timeZone?: string): Date {
  if (timeZone === undefined) return new Date(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const guess = utcOf(w);
  // Zone offsets change on whole hours of wall time, so one Intl lookup per hour serves a whole log.
  const key = `${timeZone}|${Math.floor(guess / 3_600_000)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const first = guess - (utcOf(wallOf(new Date(guess), timeZone)) - guess);
    offset = utcOf(wallOf(new Date(first), timeZone)) - first;
    if (offsets.size > 50_000) offsets.clear();
    offsets.set(key, offset);
  }
  return new Date(guess - offset);
}

const offsets = new Map<string, number>();

/** One allowed time range in minutes of the day; `end < start` wraps past midnight. */
export interface HourRange {
  start: number;
  end: number;
}

/**
 * Parses `08:00-18:00` or `22:00-06:30, 12:00-13:00` (ranges in the host's local time, end exclusive,
 * `24:00` allowed as an end). Returns null when the text is not in that form.
 */
export function parseHours(text: string): HourRange[] | null {
  const ranges: HourRange[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(part);
    if (!m) return null;
    const start = Number(m[1]) * 60 + Number(m[2]);
    const end = Number(m[3]) * 60 + Number(m[4]);
    if (Number(m[2]) > 59 || Number(m[4]) > 59 || start >= 24 * 60 || end > 24 * 60 || start === end)
      return null;
    ranges.push({ start, end });
  }
  return ranges.length ? ranges : null;
}

/** Whether a wall-clock time falls in any of the ranges. */
export function withinHours(ranges: readonly HourRange[], w: Pick<WallStamp, 'hour' | 'minute'>): boolean {
  const m = w.hour * 60 + w.minute;
  return ranges.some((r) => (r.start < r.end ? m >= r.start && m < r.end : m >= r.start || m < r.end));
}
