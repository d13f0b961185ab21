/**
 * Local time in a named time zone (the inspected host's, never the process clock's) and the year of a
 * year-less log stamp: the one owner of zone arithmetic for `last`, the log readers, logins and dial-up.
 * Offsets come from Intl (ICU's tz database) and are cached per day (per 15 minutes on the days they
 * change); calendar fields are computed arithmetically, fast enough for a million wtmp records or log lines.
 * Pure apart from hostZoneChoice (a few reads under --root; tzfile.ts names a copied zone file): zone name and epoch in, fields out; no clock.
 *
 * Written by hand: Intl alone costs a formatToParts per conversion (too slow per line) and no dependency
 * of ours handles zones; `last` must also match glibc's TZ reading and mktime, which no library mimics.
 */
import fs from 'node:fs';
import { type Host, hostPath } from './host.ts';
import { errnoCode, reason } from './errors.ts';
import { resolveInRoot } from './inroot.ts';
import { openRegularSync, readRegularFileSync } from './open.ts';
import { fixedZoneOfPosixTZ, parseTzif, zoneFileName, zoneNameOfLink } from './tzfile.ts';

/**
 * A time zone. Seconds for `offset` (as `struct tm`), epoch milliseconds for `toEpoch` and `yearOf` (as
 * Date), since those are what their callers hold.
 */
export interface Zone {
  readonly name: string;
  /** Seconds east of UTC in effect at epoch second `sec`. */
  offset(sec: number): number;
  /**
   * Epoch ms of a wall-clock time (month0 0-11; overflowing fields roll over as in Date.UTC). Within one
   * wall-clock hour it is that hour's start plus minutes and seconds (for both under 60), which lets a
   * reader reuse an hour's start for many lines.
   */
  toEpoch(y: number, month0: number, d: number, h: number, mi: number, s: number): number;
  /** The calendar year, in this zone, of epoch ms. */
  yearOf(ms: number): number;
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

/** The proleptic Gregorian `[year, month 1-12, day]` of a day count since 1970-01-01. */
export function civilFromDays(z: number): [number, number, number] {
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

const BUCKET = 900;
const MAX_MS = 8.64e15;

/** The calendar year at epoch ms for a zone whose offsets are known. */
function yearAt(zone: Pick<Zone, 'offset'>, ms: number): number {
  const sec = Math.floor(ms / 1000);
  return civilFromDays(Math.floor((sec + zone.offset(sec)) / 86400))[0];
}

function fixedZone(name: string, offset: number): Zone {
  const ms = offset * 1000;
  return {
    name,
    offset: () => offset,
    toEpoch: (y, mo, d, h, mi, s) => Date.UTC(y, mo, d, h, mi, s) - ms,
    yearOf: (t) => new Date(t + ms).getUTCFullYear(),
  };
}

/**
 * `exact` (seconds east at an epoch second) behind a cache: offsets change a few times a year, so one
 * lookup per day serves, and per 15 minutes on the days they change.
 */
function cachedOffsets(exact: (sec: number) => number): (sec: number) => number {
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
  return (sec) =>
    cached(days, Math.floor(sec / 86400), 86400) ??
    cached(quarters, Math.floor(sec / BUCKET), BUCKET) ??
    exact(sec);
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
  const offset = cachedOffsets((sec) => {
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
  });
  const hours = new Map<number, number>(); // hour (wall time read as UTC) → offset in ms; lines are many
  const zone: Zone = {
    name,
    offset,
    toEpoch(y, mo, d, h, mi, s) {
      const asUtc = Date.UTC(y, mo, d, h, mi, s);
      const key = Math.floor(asUtc / 3_600_000);
      let off = hours.get(key);
      if (off === undefined) {
        // The offset at the wall time read as UTC, then at the instant that gives: right across a DST
        // change. In an overlap this picks the earlier instant west of UTC, the later one east of it.
        off = offset((asUtc - offset(asUtc / 1000) * 1000) / 1000) * 1000;
        if (hours.size > 10_000) hours.clear();
        hours.set(key, off);
      }
      return asUtc - off;
    },
    yearOf: (ms) => yearAt(zone, ms),
  };
  return zone;
}

/**
 * This process's own zone, as Date sees it (TZ, else /etc/localtime): the log readers' zone when the host
 * names none. Wall times convert as Date does: in an overlap the earlier instant, in a gap the later.
 */
function processZone(): Zone {
  const hours = new Map<number, number>(); // local hour → its epoch start; Date construction per line is slow
  return {
    name: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local',
    offset: cachedOffsets((sec) => {
      const d = new Date(sec * 1000);
      const local =
        daysFromCivil(d.getFullYear(), d.getMonth() + 1, d.getDate()) * 86400 +
        d.getHours() * 3600 +
        d.getMinutes() * 60 +
        d.getSeconds();
      return Number.isNaN(local) ? 0 : local - Math.floor(sec);
    }),
    toEpoch(y, mo, d, h, mi, s) {
      // Days and hours up to 99 (what a stamp's two digits hold) get keys of their own.
      const key = ((y * 12 + mo) * 100 + d) * 100 + h;
      let start = hours.get(key);
      if (start === undefined) {
        start = new Date(y, mo, d, h, 0, 0).getTime();
        if (hours.size > 10_000) hours.clear();
        hours.set(key, start);
      }
      return start + mi * 60_000 + s * 1000;
    },
    yearOf: (ms) => new Date(ms).getFullYear(),
  };
}

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'GMT']);

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
  if (UTC_NAMES.has(name)) return fixedZone(name, 0);
  const z = /^[A-Za-z]/.test(name) && !/^[A-Za-z]{3,}[-+]?\d/.test(name) ? intlZone(name) : null;
  if (z) return z;
  // tzdata's EST5EDT, CST6CDT, MST7MDT and PST8PDT are zone files, which glibc loads before it would read
  // the name as a POSIX rule: they keep their DST history (util-linux last shows 01:20 where a fixed -5 gave 00:20).
  if (TZDATA_POSIX_NAMES.has(name)) {
    const legacy = intlZone(name);
    if (legacy) return legacy;
  }
  const posix = /^(?:[A-Za-z]{3,}|<[^>]+>)([-+]?)(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?/.exec(name);
  if (posix) {
    const secs = Number(posix[2]) * 3600 + Number(posix[3] ?? 0) * 60 + Number(posix[4] ?? 0);
    // POSIX offsets are west of UTC: JST-9 is UTC+9.
    return fixedZone(name, posix[1] === '-' ? secs : -secs);
  }
  return intlZone(name) ?? fixedZone('UTC', 0);
}

/** POSIX-looking names that tzdata ships as zone files (with their US DST rules). */
const TZDATA_POSIX_NAMES: ReadonlySet<string> = new Set(['EST5EDT', 'CST6CDT', 'MST7MDT', 'PST8PDT']);

/**
 * The log readers' zone: an IANA name, else a TZ value as zoneFromTZ reads it; when unset or empty, this
 * process's own zone with Date's rules for DST gaps and overlaps (what the readers have always used for a
 * host that names no zone).
 */
export function makeZone(tz: string | undefined): Zone {
  if (tz === undefined || tz === '') return processZone();
  // A name ICU knows is that zone even when it looks like a POSIX string (`EST5EDT` keeps its DST).
  return UTC_NAMES.has(tz) ? fixedZone(tz, 0) : (intlZone(tz) ?? zoneFromTZ(tz));
}

/** Whether a time zone name is one this Node (ICU) knows. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
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

/**
 * `mktime` with tm_isdst = -1, as util-linux `last` sees it: the instant (epoch seconds) whose local time
 * in `zone` is the given (normalised) fields. Agrees with zone.toEpoch except inside a DST gap.
 */
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

/** How a year-less stamp (RFC 3164 syslog, mgetty) gets its year: lines are not newer than the file's last write. */
export interface YearContext {
  /** The file's modification time (epoch ms): the newest a line in it can be. */
  reference: number;
  zone: Zone;
  /** The reference's year in the zone, when already known (saves a conversion per line). */
  year?: number;
  /**
   * The time of the file's previous year-less stamp (set by the reader): where the clocks fall back, a
   * wall time that is an hour earlier than the line before is the hour's second pass, not the first.
   */
  last?: number;
}

/**
 * The later instant of the wall time `t` (epoch ms, the earlier reading) stands for, when the zone's clocks
 * fell back over it; null when that wall time happens once.
 */
export function laterPass(zone: Zone, t: number): number | null {
  const before = zone.offset(Math.floor(t / 1000));
  const after = zone.offset(Math.floor(t / 1000) + 3 * 3600);
  if (after >= before) return null;
  const alt = t + (before - after) * 1000;
  return zone.offset(Math.floor(alt / 1000)) === after ? alt : null;
}

/** A day of slack past the reference, for doubts about the zone. */
const SLACK_MS = 86_400_000;

/**
 * Year of a year-less stamp (month0 0-11): the reference's year, or the one before when that would put the
 * line more than a day after the file was last written (a December line in a file written in January).
 */
export function inferYear(
  month0: number,
  day: number,
  h: number,
  mi: number,
  s: number,
  ctx: YearContext,
): number {
  const year = ctx.year ?? ctx.zone.yearOf(ctx.reference);
  const t = ctx.zone.toEpoch(year, month0, day, h, mi, s);
  return t > ctx.reference + SLACK_MS ? year - 1 : year;
}

/** A wall-clock time as a log wrote it, without its year (month 1-12). */
export interface WallStamp {
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * Years for stamps in file order, for a reader that holds the whole file: the last stamp's by inferYear,
 * then, walking back, a year earlier whenever the month jumps back by half a year or more between one line
 * and the next (a December line before a January one), so a file may span several years.
 */
export function inferYears(stamps: readonly WallStamp[], ctx: YearContext): number[] {
  const years = new Array<number>(stamps.length);
  if (stamps.length === 0) return years;
  const last = stamps[stamps.length - 1] as WallStamp;
  let year = inferYear(last.month - 1, last.day, last.hour, last.minute, last.second, ctx);
  years[stamps.length - 1] = year;
  for (let i = stamps.length - 2; i >= 0; i--) {
    const earlier = stamps[i] as WallStamp;
    const later = stamps[i + 1] as WallStamp;
    if (earlier.month - later.month >= 6) year--;
    years[i] = year;
  }
  return years;
}

/** The inspected host's zone as hostZoneChoice found it. */
export interface HostZoneChoice {
  /** An IANA name Intl accepts; undefined on the live host when it names none (this process's zone). */
  name: string | undefined;
  /**
   * Set when a tree's zone is UTC although it has an /etc/localtime or /etc/timezone: why that file told no
   * zone (`a regular file matching no zone`), for the report to say once.
   */
  unknown?: string;
  /** The file `unknown` is about: `/etc/localtime` (also when /etc/timezone told none either), else `/etc/timezone`. */
  path?: '/etc/localtime' | '/etc/timezone';
}

/** The most of /etc/timezone read: a zone name is a line of a few dozen bytes. */
const MAX_TIMEZONE_READ = 4096;

/**
 * The zone name /etc/timezone holds: its first line that is neither blank nor a comment (`#`), trimmed, as
 * Debian's tzdata and systemd read it; null when it has none. A second line (junk an editor left) is not read.
 */
export function timezoneFileName(text: string): string | null {
  for (const line of text.split('\n')) {
    const name = line.trim();
    if (name !== '' && !name.startsWith('#')) return name;
  }
  return null;
}

/**
 * The zone of a tree's /etc/timezone (its first MAX_TIMEZONE_READ bytes): `{name}` when it names one this
 * system knows, else `{why}` it told none; `{}` when there is no such file.
 */
function timezoneFileZone(host: Host): { name?: string; why?: string } {
  let text: string;
  try {
    const { fd } = openRegularSync(resolveInRoot(host, '/etc/timezone'));
    try {
      const buf = Buffer.alloc(MAX_TIMEZONE_READ);
      text = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    return errnoCode(err) === 'ENOENT' ? {} : { why: reason(err) };
  }
  const name = timezoneFileName(text);
  if (name === null) return { why: 'it holds no zone name (only blank lines and comments)' };
  if (isTimeZone(name)) return { name };
  return { why: `it names ${quoted(name)}, which is no zone this system knows` };
}

/** A file name from a tree, fit to quote in one line of a report. */
const quoted = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);

/** This machine's zoneinfo directory: ICU names the running host's zone from it the same way. */
const SYSTEM_ZONEINFO = '/usr/share/zoneinfo';

const MAX_ZONE_FILE = 256 * 1024;

const contentZones = new Map<string, { name: string | null; why?: string; footer?: string | null }>();

/**
 * The zone of a TZif file's bytes: the zone whose file is byte-identical (the tree's zoneinfo first, then
 * this machine's), else the fixed offset of its footer; with why not when neither. Cached per tree and
 * content: every check asks.
 */
function zoneOfContent(
  host: Host,
  bytes: Buffer,
): { name: string | null; why?: string; footer?: string | null } {
  const key = `${host.root}\0${bytes.toString('latin1')}`;
  const hit = contentZones.get(key);
  if (hit) return hit;
  let out: { name: string | null; why?: string; footer?: string | null };
  const info = parseTzif(bytes);
  if (!info) out = { name: null, why: 'not a zone file (TZif), or cut short' };
  else {
    const dirs = [hostPath(host, SYSTEM_ZONEINFO)];
    if (host.root !== '/') dirs.push(SYSTEM_ZONEINFO);
    const name = zoneFileName(bytes, dirs, isTimeZone);
    out = name ? { name } : { name: null, footer: info.footer };
  }
  if (contentZones.size > 100) contentZones.clear();
  contentZones.set(key, out);
  return out;
}

/**
 * The inspected host's zone: the configured one, else (live host) TZ, else the tree's /etc/localtime,
 * else its /etc/timezone; a tree under --root without either is UTC, the live host (undefined) this
 * process's. /etc/localtime first: it is what glibc (and so every daemon's syslog stamp) follows, and
 * `timedatectl set-timezone` on Debian 12 and Ubuntu 24.04 updates it but leaves /etc/timezone stale.
 * A link names its zone after `zoneinfo/` (and `posix/` or `right/`); under --root a regular file (a copy,
 * as `cp /usr/share/zoneinfo/X /etc/localtime`, container images and RHEL kickstarts leave it) is the zone
 * whose file is byte-identical, else (after /etc/timezone) the fixed offset its footer gives. A tree whose
 * /etc/localtime tells none of these is UTC, with `unknown` saying why.
 */
export function hostZoneChoice(host: Host, configured: string | undefined): HostZoneChoice {
  if (configured) return { name: configured };
  const tz = host.live ? host.env.TZ?.replace(/^:/, '') : undefined;
  if (tz && isTimeZone(tz)) return { name: tz };
  const localtime = hostPath(host, '/etc/localtime');
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(localtime);
  } catch {
    // no /etc/localtime: try /etc/timezone
  }
  let why: string | undefined;
  let footer: string | null | undefined;
  if (stat?.isSymbolicLink()) {
    try {
      const target = fs.readlinkSync(localtime);
      const name = zoneNameOfLink(target);
      if (name && isTimeZone(name)) return { name };
      why = `a link to ${quoted(target)}, which names no zone this system knows`;
    } catch (err) {
      why = reason(err);
    }
  } else if (stat && !host.live) {
    // The live host's process zone is ICU's reading of this same file: only a tree's needs naming here.
    try {
      // Zone files are a few kB (`right/` ones under 4 kB): a big file is none, and is not read.
      if (stat.size > MAX_ZONE_FILE) throw new Error(`not a zone file (TZif): ${stat.size} bytes`);
      const got = zoneOfContent(host, readRegularFileSync(localtime));
      if (got.name) return { name: got.name };
      footer = got.footer;
      why = got.why ?? 'a regular file matching no zone';
    } catch (err) {
      why = reason(err);
    }
  }
  const named = timezoneFileZone(host);
  if (named.name !== undefined) return { name: named.name };
  if (footer) {
    const fixed = fixedZoneOfPosixTZ(footer);
    if (fixed && isTimeZone(fixed)) return { name: fixed };
    why = `${why}, and its rule ${quoted(footer)} is not a fixed offset this system can name`;
  } else if (footer === null) why = `${why}, and it holds no rule`;
  if (host.live) return { name: undefined };
  if (why !== undefined)
    return {
      name: 'UTC',
      unknown: named.why === undefined ? why : `${why}; nor of /etc/timezone: ${named.why}`,
      path: '/etc/localtime',
    };
  // No /etc/localtime, and an /etc/timezone naming no zone: said, not silently UTC.
  return named.why === undefined
    ? { name: 'UTC' }
    : { name: 'UTC', unknown: named.why, path: '/etc/timezone' };
}

/** The inspected host's zone name (hostZoneChoice's): an IANA name, or undefined for this process's zone. */
export function hostZoneName(host: Host, configured: string | undefined): string | undefined {
  return hostZoneChoice(host, configured).name;
}

/**
 * The one-line notice for a tree whose zone is UTC because its /etc/localtime or /etc/timezone told none;
 * null otherwise.
 */
export function zoneNotice(choice: HostZoneChoice): string | null {
  return choice.unknown === undefined
    ? null
    : `zone: ${choice.name} (cannot tell the zone of ${choice.path ?? '/etc/localtime'}: ${choice.unknown})`;
}

/** The inspected host's zone (hostZoneName's, built): what offset-less `--since` dates and log stamps mean. */
export function inspectedZone(host: Host, configured: string | undefined): Zone {
  return makeZone(hostZoneName(host, configured));
}
