/**
 * Does a retraining run freeze its host? A 5 ms setInterval in the same
 * process records when it fires while a Pipeline (LinearRegression, d = 100)
 * learns 500 batches of 1,000 rows from a synchronous source; the gaps
 * between fires are the host's stalls. Modes: nothing running (the floor the
 * machine itself sets); in-thread without yielding (`yieldEveryMs: Infinity`,
 * the old behaviour) and with the default (10 ms); in a worker thread
 * (WorkerPipeline, batches copied to it, or on SharedArrayBuffers that it
 * reads in place); and in a pool (the same rows as
 * 100,000-row chunks, each learned by learnSharded on 2 threads and merged).
 * For each: the gaps, and Node's own measure of event-loop delay
 * (perf_hooks.monitorEventLoopDelay, resolution 1 ms: the interval between
 * the ticks of a 1 ms timer, so an idle loop reads about 1.1 ms; a 5 ms
 * timer's gap is ≥ 5 ms by construction, this one shows the lateness), the
 * main thread's CPU time, its longest GC pause, and (in-thread) the longest
 * stretch between two hand-backs of the event loop. The worker runs with its
 * default niceIncrement (10: its thread yields the cores to this one) and,
 * side by side, with 0; the pool with its default (0) and with 10.
 *
 * Then HTTP: a copy of examples/service.ts's /predict, answered from the
 * WorkerPipeline's serving champion on loopback, under a keep-alive load
 * generator in a child process (bench/http-load.ts): latency p50/p99/max
 * idle, and during a worker run of the workload above.
 *
 * Then the pool's speedup: LinearRegression and GaussianNB, d = 100, one
 * 100,000-row batch learned in this thread vs split over a 2-thread pool
 * (rows copied into shared memory, or already on a SharedArrayBuffer; the
 * pool learning every shard, or this thread learning one: inThisThread); the
 * overhead per shard; and the speedup by batch size (where a pool starts to
 * pay). The machine may be shared: os.loadavg() is recorded, and ratios
 * within one run are what to quote.
 *
 *   npm run bench:event-loop  [-- --batches 500 --rows 1000 --cols 100 --quick]
 *
 * Results: printed and written to bench/results/event-loop-<time>.{json,txt}.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver, monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { GaussianNB, LinearRegression, Pipeline, SeededRandom, VERSION, type Trainer } from "../src/index.js";
import { FileModelStore, ShardPool, WorkerPipeline, learnSharded, type LearnShardedOptions } from "../src/node/index.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BATCHES = arg("batches", 500);
const ROWS = arg("rows", 1000);
const COLS = arg("cols", 100);
const QUICK = process.argv.includes("--quick");
const REPS = QUICK ? 1 : 3;
const loadBefore = loadavg();
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

const quantile = (a: number[], q: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const median = (v: number[]): number => quantile(v, 0.5);

/** CPU ms of this process's main thread (Linux: /proc; elsewhere NaN). Unlike wall time, it does not count waits for a core. */
const ticksMs = 10; // USER_HZ is 100 on Linux
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * ticksMs;
  } catch {
    return NaN;
  }
}

/** ms this thread has waited for a core so far (Linux schedstat run delay; elsewhere NaN): what a loaded machine adds to every gap. */
function mainThreadWaitMs(): number {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[1]) / 1e6;
  } catch {
    return NaN;
  }
}

/** GC pauses of this thread, in ms. */
const gcPauses: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push(e.duration);
}).observe({ entryTypes: ["gc"] });

/**
 * The stretches the main thread runs without handing the event loop back, as
 * the pipeline sees them: from an immediate's callback (a hand-back ends) to
 * the next setImmediate (the next hand-back). Wall ms, and the process's CPU
 * ms in it (wall ≫ CPU: the thread was waiting for a core, not working).
 */
function watchStretches(): { stop(): { wallMs: number; cpuMs: number } } {
  const original = globalThis.setImmediate;
  let resumed = performance.now();
  let cpu = process.cpuUsage();
  let worst = { wallMs: 0, cpuMs: 0 };
  const patched = ((cb: (...a: unknown[]) => void, ...args: unknown[]) => {
    const wallMs = performance.now() - resumed;
    if (wallMs > worst.wallMs) {
      const c = process.cpuUsage(cpu);
      worst = { wallMs, cpuMs: (c.user + c.system) / 1000 };
    }
    return original(() => {
      resumed = performance.now();
      cpu = process.cpuUsage();
      cb(...args);
    });
  }) as typeof setImmediate;
  globalThis.setImmediate = Object.assign(patched, original);
  return {
    stop: () => {
      globalThis.setImmediate = original;
      return worst;
    },
  };
}

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
// The same batches on SharedArrayBuffers: a worker reads them in place (nothing copied, nothing detached).
const sharedPool = pool.map(({ X, cols, y }) => {
  const sX = new Float64Array(new SharedArrayBuffer(X.byteLength));
  const sy = new Float64Array(new SharedArrayBuffer(y.byteLength));
  sX.set(X);
  sy.set(y);
  return { X: sX, cols, y: sy };
});
type NumericBatch = { X: Float64Array; cols: number; y: Float64Array };
function* source(n = BATCHES, from: NumericBatch[] = pool): Generator<NumericBatch> {
  for (let k = 0; k < n; k++) yield from[k % POOL]!;
}

interface Result {
  mode: string;
  runMs: number;
  fires: number;
  gapP50Ms: number;
  gapP99Ms: number;
  gapMaxMs: number;
  /** monitorEventLoopDelay({ resolution: 1 }) percentiles, ms. */
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  /** CPU ms of the main thread during the run. */
  mainCpuMs: number;
  /** ms the main thread waited for a core (runnable, not running) during the run. */
  mainWaitMs: number;
  /** Longest GC pause in the main thread. */
  gcMaxMs: number;
  /** In-thread with yielding: the longest stretch without a hand-back (wall, and CPU in it). */
  stretchMaxMs?: number;
  stretchCpuMs?: number;
}

/** Runs `work` under a 5 ms setInterval and reports the gaps between its fires. */
async function gapsDuring(mode: string, work: () => Promise<unknown>, stretches = false): Promise<Result> {
  const fires: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, 3)); // its first tick only starts its clock (a stall before it would go unrecorded); not reset, which would stop the clock again
  const timer = setInterval(() => fires.push(performance.now()), 5);
  gcPauses.length = 0;
  const watch = stretches ? watchStretches() : null;
  const cpu0 = mainThreadCpuMs();
  const wait0 = mainThreadWaitMs();
  const t0 = performance.now();
  fires.push(t0);
  await work();
  const t1 = performance.now();
  fires.push(t1);
  const mainCpuMs = mainThreadCpuMs() - cpu0;
  const mainWaitMs = mainThreadWaitMs() - wait0;
  const worst = watch?.stop();
  await new Promise((resolve) => setTimeout(resolve, 2)); // the delay timer's first tick after the run: a stall that lasted the whole run is recorded too
  delay.disable();
  clearInterval(timer);
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the GC observer deliver
  const gaps = fires.slice(1).map((t, i) => t - fires[i]!);
  return {
    mode,
    runMs: t1 - t0,
    fires: fires.length - 2,
    gapP50Ms: quantile(gaps, 0.5),
    gapP99Ms: quantile(gaps, 0.99),
    gapMaxMs: Math.max(...gaps),
    delayP50Ms: delay.percentile(50) / 1e6,
    delayP99Ms: delay.percentile(99) / 1e6,
    delayMaxMs: delay.max / 1e6,
    mainCpuMs,
    mainWaitMs,
    gcMaxMs: gcPauses.length ? Math.max(...gcPauses) : 0,
    ...(worst ? { stretchMaxMs: worst.wallMs, stretchCpuMs: worst.cpuMs } : {}),
  };
}

function measure(mode: string, yieldEveryMs: number): Promise<Result> {
  const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), yieldEveryMs, checkpoint: "end" });
  return gapsDuring(mode, () => p.runBatches(source()), yieldEveryMs !== Infinity);
}

/** A WorkerPipeline on a temp FileModelStore, started (its start-up is not measured). */
async function startWorker(niceIncrement?: number): Promise<{ w: WorkerPipeline; done(): Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), "freshml-bench-"));
  const w = new WorkerPipeline({ module: here("./event-loop-worker.ts"), store: new FileModelStore(root), ...(niceIncrement !== undefined ? { niceIncrement } : {}) });
  await w.runBatches(source(3), { transfer: false });
  return {
    w,
    done: async () => {
      await w.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The same run in a worker thread. transfer: false: the pooled arrays are reused, so they are copied to the worker. */
async function measureWorker(shared: boolean, niceIncrement?: number): Promise<Result> {
  const { w, done } = await startWorker(niceIncrement);
  if (w.priority?.applied !== (niceIncrement !== 0)) console.warn(`worker priority: ${JSON.stringify(w.priority)}`);
  try {
    const mode = (shared ? "worker, shared batches" : "worker") + (niceIncrement === 0 ? ", nice +0" : "");
    return await gapsDuring(mode, () => w.runBatches(source(BATCHES, shared ? sharedPool : pool), { transfer: false }));
  } finally {
    await done();
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
const poolChunks = chunks(); // made once, before any measure: allocating them triggers a GC of their own
async function measurePool(shards: ShardPool): Promise<Result> {
  const data = poolChunks;
  return gapsDuring(shards.niceIncrement === 0 ? "pool (2 threads)" : `pool (2 threads), nice +${shards.niceIncrement}`, async () => {
    let model: Trainer = new LinearRegression({ l2: 1e-3 });
    for (const c of data) model = (await learnSharded(model, c, { pool: shards })).trainer;
  });
}

const results: Result[] = [];
const shardPool = new ShardPool({ threads: 2 }); // niceIncrement 0, the pool's default
const shardPoolNice10 = new ShardPool({ threads: 2, niceIncrement: 10 });
for (const p of [shardPool, shardPoolNice10]) await learnSharded(new LinearRegression(), { X: new Float64Array(4), cols: 2, y: new Float64Array(2) }, { pool: p }); // warm the threads
for (let rep = 0; rep < REPS; rep++) {
  // The floor: the same timer while this thread does nothing (on a shared machine, the gaps other processes cause).
  results.push(await gapsDuring("idle (no run, 3 s)", () => new Promise((resolve) => setTimeout(resolve, 3_000))));
  results.push(await measure("in-thread, no yielding", Infinity));
  results.push(await measure("in-thread, default", 10));
  results.push(await measureWorker(false));
  results.push(await measureWorker(false, 0));
  results.push(await measureWorker(true));
  results.push(await measurePool(shardPool));
  results.push(await measurePool(shardPoolNice10));
}
console.log(`pool priority: ${JSON.stringify(shardPool.priority)}; nice +10 pool: ${JSON.stringify(shardPoolNice10.priority)}`);
await shardPoolNice10.close();

// ——— HTTP latency: idle vs during a worker run ———
interface Http {
  phase: string;
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  runMs?: number;
}
const LOAD_MS = QUICK ? 1_500 : 3_000;
function loadFor(port: number, ms: number): Promise<{ latencies: number[]; failed: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", here("./http-load.ts"), String(port), String(ms), "4"], (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as { latencies: number[]; failed: number });
    });
  });
}
const HTTP_REPS = QUICK ? 1 : 5;
const workerSource = { module: here("./event-loop-worker.ts"), args: { batches: BATCHES, rows: ROWS, cols: COLS } };
/** Latencies of every rep, by phase: p99 of all of them (a single 3 s phase's p99 rests on ~100 slowest requests of a noisy machine). */
const pooled: Record<string, number[]> = {};
let httpNice: number | string = "?";
async function measureHttp(): Promise<Http[]> {
  const { w, done } = await startWorker();
  httpNice = w.priority?.applied ? w.priority.niceIncrement : `0 (not lowered: ${w.priority?.reason ?? "unknown"})`;
  const probe = new Float64Array(COLS);
  // /predict as in examples/service.ts: one read of the serving model, which answers the whole request.
  const server = createServer((req, res) => {
    const serving = w.serving;
    if (!serving) return void res.writeHead(503).end();
    const k = Number(new URL(req.url ?? "/", "http://localhost").searchParams.get("k"));
    for (let j = 0; j < COLS; j++) probe[j] = Math.sin(k + j);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ version: serving.version, prediction: serving.predict({ X: probe, cols: COLS })[0] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const row = (phase: string, r: { latencies: number[]; failed: number }, runMs?: number): Http => {
    (pooled[phase] ??= []).push(...r.latencies);
    return {
      phase,
      requests: r.latencies.length,
      failed: r.failed,
      p50Ms: quantile(r.latencies, 0.5),
      p99Ms: quantile(r.latencies, 0.99),
      maxMs: r.latencies.at(-1) ?? NaN,
      ...(runMs !== undefined ? { runMs } : {}),
    };
  };
  const out: Http[] = [];
  try {
    for (let rep = 0; rep < HTTP_REPS; rep++) {
      out.push(row("idle", await loadFor(port, LOAD_MS)));
      // Batches iterated here and copied to the worker (the pooled arrays are reused: transfer: false).
      const t0 = performance.now();
      const run = w.runBatches(source(), { transfer: false }).then(() => performance.now() - t0);
      const load = await loadFor(port, LOAD_MS);
      out.push(row("during, batches sent", load, await run));
      // The same workload read in the worker (a WorkerSource): this thread touches no batch.
      const t1 = performance.now();
      const run1 = w.runBatches(workerSource).then(() => performance.now() - t1);
      const load1 = await loadFor(port, LOAD_MS);
      out.push(row("during, worker source", load1, await run1));
    }
  } finally {
    server.close();
    await done();
  }
  return out;
}
const HTTP_PHASES = ["idle", "during, batches sent", "during, worker source"];
const http = await measureHttp();

// ——— pool speedup ———
interface Speedup {
  learner: string;
  variant: string;
  rows: number;
  cols: number;
  sequentialMs: number;
  poolMs: number;
  speedup: number;
}
function dataset(rows: number, cols: number, seed: number, classes: boolean, shared: boolean): { X: Float64Array; cols: number; y: Float64Array } {
  const r = new SeededRandom(seed);
  const X = shared ? new Float64Array(new SharedArrayBuffer(rows * cols * 8)) : new Float64Array(rows * cols);
  for (let k = 0; k < X.length; k++) X[k] = r.nextGaussian();
  const y = shared ? new Float64Array(new SharedArrayBuffer(rows * 8)) : new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += X[i * cols + j]! * coef[j % COLS]!;
    y[i] = classes ? (s > 0 ? 1 : 0) : s + 0.1 * r.nextGaussian();
  }
  return { X, cols, y };
}
const variants: Record<string, { shared: boolean; options: Partial<LearnShardedOptions> }> = {
  "pool, rows copied": { shared: false, options: {} },
  "pool, rows shared": { shared: true, options: {} },
  "inThisThread, copied": { shared: false, options: { inThisThread: true } },
  "inThisThread, shared": { shared: true, options: { inThisThread: true } },
};
async function speedup(learner: string, make: () => Trainer, rows: number, variant: string, reps: number): Promise<Speedup> {
  const v = variants[variant]!;
  const data = dataset(rows, COLS, rows + COLS, learner === "GaussianNB", v.shared);
  const seq: number[] = [];
  const par: number[] = [];
  // Alternated, so that a change in the machine's load hits both alike.
  for (let k = 0; k < reps; k++) {
    let t = performance.now();
    make().update(data);
    seq.push(performance.now() - t);
    t = performance.now();
    await learnSharded(make(), data, { pool: shardPool, shards: 2, ...v.options });
    par.push(performance.now() - t);
  }
  const s = median(seq);
  const p = median(par);
  return { learner, variant, rows, cols: COLS, sequentialMs: s, poolMs: p, speedup: s / p };
}
const makers: Record<string, () => Trainer> = {
  LinearRegression: () => new LinearRegression({ l2: 1e-3 }),
  GaussianNB: () => new GaussianNB({ classes: [0, 1] }),
};
const speedups: Speedup[] = [];
for (const [name, make] of Object.entries(makers)) for (const variant of Object.keys(variants)) speedups.push(await speedup(name, make, 100_000, variant, QUICK ? 3 : 7));

// Overhead per shard: a 2-row batch in 2 shards (restoring, posting, learning nothing to speak of, serialising, merging), and where it goes.
const tiny = dataset(2, COLS, 1, false, false);
const overhead: number[] = [];
const workerSide: number[] = [];
const mergeSide: number[] = [];
for (let k = 0; k < 30; k++) {
  const t = performance.now();
  const { timings } = await learnSharded(new LinearRegression({ l2: 1e-3 }), tiny, { pool: shardPool, shards: 2 });
  overhead.push(performance.now() - t);
  workerSide.push(Math.max(...timings.workerMs));
  mergeSide.push(timings.mergeMs);
}
const overheadPerShardMs = median(overhead) / 2;

// Break-even: the smallest batch where the pool beats this thread, per learner and variant.
const SIZES = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000];
const bySize: Speedup[] = [];
for (const [name, make] of Object.entries(makers)) {
  for (const variant of ["pool, rows copied", "inThisThread, copied", "pool, rows shared"]) {
    for (const rows of SIZES) bySize.push(await speedup(name, make, rows, variant, QUICK ? 3 : 7));
  }
}
await shardPool.close();
const breakEven = (learner: string, variant: string): string => {
  const rowsOf = [...bySize, ...speedups].filter((s) => s.learner === learner && s.variant === variant).sort((a, b) => a.rows - b.rows);
  // The smallest size from which every larger size tried pays too.
  let from: number | null = null;
  for (let i = rowsOf.length - 1; i >= 0 && rowsOf[i]!.speedup > 1; i--) from = rowsOf[i]!.rows;
  return from === null ? "not within the sizes tried" : `from ${from.toLocaleString("en")} rows`;
};
const loadAfter = loadavg();

// ——— print ———
const med = (mode: string, k: keyof Result): number => median(results.filter((r) => r.mode === mode).map((r) => r[k] as number));
const modes = [...new Set(results.map((r) => r.mode))];
const f = (x: number, digits = 1, width = 10): string => (Number.isFinite(x) ? x.toFixed(digits) : "–").padStart(width);
const httpMed = (phase: string, k: keyof Http): number => median(http.filter((h) => h.phase === phase).map((h) => h[k] as number));
const lines = [
  `freshml ${VERSION} event-loop bench: ${BATCHES} batches × ${ROWS} rows × ${COLS} cols, LinearRegression; 5 ms setInterval in the main thread; median of ${REPS} runs`,
  `machine: ${availableParallelism()} cores, load average (1/5/15 min) before ${loadBefore.map((x) => x.toFixed(2)).join(" / ")}, after ${loadAfter.map((x) => x.toFixed(2)).join(" / ")} (a load above the core count inflates every wall time: quote ratios)`,
  "",
  "mode                        run ms  timer fires   gap p50   gap p99   gap max  delay p50  delay p99  delay max  main CPU ms  main waited for a core ms  main GC max  longest stretch (CPU in it)",
  ...modes.map((m) => {
    const stretch = med(m, "stretchMaxMs");
    return `${m.padEnd(26)}${f(med(m, "runMs"), 0, 8)}${f(med(m, "fires"), 0, 13)}${f(med(m, "gapP50Ms"))}${f(med(m, "gapP99Ms"))}${f(med(m, "gapMaxMs"))}${f(med(m, "delayP50Ms"), 2, 11)}${f(med(m, "delayP99Ms"), 2, 11)}${f(med(m, "delayMaxMs"), 1, 11)}${f(med(m, "mainCpuMs"), 0, 13)}${f(med(m, "mainWaitMs"), 0, 27)}${f(med(m, "gcMaxMs"), 1, 13)}${Number.isFinite(stretch) ? `${f(stretch, 1, 12)} (${med(m, "stretchCpuMs").toFixed(1)})` : ""}`;
  }),
  `cost of yielding: run time ${((med("in-thread, default", "runMs") / med("in-thread, no yielding", "runMs") - 1) * 100).toFixed(1)} % (median runs)`,
  "targets (issue 13): in-thread default gap max ≤ 50 ms; worker and pool p99 ≤ 5 ms (a 5 ms timer's gap is ≥ 5 ms by construction: read it as the event-loop delay p99)",
  "delay: perf_hooks.monitorEventLoopDelay({ resolution: 1 }), ms; it times the interval between the ticks of a 1 ms timer, so an idle loop reads ≈ 1.1 ms. nice +N: worker threads at niceIncrement N (WorkerPipeline's default is 19, ShardPool's 0)",
  "",
  `HTTP GET /predict on loopback, 4 keep-alive connections from a child process, ${LOAD_MS / 1000} s per phase, ${HTTP_REPS} reps alternating the phases; worker at nice +${httpNice} (its niceIncrement, the default):`,
  "phase                    requests   p50 ms   p99 ms   max ms   p99 of all reps' requests",
  ...HTTP_PHASES.map((p) => `${p.padEnd(24)}${f(httpMed(p, "requests"), 0, 9)}${f(httpMed(p, "p50Ms"), 2, 9)}${f(httpMed(p, "p99Ms"), 2, 9)}${f(httpMed(p, "maxMs"), 1, 9)}${f(quantile(pooled[p] ?? [], 0.99), 2, 12)}`),
  ...HTTP_PHASES.slice(1).map(
    (p) =>
      `p99 ${p} / idle: median of reps ${(httpMed(p, "p99Ms") / httpMed("idle", "p99Ms")).toFixed(2)}×, all requests ${(quantile(pooled[p] ?? [], 0.99) / quantile(pooled["idle"] ?? [], 0.99)).toFixed(2)}× (target ≤ 2×); per rep: ${http
        .filter((h) => h.phase === p)
        .map((h, i) => (h.p99Ms / http.filter((x) => x.phase === "idle")[i]!.p99Ms).toFixed(2))
        .join(", ")}; worker run ${f(httpMed(p, "runMs"), 0, 0)} ms`,
  ),
  `failed requests: ${http.reduce((a, h) => a + h.failed, 0)}`,
  "",
  "pool speedup, 2 threads, 2 shards, one batch learned in this thread vs learnSharded (median; target ≥ 1.6× at 100,000 rows):",
  "learner            variant                  rows   this thread ms   pool ms   speedup",
  ...speedups.map((s) => `${s.learner.padEnd(19)}${s.variant.padEnd(22)}${String(s.rows).padStart(7)}${f(s.sequentialMs, 1, 17)}${f(s.poolMs)}${f(s.speedup, 2)}`),
  "",
  "speedup by batch size (d = 100):",
  `learner            variant               ${SIZES.map((r) => String(r).padStart(7)).join("")}`,
  ...Object.keys(makers).flatMap((l) =>
    ["pool, rows copied", "inThisThread, copied", "pool, rows shared"].map(
      (v) => `${l.padEnd(19)}${v.padEnd(22)}${SIZES.map((r) => f(bySize.find((s) => s.learner === l && s.variant === v && s.rows === r)!.speedup, 2, 7)).join("")}`,
    ),
  ),
  `overhead per shard (a 2-row batch, d = 100, in 2 shards; median of 30): ${overheadPerShardMs.toFixed(2)} ms (of a call's ${median(overhead).toFixed(2)} ms: worker restore+learn+serialise ${median(workerSide).toFixed(2)} ms, restoring and merging the states here ${median(mergeSide).toFixed(2)} ms, the rest posting and waking threads)`,
  ...Object.keys(makers).flatMap((l) => ["pool, rows copied", "inThisThread, copied", "pool, rows shared"].map((v) => `a pool pays (speedup > 1) for ${l}, ${v}: ${breakEven(l, v)}`)),
];
console.log(lines.join("\n"));
const dir = join(here("."), "results");
mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
writeFileSync(
  join(dir, `event-loop-${stamp}.json`),
  JSON.stringify({ version: VERSION, batches: BATCHES, rows: ROWS, cols: COLS, cores: availableParallelism(), loadavgBefore: loadBefore, loadavgAfter: loadAfter, results, http, speedups, bySize, overheadPerShardMs }, null, 2),
);
writeFileSync(join(dir, `event-loop-${stamp}.txt`), lines.join("\n") + "\n");
