import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setSimdEnabled } from "../../src/core/wasm/load.js";
import { GaussianNB, LinearRegression, SGDClassifier, SGDRegressor } from "../../src/index.js";
import { learnerChecks } from "../../src/testing/index.js";
import { relErr, sklearnFixture } from "../fixtures/load.js";

/**
 * Where WebAssembly SIMD is missing (or turned off), every learner runs its JS
 * loops. They must give the same answers: the scikit-learn checks and the
 * conformance suite again, with the WebAssembly kernels off.
 */
describe("JS kernels (WebAssembly SIMD off)", () => {
  beforeAll(() => setSimdEnabled(false));
  afterAll(() => setSimdEnabled(true));

  it("LinearRegression equals scikit-learn's on diabetes", () => {
    const fx = sklearnFixture().diabetes;
    const m = new LinearRegression();
    for (let i = 0; i < fx.X.length; i += 50) m.update({ X: fx.X.slice(i, i + 50), y: fx.y.slice(i, i + 50) });
    expect(relErr(m.coefficients().weights, fx.linear.coef)).toBeLessThan(1e-8);
  });

  it("GaussianNB equals scikit-learn's on wine", () => {
    const fx = sklearnFixture().wine_nb;
    const m = new GaussianNB({ classes: [0, 1, 2], varSmoothing: 0 });
    for (let i = 0; i < fx.X.length; i += fx.batch) m.update({ X: fx.X.slice(i, i + fx.batch), y: fx.y.slice(i, i + fx.batch) });
    expect(relErr(m.moments().means, fx.theta)).toBeLessThan(1e-12);
  });

  for (const [name, make, exact] of [
    ["LinearRegression", () => new LinearRegression(), true],
    ["GaussianNB", () => new GaussianNB({ classes: [0, 1, 2] }), true],
    ["SGDRegressor", () => new SGDRegressor({ seed: 1 }), false],
    ["SGDClassifier", () => new SGDClassifier({ classes: [0, 1], seed: 1 }), false],
  ] as const) {
    describe(name, () => {
      for (const check of learnerChecks({ make, exact })) it(check.name, () => check.run());
    });
  }
});
