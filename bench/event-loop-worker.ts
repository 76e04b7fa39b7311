/** The pipeline of bench/event-loop.bench.ts, built inside a worker by WorkerPipeline. */
import { LinearRegression, Pipeline, type ModelStore } from "../src/index.js";

export function createPipeline({ store }: { store: ModelStore }): Pipeline {
  return new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), store, checkpoint: "end" });
}
