import { chiSquaredSf } from "./special.js";

/** Result of {@link chiSquaredGoodnessOfFit}. */
export interface ChiSquaredResult {
  /** Σ (observed − expected)² / expected. */
  statistic: number;
  /** P(χ²(dof) ≥ statistic). */
  pValue: number;
  /** Degrees of freedom: categories − 1. */
  dof: number;
}

/**
 * Pearson's chi-squared goodness of fit of observed counts to expected
 * proportions (scipy.stats.chisquare with f_exp = proportions · total).
 * Categories with zero expected proportion are given `epsilon` so a new
 * category counts as drift rather than dividing by zero.
 *
 * @example
 * ```ts
 * import { chiSquaredGoodnessOfFit } from "freshml";
 * chiSquaredGoodnessOfFit([10, 20, 30], [1 / 3, 1 / 3, 1 / 3]); // statistic 10, pValue ≈ 0.0067
 * ```
 */
export function chiSquaredGoodnessOfFit(observed: ArrayLike<number>, expectedProportions: ArrayLike<number>, epsilon = 1e-4): ChiSquaredResult {
  let total = 0;
  for (let i = 0; i < observed.length; i++) total += observed[i]!;
  let pSum = 0;
  for (let i = 0; i < expectedProportions.length; i++) pSum += Math.max(expectedProportions[i]!, epsilon);
  let stat = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = (Math.max(expectedProportions[i]!, epsilon) / pSum) * total;
    stat += (observed[i]! - e) ** 2 / e;
  }
  const dof = Math.max(1, observed.length - 1);
  return { statistic: stat, pValue: chiSquaredSf(stat, dof), dof };
}

/**
 * Pearson's chi-squared test of homogeneity on a 2 × k table: are two samples
 * of category counts drawn from one distribution? Unlike a goodness-of-fit test
 * against the first sample's shares, it accounts for the noise of both samples.
 * Categories empty in both are left out; dof = (non-empty categories − 1).
 * Equals `scipy.stats.chi2_contingency([a, b], correction=False)`; with fewer
 * than two non-empty categories the statistic is 0 and the p-value 1.
 *
 * @example
 * ```ts
 * import { chiSquaredHomogeneity } from "freshml";
 * chiSquaredHomogeneity([30, 70], [50, 50]); // statistic ≈ 8.33, pValue ≈ 0.0039
 * ```
 */
export function chiSquaredHomogeneity(a: ArrayLike<number>, b: ArrayLike<number>): ChiSquaredResult {
  const k = Math.max(a.length, b.length);
  let na = 0;
  let nb = 0;
  let used = 0;
  for (let i = 0; i < k; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    na += x;
    nb += y;
    if (x + y > 0) used++;
  }
  const n = na + nb;
  if (used < 2 || na === 0 || nb === 0) return { statistic: 0, pValue: 1, dof: Math.max(1, used - 1) };
  let stat = 0;
  for (let i = 0; i < k; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    const t = x + y;
    if (t === 0) continue;
    const ea = (na * t) / n;
    const eb = (nb * t) / n;
    stat += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb;
  }
  const dof = used - 1;
  return { statistic: stat, pValue: chiSquaredSf(stat, dof), dof };
}
