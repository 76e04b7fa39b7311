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
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0]!, b[0]!);
  let dist = 0;
  while (i < n || j < m) {
    const x = j >= m || (i < n && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    dist += Math.abs(i / n - j / m) * (x - prev);
    prev = x;
    while (i < n && a[i]! <= x) i++;
    while (j < m && b[j]! <= x) j++;
  }
  return dist;
}
