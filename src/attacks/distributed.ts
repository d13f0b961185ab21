/**
 * The distributed brute-force window: failed logins of sources that made no brute-force finding of their own
 * (each under `maxretry`), counted per time bucket and per source, so that a botnet's many small shares add
 * up. Bounded whatever the attacker sends: a bucket counts its failures in full but its sources one by one
 * only up to BUCKET_SOURCES distinct ones (a lower bound on the distinct sources past that), and the tail
 * kept between runs holds the window's buckets with their TAIL_BUCKET_SOURCES busiest sources. Pure.
 */

/** Buckets per window: a window is this many consecutive buckets (5 minutes each for the default hour). */
export const DIST_BUCKETS = 12;
/** Distinct sources a bucket counts one by one (past it: its failures only, `capped`). */
export const BUCKET_SOURCES = 1000;
/** Sources per bucket the tail keeps (the busiest; the rest of its count stays in `n`). */
export const TAIL_BUCKET_SOURCES = 200;

/** One bucket as the attacks state keeps it: its start (ms), its failures, and its busiest sources' counts. */
export interface DistTailBucket {
  t: number;
  n: number;
  sources: Record<string, number>;
  /** The exact addresses that failed under a source that is an IPv6 /64 (a login must come from one of them). */
  hosts?: string[] | undefined;
}

interface Bucket {
  /** Failures in the bucket (every one, listed source or not). */
  n: number;
  /** Of them, failures of this run (a window of earlier runs' failures only is not said again). */
  fresh: number;
  sources: Map<string, number>;
  /** The exact addresses behind grouped sources (an IPv6 /64's), up to BUCKET_SOURCES. */
  hosts: Set<string>;
  /** More distinct sources came than `sources` counts one by one. */
  capped: boolean;
}

/** A campaign: the buckets from the first window that reached the thresholds to the last one. */
export interface Campaign {
  /** First and last bucket index of the campaign (inclusive). */
  from: number;
  to: number;
  /** Failures and distinct sources (a lower bound when `capped`) of the campaign's buckets. */
  count: number;
  sources: number;
  capped: boolean;
  /** The busiest window: its failures and distinct sources. */
  peak: number;
  peakSources: number;
  /** The campaign's sources with their failures, most first, ties by name. */
  top: { host: string; count: number }[];
  /** Every source counted one by one in the campaign. */
  members: Set<string>;
  /** The exact addresses that failed in the campaign (an IPv4 source's own, a /64's known ones): its logins. */
  hosts: Set<string>;
  /** Failures of this run in the campaign's buckets. */
  fresh: number;
  /** Some window of it reached the thresholds with failures of this run (it grew in this run). */
  grew: boolean;
  /** Some window of it reached the thresholds with earlier runs' failures only (an earlier run said it). */
  said: boolean;
}

/** Failed logins per bucket and source, judged over a sliding window of DIST_BUCKETS buckets. */
export class DistributedWindow {
  private readonly buckets = new Map<number, Bucket>();
  /** Bucket length (ms). */
  readonly span: number;

  constructor(readonly windowMs: number) {
    this.span = Math.max(1000, Math.floor(windowMs / DIST_BUCKETS));
  }

  /** The index of the bucket holding time `t` (ms). */
  bucketOf(t: number): number {
    return Math.floor(t / this.span);
  }

  /**
   * Counts `n` failures of `source` (null: an unlisted source of an earlier run) at `t`; `fresh`: this run's;
   * `hosts`: the exact addresses behind a grouped source (an IPv6 /64) that failed.
   */
  add(source: string | null, t: number, n: number, fresh: boolean, hosts: Iterable<string> = []): void {
    const k = this.bucketOf(t);
    let b = this.buckets.get(k);
    if (b === undefined) {
      b = { n: 0, fresh: 0, sources: new Map(), hosts: new Set(), capped: false };
      this.buckets.set(k, b);
    }
    b.n += n;
    if (fresh) b.fresh += n;
    if (source === null) return;
    for (const h of hosts) if (h !== source && b.hosts.size < BUCKET_SOURCES) b.hosts.add(h);
    const c = b.sources.get(source);
    if (c !== undefined) b.sources.set(source, c + n);
    else if (b.sources.size < BUCKET_SOURCES) b.sources.set(source, n);
    else b.capped = true;
  }

  /** Notes the exact addresses behind grouped sources (an IPv6 /64's) that failed in the bucket of `t`. */
  addHosts(t: number, hosts: Iterable<string>): void {
    const b = this.buckets.get(this.bucketOf(t));
    if (b === undefined) return;
    for (const h of hosts) if (b.hosts.size < BUCKET_SOURCES) b.hosts.add(h);
  }

  /**
   * The campaign, if a window of DIST_BUCKETS buckets reached `perWindow` failures from `minSources` distinct
   * sources: from the first such window to the last; null otherwise. `grew` says whether one of them holds
   * failures of this run, `said` whether one holds earlier runs' only (so an earlier run reported it). One
   * sweep: each bucket's sources enter and leave the window once.
   */
  judge(perWindow: number, minSources: number): Campaign | null {
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const inWindow = new Map<string, number>();
    let n = 0;
    let fresh = 0;
    let lo = 0;
    let from = Number.NaN;
    let to = Number.NaN;
    let peak = 0;
    let peakSources = 0;
    let grew = false;
    let said = false;
    for (let hi = 0; hi < keys.length; hi++) {
      const k = keys[hi] as number;
      const b = this.buckets.get(k) as Bucket;
      n += b.n;
      fresh += b.fresh;
      for (const [s, c] of b.sources) inWindow.set(s, (inWindow.get(s) ?? 0) + c);
      while ((keys[lo] as number) <= k - DIST_BUCKETS) {
        const old = this.buckets.get(keys[lo] as number) as Bucket;
        n -= old.n;
        fresh -= old.fresh;
        for (const [s, c] of old.sources) {
          const left = (inWindow.get(s) ?? c) - c;
          if (left <= 0) inWindow.delete(s);
          else inWindow.set(s, left);
        }
        lo++;
      }
      if (n >= perWindow && inWindow.size >= minSources) {
        if (fresh > 0) grew = true;
        else said = true;
        if (Number.isNaN(from)) from = keys[lo] as number;
        to = k;
        if (n > peak || (n === peak && inWindow.size > peakSources)) {
          peak = n;
          peakSources = inWindow.size;
        }
      }
    }
    if (Number.isNaN(from)) return null;
    const counts = new Map<string, number>();
    const hosts = new Set<string>();
    let count = 0;
    let freshIn = 0;
    let capped = false;
    for (const k of keys) {
      if (k < from || k > to) continue;
      const b = this.buckets.get(k) as Bucket;
      count += b.n;
      freshIn += b.fresh;
      capped ||= b.capped;
      for (const [s, c] of b.sources) counts.set(s, (counts.get(s) ?? 0) + c);
      for (const h of b.hosts) hosts.add(h);
    }
    for (const s of counts.keys()) if (!s.includes('/')) hosts.add(s);
    const top = [...counts]
      .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
      .slice(0, 5)
      .map(([host, c]) => ({ host, count: c }));
    return {
      from,
      to,
      count,
      sources: counts.size,
      capped,
      peak,
      peakSources,
      top,
      members: new Set(counts.keys()),
      hosts,
      fresh: freshIn,
      grew,
      said,
    };
  }

  /**
   * The buckets a later run's windows can still reach (those ending after `newest` minus the window), each
   * with its TAIL_BUCKET_SOURCES busiest sources.
   */
  tail(newest: number): DistTailBucket[] {
    const from = this.bucketOf(newest - this.windowMs);
    const out: DistTailBucket[] = [];
    for (const k of [...this.buckets.keys()].sort((a, b) => a - b)) {
      if (k < from) continue;
      const b = this.buckets.get(k) as Bucket;
      const busiest = [...b.sources]
        .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
        .slice(0, TAIL_BUCKET_SOURCES);
      const hosts = [...b.hosts].slice(0, TAIL_BUCKET_SOURCES);
      out.push({
        t: k * this.span,
        n: b.n,
        sources: Object.fromEntries(busiest),
        ...(hosts.length > 0 ? { hosts } : {}),
      });
    }
    return out.slice(-(DIST_BUCKETS + 1));
  }
}
