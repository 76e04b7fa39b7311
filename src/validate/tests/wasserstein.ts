/**
 * First Wasserstein (earth mover's) distance between two **sorted** 1-D
 * samples: ∫ |F_a − F_b| dx, exactly as scipy.stats.wasserstein_distance.
 *
 * @example
 * ```ts
 * import { wassersteinDistance } from "freshml";
 * wassersteinDistance(Float64Array.from([0, 1]), Float64Array.from([2, 3])); // 2
 * ```
 */
export function wassersteinDistance(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  const stepA = 1 / n;
  const stepB = 1 / m;
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  let prev = a[0]! < b[0]! ? a[0]! : b[0]!;
  let dist = 0;
  // Walk the merged order; between consecutive points both CDFs are constant.
  while (i < n && j < m) {
    const ai = a[i]!;
    const bj = b[j]!;
    const x = ai <= bj ? ai : bj;
    const diff = fa - fb;
    dist += (diff < 0 ? -diff : diff) * (x - prev);
    prev = x;
    if (ai <= bj) fa = ++i * stepA;
    else fb = ++j * stepB;
  }
  for (; i < n; ) {
    const x = a[i]!;
    dist += Math.abs(fa - fb) * (x - prev);
    prev = x;
    fa = ++i * stepA;
  }
  for (; j < m; ) {
    const x = b[j]!;
    dist += Math.abs(fa - fb) * (x - prev);
    prev = x;
    fb = ++j * stepB;
  }
  return dist;
}
