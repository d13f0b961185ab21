/**
 * Naming the zone of a TZif file (what `/etc/localtime` holds when it is a copy rather than a link): the
 * zone whose file in a zoneinfo directory is byte-identical, else the fixed offset its POSIX TZ footer
 * gives. The parsers are pure (bytes and strings in); zoneFileName reads a zoneinfo directory, bounded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readRegularFileSync } from './open.ts';

/**
 * The zone name a `/etc/localtime` link target stands for: what follows `zoneinfo/`, without a leading
 * `posix/` or `right/` (tzdata's copies of every zone; ICU knows neither). `right/` zones count leap seconds
 * in their time_t, which the clock and civil time in logs do not: the wall times they give are the same zone's.
 * Null when the target has no `zoneinfo/` part.
 */
export function zoneNameOfLink(target: string): string | null {
  const m = /zoneinfo\/(.+)$/.exec(target);
  if (!m) return null;
  return (m[1] as string).replace(/^(?:posix|right)\//, '');
}

/** What a TZif file says about itself. */
export interface TzifInfo {
  /** Format version: 1, 2, 3 or 4. */
  version: number;
  /** The v2+ footer's POSIX TZ string (`JST-9`, `CET-1CEST,M3.5.0,M10.5.0/3`); null in v1 or when empty. */
  footer: string | null;
}

const u32 = (b: Uint8Array, at: number): number =>
  ((b[at] as number) * 0x1000000 +
    (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number))) >>>
  0;

/** The size of a TZif data block after its 44-byte header (times of `timeSize` bytes), or null when cut short. */
function blockEnd(b: Uint8Array, at: number, timeSize: number): number | null {
  if (b.length < at + 44) return null;
  if (b[at] !== 0x54 || b[at + 1] !== 0x5a || b[at + 2] !== 0x69 || b[at + 3] !== 0x66) return null; // "TZif"
  const [isut, isstd, leap, time, type, char] = [20, 24, 28, 32, 36, 40].map((o) => u32(b, at + o)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const end = at + 44 + time * timeSize + time + type * 6 + char + leap * (timeSize + 4) + isstd + isut;
  return end <= b.length ? end : null;
}

/**
 * Parses a TZif file's header, its data blocks and (v2+) its footer (RFC 8536); null when the bytes are
 * not a whole TZif file (truncated, garbage, a text file).
 */
export function parseTzif(bytes: Uint8Array): TzifInfo | null {
  const v1End = blockEnd(bytes, 0, 4);
  if (v1End === null) return null;
  const v = bytes[4] as number;
  const version = v === 0 ? 1 : v - 0x30;
  if (version < 1 || version > 9) return null;
  if (version === 1) return { version, footer: null };
  const v2End = blockEnd(bytes, v1End, 8);
  if (v2End === null || bytes[v2End] !== 0x0a) return null;
  const close = bytes.indexOf(0x0a, v2End + 1);
  if (close < 0) return null;
  const text = Buffer.from(bytes.subarray(v2End + 1, close)).toString('latin1');
  if (!/^[\x20-\x7e]*$/.test(text)) return null;
  return { version, footer: text === '' ? null : text };
}

/**
 * The IANA name Intl accepts for a POSIX TZ string without summer time (`JST-9`, `<+03>-3`, `UTC0`):
 * `UTC`, or `Etc/GMT±N` for whole hours (POSIX offsets are west of UTC, and so are Etc/GMT's: `JST-9` and
 * `Etc/GMT-9` are both UTC+9). Null for a string with a DST rule, an offset off the hour (ICU has no
 * `Etc/` zone for +05:30) or outside Etc/GMT's -14..+12, and anything that is no POSIX TZ string.
 */
export function fixedZoneOfPosixTZ(tz: string): string | null {
  const m = /^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)([-+]?)(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?$/.exec(tz);
  if (!m) return null;
  const hours = Number(m[2]);
  if (Number(m[3] ?? 0) !== 0 || Number(m[4] ?? 0) !== 0) return null;
  if (hours === 0) return 'UTC';
  const sign = m[1] === '-' ? '-' : '+';
  if (sign === '-' ? hours > 14 : hours > 12) return null;
  return `Etc/GMT${sign}${hours}`;
}

/** A zone file in a zoneinfo directory. */
interface ZoneEntry {
  name: string;
  file: string;
  size: number;
  rank: number;
}

/** Top-level entries of a zoneinfo directory that are no zone of their own. */
const NOT_ZONES = new Set(['posix', 'right', 'localtime', 'posixrules', 'Factory', 'SystemV']);
const MAX_ENTRIES = 5000;
/** The most zone-file bytes one search reads. */
export const MAX_READ = 4 * 1024 * 1024;

const listings = new Map<string, ZoneEntry[]>();

/** The names zone1970.tab and zone.tab list: tzdata's canonical zones. */
function canonicalNames(dir: string): Set<string> {
  const names = new Set<string>();
  for (const tab of ['zone1970.tab', 'zone.tab']) {
    let text: string;
    try {
      text = readRegularFileSync(path.join(dir, tab), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const name = line.startsWith('#') ? undefined : line.split('\t')[2];
      if (name) names.add(name);
    }
  }
  return names;
}

/**
 * The zone files of a zoneinfo directory (regular files only: a link is another name for a file listed
 * anyway), best names first: tzdata's canonical zones, then `Area/Place`, then `Etc/`, then the rest
 * (`Japan`, `UTC`). Cached per directory: a run asks for the host's zone once per check.
 */
function zoneEntries(dir: string): ZoneEntry[] {
  const hit = listings.get(dir);
  if (hit) return hit;
  const canonical = canonicalNames(dir);
  const out: ZoneEntry[] = [];
  const walk = (rel: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= MAX_ENTRIES) return;
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (!/^[A-Za-z][A-Za-z0-9_+-]*$/.test(e.name) || (depth === 0 && NOT_ZONES.has(e.name))) continue;
      if (e.isDirectory() && depth < 2) walk(name, depth + 1);
      else if (e.isFile()) {
        let size: number;
        try {
          size = fs.lstatSync(path.join(dir, name)).size;
        } catch {
          continue;
        }
        const rank = canonical.has(name) ? 0 : !name.includes('/') ? 3 : name.startsWith('Etc/') ? 2 : 1;
        out.push({ name, file: path.join(dir, name), size, rank });
      }
    }
  };
  walk('', 0);
  out.sort((a, b) => a.rank - b.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  listings.set(dir, out);
  return out;
}

/**
 * The name of the zone whose file is byte-identical to `bytes`, looking in each zoneinfo directory in turn
 * (the inspected tree's, then this machine's), best name first (see zoneEntries) among those `accept` takes
 * (Intl's). Bounded: only files of the same size are read, at most MAX_READ bytes in all.
 */
export function zoneFileName(
  bytes: Uint8Array,
  dirs: readonly string[],
  accept: (name: string) => boolean,
): string | null {
  let budget = MAX_READ;
  for (const dir of dirs) {
    for (const e of zoneEntries(dir)) {
      if (e.size !== bytes.length || !accept(e.name)) continue;
      if (budget < e.size) return null;
      budget -= e.size;
      let other: Buffer;
      try {
        other = readRegularFileSync(e.file);
      } catch {
        continue;
      }
      if (Buffer.compare(other, bytes) === 0) return e.name;
    }
  }
  return null;
}
