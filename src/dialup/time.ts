/**
 * Wall-clock times as the dial-up logs write them (month 1-12, no zone) and allowed-hours ranges. The zone
 * arithmetic and the year of year-less stamps come from src/core/tz.ts; this is the dial-up side's view.
 */
import { localTime, makeZone, type WallStamp, type Zone } from '../core/tz.ts';

export type { WallStamp } from '../core/tz.ts';

/** A wall-clock time with its year. */
export interface WallTime extends WallStamp {
  year: number;
}

const zones = new Map<string, Zone>();

/** The zone of a name (undefined: this process's local zone), built once per name. */
export function zoneOf(timeZone: string | undefined): Zone {
  const key = timeZone ?? '';
  let zone = zones.get(key);
  if (!zone) {
    zone = makeZone(timeZone);
    zones.set(key, zone);
  }
  return zone;
}

/** The wall-clock time of an instant in a zone (undefined: this process's local zone). */
export function wallOf(instant: Date, timeZone?: string): WallTime {
  const t = localTime(Math.floor(instant.getTime() / 1000), zoneOf(timeZone));
  return { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second };
}

/** The instant a wall-clock time stands for in a zone (undefined: this process's local zone). */
export function instantOf(w: WallTime, timeZone?: string): Date {
  return new Date(zoneOf(timeZone).toEpoch(w.year, w.month - 1, w.day, w.hour, w.minute, w.second));
}

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
