/**
 * A deterministic PRNG (mulberry32): the demo tree's generator and the benchmarks' data generators use it so
 * every regeneration writes the same bytes and every benchmark run measures the same logs.
 */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
