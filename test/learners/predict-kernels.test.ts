import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkBatch } from "../../src/core/batch.js";
import { dot } from "../../src/core/kernels.js";
import { setSimdEnabled } from "../../src/core/wasm/load.js";
import {
  GaussianNB,
  LinearRegression,
  OnlineStandardScaler,
  RecursiveLeastSquares,
  SGDClassifier,
  SGDRegressor,
  SeededRandom,
  type Trainer,
} from "../../src/index.js";

/**
 * The batched predict kernels (gemv.wat, the JS gemv) must give what the
 * per-row loops they replaced gave, to the bit: a model stored and served
 * elsewhere predicts exactly as it did. The references below are those loops,
 * written against each model's saved state.
 */

interface LinearState {
  d: number;
  w: number[];
  b: number[];
  scaler: unknown;
}

function stateOf(m: Trainer): Record<string, unknown> {
  return (JSON.parse(JSON.stringify(m.toJSON())) as { state: Record<string, unknown> }).state;
}

/** The features an SGD model saw: standardised through its saved scaler, if any. */
function sgdView(s: LinearState, X: Float64Array): Float64Array {
  return s.scaler ? OnlineStandardScaler.fromJSON(s.scaler).transform({ X, cols: s.d }) : X;
}

const reference: Record<string, (m: Trainer, X: Float64Array, rows: number) => Float64Array> = {
  SGDRegressor(m, X, rows) {
    const s = stateOf(m) as unknown as LinearState;
    const Z = sgdView(s, X);
    const w = Float64Array.from(s.w);
    return Float64Array.from({ length: rows }, (_, i) => s.b[0]! + dot(w, 0, Z, i * s.d, s.d));
  },
  SGDClassifier(m, X, rows) {
    const s = stateOf(m) as unknown as LinearState;
    const Z = sgdView(s, X);
    const w = Float64Array.from(s.w);
    const K = (m as SGDClassifier).classes.length;
    const out = new Float64Array(rows * K);
    if (s.b.length === 1) {
      for (let i = 0; i < rows; i++) {
        const z = s.b[0]! + dot(w, 0, Z, i * s.d, s.d);
        const p1 = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
        out[2 * i] = 1 - p1;
        out[2 * i + 1] = p1;
      }
      return out;
    }
    const z = new Float64Array(K);
    for (let i = 0; i < rows; i++) {
      let max = -Infinity;
      for (let c = 0; c < K; c++) {
        const v = s.b[c]! + dot(w, c * s.d, Z, i * s.d, s.d);
        z[c] = v;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let c = 0; c < K; c++) {
        const e = Math.exp(z[c]! - max);
        z[c] = e;
        sum += e;
      }
      for (let c = 0; c < K; c++) z[c]! /= sum;
      out.set(z, i * K);
    }
    return out;
  },
  LinearRegression(m, X, rows) {
    const { weights, intercept } = (m as LinearRegression).coefficients();
    const d = weights.length;
    return Float64Array.from({ length: rows }, (_, i) => intercept + dot(X, i * d, weights, 0, d));
  },
  RecursiveLeastSquares(m, X, rows) {
    const s = stateOf(m) as { d: number; w: number[] };
    const w = Float64Array.from(s.w);
    const b = (m as RecursiveLeastSquares).params.fitIntercept ? w[s.d]! : 0;
    return Float64Array.from({ length: rows }, (_, i) => b + dot(X, i * s.d, w, 0, s.d));
  },
};

const makers: Record<string, (fit: boolean, seed: number) => Trainer> = {
  SGDRegressor: (fit, seed) => new SGDRegressor({ seed, standardize: seed % 2 === 0, fitIntercept: fit, learningRate: "constant", eta0: 0.01 }),
  SGDClassifier: (fit, seed) => new SGDClassifier({ classes: seed % 3 === 0 ? [0, 1, 2] : [0, 1], seed, standardize: seed % 2 === 0, fitIntercept: fit }),
  LinearRegression: (fit) => new LinearRegression({ fitIntercept: fit, l2: 1e-6 }),
  RecursiveLeastSquares: (fit) => new RecursiveLeastSquares({ fitIntercept: fit }),
};

function data(rows: number, d: number, seed: number, classes: number): { X: Float64Array; y: Float64Array } {
  const rng = new SeededRandom(seed);
  const scale = [1, 1e-3, 1e3, 1e-150][seed & 3]!;
  const X = Float64Array.from({ length: rows * d }, () => (rng.nextGaussian() + (rng.next() < 0.1 ? 7 : 0)) * scale);
  const y = Float64Array.from({ length: rows }, (_, i) => {
    const v = X[i * d]! / scale - (d > 1 ? X[i * d + 1]! / scale : 0) + 0.1 * rng.nextGaussian();
    return classes ? Math.min(classes - 1, Math.max(0, Math.round(v))) : v;
  });
  return { X, y };
}

function sameBits(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect([i, a[i]]).toEqual([i, b[i]]);
}

describe("batched predict equals the per-row loop it replaced, to the bit", () => {
  for (const name of Object.keys(reference)) {
    for (const simd of [true, false]) {
      it(`${name} (${simd ? "WebAssembly SIMD" : "JS kernels"}; property over shapes, intercepts, scalers)`, () => {
        setSimdEnabled(simd);
        try {
          fc.assert(
            fc.property(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 150 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (d, rows, fit, seed) => {
              const m = makers[name]!(fit, seed);
              const K = m instanceof SGDClassifier ? m.classes.length : 0;
              for (let b = 0; b < 2; b++) {
                const t = data(40, d, seed + b, K);
                m.update({ X: t.X, cols: d, y: t.y });
              }
              const q = data(rows, d, seed + 99, K);
              const ref = reference[name]!(m, q.X, rows);
              const got = m instanceof SGDClassifier ? m.predictProba({ X: q.X, cols: d }) : m.predict({ X: q.X, cols: d });
              sameBits(got, ref);
              // A checked batch (the pipeline's input) takes the same path without the scan.
              const checked = checkBatch({ X: q.X, cols: d, y: q.y });
              sameBits(m instanceof SGDClassifier ? m.predictProba(checked) : m.predict(checked), ref);
            }),
            { numRuns: 60, seed: name.length + (simd ? 0 : 100) },
          );
        } finally {
          setSimdEnabled(true);
        }
      });
    }
  }

  it("SGDClassifier's softmax keeps ties and overflowing logits as they were, and refuses rows whose probabilities are NaN", () => {
    const m = new SGDClassifier({ classes: [0, 1, 2], seed: 1 });
    m.update({ X: [[0, 0], [1, 1], [2, 2]], y: [0, 1, 2] });
    const json = JSON.parse(JSON.stringify(m.toJSON())) as { state: { w: number[]; b: number[] } };
    json.state.w = [1e308, 0, -1e308, 0, 0, 1];
    json.state.b = [0, 0, 0];
    const crafted = SGDClassifier.fromJSON(json);
    const X = Float64Array.from([10, 0, -10, 0, 0, 0, 1e-300, 5, 1e-308, 800, 5e-324, -800]);
    for (const simd of [true, false]) {
      setSimdEnabled(simd);
      try {
        // Rows whose probabilities come out finite are as they were, to the bit; a row whose
        // logits overflow to a NaN probability is now refused with prediction_overflow.
        const ref = reference.SGDClassifier!(crafted, X, 6);
        let firstBad = -1;
        for (let i = 0; i < 6; i++) {
          const row = ref.subarray(i * 3, i * 3 + 3);
          const Xi = X.slice(i * 2, i * 2 + 2);
          if (row.every((v) => Number.isFinite(v))) sameBits(crafted.predictProba({ X: Xi, cols: 2 }), row);
          else {
            if (firstBad < 0) firstBad = i;
            expect(() => crafted.predictProba({ X: Xi, cols: 2 })).toThrowError(expect.objectContaining({ code: "prediction_overflow" }));
          }
        }
        expect(firstBad).toBeGreaterThanOrEqual(0);
        expect(() => crafted.predictProba({ X, cols: 2 })).toThrowError(
          expect.objectContaining({ code: "prediction_overflow", details: expect.objectContaining({ row: firstBad }) }),
        );
      } finally {
        setSimdEnabled(true);
      }
    }
  });

  /** GaussianNB's joint log-likelihoods, probabilities and labels as first written. */
  function referenceNB(m: GaussianNB, X: Float64Array, rows: number): { jll: Float64Array; proba: Float64Array; labels: Float64Array } {
    const { counts, means, variances } = m.moments();
    const k = counts.length;
    const d = means.length / k;
    let total = 0;
    for (const c of counts) total += c;
    const logPrior = new Float64Array(k);
    const logNorm = new Float64Array(k);
    const invVar = new Float64Array(k * d);
    for (let c = 0; c < k; c++) {
      logPrior[c] = Math.log(m.params.priors ? m.params.priors[c]! : counts[c]! / total);
      let ln = 0;
      for (let j = 0; j < d; j++) {
        ln += Math.log(2 * Math.PI * variances[c * d + j]!);
        invVar[c * d + j] = 1 / variances[c * d + j]!;
      }
      logNorm[c] = -0.5 * ln;
    }
    const jll = new Float64Array(rows * k);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < k; c++) {
        let s0 = 0;
        let s1 = 0;
        let j = 0;
        for (; j + 1 < d; j += 2) {
          const d0 = X[i * d + j]! - means[c * d + j]!;
          const d1 = X[i * d + j + 1]! - means[c * d + j + 1]!;
          s0 += d0 * d0 * invVar[c * d + j]!;
          s1 += d1 * d1 * invVar[c * d + j + 1]!;
        }
        if (j < d) {
          const d0 = X[i * d + j]! - means[c * d + j]!;
          s0 += d0 * d0 * invVar[c * d + j]!;
        }
        jll[i * k + c] = logPrior[c]! + logNorm[c]! - 0.5 * (s0 + s1);
      }
    }
    const proba = jll.slice();
    const labels = new Float64Array(rows);
    for (let o = 0; o < proba.length; o += k) {
      let mx = -Infinity;
      let best = 0;
      for (let c = 0; c < k; c++) {
        if (proba[o + c]! > mx) mx = proba[o + c]!;
        if (jll[o + c]! > jll[o + best]!) best = c;
      }
      labels[o / k] = m.classes[best]!;
      let lse = -Infinity;
      if (mx !== -Infinity) {
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(proba[o + c]! - mx);
        lse = mx + Math.log(sum);
      }
      for (let c = 0; c < k; c++) proba[o + c] = Math.exp(proba[o + c]! - lse);
    }
    return { jll, proba, labels };
  }

  for (const simd of [true, false]) {
    it(`GaussianNB: joint log-likelihoods, probabilities and labels (${simd ? "WebAssembly SIMD" : "JS loop"}; property)`, () => {
      setSimdEnabled(simd);
      try {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1e6 }), (d, rows, k, seed) => {
            const classes = Array.from({ length: k }, (_, c) => c * 10);
            const m = new GaussianNB({ classes, varSmoothing: seed % 4 === 0 ? 0 : 1e-9 });
            for (let b = 0; b < 2; b++) {
              const t = data(60, d, seed + b, k);
              m.update({ X: t.X, cols: d, y: t.y.map((v) => v * 10) });
            }
            const q = data(rows, d, seed + 7, 0);
            const ref = referenceNB(m, q.X, rows);
            sameBits(m.jointLogLikelihood({ X: q.X, cols: d }), ref.jll);
            sameBits(m.predictProba({ X: q.X, cols: d }), ref.proba);
            sameBits(m.predict({ X: q.X, cols: d }), ref.labels);
          }),
          { numRuns: 60, seed: simd ? 41 : 42 },
        );
      } finally {
        setSimdEnabled(true);
      }
    });
  }
});
