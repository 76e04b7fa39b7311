import fc from "fast-check";
import { Matrix, QrDecomposition } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { FreshmlError, LinearRegression, SeededRandom } from "../../src/index.js";
import { relErr, sklearnFixture } from "../fixtures/load.js";

/** Independent closed form: centre, append √l2·I rows, solve by QR (ml-matrix). */
function closedForm(X: number[][], y: number[], l2: number): { weights: number[]; intercept: number } {
  const n = X.length;
  const d = X[0]!.length;
  const mx = Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + r[j]!, 0) / n);
  const my = y.reduce((s, v) => s + v, 0) / n;
  const rows = X.map((r) => r.map((v, j) => v - mx[j]!));
  const rhs = y.map((v) => [v - my]);
  if (l2 > 0) {
    for (let j = 0; j < d; j++) {
      rows.push(Array.from({ length: d }, (_, k) => (k === j ? Math.sqrt(l2) : 0)));
      rhs.push([0]);
    }
  }
  const w = new QrDecomposition(new Matrix(rows)).solve(new Matrix(rhs)).getColumn(0);
  return { weights: w, intercept: my - w.reduce((s, v, j) => s + v * mx[j]!, 0) };
}

function synthetic(seed: number, n: number, d: number, offset: number): { X: number[][]; y: number[] } {
  const rng = new SeededRandom(seed);
  const w = Array.from({ length: d }, () => rng.nextGaussian());
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, (_, j) => offset * (j + 1) + rng.nextGaussian() * (1 + j));
    X.push(x);
    y.push(x.reduce((s, v, j) => s + v * w[j]!, 3) + 0.3 * rng.nextGaussian());
  }
  return { X, y };
}

describe("LinearRegression", () => {
  it("equals the closed-form solution for any split of the rows into batches (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(0, 1e-3, 2.5),
        fc.constantFrom(0, 100, 1e4),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        (seed, d, l2, offset, sizes) => {
          const n = Math.max(d + 2, sizes.reduce((a, b) => a + b, 0));
          const { X, y } = synthetic(seed, n, d, offset);
          const model = new LinearRegression({ l2 });
          let start = 0;
          for (let k = 0; start < n; k++) {
            const size = sizes[k % sizes.length]!;
            model.update({ X: X.slice(start, start + size), y: y.slice(start, start + size) });
            start += size;
          }
          const ref = closedForm(X, y, l2);
          const got = model.coefficients();
          expect(relErr(got.weights, ref.weights)).toBeLessThanOrEqual(1e-8);
          expect(Math.abs(got.intercept - ref.intercept) / Math.max(1, Math.abs(ref.intercept))).toBeLessThanOrEqual(1e-8);
        },
      ),
      { numRuns: 150, seed: 20261126 },
    );
  });

  const fx = sklearnFixture().diabetes;

  it("equals scikit-learn's LinearRegression on the diabetes data", () => {
    const m = new LinearRegression();
    for (let i = 0; i < fx.X.length; i += 50) m.update({ X: fx.X.slice(i, i + 50), y: fx.y.slice(i, i + 50) });
    const c = m.coefficients();
    expect(relErr(c.weights, fx.linear.coef)).toBeLessThan(1e-8);
    expect(Math.abs(c.intercept - fx.linear.intercept) / Math.abs(fx.linear.intercept)).toBeLessThan(1e-10);
    expect(relErr(m.predict(fx.X), fx.linear.pred)).toBeLessThan(1e-9);
  });

  it.each(["ridge_1", "ridge_0.01"])("equals scikit-learn's Ridge (%s) on the diabetes data", (key) => {
    const ref = fx[key];
    const m = new LinearRegression({ l2: ref.alpha });
    for (let i = 0; i < fx.X.length; i += 64) m.update({ X: fx.X.slice(i, i + 64), y: fx.y.slice(i, i + 64) });
    const c = m.coefficients();
    expect(relErr(c.weights, ref.coef)).toBeLessThan(1e-8);
    expect(Math.abs(c.intercept - ref.intercept) / Math.abs(ref.intercept)).toBeLessThan(1e-10);
  });

  it("merge(a, b) equals learning a then b", () => {
    const { X, y } = synthetic(5, 300, 4, 10);
    const a = new LinearRegression();
    const b = new LinearRegression();
    const seq = new LinearRegression();
    a.update({ X: X.slice(0, 120), y: y.slice(0, 120) });
    b.update({ X: X.slice(120), y: y.slice(120) });
    seq.update({ X: X.slice(0, 120), y: y.slice(0, 120) });
    seq.update({ X: X.slice(120), y: y.slice(120) });
    a.merge(b);
    expect(a.nSeen).toBe(300);
    expect(relErr(a.coefficients().weights, seq.coefficients().weights)).toBeLessThan(1e-10);
  });

  it("forget downdates exactly: a sliding window equals a fresh fit on the window", () => {
    const { X, y } = synthetic(9, 500, 3, 50);
    const batches = Array.from({ length: 10 }, (_, k) => ({ X: X.slice(k * 50, k * 50 + 50), y: y.slice(k * 50, k * 50 + 50) }));
    const win = new LinearRegression();
    const W = 3;
    batches.forEach((b, k) => {
      win.update(b);
      if (k >= W) win.forget(batches[k - W]!);
    });
    const fresh = new LinearRegression();
    for (const b of batches.slice(-W)) fresh.update(b);
    expect(win.nSeen).toBe(150);
    expect(relErr(win.coefficients().weights, fresh.coefficients().weights)).toBeLessThan(1e-9);
    expect(Math.abs(win.coefficients().intercept - fresh.coefficients().intercept)).toBeLessThan(1e-8);
  });

  it("reports a singular system with the column at fault instead of NaN", () => {
    const constant = new LinearRegression();
    constant.update({ X: [[1, 5], [2, 5], [3, 5], [4, 5]], y: [1, 2, 3, 4] });
    expect(() => constant.predict([[1, 5]])).toThrow(FreshmlError);
    try {
      constant.coefficients();
    } catch (err) {
      expect((err as FreshmlError).code).toBe("singular_system");
      expect((err as FreshmlError).details.column).toBe(1);
      expect((err as FreshmlError).message).toMatch(/column 1 is constant.*l2/);
    }
    const collinear = new LinearRegression();
    collinear.update({ X: [[1, 2], [2, 4], [3, 6], [4, 8.000000000000001]], y: [1, 2, 3, 4] });
    expect(() => collinear.coefficients()).toThrowError(expect.objectContaining({ code: "singular_system" }));
    // A ridge penalty makes the same system solvable.
    const ridge = new LinearRegression({ l2: 1e-3 });
    ridge.update({ X: [[1, 5], [2, 5], [3, 5], [4, 5]], y: [1, 2, 3, 4] });
    expect(ridge.coefficients().weights[0]).toBeCloseTo(1, 3);
  });

  it("stays accurate with a huge offset that would cancel in raw sums of squares", () => {
    const { X, y } = synthetic(2, 400, 2, 1e7);
    const m = new LinearRegression();
    for (let i = 0; i < 400; i += 37) m.update({ X: X.slice(i, i + 37), y: y.slice(i, i + 37) });
    expect(relErr(m.coefficients().weights, closedForm(X, y, 0).weights)).toBeLessThan(1e-6);
  });

  it("rejects bad parameters with invalid_params", () => {
    expect(() => new LinearRegression({ l2: -1 })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    expect(() => new LinearRegression({ l2: NaN })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
  });

  it("keeps the state when a batch overflows the statistics", () => {
    const m = new LinearRegression();
    m.update({ X: [[1], [2], [3]], y: [1, 2, 3] });
    const before = JSON.stringify(m);
    expect(() => m.update({ X: [[1e200], [-1e200]], y: [1, 2] })).toThrowError(expect.objectContaining({ code: "non_finite" }));
    expect(JSON.stringify(m)).toBe(before);
  });
});
