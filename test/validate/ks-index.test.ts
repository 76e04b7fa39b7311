import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { driftCheck, robustNormedWasserstein, SeededRandom, tableFromMatrix, type DriftCheckOptions } from "../../src/index.js";
import { KsReferenceIndex, ksStatistic, ksTwoSample } from "../../src/validate/tests/ks.js";
import { wassersteinDistance } from "../../src/validate/tests/wasserstein.js";

// The fast paths (an indexed reference, no sort of the batch) must give exactly
// what sorting both samples and walking them gave: same statistic, same p-value, bit for bit.

const present = (v: Float64Array): Float64Array => v.filter((x) => x === x);
const sortedOf = (v: Float64Array): Float64Array => present(v).sort();

/** Values with many ties, both signs of zero, infinities and missing ones. */
const messy = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -6, max: 6 }).map((k) => k / 2) },
  { weight: 4, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e300, -1e300, 5e-324) },
);
const sample = (min: number, max: number): fc.Arbitrary<Float64Array> => fc.array(messy, { minLength: min, maxLength: max }).map((a) => Float64Array.from(a));

function checkIndex(ref: Float64Array, cur: Float64Array): void {
  const r = sortedOf(ref);
  const index = new KsReferenceIndex(r);
  const c = sortedOf(cur);
  const { d, m } = index.statistic(cur);
  expect(m).toBe(c.length);
  if (m > 0) expect(Object.is(d, ksStatistic(r, c))).toBe(true);
  // Twice: the index's scratch state must be clean after a call.
  expect(Object.is(index.statistic(cur).d, d)).toBe(true);
  const s = index.sorted(cur);
  expect(s.length).toBe(c.length);
  // −0 and 0 may swap places; they compare equal, which is all the walks look at.
  for (let i = 0; i < c.length; i++) expect(s[i] === c[i]).toBe(true);
  if (m > 0) expect(Object.is(wassersteinDistance(r, s), wassersteinDistance(r, c))).toBe(true);
}

describe("KsReferenceIndex equals sort + merge", () => {
  it("on random samples with ties, ±0, infinities and NaN, n ≠ m", () => {
    fc.assert(
      fc.property(sample(1, 300), sample(0, 300), (ref, cur) => {
        if (present(ref).length === 0) return;
        checkIndex(ref, cur);
      }),
      { numRuns: 400, seed: 1 },
    );
  });

  it("on continuous, heavy-tailed, constant and shifted samples", () => {
    const rng = new SeededRandom(3);
    const gauss = (n: number, shift = 0, scale = 1): Float64Array => Float64Array.from({ length: n }, () => shift + scale * rng.nextGaussian());
    const cases: Array<[Float64Array, Float64Array]> = [
      [gauss(1000), gauss(1000)],
      [gauss(5000), gauss(1000)],
      [gauss(1000), gauss(700, 0.3)],
      [gauss(1000), gauss(1000, 50)], // all above the reference
      [gauss(1000), gauss(1000, -50)], // all below
      [gauss(300), gauss(2000, 0, 0.01)], // piled into a few cells
      // Log-normal (σ = 3): most values in the first cells, the binary search inside them.
      [gauss(2000).map(Math.exp).map((x) => x ** 3), gauss(1000).map(Math.exp).map((x) => x ** 3)],
      [new Float64Array(500).fill(2), gauss(400, 2)], // one distinct reference value
      [Float64Array.from({ length: 1000 }, (_, i) => i % 7), Float64Array.from({ length: 900 }, (_, i) => (i * 3) % 9)],
      [Float64Array.from([-1e308, 1e308, 0]), gauss(100, 0, 1e307)], // a span that overflows
      [Float64Array.from([0, 1, 2, 3]), Float64Array.from([NaN, NaN])], // nothing present
      [gauss(70_000), gauss(1000)], // ≥ 65,536 distinct values: 32-bit cell table
    ];
    for (const [ref, cur] of cases) checkIndex(ref, cur);
  });
});

/** What driftCheck computed before the index: sort the batch, then ksTwoSample or wassersteinDistance. */
function slowScore(test: "ks" | "wasserstein", refValues: Float64Array, cur: Float64Array): { score: number; pValue?: number } {
  const r = sortedOf(refValues);
  const c = sortedOf(cur);
  if (test === "ks") {
    const res = ksTwoSample(r, c, 1e5);
    return { score: res.statistic, pValue: res.pValue };
  }
  // Robust normed Wasserstein: both winsorised at the reference's 0.5 % / 99.5 % quantiles, over IQR / 1.349.
  return { score: robustNormedWasserstein(r, c) };
}

describe("driftCheck's KS and Wasserstein equal the sort-and-walk path", () => {
  // The first batch after a reference change is scored without the index, later ones with it.
  const run = (options: DriftCheckOptions, test: "ks" | "wasserstein", refRows: number, rows: number, batches: number, seed: number): void => {
    const rng = new SeededRandom(seed);
    const cols = ["a", "b", "c"];
    const make = (n: number, shift: number): Float64Array =>
      Float64Array.from({ length: n * cols.length }, (_, k) => {
        const j = k % cols.length;
        // a: continuous; b: rounded (ties); c: continuous with missing values.
        const x = shift + rng.nextGaussian();
        return j === 1 ? Math.round(x * 4) / 4 : j === 2 && rng.next() < 0.05 ? NaN : x;
      });
    const column = (X: Float64Array, j: number): Float64Array => X.filter((_, k) => k % cols.length === j);
    const refX = make(refRows, 0);
    // Each column's reference: its newest refRows present values when rolling.
    let refCols = cols.map((_, j) => present(column(refX, j)));
    const d = driftCheck({ referenceRows: refRows, ...options });
    d.accept!(tableFromMatrix(refX, cols));
    for (let b = 0; b < batches; b++) {
      const X = make(rows, b % 3 === 2 ? 0.3 : 0);
      if (options.rolling && b % 2 === 1) {
        // A rolling reference: the newest refRows rows accepted.
        d.accept!(tableFromMatrix(X, cols));
        refCols = refCols.map((r, j) => Float64Array.from([...r, ...present(column(X, j))].slice(-refRows)));
        continue;
      }
      const report = d.validate(tableFromMatrix(X, cols), { batchIndex: b }).drift!;
      expect(report.columns.map((c) => c.test)).toEqual([test, test, test]);
      cols.forEach((_, j) => {
        const slow = slowScore(test, refCols[j]!, column(X, j));
        const got = report.columns[j]!;
        expect(Object.is(got.score, slow.score)).toBe(true);
        expect(Object.is(got.pValue, slow.pValue)).toBe(true);
        expect(got.drifted).toBe(slow.pValue !== undefined ? slow.pValue < got.threshold : slow.score >= got.threshold);
      });
    }
  };

  it("KS with Smirnov's limit (1,000 × 1,000)", () => run({ test: "ks" }, "ks", 1000, 1000, 6, 11));
  it("KS with n ≠ m (5,000 × 800)", () => run({ test: "ks" }, "ks", 5000, 800, 4, 12));
  it("KS with exact, cached p-values (300 × 200), repeated statistics included", () => run({ test: "ks" }, "ks", 300, 200, 40, 13));
  it("the default test on a small reference (KS)", () => run({}, "ks", 1000, 500, 4, 14));
  it("the default test when both samples are large (robust normed Wasserstein)", () => run({}, "wasserstein", 3000, 1500, 4, 15));
  it("the default test on a large reference but a batch of 1,000 (KS)", () => run({}, "ks", 3000, 1000, 4, 19));
  it("Wasserstein when asked for", () => run({ test: "wasserstein" }, "wasserstein", 400, 600, 4, 16));
  it("a rolling reference, scored before and after it moves", () => {
    run({ test: "ks", rolling: true }, "ks", 1000, 400, 8, 17);
    run({ test: "wasserstein", rolling: true }, "wasserstein", 1000, 400, 8, 18);
  });
});
