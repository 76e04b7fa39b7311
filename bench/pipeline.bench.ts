/**
 * Pipeline.runBatches end to end:
 * - `incremental` over 100, 1,000 and 10,000 batches of 1,000 × 10 numeric rows,
 *   each size in its own process: time per 10× more batches and peak RSS;
 * - `full` refit over 25, 50 and 100 batches: its quadratic growth;
 * - end-to-end rows/s beside the raw learner's update rows/s (numeric batches),
 *   and on zod-validated row objects; where the time goes per stage;
 * - the seed's question: retrain after every batch vs once at the end (examples/when-to-retrain.ts).
 *
 *   npm run bench:pipeline          (or npm run bench)
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { LinearRegression, Pipeline, SGDRegressor, SeededRandom, VERSION, driftCheck, type RetrainPolicy, type RunReport, type Validator } from "../src/index.js";
import { compare } from "../examples/when-to-retrain.js";

const D = 10;
const ROWS = 1000;
const POOL = 64;

function pool(seed = 5): Array<{ X: Float64Array; cols: number; y: Float64Array }> {
  const rng = new SeededRandom(seed);
  const w = Array.from({ length: D }, () => rng.nextGaussian());
  return Array.from({ length: POOL }, () => {
    const X = Float64Array.from({ length: ROWS * D }, () => rng.nextGaussian());
    const y = Float64Array.from({ length: ROWS }, (_, i) => w.reduce((s, wj, j) => s + wj * X[i * D + j]!, 1) + 0.1 * rng.nextGaussian());
    return { X, cols: D, y };
  });
}

/** A stream of n batches cycling over a fixed pool: bounded memory, however long. */
function* stream(n: number, batches: ReturnType<typeof pool>): Iterable<(typeof batches)[number]> {
  for (let k = 0; k < n; k++) yield batches[k % POOL]!;
}

async function runChild(policy: string, n: number): Promise<void> {
  const batches = pool();
  const make = (): Pipeline =>
    new Pipeline({
      trainer: new LinearRegression(),
      policy: policy === "full" ? "full" : ("incremental" as RetrainPolicy),
      checkpoint: "end",
      // "lean": keep 10 per-batch records instead of 1,000, for unbounded streams.
      ...(policy === "lean" ? { maxBatchRecords: 10 } : {}),
    });
  // Warm up first (JIT, and the garbage collector's heap sizing) so every size is measured in steady state.
  // "continuing" then measures the same, already trained pipeline: a long-lived service's next run.
  const warm = make();
  await warm.runBatches(stream(policy === "full" ? 20 : 1000, batches));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const p = policy === "continuing" ? warm : make();
  const t0 = performance.now();
  const report = await p.runBatches(stream(n, batches));
  const ms = performance.now() - t0;
  gc?.();
  process.stdout.write(
    JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, liveHeapMb: process.memoryUsage().heapUsed / 1e6, stageMs: report.stageMs, accepted: report.batches.accepted }),
  );
}

const childAt = process.argv.indexOf("--child");
if (childAt >= 0) {
  await runChild(process.argv[childAt + 1]!, Number(process.argv[childAt + 2]));
} else {
  const self = fileURLToPath(import.meta.url);
  const child = (policy: string, n: number): { ms: number; maxRssKb: number; liveHeapMb: number; stageMs: RunReport["stageMs"] } => {
    const runs = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", self, "--child", policy, String(n)], { encoding: "utf8" })));
    runs.sort((a, b) => a.ms - b.ms);
    return runs[1];
  };
  const started = new Date();
  console.log(`# freshml ${VERSION} pipeline bench  ${started.toISOString()}  node ${process.version}`);
  const fmt = (v: number): string => Math.round(v).toLocaleString("en-US");

  // Scaling of incremental and full.
  const inc = [100, 1000, 10_000].map((n) => ({ n, ...child("incremental", n) }));
  const cont = [100, 1000, 10_000].map((n) => ({ n, ...child("continuing", n) }));
  const lean = [1000, 10_000].map((n) => ({ n, ...child("lean", n) }));
  // Time in steady state: one warmed, trained pipeline in this process, each size 3 times (median).
  const steadyPool = pool();
  const steady = new Pipeline({ trainer: new LinearRegression(), checkpoint: "end" });
  await steady.runBatches(stream(3000, steadyPool));
  const steadyMs: Record<number, number> = {};
  for (const n of [100, 1000, 10_000]) {
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await steady.runBatches(stream(n, steadyPool));
      runs.push(performance.now() - t0);
    }
    steadyMs[n] = runs.sort((a, b) => a - b)[1]!;
  }
  const full = [25, 50, 100].map((n) => ({ n, ...child("full", n) }));
  console.log("\n| policy | batches | time (median of 3 processes) | ratio to the previous size | peak RSS | live heap after the run |");
  console.log("|---|---|---|---|---|---|");
  const row = (policy: string, r: { n: number; ms: number; maxRssKb: number; liveHeapMb: number }, ratio: string): void =>
    console.log(`| ${policy} | ${fmt(r.n)} | ${fmt(r.ms)} ms | ${ratio} | ${(r.maxRssKb / 1024).toFixed(1)} MB | ${r.liveHeapMb.toFixed(1)} MB |`);
  inc.forEach((r, i) => row("incremental, fresh pipeline", r, i ? `${(r.ms / inc[i - 1]!.ms).toFixed(2)}× per 10×` : ""));
  cont.forEach((r, i) => row("incremental, trained pipeline's next run", r, i ? `${(r.ms / cont[i - 1]!.ms).toFixed(2)}× per 10×` : ""));
  full.forEach((r, i) => row("full", r, i ? `${(r.ms / full[i - 1]!.ms).toFixed(2)}× per 2×` : ""));
  console.log(
    `\nsteady state (one warmed pipeline in this process, median of 3): 100 / 1,000 / 10,000 batches in ${fmt(steadyMs[100]!)} / ${fmt(steadyMs[1000]!)} / ${fmt(steadyMs[10_000]!)} ms → ${(steadyMs[1000]! / steadyMs[100]!).toFixed(2)}× and ${(steadyMs[10_000]! / steadyMs[1000]!).toFixed(2)}× per 10×`,
  );
  const rssGrowth = inc[2]!.maxRssKb / inc[1]!.maxRssKb - 1;
  console.log(`\npeak RSS from 1,000 to 10,000 batches: ${(rssGrowth * 100).toFixed(1)}% (fresh), ${((cont[2]!.maxRssKb / cont[1]!.maxRssKb - 1) * 100).toFixed(1)}% (trained); live heap ${inc[1]!.liveHeapMb.toFixed(1)} → ${inc[2]!.liveHeapMb.toFixed(1)} MB`);
  console.log(
    `peak RSS with maxBatchRecords: 10 (records die young): ${(lean[0]!.maxRssKb / 1024).toFixed(1)} → ${(lean[1]!.maxRssKb / 1024).toFixed(1)} MB, ${((lean[1]!.maxRssKb / lean[0]!.maxRssKb - 1) * 100).toFixed(1)}%`,
  );
  console.log(`marginal cost per batch, 1,000 → 10,000: ${(((inc[2]!.ms - inc[1]!.ms) / 9000) * 1000).toFixed(0)} µs; 100 → 1,000: ${(((inc[1]!.ms - inc[0]!.ms) / 900) * 1000).toFixed(0)} µs`);

  // End-to-end vs raw learner, numeric batches (in this process, 2,000 batches).
  const batches = pool();
  const N = 2000;
  const med = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  const raw = med([0, 1, 2, 3, 4].map(() => {
    const m = new LinearRegression();
    const t0 = performance.now();
    for (const b of stream(N, batches)) m.update(b);
    m.coefficients();
    return (N * ROWS) / ((performance.now() - t0) / 1e3);
  }));
  const noDetector = med(await (async () => {
    const out: number[] = [];
    for (let r = 0; r < 5; r++) {
      const p = new Pipeline({ trainer: new LinearRegression(), checkpoint: "end", detector: null });
      const t0 = performance.now();
      await p.runBatches(stream(N, batches));
      out.push((N * ROWS) / ((performance.now() - t0) / 1e3));
    }
    return out;
  })());
  let lastStages: RunReport["stageMs"] | null = null;
  const e2e = med(await Promise.all([0, 1, 2, 3, 4].map(async () => 0)).then(async () => {
    const out: number[] = [];
    for (let r = 0; r < 5; r++) {
      const p = new Pipeline({ trainer: new LinearRegression(), checkpoint: "end" });
      const t0 = performance.now();
      const rep = await p.runBatches(stream(N, batches));
      out.push((N * ROWS) / ((performance.now() - t0) / 1e3));
      lastStages = rep.stageMs;
    }
    return out;
  }));

  // Row objects through the zod schema (compiled path), d = 10.
  const fields = Array.from({ length: D }, (_, j) => `x${j}`);
  const Row = z.object({ ...Object.fromEntries(fields.map((f) => [f, z.number()])), y: z.number() });
  const rowBatches = batches.slice(0, 16).map((b) =>
    Array.from({ length: ROWS }, (_, i) => ({ ...Object.fromEntries(fields.map((f, j) => [f, b.X[i * D + j]!])), y: b.y[i]! })),
  );
  let rowStages: RunReport["stageMs"] | null = null;
  const rowsRate = med(await (async () => {
    const out: number[] = [];
    for (let r = 0; r < 5; r++) {
      const p = new Pipeline({ schema: Row, target: "y", trainer: new LinearRegression(), checkpoint: "end" });
      const M = 400;
      const t0 = performance.now();
      const rep = await p.runBatches((function* () {
        for (let k = 0; k < M; k++) yield rowBatches[k % rowBatches.length]!;
      })());
      out.push((M * ROWS) / ((performance.now() - t0) / 1e3));
      rowStages = rep.stageMs;
    }
    return out;
  })());

  console.log("\n| path | rows/s (median of 5) |");
  console.log("|---|---|");
  console.log(`| LinearRegression.update alone (raw learner), numeric batches | ${fmt(raw)} |`);
  console.log(`| Pipeline.runBatches, numeric batches (validate, prequential + ADWIN, update, gate) | ${fmt(e2e)} (${((e2e / raw) * 100).toFixed(0)}% of raw) |`);
  console.log(`| Pipeline.runBatches, numeric batches, no stream detector | ${fmt(noDetector)} (${((noDetector / raw) * 100).toFixed(0)}% of raw) |`);
  console.log(`| Pipeline.runBatches, zod-validated row objects | ${fmt(rowsRate)} |`);
  const share = (s: RunReport["stageMs"]): string => {
    const total = Object.values(s).reduce((a, b) => a + b, 0);
    return Object.entries(s).map(([k, v]) => `${k} ${((v / total) * 100).toFixed(0)}%`).join(", ");
  };
  console.log(`\nwhere the time goes, numeric: ${share(lastStages!)}`);
  console.log(`where the time goes, row objects: ${share(rowStages!)}`);

  // The loop against the same loop written with scikit-learn (../shared/bench/pipeline_anchor.py),
  // SGDRegressor on both sides, same data shape, run back to back in this process's session.
  const anchorScript = fileURLToPath(new URL("../../shared/bench/pipeline_anchor.py", import.meta.url));
  const anchor = (drift: boolean): number | null => {
    try {
      const out = execFileSync("/usr/bin/python3", [anchorScript, "--batches", String(N), ...(drift ? ["--drift"] : [])], { encoding: "utf8" });
      return JSON.parse(out.trim().split("\n").pop()!).rows_per_s as number;
    } catch {
      return null; // scikit-learn not installed: apt-get install -y python3-sklearn python3-scipy
    }
  };
  const sgdRaw = med([0, 1, 2, 3, 4].map(() => {
    const m = new SGDRegressor({ seed: 0 });
    const t0 = performance.now();
    for (const b of stream(N, batches)) m.update(b);
    return (N * ROWS) / ((performance.now() - t0) / 1e3);
  }));
  let sgdStages: RunReport["stageMs"] | null = null;
  const sgdLoop = async (validators: Validator[], detector = true): Promise<number> => {
    const out: number[] = [];
    for (let r = 0; r < 5; r++) {
      const p = new Pipeline({ trainer: new SGDRegressor({ seed: 0 }), checkpoint: "end", validators, ...(detector ? {} : { detector: null }) });
      const t0 = performance.now();
      const rep = await p.runBatches(stream(N, batches));
      out.push((N * ROWS) / ((performance.now() - t0) / 1e3));
      if (validators.length === 0 && detector) sgdStages = rep.stageMs;
    }
    return med(out);
  };
  const sgdE2e = await sgdLoop([]);
  const sgdNoDet = await sgdLoop([], false);
  // The anchor's drift work: KS on the 10 feature columns against the first 1,000-row batch.
  const sgdKs = await sgdLoop([driftCheck({ test: "ks", referenceRows: ROWS, columns: Array.from({ length: D }, (_, j) => `x${j}`) })]);
  const py = anchor(false);
  const pyKs = anchor(true);
  const ratio = (a: number, b: number | null): string => (b === null ? "(anchor not run)" : `${(a / b).toFixed(1)}× the Python loop`);
  console.log("\n| SGDRegressor, 1,000 × 10 batches | rows/s (median) | |");
  console.log("|---|---|---|");
  console.log(`| SGDRegressor.update alone (raw learner) | ${fmt(sgdRaw)} | |`);
  console.log(`| Pipeline.runBatches (check, champion + challenger predict, ADWIN, gate, learn) | ${fmt(sgdE2e)} | ${((sgdE2e / sgdRaw) * 100).toFixed(0)}% of raw; ${ratio(sgdE2e, py)} |`);
  console.log(`| … with driftCheck({ test: "ks", referenceRows: 1000 }) on the 10 features | ${fmt(sgdKs)} | ${ratio(sgdKs, pyKs)} |`);
  console.log(`| … without the stream detector (detector: null: the anchor runs none) | ${fmt(sgdNoDet)} | ${((sgdNoDet / sgdRaw) * 100).toFixed(0)}% of raw; ${ratio(sgdNoDet, py)} |`);
  console.log(`| scikit-learn loop (pipeline_anchor.py) | ${py === null ? "—" : fmt(py)} | |`);
  console.log(`| scikit-learn loop + SciPy ks_2samp per column (--drift) | ${pyKs === null ? "—" : fmt(pyKs)} | |`);
  console.log(`where the time goes, SGD: ${share(sgdStages!)}`);

  // The seed's question.
  console.log("\n| strategy (200 batches of 1,000 × 10, slowly drifting) | total time | mean RMSE in service |");
  console.log("|---|---|---|");
  const answers = await compare(200);
  for (const o of answers) console.log(`| ${o.strategy} | ${fmt(o.totalMs)} ms | ${o.meanPrequentialRmse.toFixed(3)} |`);

  const outDir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const out = `${outDir}pipeline-${started.toISOString().replace(/[:.]/g, "-")}.json`;
  writeFileSync(out, JSON.stringify({ started: started.toISOString(), node: process.version, freshml: VERSION, incremental: inc, continuing: cont, lean, steadyMs, full, rssGrowth, raw, e2e, noDetector, rowsRate, sgd: { raw: sgdRaw, e2e: sgdE2e, noDetector: sgdNoDet, ks: sgdKs, python: py, pythonKs: pyKs, stages: sgdStages }, stages: { numeric: lastStages, rows: rowStages }, answers }, null, 1));
  console.log(`\nwrote ${out}`);
}
