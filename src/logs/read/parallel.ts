import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LogStats, StatsPart } from '../aggregate.ts';
import type { RouteSpec, Where } from '../route.ts';
import type { RuleSet, RulesOrigin } from '../scan/rules.ts';
import type { PartOutcome, PartTask, SplitOptions } from './content.ts';

/**
 * Reading a big log on several cores: content.ts cuts a plain file at line starts, this thread reads the
 * first part and worker threads (worker.ts) the others, each counting into its own LogStats, merged back
 * in file order (LogStats.merge), so the counts, samples and top lists are those of one pass. Used for
 * big reads only (a first run, `scan --all`): a worker costs a few tens of milliseconds to start.
 */

/** Fewest bytes worth a part of its own (smaller reads stay on one thread). */
export const MIN_PART = 24 << 20;

/** A part for the scan worker: the read, and what it needs to route and count like the engine. */
export interface ScanPartTask extends PartTask {
  rules: RulesOrigin;
  route: RouteSpec;
  samples: number;
  where: Where;
  mtimeMs: number;
  /** Send back the hashes (copyHash) of the lines counted, for the run's SameLines. */
  record: boolean;
}

/** What the scan worker sends back. */
export interface ScanPartOutcome extends PartOutcome {
  stats: StatsPart;
  /** With `record`: the hash of each line counted, in file order. */
  hashes?: Float64Array;
}

/** Set by the bundler: the worker's file next to the bundle. Source runs (tests) use the built one. */
declare const __TENKEN_SCAN_WORKER__: string | undefined;

/** The worker's file, or null when it is not built (then logs are read on one thread). */
export function scanWorkerPath(): string | null {
  const url =
    typeof __TENKEN_SCAN_WORKER__ !== 'undefined'
      ? new URL(__TENKEN_SCAN_WORKER__, import.meta.url)
      : new URL('../../../dist/scan-worker.js', import.meta.url);
  const file = fileURLToPath(url);
  return existsSync(file) ? file : null;
}

/**
 * Threads a split read uses by default: `TENKEN_THREADS` when set (1 keeps every read on one thread),
 * else the cores, at most 4 (the reads share one disk).
 */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TENKEN_THREADS);
  if (Number.isInteger(n) && n >= 1) return Math.min(n, 64);
  return Math.min(4, os.availableParallelism());
}

/** Split-read options for one file counted into `stats`, or undefined when it must stay on one thread. */
export function scanSplit(opts: {
  rules: RuleSet;
  route: RouteSpec;
  samples: number;
  where: Where;
  mtimeMs: number;
  stats: LogStats;
  threads: number;
  minPart: number;
  /** Cut at these content offsets instead (SplitOptions.at: tests). */
  at?: readonly number[];
  signal?: AbortSignal;
  /**
   * Takes the hashes of the lines a part counted (in file order, after its stats are merged), for the
   * run's SameLines: every one counts, so the read must be of a source no earlier source gave a line.
   */
  record?: (hashes: Float64Array) => void;
}): SplitOptions<ScanPartOutcome> | undefined {
  const origin = opts.rules.origin;
  const file = origin && opts.threads > 1 ? scanWorkerPath() : null;
  if (!origin || file === null) return undefined;
  return {
    threads: opts.threads,
    minPart: opts.minPart,
    ...(opts.at !== undefined ? { at: opts.at } : {}),
    run: (task) =>
      new Promise<ScanPartOutcome>((resolve, reject) => {
        const data: ScanPartTask = {
          ...task,
          rules: origin,
          route: opts.route,
          samples: opts.samples,
          where: opts.where,
          mtimeMs: opts.mtimeMs,
          record: opts.record !== undefined,
        };
        const worker = new Worker(file, { workerData: data });
        const abort = () => void worker.terminate();
        opts.signal?.addEventListener('abort', abort, { once: true });
        let outcome: ScanPartOutcome | undefined;
        worker.once('message', (m: ScanPartOutcome) => {
          outcome = m;
        });
        worker.once('error', reject);
        worker.once('exit', (code) => {
          opts.signal?.removeEventListener('abort', abort);
          if (outcome && code === 0) resolve(outcome);
          else reject(new Error(`scan worker exited with code ${code}`));
        });
      }),
    merge: (outcome, lineBase) => {
      opts.stats.merge(outcome.stats, lineBase);
      if (outcome.hashes) opts.record?.(outcome.hashes);
    },
  };
}
