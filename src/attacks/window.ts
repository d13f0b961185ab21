/**
 * Sliding windows over event times (milliseconds, any order): the largest number of events inside any
 * window of `span`, and the largest number of distinct targets. Pure; the detectors call these once per
 * source at the end of a run.
 */

/** Peak count of events within any window of `span` ms, and when that window starts. */
export function peak(times: readonly number[], span: number): { count: number; at: number } {
  if (times.length === 0) return { count: 0, at: Number.NaN };
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let at = t[0] as number;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while ((t[hi] as number) - (t[lo] as number) > span) lo++;
    if (hi - lo + 1 > best) {
      best = hi - lo + 1;
      at = t[lo] as number;
    }
  }
  return { count: best, at };
}

/** Peak number of distinct keys within any window of `span` ms. */
export function peakDistinct(items: readonly { t: number; key: string }[], span: number): number {
  const s = [...items].sort((a, b) => a.t - b.t);
  const inWindow = new Map<string, number>();
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < s.length; hi++) {
    const cur = s[hi] as { t: number; key: string };
    inWindow.set(cur.key, (inWindow.get(cur.key) ?? 0) + 1);
    while (cur.t - (s[lo] as { t: number }).t > span) {
      const k = (s[lo] as { key: string }).key;
      const n = (inWindow.get(k) ?? 1) - 1;
      if (n === 0) inWindow.delete(k);
      else inWindow.set(k, n);
      lo++;
    }
    best = Math.max(best, inWindow.size);
  }
  return best;
}
