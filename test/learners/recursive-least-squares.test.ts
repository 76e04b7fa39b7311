import { Matrix, solve } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { RecursiveLeastSquares, SeededRandom } from "../../src/index.js";
import { relErr } from "../fixtures/load.js";

function data(seed: number, n: number, w: number[], b: number): { X: number[][]; y: number[] } {
  const rng = new SeededRandom(seed);
  const X = Array.from({ length: n }, () => w.map(() => rng.nextGaussian()));
  return { X, y: X.map((x) => x.reduce((s, v, j) => s + v * w[j]!, b) + 0.05 * rng.nextGaussian()) };
}

describe("RecursiveLeastSquares", () => {
  it("with forgetting 1 equals ridge with the same penalty on every coefficient", () => {
    const { X, y } = data(1, 200, [1, -2, 0.5], 4);
    const l2 = 0.3;
    const rls = new RecursiveLeastSquares({ forgetting: 1, l2 });
    for (let i = 0; i < 200; i += 30) rls.update({ X: X.slice(i, i + 30), y: y.slice(i, i + 30) });
    // Independent closed form: (AᵀA + l2·I) θ = Aᵀy with A = [X, 1].
    const A = new Matrix(X.map((r) => [...r, 1]));
    const lhs = A.transpose().mmul(A).add(Matrix.eye(4).mul(l2));
    const theta = solve(lhs, A.transpose().mmul(Matrix.columnVector(y))).getColumn(0);
    const c = rls.coefficients();
    expect(relErr([...c.weights, c.intercept], theta)).toBeLessThan(1e-8);
  });

  it("with forgetting < 1 equals exponentially weighted least squares", () => {
    const { X, y } = data(2, 120, [2, 1], -1);
    const lambda = 0.95;
    const l2 = 1e-3;
    const rls = new RecursiveLeastSquares({ forgetting: lambda, l2 });
    rls.update({ X, y });
    const n = X.length;
    // Row i weighs λ^(n−1−i); the prior weighs λ^n.
    const Wsqrt = X.map((_, i) => Math.sqrt(lambda ** (n - 1 - i)));
    const A = new Matrix(X.map((r, i) => [...r, 1].map((v) => v * Wsqrt[i]!)));
    const lhs = A.transpose().mmul(A).add(Matrix.eye(3).mul(l2 * lambda ** n));
    const rhs = A.transpose().mmul(Matrix.columnVector(y.map((v, i) => v * Wsqrt[i]!)));
    const theta = solve(lhs, rhs).getColumn(0);
    const c = rls.coefficients();
    expect(relErr([...c.weights, c.intercept], theta)).toBeLessThan(1e-7);
  });

  it("tracks an abrupt change in the relationship far faster than exact least squares", () => {
    const before = data(3, 500, [1, 1], 0);
    const after = data(4, 500, [-1, 2], 3);
    const forgetful = new RecursiveLeastSquares({ forgetting: 0.98 });
    const remembering = new RecursiveLeastSquares({ forgetting: 1 });
    for (const m of [forgetful, remembering]) {
      m.update(before);
      m.update({ X: after.X.slice(0, 200), y: after.y.slice(0, 200) });
    }
    const probe = [[0.5, -0.5]];
    const truth = -1 * 0.5 + 2 * -0.5 + 3;
    expect(Math.abs(forgetful.predict(probe)[0]! - truth)).toBeLessThan(0.05);
    expect(Math.abs(remembering.predict(probe)[0]! - truth)).toBeGreaterThan(0.5);
  });

  it("rejects a forgetting factor outside (0, 1]", () => {
    for (const forgetting of [0, 1.01, -0.5, NaN]) {
      expect(() => new RecursiveLeastSquares({ forgetting })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    }
  });
});
