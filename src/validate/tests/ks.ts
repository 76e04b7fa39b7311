import { kolmogorovSf } from "./special.js";

/** Result of {@link ksTwoSample}. */
export interface KsResult {
  /** The largest gap between the two empirical CDFs. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** How the p-value was computed. */
  method: "exact" | "asymptotic";
}

/** Largest |F₁ − F₂| between the empirical CDFs of two sorted samples. */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = a[i]! <= b[j]! ? a[i]! : b[j]!;
    while (i < n && a[i]! <= x) i++;
    while (j < m && b[j]! <= x) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > d) d = gap;
  }
  return d;
}

/**
 * Exact two-sided p-value P(D ≥ d) of the two-sample KS statistic under the
 * null, by counting the lattice paths that stay inside |i/n − j/m| < d
 * (Hodges, 1957). O(n·m).
 */
export function ksExactPValue(n: number, m: number, d: number): number {
  // Integer arithmetic as scipy does: |i·m − j·n| ≥ h is outside, with h = round(d·n·m).
  const h = Math.round(d * n * m);
  const row = new Float64Array(m + 1);
  // Scale rows so the path counts never overflow; track the log of the scale.
  let logScale = 0;
  for (let j = 0; j <= m; j++) row[j] = Math.abs(j * n) >= h ? 0 : 1;
  for (let i = 1; i <= n; i++) {
    row[0] = Math.abs(i * m) >= h ? 0 : row[0]!;
    let max = row[0]!;
    for (let j = 1; j <= m; j++) {
      row[j] = Math.abs(i * m - j * n) >= h ? 0 : row[j]! + row[j - 1]!;
      if (row[j]! > max) max = row[j]!;
    }
    if (max > 1e200) {
      for (let j = 0; j <= m; j++) row[j]! /= 1e200;
      logScale += Math.log(1e200);
    }
  }
  // Inside paths / all paths, with C(n + m, n) in logs.
  const logAll = logChoose(n + m, n);
  const inside = row[m]! > 0 ? Math.exp(Math.log(row[m]!) + logScale - logAll) : 0;
  return Math.min(1, Math.max(0, 1 - inside));
}

function logChoose(a: number, b: number): number {
  let s = 0;
  const k = Math.min(b, a - b);
  for (let i = 1; i <= k; i++) s += Math.log((a - k + i) / i);
  return s;
}

/**
 * Two-sample Kolmogorov–Smirnov test on two **sorted** samples. The p-value
 * is exact when n·m ≤ `exactLimit` (default 10⁶, as scipy's `method="exact"`),
 * and otherwise Smirnov's limit Q(√(nm/(n+m))·D) (scipy.stats.kstwobign).
 *
 * @example
 * ```ts
 * import { ksTwoSample } from "freshml";
 * const r = ksTwoSample(Float64Array.from([1, 2, 3, 4]), Float64Array.from([3, 4, 5, 6]));
 * // r.statistic = 0.5, r.pValue ≈ 0.771 (exact)
 * ```
 */
export function ksTwoSample(a: Float64Array, b: Float64Array, exactLimit = 1e6): KsResult {
  const d = ksStatistic(a, b);
  const n = a.length;
  const m = b.length;
  if (n * m <= exactLimit) return { statistic: d, pValue: ksExactPValue(n, m, d), method: "exact" };
  const en = (n * m) / (n + m);
  return { statistic: d, pValue: kolmogorovSf(Math.sqrt(en) * d), method: "asymptotic" };
}
