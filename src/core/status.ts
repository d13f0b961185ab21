/**
 * Statuses and their order. A plain union (not an enum) so reports stay plain JSON.
 * Order for "worst": OK = INFO < WARNING < UNKNOWN < CRITICAL, as Nagios aggregators rank them:
 * a check that could not run is worse than a warning but must not hide a critical.
 */
export const STATUSES = ['OK', 'INFO', 'WARNING', 'UNKNOWN', 'CRITICAL'] as const;

/** Severity of a finding or result; INFO is reported but never raises the exit code. */
export type Status = (typeof STATUSES)[number];

const RANK: Record<Status, number> = { OK: 0, INFO: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };

/** Nagios plugin exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export const EXIT_CODE: Record<Status, 0 | 1 | 2 | 3> = {
  OK: 0,
  INFO: 0,
  WARNING: 1,
  CRITICAL: 2,
  UNKNOWN: 3,
};

/** Rank of a status for sorting (higher is worse). */
export function rank(s: Status): number {
  return RANK[s];
}

/** The worse of statuses; OK for none. INFO alone stays INFO so a report can say "nothing wrong, but see". */
export function worst(statuses: Iterable<Status>): Status {
  let w: Status = 'OK';
  for (const s of statuses) {
    if (RANK[s] > RANK[w] || (s === 'INFO' && w === 'OK')) w = s;
  }
  return w;
}

/** Exit code for a report's overall status. */
export function exitCode(s: Status): 0 | 1 | 2 | 3 {
  return EXIT_CODE[s];
}
