import type { Evidence } from '../core/report.ts';
import { lineText } from '../core/sanitize.ts';
import type { Status } from '../core/status.ts';
import { DEFAULT_THRESHOLDS, type LogThreshold } from './config.ts';
import { foldMessage } from './fold.ts';

/**
 * Per-service, per-category statistics of matching lines, and how thresholds turn them into a status.
 * Pure: lines in, numbers out.
 */

/** Most distinct folded messages kept per category before rare ones are dropped (approximate top list). */
const TOP_CAP = 2000;

/** One category's numbers for one service. */
export interface CategoryStats {
  count: number;
  /** Hour start (epoch ms) → lines. */
  perHour: Map<number, number>;
  first: number | null;
  last: number | null;
  /** Folded message → lines. */
  top: Map<string, number>;
  samples: Evidence[];
  /** Host paths the lines came from. */
  sources: Set<string>;
}

/** A matching line as the aggregator sees it. */
export interface AggregateLine {
  source: string;
  line: number;
  time: number | null;
  /** latin1 text of the line and where its message starts. */
  text: string;
  messageStart: number;
}

/** Stats by service, then by category id. */
export class LogStats {
  readonly services = new Map<string, Map<string, CategoryStats>>();
  /** Lines per program and category (syslog tag, or `-` for lines without one), for scan summaries. */
  readonly programs = new Map<string, Map<string, number>>();

  constructor(private readonly samples: number) {}

  /** Counts one line for a service in the given categories. */
  add(service: string, categories: readonly string[], l: AggregateLine): void {
    let svc = this.services.get(service);
    if (!svc) this.services.set(service, (svc = new Map<string, CategoryStats>()));
    let folded: string | undefined;
    for (const id of categories) {
      let s = svc.get(id);
      if (!s) {
        s = {
          count: 0,
          perHour: new Map(),
          first: null,
          last: null,
          top: new Map(),
          samples: [],
          sources: new Set(),
        };
        svc.set(id, s);
      }
      s.count++;
      s.sources.add(l.source);
      if (l.time !== null) {
        const hour = Math.floor(l.time / 3_600_000) * 3_600_000;
        s.perHour.set(hour, (s.perHour.get(hour) ?? 0) + 1);
        if (s.first === null || l.time < s.first) s.first = l.time;
        if (s.last === null || l.time > s.last) s.last = l.time;
      }
      folded ??= foldMessage(l.text.slice(l.messageStart, l.messageStart + 600));
      s.top.set(folded, (s.top.get(folded) ?? 0) + 1);
      if (s.top.size > TOP_CAP) for (const [k, n] of s.top) if (n <= 1) s.top.delete(k);
      if (s.samples.length < this.samples) s.samples.push(evidence(l));
    }
  }

  /** Counts one line for its program. */
  addProgram(program: string | null, categories: readonly string[]): void {
    const key = program ?? '-';
    let p = this.programs.get(key);
    if (!p) this.programs.set(key, (p = new Map<string, number>()));
    for (const id of categories) p.set(id, (p.get(id) ?? 0) + 1);
  }
}

/** A line as evidence: host path, line number, time, decoded text. */
export function evidence(l: AggregateLine): Evidence {
  const e: Evidence = { source: l.source, text: lineText(Buffer.from(l.text, 'latin1')) };
  if (l.line > 0) e.line = l.line;
  if (l.time !== null) e.time = new Date(l.time).toISOString();
  return e;
}

/** Field-by-field merge: defaults for the category (or `*`), then the config's, then the service's. */
export function thresholdFor(
  category: string,
  config: Readonly<Record<string, LogThreshold>>,
  service: Readonly<Record<string, LogThreshold>>,
): LogThreshold {
  return {
    ...DEFAULT_THRESHOLDS['*'],
    ...(DEFAULT_THRESHOLDS[category] ?? {}),
    ...(config['*'] ?? {}),
    ...(config[category] ?? {}),
    ...(service['*'] ?? {}),
    ...(service[category] ?? {}),
  };
}

/** Status of a count and busiest hour under a threshold. */
export function statusFor(count: number, peak: number, t: LogThreshold): Status {
  const over = (n: number, limit: number | undefined) => limit !== undefined && limit > 0 && n >= limit;
  if (over(count, t.crit) || over(peak, t.critPerHour)) return 'CRITICAL';
  if (over(count, t.warn) || over(peak, t.warnPerHour)) return 'WARNING';
  return 'OK';
}

/** The busiest hour's count. */
export function peakOf(s: CategoryStats): number {
  let peak = 0;
  for (const n of s.perHour.values()) if (n > peak) peak = n;
  return peak;
}

/** The top `n` folded messages, most frequent first (ties by message, for stable output). */
export function topOf(s: CategoryStats, n: number): { message: string; count: number }[] {
  return [...s.top]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([message, count]) => ({ message: lineText(Buffer.from(message, 'latin1'), 300), count }));
}
