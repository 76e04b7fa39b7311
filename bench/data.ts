import { SeededRandom } from "../src/core/random.js";

/** One streamed workload: row-major batches of features, a regression target and a 0/1 label. */
export interface Workload {
  d: number;
  batchSize: number;
  batches: Array<{ X: Float64Array; y: Float64Array; ycls: Float64Array }>;
}

/**
 * The anchor's synthetic data (../shared/bench/sklearn_anchor.py): X ~ N(0, 1),
 * y = Xw + 0.5 + 0.1·noise, label = (Xw + 0.5·logistic noise > 0). Same shape
 * and distribution, our own seeded generator.
 */
export function makeWorkload(d: number, nBatches: number, batchSize: number, seed = 42): Workload {
  const rng = new SeededRandom(seed + d);
  const w = Float64Array.from({ length: d }, () => rng.nextGaussian() / Math.sqrt(d));
  const batches = [];
  for (let b = 0; b < nBatches; b++) {
    const X = new Float64Array(batchSize * d);
    const y = new Float64Array(batchSize);
    const ycls = new Float64Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = rng.nextGaussian();
        X[i * d + j] = v;
        s += v * w[j]!;
      }
      y[i] = s + 0.5 + 0.1 * rng.nextGaussian();
      const u = Math.min(1 - 1e-12, Math.max(1e-12, rng.next()));
      ycls[i] = s + 0.5 * Math.log(u / (1 - u)) > 0 ? 1 : 0;
    }
    batches.push({ X, y, ycls });
  }
  return { d, batchSize, batches };
}
