/**
 * The HTML report and the run history: render time and HTML size at 100,
 * 1,000 and 10,000 batches (synthetic runs from `sampleReport`, summarised
 * then rendered; median of 5), and what the run history (on by default: the
 * store's) adds to a 1,000-batch pipeline run on the file store (the bound:
 * ≤ 5 %), beside the same run with `history: false`.
 *
 *   npx tsx bench/report.bench.ts
 *
 * The run is the cheapest realistic one, so the share is an upper bound:
 * LinearRegression, 20 rows a batch, a drift check on 3 columns, checkpoint
 * "end" (promotions are still saved as they happen). Results: printed, and
 * written to bench/results/report-<time>.json and .txt.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LinearRegression, Pipeline, RunSummaryBuilder, SeededRandom, VERSION, driftCheck, renderReport, summarizeRun, type RunHistory } from "../src/index.js";
import { FileModelStore } from "../src/node/index.js";
import { sampleReport } from "../src/testing/index.js";

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const lines: string[] = [];
const say = (s: string): void => {
  console.log(s);
  lines.push(s);
};

say(`freshml ${VERSION} · node ${process.version} · ${cpus().length} cores · load ${loadavg()[0]!.toFixed(1)}`);
const render: Array<{ batches: number; summarizeMs: number; renderMs: number; htmlBytes: number; summaryBytes: number }> = [];
for (const n of [100, 1_000, 10_000]) {
  const report = sampleReport("bench", n);
  const sMs: number[] = [];
  const rMs: number[] = [];
  let html = "";
  let summaryBytes = 0;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    const s = summarizeRun(report);
    const t1 = performance.now();
    html = renderReport(s);
    const t2 = performance.now();
    sMs.push(t1 - t0);
    rMs.push(t2 - t1);
    summaryBytes = JSON.stringify(s).length;
  }
  render.push({ batches: n, summarizeMs: median(sMs), renderMs: median(rMs), htmlBytes: Buffer.byteLength(html), summaryBytes });
}
say("\nbatches   summarize ms   render ms   HTML kB   summary kB");
for (const r of render) say(`${String(r.batches).padStart(7)}   ${r.summarizeMs.toFixed(1).padStart(12)}   ${r.renderMs.toFixed(1).padStart(9)}   ${(r.htmlBytes / 1024).toFixed(0).padStart(7)}   ${(r.summaryBytes / 1024).toFixed(0).padStart(10)}`);

// History cost on a 1,000-batch run on the file store.
const rng = new SeededRandom(7);
const batches = Array.from({ length: 1_000 }, (_, b) => {
  const X = Array.from({ length: 20 }, () => [rng.nextGaussian(), rng.nextGaussian() + (b > 500 ? 1 : 0), rng.nextGaussian()]);
  return { X, y: X.map((x) => 2 * x[0]! - x[1]! + 0.5 * x[2]! + 0.1 * rng.nextGaussian()) };
});
// The pipeline records into its store's history by default: the cost is the summary built batch by batch
// (RunSummaryBuilder.add) plus the put at the end. Both are timed in the run itself (a timing wrapper around
// the history; the builder re-fed the run's 1,000 records); runs with history: false are interleaved as a check.
const runs: Array<{ runMs: number; offMs: number; historyMs: number; putMs: number; buildMs: number }> = [];
for (let k = 0; k < 5; k++) {
  const dir = mkdtempSync(join(tmpdir(), "freshml-report-bench-"));
  try {
    // Fresh instances per pipeline: a validator keeps what it learned.
    const options = () => ({ trainer: new LinearRegression(), name: "bench", features: ["a", "b", "c"], validators: [driftCheck({ test: "ks" })], checkpoint: "end" as const, maxBatchRecords: 1_000 });
    const store = new FileModelStore(dir);
    const inner = store.runHistory();
    let putMs = 0;
    const history: RunHistory = {
      put: async (summary) => {
        const t = performance.now();
        const id = await inner.put(summary);
        putMs += performance.now() - t;
        return id;
      },
      list: (name, o) => inner.list(name, o),
      get: (id) => inner.get(id),
    };
    const off = async (): Promise<number> => {
      const t = performance.now();
      await new Pipeline({ ...options(), store: new FileModelStore(join(dir, "off")), history: false }).runBatches(batches);
      return performance.now() - t;
    };
    // Alternate which goes first, so warm-up and drift in load fall on both.
    const offFirst = k % 2 === 1 ? await off() : 0;
    const t0 = performance.now();
    const report = await new Pipeline({ ...options(), store, history }).runBatches(batches);
    const t1 = performance.now();
    const offMs = k % 2 === 1 ? offFirst : await off();
    const b0 = performance.now();
    const builder = new RunSummaryBuilder(Object.keys(report.series));
    for (const r of report.records) builder.add(r);
    builder.finish(report);
    const buildMs = performance.now() - b0;
    runs.push({ runMs: t1 - t0, offMs, historyMs: putMs + buildMs, putMs, buildMs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const runMs = median(runs.map((r) => r.runMs));
const historyMs = median(runs.map((r) => r.historyMs));
const share = historyMs / runMs;
const onOff = median(runs.map((r) => r.runMs / r.offMs));
say(`\n1,000-batch run on the file store (history on by default): ${runMs.toFixed(0)} ms; its history (summary built as it ran + put): ${historyMs.toFixed(1)} ms = ${(100 * share).toFixed(2)} % (bound 5 %): ${share <= 0.05 ? "ok" : "OVER"}`);
say(`run time with history / with history: false, interleaved: ×${onOff.toFixed(3)} (median of ${runs.length}; whole-run noise at this load)`);
say(`runs: ${runs.map((r) => `${r.runMs.toFixed(0)} (build ${r.buildMs.toFixed(1)} + put ${r.putMs.toFixed(1)}) vs off ${r.offMs.toFixed(0)}`).join(", ")} ms`);

const out = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(out, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
writeFileSync(join(out, `report-${stamp}.json`), `${JSON.stringify({ version: VERSION, node: process.version, load: loadavg()[0], render, history: { runMs, historyMs, share, onOff, runs } }, null, 2)}\n`);
writeFileSync(join(out, `report-${stamp}.txt`), `${lines.join("\n")}\n`);
if (share > 0.05) process.exitCode = 1;
