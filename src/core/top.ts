/**
 * Keeps the `keep` most frequent entries of a count map (ties: the ones added first). Why: the logs check's top
 * messages and the attack detectors' probe paths bound what an attacker can make them hold, the same way.
 */
export function pruneTop(top: Map<string, number>, keep: number): void {
  const counts = [...top.values()].sort((a, b) => b - a);
  const floor = counts[keep - 1] as number;
  let above = 0;
  for (const c of top.values()) if (c > floor) above++;
  let ties = keep - above;
  for (const [k, c] of top)
    if (c < floor) top.delete(k);
    else if (c === floor) {
      if (ties > 0) ties--;
      else top.delete(k);
    }
}
