import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { syrkUpper } from "../../src/core/kernels.js";
import { SyrkWorkspace, syrkChunkRows } from "../../src/core/wasm/syrk.js";
import { LinearRegression, SeededRandom } from "../../src/index.js";
// @ts-expect-error -- a plain .mjs build script without type declarations
import { compileAll, moduleText } from "../../scripts/build-wasm.mjs";

describe("WebAssembly SIMD XᵀX kernel", () => {
  it("is in use on this platform (Node 20 has WebAssembly SIMD)", () => {
    expect(new SyrkWorkspace().accelerated).toBe(true);
    expect(new SyrkWorkspace(false).accelerated).toBe(false);
  });

  it("equals the JS kernel for every remainder of rows and columns", () => {
    const rng = new SeededRandom(5);
    for (const d of [1, 2, 3, 4, 7, 10, 33]) {
      for (const n of [1, 3, 4, 5, 8, 13, 64]) {
        const ws = new SyrkWorkspace();
        const Z = ws.rows(n, d);
        for (let k = 0; k < Z.length; k++) Z[k] = rng.nextGaussian();
        const ref = new Float64Array(d * d);
        syrkUpper(Z.slice(), n, d, ref);
        const S = new Float64Array(d * d);
        ws.accumulate(n, d, S);
        for (let j = 0; j < d; j++) {
          for (let k = j; k < d; k++) expect(Math.abs(S[j * d + k]! - ref[j * d + k]!)).toBeLessThan(1e-12 * (1 + Math.abs(ref[j * d + k]!)));
        }
      }
    }
  });

  it("is built from the committed syrk.wat (run `node scripts/build-wasm.mjs` after editing it)", async () => {
    const compiled: Array<{ name: string; base64: string }> = await compileAll();
    for (const { name, base64 } of compiled) {
      const committed = readFileSync(new URL(`../../src/core/wasm/${name}-bytes.ts`, import.meta.url), "utf8");
      expect(committed).toBe(moduleText(name, base64));
    }
  });

  it("LinearRegression gives the same model whether a batch spans one WebAssembly chunk or two", () => {
    const d = 700;
    const rows = syrkChunkRows(d) + 4; // two chunks
    const rng = new SeededRandom(11);
    const X = new Float64Array(rows * d);
    const y = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = rng.nextGaussian() + 10;
        X[i * d + j] = v;
        s += v * ((j % 7) - 3);
      }
      y[i] = s + rng.nextGaussian();
    }
    const whole = new LinearRegression({ l2: 1e-6 });
    whole.update({ X, cols: d, y });
    const half = rows / 2;
    const split = new LinearRegression({ l2: 1e-6 });
    split.update({ X: X.subarray(0, half * d), cols: d, y: y.subarray(0, half) });
    split.update({ X: X.subarray(half * d), cols: d, y: y.subarray(half) });
    const a = whole.coefficients().weights;
    const b = split.coefficients().weights;
    let err = 0;
    for (let j = 0; j < d; j++) err = Math.max(err, Math.abs(a[j]! - b[j]!));
    expect(err).toBeLessThan(1e-6);
    expect(a[3]).toBeCloseTo(0, 0);
    expect(a[6]).toBeCloseTo(3, 0);
  });
});

describe("WebAssembly SIMD SGD pass", () => {
  it("learns the same model as the JS pass, for every loss and schedule it takes", async () => {
    const { setSimdEnabled } = await import("../../src/core/wasm/load.js");
    const setSgdSimd = setSimdEnabled;
    const { SGDClassifier, SGDRegressor } = await import("../../src/index.js");
    const rng = new SeededRandom(3);
    const d = 7;
    const batches = Array.from({ length: 6 }, () => {
      const X = Float64Array.from({ length: 50 * d }, () => rng.nextGaussian());
      const y = Float64Array.from({ length: 50 }, (_, i) => X[i * d]! - 2 * X[i * d + 3]! + 0.1 * rng.nextGaussian());
      return { X, cols: d, y, labels: y.map((v) => (v > 0 ? 1 : 0)) };
    });
    const makers = [
      () => new SGDRegressor({ seed: 1 }),
      () => new SGDRegressor({ loss: "huber", learningRate: "constant", eta0: 0.02, seed: 2 }),
      () => new SGDRegressor({ learningRate: "invscaling", powerT: 0.5, eta0: 0.05, fitIntercept: false, seed: 3 }),
      () => new SGDClassifier({ classes: [0, 1], seed: 4 }),
      () => new SGDClassifier({ classes: [0, 1], learningRate: "constant", eta0: 0.1, alpha: 0, seed: 5 }),
    ];
    try {
      for (const make of makers) {
        const fit = (simd: boolean): Float64Array => {
          setSgdSimd(simd);
          const m = make();
          for (const b of batches) m.update({ X: b.X, cols: d, y: m.task === "classification" ? b.labels : b.y });
          const X = batches[0]!.X;
          return m.task === "classification" ? (m as InstanceType<typeof SGDClassifier>).predictProba({ X, cols: d }) : m.predict({ X, cols: d });
        };
        const a = fit(true);
        const b = fit(false);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-9 * (1 + Math.abs(b[i]!)));
      }
    } finally {
      setSgdSimd(true);
    }
  });

  it("gathers large batches in chunks and still reports a NaN feature by row and column", async () => {
    const { SGDRegressor } = await import("../../src/index.js");
    const d = 600; // chunks of 1,747 rows
    const rows = 4000;
    const rng = new SeededRandom(9);
    const X = Float64Array.from({ length: rows * d }, () => rng.nextGaussian());
    const y = Float64Array.from({ length: rows }, (_, i) => X[i * d]!);
    const m = new SGDRegressor({ seed: 1, learningRate: "constant", eta0: 0.001 });
    m.update({ X, cols: d, y });
    expect(m.nSeen).toBe(rows);
    const before = JSON.stringify(m);
    X[3999 * d + 17] = NaN;
    expect(() => m.update({ X, cols: d, y })).toThrowError(expect.objectContaining({ code: "non_finite", details: expect.objectContaining({ row: 3999, column: 17 }) }));
    expect(JSON.stringify(m)).toBe(before);
  });
});
