import type { LogThreshold } from './config.ts';

/**
 * The logs check's finding kinds, to be merged into FindingDataMap (src/core/findings.ts) as
 * `interface FindingDataMap extends LogsFindings` or by spreading these members.
 */
export interface LogsFindings {
  /** A service's lines in one category during this run: counts, busiest hour, top messages. */
  'log-category': LogCategoryData;
  /** A log source that could not be read completely, or was replaced since the last run. */
  'log-source': LogSourceData;
}

/** Data of a `log-category` finding. */
export interface LogCategoryData {
  /** Category id (`error`, `network`, ... or a user category). */
  category: string;
  /** What the category means (the runbook's words for a built-in one, the config's `title`), or null. */
  title: string | null;
  count: number;
  /** Lines per hour (ISO hour start → count), for lines with a known time. */
  perHour: Record<string, number>;
  /** The busiest hour's count (0 when no line had a time). */
  peakPerHour: number;
  /** Most frequent messages with numbers and ids folded to `#`, with their counts. */
  top: { message: string; count: number }[];
  /** Host paths of the files the lines came from. */
  sources: string[];
  /** The thresholds applied (after merging defaults, config and the service's own). */
  threshold: LogThreshold;
  /**
   * With the attacks check in the same run, when some of these lines are ones an attack detector counts
   * (an authentication failure, a refused connection or firewall line read as a scan probe, a web probe, a
   * password-file read): `count` of them are attack lines, judged per source by the attacks check, and the
   * thresholds judged the `otherCount` others (`otherPeakPerHour` in their busiest hour). `count`,
   * `perHour`, `top` and the samples above still hold every line. Absent otherwise.
   */
  attackLines?: { count: number; otherCount: number; otherPeakPerHour: number };
}

/** Data of a `log-source` finding. */
export interface LogSourceData {
  /** Host path of the file (or `journal`). */
  path: string;
  /**
   * missing / unreadable / corrupt (read error part-way) / reset (replaced or truncated, reread) / rotated
   * (the file read last time went where tenken does not follow it: renamed to a name it does not take for
   * a rotation, moved or deleted; for the journal, the saved cursor's entry is gone: vacuumed) / dangling (a symbolic link to nothing) / untrusted (a symbolic link
   * the trust rule of src/core/open.ts refuses to follow: owned by a user who does not own its target) /
   * journal / limited (more new content than `checks.logs.maxReadPerRun`: the rest is read by the next run).
   */
  problem:
    | 'missing'
    | 'unreadable'
    | 'untrusted'
    | 'corrupt'
    | 'reset'
    | 'rotated'
    | 'dangling'
    | 'journal'
    | 'limited';
  reason: string;
}
