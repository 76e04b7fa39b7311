import { describe, expect, it } from "vitest";
import {
  FullRefitLinearRegression,
  FullRefitPolynomialRegression,
  LastClassClassifier,
  LastValueRegressor,
  MajorityClassifier,
  MeanRegressor,
} from "../../src/index.js";
import { relErr, sklearnFixture } from "../fixtures/load.js";

describe("baselines", () => {
  it("MeanRegressor predicts the running mean", () => {
    const m = new MeanRegressor();
    m.update({ X: [[0], [0]], y: [1, 2] });
    m.update({ X: [[0]], y: [6] });
    expect(Array.from(m.predict([[1], [2]]))).toEqual([3, 3]);
  });

  it("LastValueRegressor predicts the last target of the last batch", () => {
    const m = new LastValueRegressor();
    m.update({ X: [[0], [0]], y: [1, 2] });
    m.update({ X: [[0], [0]], y: [5, 4] });
    expect(Array.from(m.predict([[9]]))).toEqual([4]);
  });

  it("MajorityClassifier predicts the most frequent class; ties go to the first declared", () => {
    const m = new MajorityClassifier({ classes: [5, 7] });
    m.update({ X: [[0], [0]], y: [7, 5] });
    expect(Array.from(m.predict([[0]]))).toEqual([5]);
    m.update({ X: [[0]], y: [7] });
    expect(Array.from(m.predict([[0]]))).toEqual([7]);
    expect(Array.from(m.predictProba([[0]]))).toEqual([1 / 3, 2 / 3]);
  });

  it("LastClassClassifier predicts the last label seen", () => {
    const m = new LastClassClassifier({ classes: [0, 1, 2] });
    m.update({ X: [[0], [0]], y: [2, 1] });
    expect(Array.from(m.predict([[0]]))).toEqual([1]);
    expect(Array.from(m.predictProba([[0]]))).toEqual([0, 1, 0]);
  });
});

describe("full-refit adapters (ml-regression)", () => {
  it("FullRefitLinearRegression equals scikit-learn's LinearRegression on diabetes after streaming", () => {
    const fx = sklearnFixture().diabetes;
    const m = new FullRefitLinearRegression();
    for (let i = 0; i < fx.X.length; i += 100) m.update({ X: fx.X.slice(i, i + 100), y: fx.y.slice(i, i + 100) });
    expect(m.nSeen).toBe(442);
    expect(relErr(m.predict(fx.X), fx.linear.pred)).toBeLessThan(1e-8);
  });

  it("FullRefitLinearRegression with maxRows keeps only the newest rows", () => {
    const m = new FullRefitLinearRegression({ maxRows: 4 });
    m.update({ X: [[0], [1], [2], [3]], y: [0, 1, 2, 3] }); // y = x
    m.update({ X: [[0], [1], [2], [3]], y: [5, 7, 9, 11] }); // y = 2x + 5 replaces it
    expect(m.nSeen).toBe(4);
    expect(m.predict([[10]])[0]).toBeCloseTo(25, 8);
  });

  it("FullRefitPolynomialRegression recovers a quadratic", () => {
    const m = new FullRefitPolynomialRegression({ degree: 2 });
    const X = [[-2], [-1], [0], [1], [2], [3]];
    m.update({ X: X.slice(0, 3), y: X.slice(0, 3).map(([x]) => 3 * x! * x! - x! + 2) });
    m.update({ X: X.slice(3), y: X.slice(3).map(([x]) => 3 * x! * x! - x! + 2) });
    expect(m.predict([[4]])[0]).toBeCloseTo(3 * 16 - 4 + 2, 8);
  });

  it("FullRefitPolynomialRegression needs one feature and enough rows", () => {
    const m = new FullRefitPolynomialRegression({ degree: 3 });
    expect(() => m.update({ X: [[1, 2]], y: [1] })).toThrowError(expect.objectContaining({ code: "column_mismatch" }));
    expect(() => m.update({ X: [[1], [2]], y: [1, 2] })).toThrowError(expect.objectContaining({ code: "singular_system" }));
    expect(m.nSeen).toBe(0);
  });

  it("forget of rows no longer retained is a forget_mismatch", () => {
    const m = new FullRefitLinearRegression();
    m.update({ X: [[0], [1], [2]], y: [0, 1, 2] });
    expect(() => m.forget({ X: [[5]], y: [5] })).toThrowError(expect.objectContaining({ code: "forget_mismatch" }));
  });
});
