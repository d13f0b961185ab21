/**
 * util-linux 2.38's `parse_timestamp` (lib/timeutils.c, from systemd), used by `last -s/-t/-p`, re-done on
 * top of tz.ts so that `--since yesterday` means the same instant for tenken and `last` under the same TZ.
 * Accepted: `2013-08-28 02:20[:00]`, `13-08-28 02:20[:00]`, `2013-08-28T02:20:00`, `2013-08-28`,
 * `02:20[:00]` (today), `20130828022000`, an optional weekday prefix (`Wed 2013-08-28`), `now`, `today`,
 * `yesterday`, `tomorrow`, `+5min`, `-5days`, `1 hour ago`. (2.38 has no `@epoch` nor sub-seconds.)
 */
import { type LocalTime, localTime, mkTime, type Zone } from '../core/tz.ts';

const USEC: [string, number][] = [
  ['seconds', 1e6],
  ['second', 1e6],
  ['sec', 1e6],
  ['s', 1e6],
  ['minutes', 60e6],
  ['minute', 60e6],
  ['min', 60e6],
  ['months', 2629800e6],
  ['month', 2629800e6],
  ['msec', 1e3],
  ['ms', 1e3],
  ['m', 60e6],
  ['hours', 3600e6],
  ['hour', 3600e6],
  ['hr', 3600e6],
  ['h', 3600e6],
  ['days', 86400e6],
  ['day', 86400e6],
  ['d', 86400e6],
  ['weeks', 604800e6],
  ['week', 604800e6],
  ['w', 604800e6],
  ['years', 31557600e6],
  ['year', 31557600e6],
  ['y', 31557600e6],
  ['usec', 1],
  ['us', 1],
  ['', 1e6],
];

const WS = /^[ \t\n\r]*/;

/** systemd's `parse_sec`: `5min`, `1h 30m`, `2.5days` → microseconds, or null. */
export function parseSec(text: string): number | null {
  let p = text;
  let r = 0;
  let something = false;
  for (;;) {
    p = p.replace(WS, '');
    if (p === '') return something ? r : null;
    // strtoll: optional whitespace and sign, then digits.
    const num = /^[ \t\n\r\v\f]*([-+]?)(\d+)/.exec(p);
    if (!num) return null;
    const l = Number((num[1] ?? '') + (num[2] ?? ''));
    if (l < 0) return null;
    let e = p.slice(num[0].length);
    let frac = 0;
    let n = 0;
    if (e.startsWith('.')) {
      const f = /^(\d+)/.exec(e.slice(1));
      if (!f) return null;
      frac = Number(f[1]);
      n = (f[1] ?? '').length;
      e = e.slice(1 + n);
    }
    e = e.replace(WS, '');
    const unit = USEC.find(([suffix]) => e.startsWith(suffix));
    if (!unit) return null;
    let k = frac * unit[1];
    for (; n > 0; n--) k = Math.floor(k / 10);
    r += l * unit[1] + k;
    p = e.slice(unit[0].length);
    something = true;
  }
}

/** The fields strptime fills (tz.ts's broken-down time without weekday and offset). */
type Tm = Omit<LocalTime, 'wday' | 'gmtoff'>;

/** glibc `strptime` for the conversions parse_timestamp uses (%Y %y %m %d %H %M %S, spaces, literals). */
function strptime(input: string, format: string, tm: Tm): boolean {
  let rp = 0;
  const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\r\v\f'.includes(c);
  const num = (from: number, to: number, digits: number): number | null => {
    while (isSpace(input[rp])) rp++;
    const c0 = input[rp];
    if (c0 === undefined || c0 < '0' || c0 > '9') return null;
    let val = 0;
    let left = digits;
    do {
      val = val * 10 + (input.charCodeAt(rp++) - 48);
      const c = input[rp];
      if (!(--left > 0 && val * 10 <= to && c !== undefined && c >= '0' && c <= '9')) break;
    } while (true);
    return val < from || val > to ? null : val;
  };
  for (let i = 0; i < format.length; i++) {
    const f = format[i] as string;
    if (isSpace(f)) {
      while (isSpace(input[rp])) rp++;
      continue;
    }
    if (f !== '%') {
      if (input[rp] !== f) return false;
      rp++;
      continue;
    }
    const conv = format[++i];
    let v: number | null;
    switch (conv) {
      case 'Y':
        v = num(0, 9999, 4);
        if (v === null) return false;
        tm.year = v;
        break;
      case 'y':
        v = num(0, 99, 2);
        if (v === null) return false;
        tm.year = v >= 69 ? 1900 + v : 2000 + v;
        break;
      case 'm':
        v = num(1, 12, 2);
        if (v === null) return false;
        tm.month = v;
        break;
      case 'd':
        v = num(1, 31, 2);
        if (v === null) return false;
        tm.day = v;
        break;
      case 'H':
        v = num(0, 23, 2);
        if (v === null) return false;
        tm.hour = v;
        break;
      case 'M':
        v = num(0, 59, 2);
        if (v === null) return false;
        tm.minute = v;
        break;
      case 'S':
        v = num(0, 61, 2);
        if (v === null) return false;
        tm.second = v;
        break;
      case undefined:
      default:
        return false;
    }
  }
  return rp === input.length;
}

const WEEKDAYS: [string, number][] = [
  ['Sunday', 0],
  ['Sun', 0],
  ['Monday', 1],
  ['Mon', 1],
  ['Tuesday', 2],
  ['Tue', 2],
  ['Wednesday', 3],
  ['Wed', 3],
  ['Thursday', 4],
  ['Thu', 4],
  ['Friday', 5],
  ['Fri', 5],
  ['Saturday', 6],
  ['Sat', 6],
];

const FORMATS: [string, 'keep' | 'sec0' | 'midnight'][] = [
  ['%y-%m-%d %H:%M:%S', 'keep'],
  ['%Y-%m-%d %H:%M:%S', 'keep'],
  ['%Y-%m-%dT%H:%M:%S', 'keep'],
  ['%y-%m-%d %H:%M', 'sec0'],
  ['%Y-%m-%d %H:%M', 'sec0'],
  ['%y-%m-%d', 'midnight'],
  ['%Y-%m-%d', 'midnight'],
  ['%H:%M:%S', 'keep'],
  ['%H:%M', 'sec0'],
  ['%Y%m%d%H%M%S', 'keep'],
];

/**
 * Parses a `last -s/-t/-p` time the way util-linux 2.38 does, relative to `now` (seconds) in `zone`.
 * Returns seconds since the epoch, or null when util-linux would say `invalid time value`.
 */
export function parseTimestamp(text: string, now: number, zone: Zone): number | null {
  const lt = localTime(now, zone);
  const tm: Tm = {
    year: lt.year,
    month: lt.month,
    day: lt.day,
    hour: lt.hour,
    minute: lt.minute,
    second: lt.second,
  };
  let plus = 0;
  let minus = 0;
  let weekday = -1;
  let t = text;
  const midnight = (): void => {
    tm.hour = 0;
    tm.minute = 0;
    tm.second = 0;
  };
  let parsed = true;
  if (t === 'now') {
    /* as is */
  } else if (t === 'today') midnight();
  else if (t === 'yesterday') {
    tm.day--;
    midnight();
  } else if (t === 'tomorrow') {
    tm.day++;
    midnight();
  } else if (t.startsWith('+')) {
    const r = parseSec(t.slice(1));
    if (r === null) return null;
    plus = r;
  } else if (t.startsWith('-')) {
    const r = parseSec(t.slice(1));
    if (r === null) return null;
    minus = r;
  } else if (t.endsWith(' ago')) {
    const r = parseSec(t.slice(0, -4));
    if (r === null) return null;
    minus = r;
  } else {
    for (const [name, nr] of WEEKDAYS) {
      if (t.slice(0, name.length).toLowerCase() === name.toLowerCase() && t[name.length] === ' ') {
        weekday = nr;
        t = t.slice(name.length + 1);
        break;
      }
    }
    parsed = false;
    const copy = { ...tm };
    for (const [fmt, fix] of FORMATS) {
      Object.assign(tm, copy);
      if (strptime(t, fmt, tm)) {
        if (fix === 'sec0') tm.second = 0;
        else if (fix === 'midnight') midnight();
        parsed = true;
        break;
      }
    }
  }
  if (!parsed) return null;
  const x = mkTime(tm, zone);
  if (weekday >= 0 && localTime(x, zone).wday !== weekday) return null;
  let usec = x * 1e6 + plus;
  usec = usec > minus ? usec - minus : 0;
  return Math.trunc(usec / 1e6);
}
