import type { CheckResult, Finding, Omitted } from './report.ts';
import { rank, STATUSES } from './status.ts';

/**
 * Most findings one check result lists. Why: an attacker (or a big first run) can make hundreds of
 * thousands of findings, and a report no mailbox takes hides the few that matter; the rest are counted.
 */
export const MAX_LISTED = 50;

/**
 * The `max` most serious findings, worst status first then `weight` (higher first), each kind in turn, the
 * rest counted by status. Why: the result's status and counts must still come from all of them, only the listing is cut.
 */
export function capFindings<F extends Finding>(
  findings: readonly F[],
  max: number = MAX_LISTED,
  weight: (f: F) => number = () => 0,
): { listed: F[]; omitted?: Omitted } {
  if (findings.length <= max) return { listed: [...findings] };
  // Within a status and weight, kinds take turns (the 1st of each kind, then the 2nd, ...), then the
  // check's own order: 500k forged-looking logins must not push a root login (also CRITICAL) off the list.
  const seen = new Map<string, number>();
  const order = findings
    .map((f, i) => {
      const r = rank(f.status);
      const w = weight(f);
      const key = `${r}\0${w}\0${f.kind}`;
      const k = seen.get(key) ?? 0;
      seen.set(key, k + 1);
      return { f, i, r, w, k };
    })
    .sort((x, y) => y.r - x.r || y.w - x.w || x.k - y.k || x.i - y.i);
  const listed = order.slice(0, max).map((o) => o.f);
  const byStatus: Partial<Record<(typeof STATUSES)[number], number>> = {};
  for (const o of order.slice(max)) byStatus[o.f.status] = (byStatus[o.f.status] ?? 0) + 1;
  const statuses: Omitted['statuses'] = {};
  // Worst first, as the text report says them.
  for (const s of [...STATUSES].reverse()) if (byStatus[s]) statuses[s] = byStatus[s];
  return { listed, omitted: { count: findings.length - max, statuses } };
}

/** A result whose findings are capped by capFindings, with `omitted` set when some were left out. */
export function capResult<F extends Finding>(
  result: Omit<CheckResult, 'findings'> & { findings: readonly F[] },
  max: number = MAX_LISTED,
  weight?: (f: F) => number,
): CheckResult {
  const { listed, omitted } = capFindings(result.findings, max, weight);
  return { ...result, findings: listed, ...(omitted ? { omitted } : {}) };
}
