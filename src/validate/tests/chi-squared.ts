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
