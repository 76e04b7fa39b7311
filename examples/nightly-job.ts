/**
 * A nightly retraining job: each run is a fresh process that learns the
 * newest month of Seattle weather (NOAA, via vega-datasets; examples/data)
 * from a file store — the lifecycle most hosts have. Run it again and again:
 * every run learns only what is new (months are batches with ids, so a
 * re-delivered month is skipped), and the champion it serves moves on when the
 * learner has earned it.
 *
 *   npx tsx examples/nightly-job.ts ./models 2013-05      # learn May 2013 (and any month before it not yet learned)
 *   npx tsx examples/nightly-job.ts ./models 2013-05      # again: nothing new, nothing learned twice
 *   npx tsx examples/nightly-job.ts ./models --rollback   # undo the last promotion, champion and learning state together
 */
import { readFileSync } from "node:fs";
import * as z from "zod";
import { LinearRegression, Pipeline, loadModel, qualityChecks } from "freshml";
import { FileModelStore } from "freshml/node";

const Day = z.object({ doy_sin: z.number(), doy_cos: z.number(), precipitation: z.number().min(0), wind: z.number().min(0), temp_max: z.number() });
type Day = z.infer<typeof Day>;

/** Months of daily rows, oldest first, each `{ id: "YYYY-MM", rows }`. */
function months(): Array<{ id: string; rows: Day[] }> {
  const text = readFileSync(new URL("./data/seattle-weather.csv", import.meta.url), "utf8");
  const out: Array<{ id: string; rows: Day[] }> = [];
  for (const line of text.trim().split("\n").slice(1)) {
    const [date, precipitation, tempMax, , wind] = line.split(",");
    const d = new Date(`${date}T00:00:00Z`);
    const doy = (d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000;
    const angle = (2 * Math.PI * doy) / 365.25;
    const id = date!.slice(0, 7);
    if (out[out.length - 1]?.id !== id) out.push({ id, rows: [] });
    out[out.length - 1]!.rows.push({ doy_sin: Math.sin(angle), doy_cos: Math.cos(angle), precipitation: Number(precipitation), wind: Number(wind), temp_max: Number(tempMax) });
  }
  return out;
}

const [dir = "./models", until = "2012-12"] = process.argv.slice(2);
const store = new FileModelStore(dir);
const pipeline = new Pipeline({
  name: "temp-max",
  schema: Day,
  target: "temp_max",
  validators: [qualityChecks({ maxMissingRate: 0 })],
  trainer: new LinearRegression({ l2: 1e-3 }),
  store,
});

if (until === "--rollback") {
  const r = await pipeline.rollback();
  console.log(`rolled back v${r.from} → v${r.to}; ${r.rowsDropped} rows learned since are dropped (re-send their months to learn them again)`);
} else {
  // The feed re-delivers every month up to `until`: ids make that safe.
  const report = await pipeline.runBatches(months().filter((m) => m.id <= until));
  const learned = report.records.filter((r) => r.status === "accepted").map((r) => r.id);
  console.log(`learned ${learned.length} new month(s)${learned.length ? ` (${learned[0]} … ${learned[learned.length - 1]})` : ""}, ${report.rows.learned} rows; skipped ${report.batches.skipped} already learned`);
  console.log(`champion: v${report.championVersion ?? "—"}${report.promotionsTotal ? ` (${report.promotionsTotal} promotion(s) this run)` : ""}; served rmse this run: ${report.metrics.rmse?.champion?.toFixed(3) ?? "—"}`);
}
const model = await loadModel(store, "temp-max");
const july = model.predictRows([{ doy_sin: Math.sin((2 * Math.PI * 196) / 365.25), doy_cos: Math.cos((2 * Math.PI * 196) / 365.25), precipitation: 0, wind: 3 }])[0]!;
console.log(`v${model.version} predicts a dry, calm mid-July day at ${july.toFixed(1)} °C`);
