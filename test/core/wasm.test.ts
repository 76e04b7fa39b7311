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
