import { SeededRandom } from "../../src/index.js";

/**
 * y = w(t)·x + N(0, 1), 3 features, `n` batches of `b` rows, w changing
 * abruptly halfway (the stream of test/pipeline/auto.test.ts): policy "auto"
 * serves everything, then a short window after the change.
 */
export function abruptStream(seed: number, n = 120, b = 50): Array<{ X: Float64Array; cols: number; y: Float64Array }> {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, t) => {
    const w = t < n / 2 ? [1, -2, 0.5] : [-1.5, 1, 2];
    const X = new Float64Array(b * 3);
    for (let k = 0; k < X.length; k++) X[k] = rng.nextGaussian();
    const y = Float64Array.from({ length: b }, (_, i) => w[0]! * X[i * 3]! + w[1]! * X[i * 3 + 1]! + w[2]! * X[i * 3 + 2]! + rng.nextGaussian());
    return { X, cols: 3, y };
  });
}
