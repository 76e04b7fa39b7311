import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allFiniteFast, axpy, dot, syrkUpper } from "../../src/core/kernels.js";

describe("kernels", () => {
  it("syrkUpper accumulates the upper triangle of ZᵀZ for any shape (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 11 }), fc.integer(), (rows, d, seed) => {
        let s = seed;
        const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 8) / (1 << 24) - 0.5;
        const Z = Float64Array.from({ length: rows * d }, rnd);
        const S = Float64Array.from({ length: d * d }, () => 1); // accumulates onto existing values
        syrkUpper(Z, rows, d, S);
        for (let j = 0; j < d; j++) {
          for (let k = 0; k < d; k++) {
            let ref = 0;
            for (let i = 0; i < rows; i++) ref += Z[i * d + j]! * Z[i * d + k]!;
            if (k >= j) expect(S[j * d + k]).toBeCloseTo(1 + ref, 12);
            else expect(S[j * d + k]).toBe(1); // the lower triangle is left alone
          }
        }
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it("dot, axpy and allFiniteFast agree with the obvious loops", () => {
    const a = Float64Array.from({ length: 11 }, (_, i) => i - 5);
    const b = Float64Array.from({ length: 13 }, (_, i) => i * 0.5);
    expect(dot(a, 1, b, 2, 9)).toBe(Array.from({ length: 9 }, (_, j) => a[1 + j]! * b[2 + j]!).reduce((x, y) => x + y, 0));
    const y = new Float64Array(7).fill(1);
    axpy(2, b, 3, y, 7);
    expect(Array.from(y)).toEqual(Array.from({ length: 7 }, (_, j) => 1 + 2 * b[3 + j]!));
    expect(allFiniteFast(a)).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const c = a.slice();
      c[10] = bad;
      expect(allFiniteFast(c)).toBe(false);
    }
  });
});
