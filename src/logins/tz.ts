/**
 * Local time in a named time zone (the inspected host's TZ, never the process clock's), fast enough to format
 * a million wtmp times: the zone offset comes from Intl (ICU's tz database) and is cached per 15-minute
 * bucket; calendar fields are computed arithmetically. Also `mktime`, for util-linux's time parser.
 */

/** A time zone: its offset from UTC (seconds east) at any instant. */
export interface Zone {
  readonly name: string;
  offset(sec: number): number;
}

/** Broken-down local time, like `struct tm` (month 1-12, wday 0 = Sunday). */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  wday: number;
  /** Seconds east of UTC in effect. */
  gmtoff: number;
}

const BUCKET = 900;
const MAX_MS = 8.64e15;

function fixedZone(name: string, offset: number): Zone {
  return { name, offset: () => offset };
}

function intlZone(name: string): Zone | null {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return null;
  }
  const exact = (sec: number): number => {
    const ms = sec * 1000;
    if (!(Math.abs(ms) < MAX_MS)) return 0;
    const parts: Record<string, string> = {};
    for (const p of fmt.formatToParts(new Date(ms))) parts[p.type] = p.value;
    let year = Number(parts.year);
    if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
    const local =
      daysFromCivil(year, Number(parts.month), Number(parts.day)) * 86400 +
      Number(parts.hour) * 3600 +
      Number(parts.minute) * 60 +
      Number(parts.second);
    return local - Math.floor(sec);
  };
  // Offsets change a few times a year: cache them per day, and per 15 minutes on the days they change.
  const days = new Map<number, number>();
  const quarters = new Map<number, number>();
  const cached = (cache: Map<number, number>, key: number, span: number): number | undefined => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const a = exact(key * span);
    // Equal offsets at both ends of a span: no transition inside (zones never change twice in a day).
    if (a !== exact(key * span + span - 1)) return undefined;
    if (cache.size > 200_000) cache.clear();
    cache.set(key, a);
    return a;
  };
  return {
    name,
    offset(sec: number): number {
      return (
        cached(days, Math.floor(sec / 86400), 86400) ??
        cached(quarters, Math.floor(sec / BUCKET), BUCKET) ??
        exact(sec)
      );
    },
  };
}

/**
 * The zone a TZ value names, as glibc reads it: unset → `fallback` (the host's zone), empty → UTC, a leading
 * `:` ignored, an IANA name, or a POSIX `STDoffset` string (`JST-9`; DST rules are not modelled). Unknown
 * names are UTC, as in glibc.
 */
export function zoneFromTZ(tz: string | undefined, fallback?: string): Zone {
  if (tz === undefined) {
    const sys = fallback ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    return intlZone(sys) ?? fixedZone('UTC', 0);
  }
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  if (name === '') return fixedZone('UTC', 0);
  const z = /^[A-Za-z]/.test(name) && !/^[A-Za-z]{3,}[-+]?\d/.test(name) ? intlZone(name) : null;
  if (z) return z;
  const posix = /^(?:[A-Za-z]{3,}|<[^>]+>)([-+]?)(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?/.exec(name);
  if (posix) {
    const secs = Number(posix[2]) * 3600 + Number(posix[3] ?? 0) * 60 + Number(posix[4] ?? 0);
    // POSIX offsets are west of UTC: JST-9 is UTC+9.
    return fixedZone(name, posix[1] === '-' ? secs : -secs);
  }
  return intlZone(name) ?? fixedZone('UTC', 0);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12; any day, overflow normalises). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Months outside 1..12 roll the year, as mktime does.
  const m0 = month - 1;
  const y = year + Math.floor(m0 / 12);
  const m = (((m0 % 12) + 12) % 12) + 1;
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? y + 1 : y, m, d];
}

/** `localtime_r`: the broken-down time of `sec` in `zone`. */
export function localTime(sec: number, zone: Zone): LocalTime {
  const gmtoff = zone.offset(sec);
  const local = Math.floor(sec) + gmtoff;
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(rem / 3600),
    minute: Math.floor((rem % 3600) / 60),
    second: rem % 60,
    wday: (((days + 4) % 7) + 7) % 7,
    gmtoff,
  };
}

/** `mktime` with tm_isdst = -1: the instant whose local time in `zone` is the given (normalised) fields. */
export function mkTime(
  f: { year: number; month: number; day: number; hour: number; minute: number; second: number },
  zone: Zone,
): number {
  const local = daysFromCivil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
  const off1 = zone.offset(local);
  let t = local - off1;
  const off2 = zone.offset(t);
  if (off2 !== off1) {
    const t2 = local - off2;
    // In a DST gap neither guess maps back exactly; keep the one computed with the later offset.
    t = zone.offset(t2) === off2 ? t2 : t;
  }
  return t;
}

const DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function p2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const TWO = Array.from({ length: 60 }, (_, i) => p2(i));

/** Per-zone cache of `Www Mmm dd ` and the year for each local day: a million times format in ~0.1 s. */
const dayCache = new WeakMap<Zone, Map<number, [string, string]>>();

function dayParts(localDay: number, zone: Zone): [string, string] {
  let cache = dayCache.get(zone);
  if (!cache) {
    cache = new Map();
    dayCache.set(zone, cache);
  }
  let hit = cache.get(localDay);
  if (!hit) {
    const [year, month, day] = civilFromDays(localDay);
    const wday = (((localDay + 4) % 7) + 7) % 7;
    hit = [`${DAY[wday]} ${MON[month - 1]} ${day < 10 ? ` ${day}` : day} `, ` ${year}`];
    if (cache.size > 100_000) cache.clear();
    cache.set(localDay, hit);
  }
  return hit;
}

/** `ctime_r` without its newline: `Wed Aug 28 18:00:00 2013`. */
export function ctime(sec: number, zone: Zone): string {
  const local = Math.floor(sec) + zone.offset(sec);
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  const [head, year] = dayParts(days, zone);
  return `${head}${TWO[Math.floor(rem / 3600)]}:${TWO[Math.floor(rem / 60) % 60]}:${TWO[rem % 60]}${year}`;
}

/** The first 16 characters of ctime (`Wed Aug 28 18:00`), what `last` shows by default. */
export function ctimeShort(sec: number, zone: Zone): string {
  const local = Math.floor(sec) + zone.offset(sec);
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  return `${dayParts(days, zone)[0]}${TWO[Math.floor(rem / 3600)]}:${TWO[Math.floor(rem / 60) % 60]}`;
}

/** util-linux `strtime_iso(..., ISO_TIMESTAMP_T)`: `2013-08-28T18:00:00+00:00` (its offset quirks kept). */
export function isoTime(sec: number, zone: Zone): string {
  const t = localTime(sec, zone);
  const year = String(t.year).padStart(4, ' ');
  // util-linux: tmin = gmtoff/60, zhour = tmin/60 (truncating), "%+03d:%02d" — so -00:30 prints as +00:30.
  const tmin = Math.trunc(t.gmtoff / 60);
  const zhour = Math.trunc(tmin / 60);
  const zmin = Math.abs(tmin % 60);
  const zh = `${zhour < 0 ? '-' : '+'}${p2(Math.abs(zhour))}`;
  return `${year}-${p2(t.month)}-${p2(t.day)}T${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}${zh}:${p2(zmin)}`;
}

/** `HH:MM` in `zone`. */
export function hhmm(sec: number, zone: Zone): string {
  const local = Math.floor(sec) + zone.offset(sec);
  const rem = local - Math.floor(local / 86400) * 86400;
  return `${TWO[Math.floor(rem / 3600)]}:${TWO[Math.floor(rem / 60) % 60]}`;
}
