/**
 * The seed's closing question, answered in code: "What if we retrain only
 * after collecting all batches instead of after each batch?"
 *
 *   npx tsx examples/when-to-retrain.ts [batches]
 *
 * A stream whose relationship drifts slowly is fed, batch by batch, to:
 *  - per-batch incremental updates (Pipeline, policy "incremental");
 *  - per-batch updates over a sliding window of 10 batches (policy { window: 10 });
 *  - a full refit on everything after every batch (policy "full");
 *  - one retrain at the end: the model trained on the first batch serves
 *    until every batch has arrived, then one fit on all of them.
 * It prints total time and the mean prequential error — the error of the
 * model in service on each batch before it learns from it: how stale the
 * model is between retrains.
 */
import { pathToFileURL } from "node:url";
import { LinearRegression, Pipeline, RMSE, SeededRandom, type RetrainPolicy } from "freshml";

const D = 10;
const ROWS = 1000;

/** Batch k of a stream whose weights rotate slowly. */
export function driftingBatch(k: number, seed = 1): { X: Float64Array; cols: number; y: Float64Array } {
  const rng = new SeededRandom(seed * 100_003 + k);
  const X = new Float64Array(ROWS * D);
  const y = new Float64Array(ROWS);
  const angle = k / 40;
  for (let i = 0; i < ROWS; i++) {
    let s = 1;
    for (let j = 0; j < D; j++) {
      const v = rng.nextGaussian();
      X[i * D + j] = v;
      s += v * (j % 2 === 0 ? Math.cos(angle + j) : Math.sin(angle + j));
    }
    y[i] = s + 0.1 * rng.nextGaussian();
  }
  return { X, cols: D, y };
}

export interface Outcome {
  strategy: string;
  totalMs: number;
  meanPrequentialRmse: number;
}

/** Runs one strategy over `n` batches. */
export async function compare(n: number): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const policies: Array<[string, RetrainPolicy]> = [
    ["incremental, after every batch", "incremental"],
    ["window of 10, after every batch", { window: 10 }],
    ["full refit, after every batch", "full"],
  ];
  for (const [strategy, policy] of policies) {
    // Checkpoint at the end: a window or full policy keeps its batches in the checkpoint, O(window) to write.
    const p = new Pipeline({ trainer: new LinearRegression(), policy, detector: null, checkpoint: "end" });
    const t0 = performance.now();
    const report = await p.runBatches((function* () {
      for (let k = 0; k < n; k++) yield driftingBatch(k);
    })());
    // The learning state's own out-of-time error: what serving the newest model after every batch gives.
    out.push({ strategy, totalMs: performance.now() - t0, meanPrequentialRmse: meanPrequential(report.series.rmse!.challenger) });
  }
  // One retrain at the end: the first batch's model serves the whole time.
  const t0 = performance.now();
  const first = new LinearRegression();
  first.update(driftingBatch(0));
  const errors: Array<number | null> = [null];
  for (let k = 1; k < n; k++) {
    const b = driftingBatch(k);
    const m = new RMSE();
    m.update(b.y, first.predict(b));
    errors.push(m.get());
  }
  const all = new LinearRegression(); // the end-of-run retrain over every batch
  for (let k = 0; k < n; k++) all.update(driftingBatch(k));
  all.coefficients();
  out.push({ strategy: "one retrain, after all batches", totalMs: performance.now() - t0, meanPrequentialRmse: meanPrequential(errors) });
  return out;
}

function meanPrequential(values: Array<number | null>): number {
  const v = values.filter((x): x is number => x !== null);
  return v.reduce((a, b) => a + b, 0) / v.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const n = Number(process.argv[2] ?? 200);
  console.log(`${n} batches of ${ROWS} × ${D}, a relationship that drifts slowly\n`);
  console.log(`${"strategy".padEnd(34)}${"total time".padStart(12)}${"mean RMSE in service".padStart(24)}`);
  for (const o of await compare(n)) {
    console.log(`${o.strategy.padEnd(34)}${`${o.totalMs.toFixed(0)} ms`.padStart(12)}${o.meanPrequentialRmse.toFixed(3).padStart(24)}`);
  }
  console.log("\nRetraining after every batch beats one retrain at the end; on drifting data a window (or a forgetting factor)");
  console.log("keeps the model freshest. Incremental updates and windows cost linear time in the number of batches, a full refit quadratic.");
}
