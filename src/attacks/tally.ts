import { pruneTop } from '../core/top.ts';

/**
 * Compact per-source counters for the detectors (see detect.ts): a busy server's logs name hundreds of
 * thousands of sources once each (an IPv6 attacker can use a new address per attempt), and a scanner sends
 * millions of requests from one. What a source keeps must cost little for one event and nothing per event
 * beyond what a window needs (a time, a number).
 */

/** Counts per key: none, one key (most sources use one service and one user name), or a Map past that. */
export type Tally = Map<string, number> | { key: string; n: number } | undefined;

/** `t` with `n` added to `key` (assign it back: the one-key form becomes a Map at the second key). */
export function tallyAdd(t: Tally, key: string, n: number): Tally {
  if (t === undefined) return { key, n };
  if (t instanceof Map) {
    t.set(key, (t.get(key) ?? 0) + n);
    return t;
  }
  if (t.key === key) {
    t.n += n;
    return t;
  }
  return new Map([
    [t.key, t.n],
    [key, n],
  ]);
}

/** The entries of a tally, in the order the keys came. */
export function tallyEntries(t: Tally): Iterable<[string, number]> {
  if (t === undefined) return [];
  return t instanceof Map ? t.entries() : [[t.key, t.n]];
}

/** How many keys a tally has. */
export function tallySize(t: Tally): number {
  return t === undefined ? 0 : t instanceof Map ? t.size : 1;
}

/** A set of keys, as one key or a Set past that (a source's brute-force services: almost always one). */
export type KeySet = Set<string> | string | undefined;

/** `s` with `key` added (assign it back). */
export function keySetAdd(s: KeySet, key: string): KeySet {
  if (s === undefined || s === key) return key;
  if (typeof s === 'string') return new Set([s, key]);
  s.add(key);
  return s;
}

/** Whether a key set has `key`. */
export function keySetHas(s: KeySet, key: string): boolean {
  return s === undefined ? false : typeof s === 'string' ? s === key : s.has(key);
}

/** The keys of a key set. */
export function keySetKeys(s: KeySet): Iterable<string> {
  return s === undefined ? [] : typeof s === 'string' ? [s] : s;
}

/** Distinct probe paths a source keeps counting (past twice this, the most frequent this many are kept). */
export const PROBE_PATHS = 1000;
/** 2xx-answered probes a web probe finding lists. */
export const ANSWERED = 20;

/** A probe answered 2xx: its number among the source's probes (order), path (latin1) and status. */
export interface AnsweredProbe {
  seq: number;
  path: string;
  status: number;
}

/**
 * One source's web probes as counts, not a record per request: how many, how many with a status and with 404,
 * the first ANSWERED answered 2xx (in request order), the paths' counts (capped at PROBE_PATHS distinct
 * ones, the most frequent kept, as the logs check's top messages are), and the first and last time.
 */
export class ProbeTally {
  count = 0;
  withStatus = 0;
  notFound = 0;
  first = Number.POSITIVE_INFINITY;
  last = 0;
  answered: AnsweredProbe[] | undefined = undefined;
  paths: Tally = undefined;

  /**
   * Counts one probe; returns its number (for a status learnt later, see `settle`). `answerable` false: a 2xx
   * says nothing of success (a proxy request to a web server, whose default page answers any URI).
   */
  add(path: string, status: number | undefined, t: number, answerable = true): number {
    const seq = this.count++;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    const paths = tallyAdd(this.paths, path, 1);
    this.paths = paths;
    if (paths instanceof Map && paths.size > 2 * PROBE_PATHS) pruneTop(paths, PROBE_PATHS);
    if (status !== undefined) this.status(seq, path, status, answerable);
    return seq;
  }

  /** Probe `seq`, counted without a status, was answered `status` (an access-log line of its request said). */
  settle(seq: number, path: string, status: number): void {
    this.status(seq, path, status);
  }

  private status(seq: number, path: string, status: number, answerable = true): void {
    this.withStatus++;
    if (status === 404) this.notFound++;
    if (!answerable || status < 200 || status >= 300) return;
    const list = (this.answered ??= []);
    let i = list.length;
    while (i > 0 && (list[i - 1] as AnsweredProbe).seq > seq) i--;
    if (i >= ANSWERED) return;
    list.splice(i, 0, { seq, path, status });
    if (list.length > ANSWERED) list.length = ANSWERED;
  }
}
