import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { robustNormedWasserstein } from "../../src/validate/drift-check.js";
import { chiSquaredGoodnessOfFit, chiSquaredHomogeneity } from "../../src/validate/tests/chi-squared.js";
import { fisherExact } from "../../src/validate/tests/fisher.js";
import { jensenShannonDistance } from "../../src/validate/tests/jensen-shannon.js";
import { ksTwoSample } from "../../src/validate/tests/ks.js";
import { binShares, psi, psiBins } from "../../src/validate/tests/psi.js";
import { wassersteinDistance } from "../../src/validate/tests/wasserstein.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(new URL("../fixtures/scipy.json", import.meta.url), "utf8"));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cases = (list: any[]): Array<[number, number, any]> => list.map((c, i) => [i, c.a.length, c]);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pairs = (list: any[]): Array<[number, any]> => list.map((c, i) => [i, c]);
const sorted = (a: number[]): Float64Array => Float64Array.from(a).sort();

describe("drift statistics equal SciPy's (test/fixtures/generate_scipy.py)", () => {
  it.each(cases(fx.ks_exact))("KS exact #%i (n = %i)", (_i, _n, c) => {
    const r = ksTwoSample(sorted(c.a), sorted(c.b));
    expect(r.method).toBe("exact");
    expect(r.statistic).toBeCloseTo(c.statistic, 14);
    expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(1e-10 + 1e-8 * c.pvalue);
  });

  it.each(cases(fx.ks_asymp))("KS asymptotic #%i (n = %i) equals kstwobign", (_i, _n, c) => {
    const r = ksTwoSample(sorted(c.a), sorted(c.b));
    expect(r.method).toBe("asymptotic");
    expect(r.statistic).toBeCloseTo(c.statistic, 14);
    expect(Math.abs(r.pValue - c.kstwobign_pvalue)).toBeLessThan(1e-12 + 1e-9 * c.kstwobign_pvalue);
    // Smirnov's limit stays close to scipy's finite-n 'asymp' value at these sizes.
    expect(Math.abs(r.pValue - c.scipy_asymp_pvalue)).toBeLessThan(0.02);
  });

  it.each(pairs(fx.chisquare))("chi-squared #%i", (_i, c) => {
    const r = chiSquaredGoodnessOfFit(c.observed, c.proportions, 0);
    expect(r.statistic).toBeCloseTo(c.statistic, 10);
    expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(1e-13 + 1e-9 * c.pvalue);
  });

  it.each(pairs(fx.jensenshannon))("Jensen–Shannon #%i", (_i, c) => {
    expect(jensenShannonDistance(c.p, c.q)).toBeCloseTo(c.distance, 13);
  });

  it.each(pairs(fx.wasserstein))("Wasserstein #%i", (_i, c) => {
    expect(wassersteinDistance(sorted(c.u), sorted(c.v))).toBeCloseTo(c.distance, 12);
  });
});

describe("the sample-size-aware tests equal SciPy's", () => {
  it.each(pairs(fx.chi2_contingency))("chi-squared homogeneity #%i (chi2_contingency, no correction)", (_i, c) => {
    const r = chiSquaredHomogeneity(c.a, c.b);
    expect(r.dof).toBe(c.dof);
    expect(r.statistic).toBeCloseTo(c.statistic, 10);
    expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(1e-13 + 1e-9 * c.pvalue);
  });

  it.each(pairs(fx.fisher_exact))("Fisher's exact test #%i (fisher_exact, two-sided)", (_i, c) => {
    const [a, b, cc, d] = c.table;
    expect(Math.abs(fisherExact(a, b, cc, d).pValue - c.pvalue)).toBeLessThan(1e-12 + 1e-8 * c.pvalue);
  });

  it.each(pairs(fx.robust_wasserstein))("robust normed Wasserstein #%i (clip to 0.5/99.5 % quantiles, / IQR·1.349)", (_i, c) => {
    expect(robustNormedWasserstein(sorted(c.u), sorted(c.v))).toBeCloseTo(c.distance, 11);
  });
});

describe("PSI", () => {
  it("equals a hand-computed answer", () => {
    // Reference 1..10 in two bins split at its median 5.5: 50% / 50%.
    const ref = sorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const edges = psiBins(ref, 2);
    expect(Array.from(edges)).toEqual([5.5]);
    // Current: 8 of 10 at or below 5.5 → 80% / 20%.
    const cur = [1, 1, 2, 2, 3, 3, 4, 4, 9, 10];
    expect(Array.from(binShares(edges, cur))).toEqual([0.8, 0.2]);
    const expected = (0.8 - 0.5) * Math.log(0.8 / 0.5) + (0.2 - 0.5) * Math.log(0.2 / 0.5);
    expect(psi(edges, ref, cur)).toBeCloseTo(expected, 14); // = 0.4159…
    expect(psi(edges, ref, ref)).toBe(0);
  });

  it("gives an empty bin epsilon instead of infinity", () => {
    const ref = sorted([1, 2, 3, 4]);
    const edges = psiBins(ref, 2);
    const v = psi(edges, ref, [1, 1, 1, 1]);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeCloseTo((1 - 0.5) * Math.log(1 / 0.5) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 12);
  });
});
