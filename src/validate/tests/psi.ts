/**
 * Population stability index with bins from the reference's quantiles:
 * Σ (cur% − ref%) · ln(cur% / ref%), with empty bins given `epsilon` (0.0001,
 * as Evidently). Below 0.1 is usually read as stable, above 0.2 as shifted.
 *
 * @example
 * ```ts
 * import { psiBins, psi } from "freshml";
 * const edges = psiBins(Float64Array.from([1, 2, 3, 4]), 2); // [2.5]
 * psi(edges, Float64Array.from([1, 2, 3, 4]), Float64Array.from([1, 1, 1, 4])); // 0.5·ln(1.5) + … ≈ 0.2747
 * ```
 */
export function psi(edges: Float64Array, reference: ArrayLike<number>, current: ArrayLike<number>, epsilon = 1e-4): number {
  return psiOfShares(binShares(edges, reference), binShares(edges, current), epsilon);
}

/** PSI of two share vectors over the same bins (or categories); empty ones count as `epsilon`. */
export function psiOfShares(reference: ArrayLike<number>, current: ArrayLike<number>, epsilon = 1e-4): number {
  let s = 0;
  for (let b = 0; b < reference.length; b++) {
    const e = Math.max(reference[b]!, epsilon);
    const a = Math.max(current[b]!, epsilon);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/**
 * Inner bin edges at the reference's quantiles (k bins → k − 1 edges),
 * de-duplicated so repeated values do not make empty bins. `sorted` must be sorted.
 */
export function psiBins(sorted: Float64Array, bins = 10): Float64Array {
  const edges: number[] = [];
  const n = sorted.length;
  for (let k = 1; k < bins; k++) {
    // Linear interpolation between order statistics, as numpy.quantile's default.
    const pos = (k / bins) * (n - 1);
    const lo = Math.floor(pos);
    const v = sorted[lo]! + (pos - lo) * ((sorted[Math.min(n - 1, lo + 1)]! - sorted[lo]!));
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  return Float64Array.from(edges);
}

/** Share of values per bin: bin b holds edges[b−1] < x ≤ edges[b]. */
export function binShares(edges: Float64Array, values: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  const k = edges.length;
  if (k <= 16) {
    // Few edges: count the edges below x without branches; a binary search mispredicts its way slower.
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      let b = 0;
      for (let e = 0; e < k; e++) b += x > edges[e]! ? 1 : 0;
      counts[b]!++;
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      let lo = 0;
      let hi = k;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (x <= edges[mid]!) hi = mid;
        else lo = mid + 1;
      }
      counts[lo]!++;
    }
  }
  for (let b = 0; b < counts.length; b++) counts[b]! /= values.length || 1;
  return counts;
}
