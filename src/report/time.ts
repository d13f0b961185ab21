/**
 * The report's ISO (UTC) times as the inspected host's clock showed them, for the text views: JSON keeps UTC,
 * while an admin reading a mailed report compares it with the host's own logs, which are in its zone.
 */
import { localTime, type Zone } from '../core/tz.ts';

const p2 = (n: number): string => String(n).padStart(2, '0');

/** The date and wall-clock time (`2026-11-24`, `23:41:07`) of an ISO time in the zone, or null for text that is no ISO time. */
export function wallTime(iso: string, zone: Zone): { date: string; time: string } | null {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  const t = localTime(Math.floor(ms / 1000), zone);
  return {
    date: `${t.year}-${p2(t.month)}-${p2(t.day)}`,
    time: `${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}`,
  };
}

/** `2026-11-24 23:41:07 Asia/Tokyo`: an ISO time of the report as the host's clock showed it (the text unchanged if it is none). */
export function zonedTime(iso: string, zone: Zone): string {
  const w = wallTime(iso, zone);
  return w ? `${w.date} ${w.time} ${zone.name}` : iso;
}

/**
 * A finding's span in the host's zone, the end's date left out when it is the start's:
 * `2026-11-24 23:41:07 … 23:41:12 Asia/Tokyo`.
 */
export function zonedSpan(first: string, last: string | undefined, zone: Zone): string {
  const a = wallTime(first, zone);
  const b = last && last !== first ? wallTime(last, zone) : null;
  if (!a) return last && last !== first ? `${first} … ${last}` : first;
  if (!b)
    return last && last !== first
      ? `${a.date} ${a.time} ${zone.name} … ${last}`
      : `${a.date} ${a.time} ${zone.name}`;
  return `${a.date} ${a.time} … ${b.date === a.date ? '' : `${b.date} `}${b.time} ${zone.name}`;
}
