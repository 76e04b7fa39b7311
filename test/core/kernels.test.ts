import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allFiniteFast, axpy, dot, gemv, logSumExp, syrkUpper } from "../../src/core/kernels.js";
import { linearScores } from "../../src/core/wasm/gemv.js";
import { setSimdEnabled } from "../../src/core/wasm/load.js";

/** Values of every magnitude and sign (zeros, subnormals, huge), from a seed. */
function values(n: number, seed: number): Float64Array {
  let s = seed | 0;
  const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 8) / (1 << 24);
  return Float64Array.from({ length: n }, () => {
    const u = rnd();
    if (u < 0.03) return 0;
    if (u < 0.05) return -0;
    if (u < 0.07) return (rnd() - 0.5) * 1e-310;
    const mag = u < 0.15 ? 10 ** (Math.floor(rnd() * 600) - 300) : 1;
    return (rnd() - 0.5) * 8 * mag;
  });
}

/** Today's per-row prediction loop, the reference every kernel must equal to the bit. */
function perRow(X: Float64Array, rows: number, d: number, W: Float64Array, b: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) for (let c = 0; c < k; c++) out[i * k + c] = b[c]! + dot(W, c * d, X, i * d, d);
  return out;
}

function sameBits(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect([i, a[i]]).toEqual([i, b[i]]);
}

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

  it("gemv equals b0 + dot per row, to the bit, for any shape, offset and stride (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer(), (rows, d, wOff, stride, seed) => {
        const X = values(rows * d, seed);
        const w = values(wOff + d, seed ^ 0x5bd1e995);
        const b0 = values(1, seed + 7)[0]!;
        const out = new Float64Array(rows * stride + 2).fill(42);
        gemv(X, rows, d, w, wOff, b0, out, 1, stride);
        const ref = Float64Array.from({ length: rows }, (_, i) => b0 + dot(w, wOff, X, i * d, d));
        sameBits(Float64Array.from({ length: rows }, (_, i) => out[1 + i * stride]!), ref);
        expect(out[0]).toBe(42); // nothing written outside the strided slots
      }),
      { numRuns: 400, seed: 11 },
    );
  });
});

describe("logSumExp", () => {
  /** As first written: exp of every term. */
  function reference(v: Float64Array, off: number, k: number): number {
    let m = -Infinity;
    for (let c = 0; c < k; c++) if (v[off + c]! > m) m = v[off + c]!;
    if (m === -Infinity) return -Infinity;
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(v[off + c]! - m);
    return m + Math.log(s);
  }

  it("equals the exp-of-every-term version to the bit, special values included (property)", () => {
    const special = fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1e308, -1e308, 5e-324, -745.2, 709.8);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), special, fc.double({ min: -50, max: 50, noNaN: true })), { minLength: 1, maxLength: 9 }), fc.nat(3), (xs, off) => {
        const v = Float64Array.from([...Array<number>(off).fill(7), ...xs]);
        expect(Object.is(logSumExp(v, off, xs.length), reference(v, off, xs.length))).toBe(true);
      }),
      { numRuns: 2000, seed: 13 },
    );
  });
});

describe("linearScores (gemv.wat and its JS fallback)", () => {
  for (const simd of [true, false]) {
    it(`equals the per-row dot loop to the bit (${simd ? "WebAssembly SIMD" : "JS fallback"}; property over shapes, classes, transforms)`, () => {
      setSimdEnabled(simd);
      try {
        fc.assert(
          fc.property(
            fc.integer({ min: 1, max: 300 }),
            fc.integer({ min: 1, max: 19 }),
            fc.integer({ min: 1, max: 4 }),
            fc.boolean(),
            fc.integer(),
            (rows, d, k, transformed, seed) => {
              const X = values(rows * d, seed);
              const W = values(k * d + 3, seed ^ 0x27d4eb2f); // longer than k·d: the tail must be ignored
              const b = values(k, seed + 1);
              const ref = transformed
                ? perRow(X.map((v) => v * 0.5 - 1), rows, d, W, b, k)
                : perRow(X, rows, d, W, b, k);
              const out = new Float64Array(rows * k);
              const t = transformed
                ? (from: number, to: number, dst: Float64Array) => {
                    for (let q = 0; q < (to - from) * d; q++) dst[q] = X[from * d + q]! * 0.5 - 1;
                  }
                : undefined;
              linearScores(X, rows, d, W, b, k, out, t);
              sameBits(out, ref);
            },
          ),
          { numRuns: 300, seed: simd ? 21 : 22 },
        );
      } finally {
        setSimdEnabled(true);
      }
    });
  }

  it("equals the per-row loop across chunks of rows (wide rows, many of them)", () => {
    const d = 700; // chunks of 93 rows
    const rows = 250;
    const X = values(rows * d, 5);
    const W = values(2 * d, 6);
    const b = [0.5, -3];
    for (const simd of [true, false]) {
      setSimdEnabled(simd);
      try {
        const out = new Float64Array(rows * 2);
        linearScores(X, rows, d, W, b, 2, out);
        sameBits(out, perRow(X, rows, d, W, b, 2));
        const t = new Float64Array(rows * 2);
        linearScores(X, rows, d, W, b, 2, t, (from, to, dst) => dst.set(X.subarray(from * d, to * d)));
        sameBits(t, out);
      } finally {
        setSimdEnabled(true);
      }
    }
  });
});
