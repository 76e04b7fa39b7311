/**
 * Reports from real runs, for the browser test and the README screenshot:
 * the monthly Mauna Loa CO₂ stream (examples/data) through a Pipeline on a
 * FileModelStore with a drift check, its run kept in a FileRunHistory, and
 * two batches corrupted on purpose (a sensor fault) so the quarantine chart
 * has something to show.
 */
import { driftCheck, Pipeline, qualityChecks, recordRun, renderStoreReport, type RunSummary } from "../src/index.js";
import { FileModelStore, FileRunHistory } from "../src/node/index.js";
import { streams } from "../test/fixtures/real-data.js";

export async function co2Report(dir: string): Promise<{ html: string; summary: RunSummary }> {
  const stream = streams().find((s) => s.id === "co2-monthly")!;
  const batches = stream.batches.map((b, k) => (k === 200 || k === 420 ? b.map((r, i) => (i === 0 ? { ...r, co2: -1 } : r)) : b));
  const store = new FileModelStore(dir);
  const history = new FileRunHistory(dir);
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
  const report = await pipeline.runBatches(batches);
  const id = await recordRun(history, report);
  return { html: await renderStoreReport(store, history, stream.id), summary: await history.get(id) };
}
