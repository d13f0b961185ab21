import { TenkenError } from './errors.ts';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 7 * 86_400_000,
};

/** Parses a duration like `90s`, `30m`, `24h`, `7d`, `2w` to milliseconds; undefined when not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = UNIT_MS[(m[2] as string).toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/**
 * Parses `--since`: a duration before `now` (`24h`, `7d`) or an absolute ISO date/time
 * (`2026-11-24`, `2026-11-24T06:00`). Throws a one-line TenkenError otherwise.
 */
export function parseSince(text: string, now: Date): Date {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text.trim())) {
    const d = new Date(text.trim().replace(' ', 'T'));
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new TenkenError(
    `Invalid time "${text}": use a duration like 24h or 7d, or a date like 2026-11-24T06:00`,
  );
}
