/** The pipeline of bench/event-loop.bench.ts, built inside a worker by WorkerPipeline, and the same workload as a source read in the worker. */
import { LinearRegression, Pipeline, SeededRandom, type ModelStore } from "../src/index.js";

export function createPipeline({ store }: { store: ModelStore }): Pipeline {
  return new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), store, checkpoint: "end" });
}

/** `batches` batches of rows × cols, cycled from 20 made here, in the worker (as a service would read its data there): the main thread touches none. */
export function* createSource({ args }: { args: { batches: number; rows: number; cols: number } }): Generator<{ X: Float64Array; cols: number; y: Float64Array }> {
  const { batches, rows, cols } = args;
  const rng = new SeededRandom(11);
  const coef = Float64Array.from({ length: cols }, () => rng.nextGaussian());
  const pool = Array.from({ length: 20 }, () => {
    const X = new Float64Array(rows * cols);
    for (let k = 0; k < X.length; k++) X[k] = rng.nextGaussian();
    const y = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += X[i * cols + j]! * coef[j]!;
      y[i] = s + 0.1 * rng.nextGaussian();
    }
    return { X, cols, y };
  });
  for (let k = 0; k < batches; k++) yield pool[k % pool.length]!;
}
