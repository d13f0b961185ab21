import { TenkenError } from './errors.ts';
import { makeZone, type Zone } from './tz.ts';

const UTC = makeZone('UTC');

/** The milliseconds of an ISO time's fraction (`.250` → 250). */
function fraction(t: string): number {
  const f = /\.(\d{1,9})/.exec(t)?.[1];
  return f === undefined ? 0 : Math.floor(Number(`0.${f}`) * 1000);
}

const SINCE_UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

const SINCE_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Days in a month (1-12) of a year, leap years included. */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses `--since` for every command but `last` (which follows util-linux): a span back from `now`
 * (`30m`, `24h`, `7d`, `2w`, also `90s`) or an ISO date or date-time (`2026-11-01`, `2026-11-24T06:00`,
 * `2026-11-24 06:00:00Z`). A date or time without an offset is the inspected host's wall clock in `zone`
 * (its midnight for a date alone, as the admin reads the host's logs), UTC without a zone. Bare numbers,
 * impossible dates (Feb 30), times before 1970 and times more than a minute ahead of `now` are refused with
 * one TenkenError line; `what` names the option or setting in it.
 */
export function parseSince(text: string, now: Date, opts: { zone?: Zone; what?: string } = {}): Date {
  const got = sinceOf(text, now, opts.zone ?? UTC);
  if (typeof got === 'string')
    throw new TenkenError(`Invalid ${opts.what ?? '--since'} ${JSON.stringify(text)}: ${got}`);
  return got;
}

/**
 * Why `text` is no `--since` value parseSince takes at `now`, or null when it is one. For a config setting
 * checked at load (`checks.logins.reportSince: fortnight`), so `config check` says it and not the first run.
 */
export function sinceProblem(text: string, now: Date): string | null {
  const got = sinceOf(text, now, UTC);
  return typeof got === 'string' ? got : null;
}

/** parseSince's work: the time, or why there is none. */
function sinceOf(text: string, now: Date, zoneOf: Zone): Date | string {
  const t = text.trim();
  const span = /^(\d+)([smhdw])$/.exec(t);
  if (span) {
    const ms = Number(span[1]) * (SINCE_UNIT_S[span[2] as string] as number) * 1000;
    if (!(ms <= now.getTime())) return 'reaches back before 1970';
    return new Date(now.getTime() - ms);
  }
  const m = SINCE_DATE.exec(t);
  if (!m) return 'expected a span back from now or an ISO date (e.g. 24h, 7d, 2026-11-01)';
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const zone = m[7];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return 'no such date';
  if (hour > 23 || minute > 59 || second > 59) return 'no such time';
  if (zone && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(-2));
    if (zh > 23 || zm > 59) return 'no such UTC offset';
  }
  const d = zone
    ? new Date(t.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
    : new Date(zoneOf.toEpoch(year, month - 1, day, hour, minute, second) + fraction(t));
  if (Number.isNaN(d.getTime()))
    return 'expected a span back from now or an ISO date (e.g. 24h, 7d, 2026-11-01)';
  if (d.getTime() < 0) return 'before 1970';
  // A start in the future selects nothing, and a report of nothing reads as all quiet. A minute of
  // clock skew (a time typed from another machine's clock) is let through.
  if (d.getTime() > now.getTime() + SINCE_SKEW_MS)
    return `in the future (it is ${new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')} now)`;
  return d;
}

/** How far ahead of the clock a `--since` time may be: clock skew between machines. */
const SINCE_SKEW_MS = 60_000;
