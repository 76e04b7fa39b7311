import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setSimdEnabled } from "../../src/core/wasm/load.js";
import { GaussianNB, LinearRegression, LogisticRegression, SGDClassifier, SGDRegressor, type ClassWeight } from "../../src/index.js";
import { SeededRandom } from "../../src/core/random.js";
import { ftrlKernel } from "../../src/core/wasm/ftrl.js";
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

/**
 * LogisticRegression's binary pass runs in WebAssembly SIMD (ftrl.wat) when it
 * can: it must give the JS loop's state bit for bit, zero weights' signs
 * included, for odd and even d, features that are 0 or −0, L1, class weights
 * and no intercept.
 */
describe("LogisticRegression: the WebAssembly FTRL pass equals the JS loop bit for bit", () => {
  afterAll(() => setSimdEnabled(true));

  it("the kernel's own e^x equals Math.exp bit for bit (specials, the logits' range, the whole double range)", () => {
    setSimdEnabled(true);
    const kernel = ftrlKernel();
    expect(kernel).not.toBeNull();
    const rng = new SeededRandom(11);
    const args = [0, -0, 1, -1, 0.5, -0.5, 2, 709.78, 709.782712893384, 709.79, -745.1, -745.2, -708.4, -710, 1e-300, -1e-300,
      2 ** -28, -(2 ** -28), 2 ** -29, 0.34657359027997264, 1.0397207708399179, Infinity, -Infinity, Number.NaN, 5e-324, 1e300, -1e300];
    for (let i = 0; i < 100_000; i++) args.push((rng.next() * 2 - 1) * 60, (rng.next() * 2 - 1) * 760);
    const bits = new Float64Array(1);
    const words = new Uint32Array(bits.buffer);
    for (let i = 0; i < 50_000; i++) {
      words[0] = (rng.next() * 2 ** 32) >>> 0;
      words[1] = (rng.next() * 2 ** 32) >>> 0;
      args.push(bits[0]!);
    }
    const mismatches = args.filter((x) => !Object.is(kernel!.exp(x), Math.exp(x)));
    expect(mismatches).toEqual([]);
  });
  const cases: Array<[number, number, ClassWeight, boolean]> = [
    [1, 0, null, true],
    [2, 0.05, "balanced", true],
    [3, 0, { 1: 3 }, false],
    [7, 0.05, null, true],
    [10, 0, null, true],
    [33, 0.01, "balanced", true],
  ];
  // standardize false keeps the zeros and −0s the passes skip; true (the default) scales rows before either pass.
  for (const [d, l1, classWeight, fitIntercept] of cases) for (const standardize of [false, true]) {
    it(`d = ${d}, l1 = ${l1}, classWeight ${JSON.stringify(classWeight)}, fitIntercept ${fitIntercept}, standardize ${standardize}`, () => {
      const rng = new SeededRandom(d * 7 + 1);
      const batches = Array.from({ length: 12 }, () => {
        const X = new Float64Array(200 * d);
        const y = new Float64Array(200);
        for (let i = 0; i < 200; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) {
            const u = rng.next();
            const v = u < 0.3 ? 0 : u < 0.4 ? -0 : rng.nextGaussian();
            X[i * d + j] = v;
            s += v * ((j % 3) - 1);
          }
          y[i] = s + rng.nextGaussian() > 0 ? 1 : 0;
        }
        return { X, cols: d, y };
      });
      const run = (simd: boolean): string[] => {
        setSimdEnabled(simd);
        const m = new LogisticRegression({ classes: [0, 1], l1, classWeight, fitIntercept, standardize });
        for (const b of batches) m.update(b);
        const { coef, intercept } = m.coefficients();
        // Object.is tells −0 from 0, which JSON would not.
        const bits = (a: Float64Array): string[] => Array.from(a, (v) => (Object.is(v, -0) ? "-0" : String(v)));
        return [JSON.stringify(m.toJSON()), ...bits(coef), ...bits(intercept), ...bits(m.predictProba(batches[0]!))];
      };
      const js = run(false);
      const wasm = run(true);
      expect(wasm).toEqual(js);
    });
  }
});
