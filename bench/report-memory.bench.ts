/**
 * What the memory of policy "auto" adds to the run history and the HTML
 * report: summary and HTML size, summarise and render time with the memory
 * beside the same summary without it (side by side, interleaved; median of
 * 5 ratios), at 100, 1,000 and 10,000 batches; and what building it as the
 * run goes costs a real 1,000-batch "auto" run.
 *
 *   npx tsx bench/report-memory.bench.ts
 *
 * The long runs are `sampleReport` runs with a memory choice attached to each
 * accepted batch: 7 candidates whose scores take a seeded random walk, the
 * served one the lowest, switching only when better by 0.5 % (the policy's
 * margin). Results: printed, and written to
 * bench/results/report-memory-<time>.json and .txt.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LinearRegression, Pipeline, RunSummaryBuilder, SeededRandom, VERSION, renderReport, summarizeRun, type RunReport } from "../src/index.js";
import { sampleReport } from "../src/testing/index.js";

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const lines: string[] = [];
const say = (s: string): void => {
  console.log(s);
  lines.push(s);
};
const CANDIDATES = ["window 3", "window 6", "window 12", "window 24", "window 48", "window 96", "everything"];

/** The report with a memory choice on each accepted batch (seeded random walks, hysteresis 0.5 %). */
function withMemory(report: RunReport, seed: number): RunReport {
  const rng = new SeededRandom(seed);
  const level = CANDIDATES.map(() => 0);
  let served = "everything";
  const records = report.records.map((r, t) => {
    if (r.status !== "accepted") return r;
    for (let c = 0; c < level.length; c++) level[c]! += 0.05 * rng.nextGaussian();
    const scores: Record<string, number | null> = {};
    CANDIDATES.forEach((c, i) => (scores[c] = t < 12 ? null : Math.exp(level[i]!)));
    if (t >= 12) {
      const best = CANDIDATES.reduce((a, b) => (scores[b]! < scores[a]! ? b : a));
      if (scores[best]! < scores[served]! * (1 - 0.005)) served = best;
    }
    return { ...r, memory: { served, scores } };
  });
  return { ...report, records };
}
const without = (report: RunReport): RunReport => ({ ...report, records: report.records.map((r) => (r.status === "accepted" ? (({ memory: _, ...rest }) => rest)(r) : r)) });

say(`freshml ${VERSION} · node ${process.version} · ${cpus().length} cores · load ${loadavg()[0]!.toFixed(1)}`);
const rows: Array<{ batches: number; switches: number; summaryKB: [number, number]; htmlKB: [number, number]; summarize: number; render: number; summarizeMs: [number, number]; renderMs: [number, number] }> = [];
for (const n of [100, 1_000, 10_000]) {
  const on = withMemory(sampleReport("bench", n), n);
  const off = without(on);
  // 10,000 records: the report keeps them all here (summarizeRun sees what the report kept).
  const sRatio: number[] = [];
  const rRatio: number[] = [];
  const ms = { sOn: [] as number[], sOff: [] as number[], rOn: [] as number[], rOff: [] as number[] };
  let sizes = { summaryOn: 0, summaryOff: 0, htmlOn: 0, htmlOff: 0, switches: 0 };
  for (let k = 0; k < 5; k++) {
    // Alternate which goes first, so warm-up and changes in load fall on both.
    const time = <T>(f: () => T): [T, number] => {
      const t = performance.now();
      const x = f();
      return [x, performance.now() - t];
    };
    const first = k % 2 === 0;
    const [a, ta] = time(() => summarizeRun(first ? on : off));
    const [b, tb] = time(() => summarizeRun(first ? off : on));
    const [sOn, tOn, sOff, tOff] = first ? [a, ta, b, tb] : [b, tb, a, ta];
    const [h1, r1] = time(() => renderReport(first ? sOn : sOff));
    const [h2, r2] = time(() => renderReport(first ? sOff : sOn));
    const [hOn, rOn, hOff, rOff] = first ? [h1, r1, h2, r2] : [h2, r2, h1, r1];
    sRatio.push(tOn / tOff);
    rRatio.push(rOn / rOff);
    ms.sOn.push(tOn);
    ms.sOff.push(tOff);
    ms.rOn.push(rOn);
    ms.rOff.push(rOff);
    sizes = { summaryOn: JSON.stringify(sOn).length, summaryOff: JSON.stringify(sOff).length, htmlOn: Buffer.byteLength(hOn), htmlOff: Buffer.byteLength(hOff), switches: sOn.memory!.switches };
  }
  rows.push({ batches: n, switches: sizes.switches, summaryKB: [sizes.summaryOff / 1024, sizes.summaryOn / 1024], htmlKB: [sizes.htmlOff / 1024, sizes.htmlOn / 1024], summarize: median(sRatio), render: median(rRatio), summarizeMs: [median(ms.sOff), median(ms.sOn)], renderMs: [median(ms.rOff), median(ms.rOn)] });
}
say("\nbatches  switches   summary kB (without → with)   HTML kB (without → with)   summarize ms (×)        render ms (×)");
for (const r of rows) {
  say(`${String(r.batches).padStart(7)}  ${String(r.switches).padStart(8)}   ${`${r.summaryKB[0].toFixed(0)} → ${r.summaryKB[1].toFixed(0)}`.padStart(27)}   ${`${r.htmlKB[0].toFixed(0)} → ${r.htmlKB[1].toFixed(0)}`.padStart(24)}   ${`${r.summarizeMs[0].toFixed(1)} → ${r.summarizeMs[1].toFixed(1)} (×${r.summarize.toFixed(2)})`.padStart(22)}   ${`${r.renderMs[0].toFixed(1)} → ${r.renderMs[1].toFixed(1)} (×${r.render.toFixed(2)})`.padStart(22)}`);
}

// A real 1,000-batch "auto" run (LinearRegression, 3 features, 20 rows a batch, the default 7 candidates):
// the builder re-fed its records with and without their memory, beside the run's own time.
const rng = new SeededRandom(7);
const batches = Array.from({ length: 1_000 }, (_, b) => {
  const X = Array.from({ length: 20 }, () => [rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()]);
  const w = b < 500 ? [2, -1, 0.5] : [-1, 1, 2];
  return { X, y: X.map((x) => w[0]! * x[0]! + w[1]! * x[1]! + w[2]! * x[2]! + 0.3 * rng.nextGaussian()) };
});
const share: Array<{ runMs: number; memoryMs: number }> = [];
for (let k = 0; k < 5; k++) {
  const t0 = performance.now();
  const report = await new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy: "auto", detector: null, history: false, maxBatchRecords: 1_000 }).runBatches(batches);
  const runMs = performance.now() - t0;
  const build = (r: RunReport): number => {
    const t = performance.now();
    const b = new RunSummaryBuilder(Object.keys(r.series));
    for (const x of r.records) b.add(x);
    b.finish(r);
    return performance.now() - t;
  };
  const plain = without(report);
  const first = k % 2 === 0;
  const a = build(first ? report : plain);
  const b = build(first ? plain : report);
  share.push({ runMs, memoryMs: first ? a - b : b - a });
}
const runMs = median(share.map((s) => s.runMs));
const memoryMs = median(share.map((s) => s.memoryMs));
say(`\n1,000-batch "auto" run: ${runMs.toFixed(0)} ms; the memory in its summary, built as it ran: ${memoryMs.toFixed(1)} ms = ${((100 * memoryMs) / runMs).toFixed(2)} % (median of ${share.length})`);
say(`runs: ${share.map((s) => `${s.runMs.toFixed(0)} (+${s.memoryMs.toFixed(1)})`).join(", ")} ms`);

const out = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(out, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
writeFileSync(join(out, `report-memory-${stamp}.json`), `${JSON.stringify({ version: VERSION, node: process.version, load: loadavg()[0], rows, history: { runMs, memoryMs, runs: share } }, null, 2)}\n`);
writeFileSync(join(out, `report-memory-${stamp}.txt`), `${lines.join("\n")}\n`);
