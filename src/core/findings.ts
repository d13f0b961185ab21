import type { AttackFindings } from '../attacks/findings.ts';
import type { DialupFindings } from '../dialup/findings.ts';
import type { LoginsFindings } from '../logins/audit-findings.ts';
import type { LogsFindings } from '../logs/findings.ts';
import type { ProbesFindings } from '../probes/findings.ts';
import type { ProcsFindings } from '../procs/findings.ts';

/**
 * The registry of finding kinds: each kind's `data` payload. One place, so renderers that map over
 * `FindingKind` fail to compile until they handle a new kind. Checks add their kinds here.
 */
export interface FindingDataMap
  extends AttackFindings,
    DialupFindings,
    LoginsFindings,
    LogsFindings,
    ProcsFindings,
    ProbesFindings {
  /** A check kind threw: a bug or a broken environment; the check shows UNKNOWN. */
  'check-error': { check: string; error: string };
  /** Something could not be inspected (missing log, no permission, not root); why is in the summary. */
  'not-checked': { what: string; path?: string; reason: string };
  /** A service was detected (or configured) and which of its parts were found. */
  'service-detected': { profile: string | null; reasons: string[]; logs: string[]; processes: string[] };
}
