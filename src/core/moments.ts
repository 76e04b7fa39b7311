/**
 * Per-column running moments (count, mean, sum of squared deviations), the
 * building block of the scaler, GaussianNB and exact least squares. Batches are
 * summarised with a two-pass kernel and combined with Chan et al.'s pairwise
 * formula, which stays accurate where naive sums of squares cancel badly.
 */

/**
 * Column means and centred sums of squares of a row-major matrix (two passes:
 * the mean first, so the squares do not cancel). Writes into `mean` and `m2`
 * (length `cols`) and returns the row count.
 */
export function columnMoments(X: Float64Array, cols: number, mean: Float64Array, m2: Float64Array): number {
  const n = X.length / cols;
  mean.fill(0);
  m2.fill(0);
  if (n === 0) return 0;
  for (let o = 0; o < X.length; o += cols) for (let j = 0; j < cols; j++) mean[j]! += X[o + j]!;
  for (let j = 0; j < cols; j++) mean[j]! /= n;
  for (let o = 0; o < X.length; o += cols) {
    for (let j = 0; j < cols; j++) {
      const dlt = X[o + j]! - mean[j]!;
      m2[j]! += dlt * dlt;
    }
  }
  return n;
}

/**
 * Merges moments B into A in place (Chan's parallel update) and returns the new
 * count. `m2A`/`m2B` may be omitted to merge means alone.
 */
export function mergeMoments(
  nA: number,
  meanA: Float64Array,
  m2A: Float64Array | undefined,
  nB: number,
  meanB: Float64Array,
  m2B: Float64Array | undefined,
): number {
  if (nB === 0) return nA;
  const n = nA + nB;
  const fB = nB / n;
  const c = (nA * nB) / n;
  for (let j = 0; j < meanA.length; j++) {
    const dlt = meanB[j]! - meanA[j]!;
    meanA[j]! += dlt * fB;
    if (m2A && m2B) m2A[j]! += m2B[j]! + dlt * dlt * c;
  }
  return n;
}

/**
 * Removes moments B (a subset previously merged) from A in place — the exact
 * inverse of {@link mergeMoments} — and returns the remaining count. Clamps the
 * tiny negative m2 that rounding can leave.
 */
export function removeMoments(
  n: number,
  mean: Float64Array,
  m2: Float64Array | undefined,
  nB: number,
  meanB: Float64Array,
  m2B: Float64Array | undefined,
): number {
  const nA = n - nB;
  if (nA <= 0) {
    mean.fill(0);
    m2?.fill(0);
    return 0;
  }
  const c = (nA * nB) / n;
  for (let j = 0; j < mean.length; j++) {
    const meanA = (n * mean[j]! - nB * meanB[j]!) / nA;
    const dlt = meanB[j]! - meanA;
    mean[j] = meanA;
    if (m2 && m2B) {
      const v = m2[j]! - m2B[j]! - dlt * dlt * c;
      m2[j] = v > 0 ? v : 0;
    }
  }
  return nA;
}
