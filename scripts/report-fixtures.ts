/**
 * Reports from real runs, for the browser test and the README screenshot:
 * the monthly Mauna Loa CO₂ stream (examples/data) through a Pipeline on a
 * FileModelStore with a drift check, its run kept in the store's history, and
 * two batches corrupted on purpose (a sensor fault) so the quarantine chart
 * has something to show.
 */
import { driftCheck, Pipeline, qualityChecks, renderStoreReport, type RunSummary } from "../src/index.js";
import { FileModelStore } from "../src/node/index.js";
import { streams } from "../test/fixtures/real-data.js";

export async function co2Report(dir: string): Promise<{ html: string; summary: RunSummary }> {
  const stream = streams().find((s) => s.id === "co2-monthly")!;
  const batches = stream.batches.map((b, k) => (k === 200 || k === 420 ? b.map((r, i) => (i === 0 ? { ...r, co2: -1 } : r)) : b));
  const store = new FileModelStore(dir);
  const history = store.runHistory();
  const pipeline = new Pipeline({
    name: stream.id,
    schema: stream.schema,
    features: stream.features,
    target: stream.target,
    validators: [qualityChecks({ maxMissingRate: 0 }), driftCheck({ test: "ks", referenceRows: 120, rolling: true })],
    trainer: stream.trainer(),
    store,
    gate: { minRows: 12 },
    metrics: ["mae"],
    checkpoint: "end",
    maxBatchRecords: 2000,
  });
  // The pipeline records the run into its store's history.
  const report = await pipeline.runBatches(batches);
  return { html: await renderStoreReport(store, history, stream.id), summary: await history.get(report.historyId!) };
}
