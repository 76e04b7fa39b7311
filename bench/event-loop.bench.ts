/**
 * Does a retraining run freeze its host? A 5 ms setInterval in the same
 * process records when it fires while a Pipeline (LinearRegression, d = 100)
 * learns 500 batches of 1,000 rows from a synchronous source; the gaps
 * between fires are the host's stalls. In-thread, without yielding
 * (`yieldEveryMs: Infinity`, the old behaviour) and with the default (10 ms);
 * in a worker thread (WorkerPipeline, batches copied to it); and in a pool
 * (the same rows as 100,000-row chunks, each learned by learnSharded on 2
 * threads and merged).
 *
 * Then the pool's speedup: LinearRegression and GaussianNB, d = 100, one
 * 100,000-row batch learned in this thread vs split over a 2-thread pool;
 * the overhead per shard (a 2-row batch through the pool), and the speedup
 * by batch size (where a pool starts to pay). The machine may be shared:
 * os.loadavg() is recorded before and after, and ratios are what to quote.
 *
 *   npm run bench:event-loop  [-- --batches 500 --rows 1000 --cols 100 --quick]
 *
 * Results: printed and written to bench/results/event-loop-<time>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GaussianNB, LinearRegression, Pipeline, SeededRandom, VERSION, type Trainer } from "../src/index.js";
import { FileModelStore, ShardPool, WorkerPipeline, learnSharded } from "../src/node/index.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BATCHES = arg("batches", 500);
const ROWS = arg("rows", 1000);
const COLS = arg("cols", 100);
const QUICK = process.argv.includes("--quick");
const loadBefore = loadavg();

const quantile = (a: number[], q: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

// One pool of batches, made before the clock starts and cycled through, so that generating data is not measured.
const POOL = 20;
const rng = new SeededRandom(7);
const coef = Float64Array.from({ length: COLS }, () => rng.nextGaussian());
const pool = Array.from({ length: POOL }, () => {
  const X = new Float64Array(ROWS * COLS);
  for (let k = 0; k < X.length; k++) X[k] = rng.nextGaussian();
  const y = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    let s = 0;
    for (let j = 0; j < COLS; j++) s += X[i * COLS + j]! * coef[j]!;
    y[i] = s + 0.1 * rng.nextGaussian();
  }
  return { X, cols: COLS, y };
});
function* source(): Generator<(typeof pool)[number]> {
  for (let k = 0; k < BATCHES; k++) yield pool[k % POOL]!;
}

interface Result {
  mode: string;
  yieldEveryMs: number;
  runMs: number;
  fires: number;
  gapP50Ms: number;
  gapP99Ms: number;
  gapMaxMs: number;
}

/** Runs `work` under a 5 ms setInterval and reports the gaps between its fires. */
async function gapsDuring(mode: string, yieldEveryMs: number, work: () => Promise<unknown>): Promise<Result> {
  const fires: number[] = [];
  const timer = setInterval(() => fires.push(performance.now()), 5);
  const t0 = performance.now();
  fires.push(t0);
  await work();
  const t1 = performance.now();
  fires.push(t1);
  clearInterval(timer);
  const gaps = fires.slice(1).map((t, i) => t - fires[i]!);
  return { mode, yieldEveryMs, runMs: t1 - t0, fires: fires.length - 2, gapP50Ms: quantile(gaps, 0.5), gapP99Ms: quantile(gaps, 0.99), gapMaxMs: Math.max(...gaps) };
}

function measure(mode: string, yieldEveryMs: number): Promise<Result> {
  const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), yieldEveryMs, checkpoint: "end" });
  return gapsDuring(mode, yieldEveryMs, () => p.runBatches(source()));
}

/** The same run in a worker thread (started beforehand: its start-up is not in the measure). */
async function measureWorker(): Promise<Result> {
  const root = mkdtempSync(join(tmpdir(), "freshml-bench-"));
  const w = new WorkerPipeline({ module: fileURLToPath(new URL("./event-loop-worker.ts", import.meta.url)), store: new FileModelStore(root) });
  try {
    await w.runBatches([]);
    // transfer: false: the pooled arrays are reused, so they are copied to the worker (as row objects would be).
    return await gapsDuring("worker", 10, () => w.runBatches(source(), { transfer: false }));
  } finally {
    await w.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The same rows as 100,000-row chunks, each learned across the pool and merged into the running model. */
const CHUNK = 100_000;
function chunks(): Array<{ X: Float64Array; cols: number; y: Float64Array }> {
  const perChunk = Math.max(1, Math.floor(CHUNK / ROWS));
  const out = [];
  for (let k = 0; k < BATCHES; k += perChunk) {
    const n = Math.min(perChunk, BATCHES - k);
    const X = new Float64Array(n * ROWS * COLS);
    const y = new Float64Array(n * ROWS);
    for (let i = 0; i < n; i++) {
      const b = pool[(k + i) % POOL]!;
      X.set(b.X, i * ROWS * COLS);
      y.set(b.y, i * ROWS);
    }
    out.push({ X, cols: COLS, y });
  }
  return out;
}
async function measurePool(shards: ShardPool): Promise<Result> {
  const data = chunks();
  return gapsDuring("pool (2 threads)", 10, async () => {
    let model: Trainer = new LinearRegression({ l2: 1e-3 });
    for (const c of data) model = (await learnSharded(model, c, { pool: shards })).trainer;
  });
}

const results: Result[] = [];
const shardPool = new ShardPool({ threads: 2 });
await learnSharded(new LinearRegression(), { X: new Float64Array(4), cols: 2, y: new Float64Array(2) }, { pool: shardPool }); // warm the threads
for (let rep = 0; rep < (QUICK ? 1 : 3); rep++) {
  // The floor: the same timer while this thread does nothing (on a shared machine, the gaps other processes cause).
  results.push(await gapsDuring("idle (no run)", 10, () => new Promise((resolve) => setTimeout(resolve, 3_000))));
  results.push(await measure("in-thread, no yielding", Infinity));
  results.push(await measure("in-thread, default", 10));
  results.push(await measureWorker());
  results.push(await measurePool(shardPool));
}

// ——— pool speedup ———
interface Speedup {
  learner: string;
  rows: number;
  cols: number;
  sequentialMs: number;
  poolMs: number;
  speedup: number;
}
function dataset(rows: number, cols: number, seed: number, classes: boolean): { X: Float64Array; cols: number; y: Float64Array } {
  const r = new SeededRandom(seed);
  const X = new Float64Array(rows * cols);
  for (let k = 0; k < X.length; k++) X[k] = r.nextGaussian();
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += X[i * cols + j]! * coef[j % COLS]!;
    y[i] = classes ? (s > 0 ? 1 : 0) : s + 0.1 * r.nextGaussian();
  }
  return { X, cols, y };
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
async function speedup(learner: string, make: () => Trainer, rows: number, cols: number, reps: number): Promise<Speedup> {
  const data = dataset(rows, cols, rows + cols, learner === "GaussianNB");
  const seq: number[] = [];
  const par: number[] = [];
  for (let k = 0; k < reps; k++) {
    let t = performance.now();
    make().update(data);
    seq.push(performance.now() - t);
    t = performance.now();
    await learnSharded(make(), data, { pool: shardPool, shards: 2 });
    par.push(performance.now() - t);
  }
  const s = median(seq);
  const p = median(par);
  return { learner, rows, cols, sequentialMs: s, poolMs: p, speedup: s / p };
}
const makers: Record<string, () => Trainer> = {
  LinearRegression: () => new LinearRegression({ l2: 1e-3 }),
  GaussianNB: () => new GaussianNB({ classes: [0, 1] }),
};
const speedups: Speedup[] = [];
for (const [name, make] of Object.entries(makers)) speedups.push(await speedup(name, make, 100_000, 100, QUICK ? 3 : 5));
// Overhead per shard: a 2-row batch through the pool (restoring, serialising, transferring, merging; no learning to speak of).
const tiny = dataset(2, 100, 1, false);
const overhead: number[] = [];
for (let k = 0; k < 20; k++) {
  const t = performance.now();
  await learnSharded(new LinearRegression({ l2: 1e-3 }), tiny, { pool: shardPool, shards: 2 });
  overhead.push(performance.now() - t);
}
const overheadPerShardMs = median(overhead) / 2;
const bySize: Speedup[] = [];
for (const rows of [1_000, 5_000, 20_000, 50_000]) bySize.push(await speedup("LinearRegression", makers.LinearRegression!, rows, 100, QUICK ? 3 : 5));
await shardPool.close();
const pays = [...bySize, speedups[0]!].find((s) => s.speedup > 1);
const loadAfter = loadavg();
const med = (mode: string, k: keyof Result): number => {
  const v = results.filter((r) => r.mode === mode).map((r) => r[k] as number).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
};
const modes = [...new Set(results.map((r) => r.mode))];
const lines = [
  `freshml ${VERSION} event-loop bench: ${BATCHES} batches × ${ROWS} rows × ${COLS} cols, LinearRegression; 5 ms setInterval; median of ${QUICK ? 1 : 3} runs`,
  `machine: ${availableParallelism()} cores, load average (1/5/15 min) before ${loadBefore.map((x) => x.toFixed(2)).join(" / ")}, after ${loadAfter.map((x) => x.toFixed(2)).join(" / ")} (shared: quote ratios)`,
  "mode                      run ms   timer fires   gap p50   gap p99   gap max",
  ...modes.map(
    (m) =>
      `${m.padEnd(24)}${med(m, "runMs").toFixed(0).padStart(8)}${med(m, "fires").toFixed(0).padStart(14)}${med(m, "gapP50Ms").toFixed(1).padStart(10)}${med(m, "gapP99Ms").toFixed(1).padStart(10)}${med(m, "gapMaxMs").toFixed(1).padStart(10)}`,
  ),
  `cost of yielding: run time ${((med("in-thread, default", "runMs") / med("in-thread, no yielding", "runMs") - 1) * 100).toFixed(1)} % (median runs)`,
  "",
  "pool speedup, 2 threads, one batch learned in this thread vs learnSharded (median):",
  "learner             rows    cols   this thread ms   pool ms   speedup",
  ...[...speedups, ...bySize].map(
    (s) => `${s.learner.padEnd(18)}${String(s.rows).padStart(7)}${String(s.cols).padStart(8)}${s.sequentialMs.toFixed(1).padStart(17)}${s.poolMs.toFixed(1).padStart(10)}${s.speedup.toFixed(2).padStart(10)}`,
  ),
  `overhead per shard (2-row batch, d = 100, through the pool): ${overheadPerShardMs.toFixed(2)} ms`,
  `a pool pays (speedup > 1) from: ${pays ? `${pays.rows} rows` : "none of the sizes tried"} (LinearRegression, d = 100)`,
];
console.log(lines.join("\n"));
const dir = join(fileURLToPath(new URL(".", import.meta.url)), "results");
mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
writeFileSync(join(dir, `event-loop-${stamp}.json`), JSON.stringify({ version: VERSION, batches: BATCHES, rows: ROWS, cols: COLS, cores: availableParallelism(), loadavgBefore: loadBefore, loadavgAfter: loadAfter, results, speedups, bySize, overheadPerShardMs }, null, 2));
writeFileSync(join(dir, `event-loop-${stamp}.txt`), lines.join("\n") + "\n");
