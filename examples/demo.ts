/**
 * freshml demo: a retraining pipeline versus a model trained once.
 *
 *   npm run demo
 *
 * Streams 62 years of monthly Mauna Loa CO₂ readings (examples/data) in
 * 5-year periods through a Pipeline with the file store. Each period is
 * predicted *before* anything learns from it (test-then-train), so the error
 * printed is what a user of the model would have seen. The static model
 * learned the first period only; the pipeline validates each period, lets a
 * challenger learn it, and promotes it when it does at least as well on the
 * period's held-out months.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { LinearRegression, MAE, Pipeline, RecursiveLeastSquares, qualityChecks, renderStoreReport, type BatchRecord } from "freshml";
import { FileModelStore } from "freshml/node";

const Reading = z.object({
  decade: z.number().min(0).max(10), // time since 1958, in decades
  season_sin: z.number().min(-1).max(1),
  season_cos: z.number().min(-1).max(1),
  co2: z.number().min(250).max(500),
});
type Reading = z.infer<typeof Reading>;

function load(): Array<{ year: number; row: Reading }> {
  const text = readFileSync(fileURLToPath(new URL("./data/co2-concentration.csv", import.meta.url)), "utf8");
  return text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [date, co2] = line.split(",");
      const [y, m] = date!.split("-").map(Number);
      const phase = (2 * Math.PI * (m! - 1)) / 12;
      return { year: y!, row: { decade: (y! - 1958 + (m! - 1) / 12) / 10, season_sin: Math.sin(phase), season_cos: Math.cos(phase), co2: Number(co2) } };
    });
}

const readings = load();
const periods: Array<{ label: string; rows: Reading[] }> = [];
for (const { year, row } of readings) {
  const start = 1958 + 5 * Math.floor((year - 1958) / 5);
  const label = `${start}–${start + 4}`;
  if (periods[periods.length - 1]?.label !== label) periods.push({ label, rows: [] });
  periods[periods.length - 1]!.rows.push(row);
}

const dir = mkdtempSync(join(tmpdir(), "freshml-demo-"));
try {
  const store = new FileModelStore(dir);
  const pipeline = new Pipeline({
    name: "co2",
    schema: Reading,
    target: "co2",
    validators: [qualityChecks({ maxMissingRate: 0 })],
    trainer: new RecursiveLeastSquares({ forgetting: 0.98, l2: 1e-2 }),
    store,
    gate: { metric: "mae", minRows: 60, window: 2 },
  });
  const features = (rows: Reading[]): number[][] => rows.map((r) => [r.decade, r.season_sin, r.season_cos]);
  const staticModel = new LinearRegression();
  staticModel.update({ X: features(periods[0]!.rows), y: periods[0]!.rows.map((r) => r.co2) });

  const report = await pipeline.runBatches(periods.map((p) => p.rows));
  const byBatch = new Map<number, BatchRecord>(report.records.map((r) => [r.batch, r]));

  console.log(`freshml demo — Mauna Loa CO₂, ${readings.length} monthly readings in ${periods.length} five-year batches, file store in ${dir}`);
  console.log("(mean absolute error in ppm on each period, predicted before anything learns from it; the pipeline column is the model it serves)\n");
  console.log(`${"period".padEnd(11)}${"static model".padStart(14)}${"pipeline".padStart(11)}${"learner".padStart(10)}   gate`);
  const staticTotal = new MAE();
  const pipelineTotal = new MAE();
  const stale = { label: "static model (trained once)", batch: [] as number[], values: [] as number[] };
  periods.forEach((p, k) => {
    const rec = byBatch.get(k)!;
    if (rec.status !== "accepted") return;
    const y = p.rows.map((r) => r.co2);
    const staticPred = staticModel.predict(features(p.rows));
    const s = new MAE();
    s.update(y, staticPred);
    if (k > 0) staticTotal.update([s.get()], [0]); // mean of the periods' errors, like the pipeline's column
    if (k > 0) {
      stale.batch.push(rec.batch);
      stale.values.push(s.get());
    }
    const served = rec.prequential;
    if (served !== null) pipelineTotal.update([served], [0]);
    const learner = rec.scores?.challenger?.mae ?? null;
    const d = rec.decision;
    const gate = !d
      ? "learned (the champion is the learning state)"
      : d.promoted
        ? `promoted → v${rec.savedVersion ?? "?"}${d.challenger === null ? "" : ` (out-of-time MAE ${d.challenger.toFixed(2)} vs ${d.champion?.toFixed(2) ?? "—"})`}`
        : `kept champion: ${d.reasons[0]}`;
    console.log(
      `${p.label.padEnd(11)}${(k === 0 ? "(trained)" : s.get().toFixed(2)).padStart(14)}${(served === null ? "—" : served.toFixed(2)).padStart(11)}${(learner === null ? "—" : learner.toFixed(2)).padStart(10)}   ${gate}`,
    );
  });
  console.log(`${"mean".padEnd(11)}${staticTotal.get().toFixed(2).padStart(14)}${pipelineTotal.get().toFixed(2).padStart(11)}`);
  const versions = (await store.list("co2")).versions;
  console.log(`\n${report.batches.accepted} batches accepted, ${report.batches.quarantined} quarantined; ${versions.length} versions promoted; champion is v${report.championVersion}.`);
  const served = report.series.mae!.champion.filter((v): v is number => v !== null);
  console.log(
    `The static model goes stale as the trend accelerates; the model the pipeline serves stays within ${Math.min(...served).toFixed(1)}–${Math.max(...served).toFixed(1)} ppm.`,
  );
  console.log("'learner' is the learning state's own out-of-time error: the gate promotes it when its paired scores show it better.");
  // The pipeline recorded the run into its store's history (report.historyId).
  const history = store.runHistory();
  const reportPath = resolve(process.env.FRESHML_REPORT ?? "report.html");
  writeFileSync(reportPath, await renderStoreReport(store, history, "co2", { reference: stale }));
  console.log(`\nHTML report (charts, versions, gate decisions; opens from disk): ${reportPath}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
