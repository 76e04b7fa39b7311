/**
 * Learner throughput: rows/s of update and predict for every built-in learner
 * at d = 10 and d = 100 on batches of 1,000 rows (median of --repeats runs),
 * plus the XᵀX kernel's GFLOP/s. With --anchor, scikit-learn's anchor
 * (../shared/bench/sklearn_anchor.py --only sgd,nb,fitonce) runs first in the
 * same process tree, and the table shows our rows/s over scikit-learn's.
 *
 *   npm run bench                      # ours only
 *   npm run bench -- --anchor          # ours beside scikit-learn, with ratios
 *   npm run bench -- --dims 10 --repeats 3 --batches 50
 *   npm run bench -- --only logistic --anchor   # learners whose name contains a word (case-insensitive; no kernels)
 *   npm run bench:learners -- --hot-only      # only the retraining loop's hot paths
 *
 * The hot-path table times, per 1,000-row batch of d = 10 given as a checked
 * batch (as the pipeline gives it), what the retraining loop does besides
 * learning: predictions, the drift detector on 1,000 errors, and the batch's
 * fingerprint; each beside its WebAssembly-off (JS) path, and predictions
 * beside the per-row `dot` loop they replaced.
 *
 * The quality table: every classifier's prequential log loss and accuracy on
 * the real stream of test/fixtures/real-classification.ts (Seattle wet days,
 * daily batches) beside scikit-learn's LogisticRegression refit daily, the
 * prior and the majority class (from test/fixtures/real-classification.json),
 * so speed is never read without quality (`--no-quality` skips it).
 *
 * Results: printed as a table and written to bench/results/learners-<time>.json.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import {
  FullRefitLinearRegression,
  GaussianNB,
  HoeffdingTreeClassifier,
  HoeffdingTreeRegressor,
  LastValueRegressor,
  LinearRegression,
  LogisticRegression,
  MajorityClassifier,
  MeanRegressor,
  RecursiveLeastSquares,
  SGDClassifier,
  SGDRegressor,
  VERSION,
  type Trainer,
} from "../src/index.js";
import { checkBatch } from "../src/core/batch.js";
import { fingerprint } from "../src/core/fingerprint.js";
import { dot, syrkUpper } from "../src/core/kernels.js";
import { setSimdEnabled } from "../src/core/wasm/load.js";
import { ADWIN } from "../src/drift/adwin.js";
import { SyrkWorkspace } from "../src/core/wasm/syrk.js";
import { makeWorkload, type Workload } from "./data.js";
import { SeededRandom } from "../src/core/random.js";
import { qualityMarkdown, qualityTable, type QualityRow } from "../test/fixtures/real-classification.js";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const DIMS = arg("dims", "10,100").split(",").map(Number);
const N_BATCHES = Number(arg("batches", "200"));
const BATCH = Number(arg("batch-size", "1000"));
const REPEATS = Number(arg("repeats", "5"));
const WITH_ANCHOR = process.argv.includes("--anchor");
const ONLY = arg("only", "");
const HOT_ONLY = process.argv.includes("--hot-only");
const QUALITY = !process.argv.includes("--no-quality");

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const now = (): number => performance.now();

interface Row {
  learner: string;
  d: number;
  op: string;
  rowsPerSec: number;
  runs: number[];
  note?: string;
  anchor?: string;
  anchorRowsPerSec?: number;
  ratio?: number;
}

interface Case {
  name: string;
  make: () => Trainer;
  label: boolean;
  /** Batches to stream (costly learners use fewer). */
  batches?: (d: number) => number;
  /** Solve once after streaming (exact least squares). */
  finish?: (t: Trainer) => void;
  anchor?: string;
}

const cases: Case[] = [
  { name: "SGDRegressor", make: () => new SGDRegressor({ seed: 1 }), label: false, anchor: "a SGDRegressor.partial_fit" },
  { name: "SGDClassifier (logistic)", make: () => new SGDClassifier({ classes: [0, 1], seed: 1 }), label: true, anchor: "b SGDClassifier(log_loss).partial_fit" },
  {
    name: "LogisticRegression (FTRL, binary)",
    make: () => new LogisticRegression({ classes: [0, 1] }),
    label: true,
    anchor: "b SGDClassifier(log_loss).partial_fit",
  },
  // The default scales every row before the pass (standardize: true); this is the cost without it.
  {
    name: "LogisticRegression (FTRL, binary, standardize: false)",
    make: () => new LogisticRegression({ classes: [0, 1], standardize: false }),
    label: true,
    anchor: "b SGDClassifier(log_loss).partial_fit",
  },
  { name: "GaussianNB", make: () => new GaussianNB({ classes: [0, 1] }), label: true, anchor: "c GaussianNB.partial_fit" },
  {
    name: "LinearRegression (update + solve)",
    make: () => new LinearRegression(),
    label: false,
    finish: (t) => (t as LinearRegression).coefficients(),
    anchor: "e LinearRegression fit once (all rows)",
  },
  { name: "RecursiveLeastSquares", make: () => new RecursiveLeastSquares({ forgetting: 0.999 }), label: false, batches: (d) => (d > 50 ? 20 : N_BATCHES) },
  { name: "MeanRegressor", make: () => new MeanRegressor(), label: false },
  { name: "LastValueRegressor", make: () => new LastValueRegressor(), label: false },
  { name: "MajorityClassifier", make: () => new MajorityClassifier({ classes: [0, 1] }), label: true },
  { name: "FullRefitLinearRegression", make: () => new FullRefitLinearRegression(), label: false, batches: () => Math.min(20, N_BATCHES) },
  // Hoeffding trees (defaults): update rows/s beside SGDClassifier's partial_fit; memory per 1 M rows in the tree section below.
  { name: "HoeffdingTreeClassifier", make: () => new HoeffdingTreeClassifier({ classes: [0, 1] }), label: true, anchor: "b SGDClassifier(log_loss).partial_fit" },
  { name: "HoeffdingTreeRegressor", make: () => new HoeffdingTreeRegressor(), label: false },
];

function streamUpdate(c: Case, w: Workload, nb: number): { ms: number; model: Trainer } {
  const model = c.make();
  const t0 = now();
  for (let b = 0; b < nb; b++) {
    const batch = w.batches[b]!;
    model.update({ X: batch.X, cols: w.d, y: c.label ? batch.ycls : batch.y });
  }
  c.finish?.(model);
  return { ms: now() - t0, model };
}

function streamPredict(model: Trainer, w: Workload, nb: number): number {
  const t0 = now();
  let sink = 0;
  for (let b = 0; b < nb; b++) sink += model.predict({ X: w.batches[b]!.X, cols: w.d })[0]!;
  const ms = now() - t0;
  if (Number.isNaN(sink)) console.log("");
  return ms;
}

/**
 * GFLOP/s of the XᵀX kernel over every batch. `js`: syrkUpper on the batch in
 * place; `wasm`: the SIMD kernel, including the copy of each batch into
 * WebAssembly memory (as LinearRegression does when it centres the rows).
 */
function kernelGflops(w: Workload, nb: number, kind: "js" | "wasm"): { upper: number; effective: number; runs: number[] } {
  const d = w.d;
  const runs: number[] = [];
  const ws = new SyrkWorkspace(kind === "wasm");
  for (let r = 0; r < REPEATS + 1; r++) {
    const S = new Float64Array(d * d);
    const t0 = now();
    for (let b = 0; b < nb; b++) {
      if (kind === "js") syrkUpper(w.batches[b]!.X, BATCH, d, S);
      else {
        ws.rows(BATCH, d).set(w.batches[b]!.X);
        ws.accumulate(BATCH, d, S);
      }
    }
    const s = (now() - t0) / 1e3;
    if (r > 0) runs.push(s); // the first run warms the JIT
  }
  const n = nb * BATCH;
  const t = median(runs);
  // The kernel computes the upper triangle only: n·d(d+1)/2 multiply-adds.
  return { upper: (n * d * (d + 1)) / t / 1e9, effective: (2 * n * d * d) / t / 1e9, runs };
}

/** Runs the scikit-learn anchor and returns "section|d" → rows/s. */
function runAnchor(): { text: string; rates: Map<string, number> } {
  const script = fileURLToPath(new URL("../../shared/bench/sklearn_anchor.py", import.meta.url));
  if (!existsSync(script) || !existsSync("/usr/bin/python3")) throw new Error(`anchor not found: ${script} (and /usr/bin/python3)`);
  const text = execFileSync(
    "/usr/bin/python3",
    [script, "--only", ONLY ? "sgd" : "sgd,nb,fitonce", "--dims", DIMS.join(","), "--batches", String(N_BATCHES), "--batch-size", String(BATCH), "--repeats", String(REPEATS)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const rates = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^\s+(.+?)\s+d=(\d+)\s+rows\/s\s+([\d,.]+)/.exec(line);
    if (m) rates.set(`${m[1]!.trim()}|${m[2]}`, Number(m[3]!.replace(/,/g, "")));
  }
  return { text, rates };
}

/** One timed operation of the hot-path table: µs per 1,000-row batch, median over REPEATS passes. */
interface HotRow {
  op: string;
  usPerBatch: number;
  runs: number[];
}

/**
 * The retraining loop's per-batch work besides `update`, at d = 10 on checked
 * batches: µs per batch, median of REPEATS passes over 50 batches (after a
 * warm-up pass), each op's variants interleaved within a pass.
 */
function hotPaths(): HotRow[] {
  const d = 10;
  const nb = 50;
  const w = makeWorkload(d, nb, BATCH, 7);
  const reg = w.batches.map((b) => checkBatch({ X: b.X, cols: d, y: b.y }));
  const cls = w.batches.map((b) => checkBatch({ X: b.X, cols: d, y: b.ycls }));
  const fit = <T extends Trainer>(m: T, bs: typeof reg): T => {
    for (const b of bs.slice(0, 20)) m.update(b);
    return m;
  };
  const sgd = fit(new SGDRegressor({ seed: 1 }), reg);
  const sgdStd = fit(new SGDRegressor({ seed: 1, standardize: true }), reg);
  const lr = fit(new LinearRegression(), reg);
  const rls = fit(new RecursiveLeastSquares(), reg);
  const clf = fit(new SGDClassifier({ classes: [0, 1], seed: 1 }), cls);
  const nbc = fit(new GaussianNB({ classes: [0, 1] }), cls);
  const lrCoef = lr.coefficients();
  // Per-row errors of a regression stream whose level moves every 20 batches: ADWIN fires now and then.
  const errors = w.batches.map((b, k) => b.y.map((v) => Math.abs(v - (k % 20 < 15 ? 0.5 : 1.5))));
  const adwins = { update: new ADWIN(), many: new ADWIN(), manyJs: new ADWIN() };
  const ops: Array<[string, (b: number) => unknown, boolean?]> = [
    ["SGDRegressor.update (for scale)", (b) => sgd.copy().update(reg[b]!)],
    ["SGDRegressor.predict", (b) => sgd.predict(reg[b]!)],
    ["SGDRegressor.predict, WebAssembly off", (b) => sgd.predict(reg[b]!), false],
    ["SGDRegressor.predict, standardize", (b) => sgdStd.predict(reg[b]!)],
    ["LinearRegression.predict", (b) => lr.predict(reg[b]!)],
    ["LinearRegression, the former per-row dot loop", (b) => {
      const X = reg[b]!.X;
      const out = new Float64Array(BATCH);
      for (let i = 0; i < BATCH; i++) out[i] = lrCoef.intercept + dot(X, i * d, lrCoef.weights, 0, d);
      return out;
    }],
    ["RecursiveLeastSquares.predict", (b) => rls.predict(reg[b]!)],
    ["SGDClassifier.predictProba", (b) => clf.predictProba(cls[b]!)],
    ["GaussianNB.predictProba", (b) => nbc.predictProba(cls[b]!)],
    ["GaussianNB.predictProba, WebAssembly off", (b) => nbc.predictProba(cls[b]!), false],
    ["ADWIN, 1,000 × update", (b) => {
      const e = errors[b]!;
      for (let i = 0; i < e.length; i++) adwins.update.update(e[i]!);
    }],
    ["ADWIN.updateMany(1,000)", (b) => adwins.many.updateMany(errors[b]!)],
    ["ADWIN.updateMany(1,000), WebAssembly off", (b) => adwins.manyJs.updateMany(errors[b]!), false],
    ["fingerprint(X) then fingerprint(y)", (b) => fingerprint(reg[b]!.y, fingerprint(reg[b]!.X))],
    ["fingerprint, WebAssembly off (the former loop)", (b) => fingerprint(reg[b]!.y, fingerprint(reg[b]!.X)), false],
  ];
  const runs = ops.map(() => [] as number[]);
  for (let r = 0; r <= REPEATS; r++) {
    ops.forEach(([, f, simd], k) => {
      setSimdEnabled(simd !== false);
      const t0 = now();
      for (let b = 0; b < nb; b++) f(b);
      if (r > 0) runs[k]!.push(((now() - t0) * 1000) / nb); // the first pass warms the JIT
      setSimdEnabled(true);
    });
  }
  return ops.map(([op], k) => ({ op, usPerBatch: median(runs[k]!), runs: runs[k]! }));
}

const started = new Date();
console.log(`# freshml ${VERSION} learner bench  ${started.toISOString()}  node ${process.version}  ${cpus().length} cpus`);
console.log(`# batches=${N_BATCHES} batch_size=${BATCH} repeats=${REPEATS} (median)`);
let anchor: { text: string; rates: Map<string, number> } | null = null;
if (WITH_ANCHOR) {
  console.log("# running scikit-learn anchor first …");
  anchor = runAnchor();
  process.stdout.write(anchor.text);
}

const rows: Row[] = [];
const kernels: Array<{ kernel: string; d: number; upperGflops: number; effectiveGflops: number; runs: number[] }> = [];
for (const d of HOT_ONLY ? [] : DIMS) {
  const w = makeWorkload(d, N_BATCHES, BATCH);
  for (const kind of ONLY ? [] : (["js", "wasm"] as const)) {
    const k = kernelGflops(w, N_BATCHES, kind);
    kernels.push({ kernel: kind === "js" ? "syrkUpper (JS, 3×4 block)" : "syrk.wat (WebAssembly SIMD, incl. copy in)", d, upperGflops: k.upper, effectiveGflops: k.effective, runs: k.runs });
  }
  for (const c of cases) {
    if (ONLY && !c.name.toLowerCase().includes(ONLY.toLowerCase())) continue;
    const nb = c.batches?.(d) ?? N_BATCHES;
    streamUpdate(c, w, Math.min(nb, 5)); // warm-up
    const upd: number[] = [];
    const pred: number[] = [];
    let model: Trainer | null = null;
    for (let r = 0; r < REPEATS; r++) {
      const res = streamUpdate(c, w, nb);
      upd.push((nb * BATCH) / (res.ms / 1e3));
      model = res.model;
    }
    for (let r = 0; r < REPEATS; r++) pred.push((nb * BATCH) / (streamPredict(model!, w, nb) / 1e3));
    const row: Row = { learner: c.name, d, op: "update", rowsPerSec: median(upd), runs: upd };
    if (nb !== N_BATCHES) row.note = `${nb} batches`;
    const anchorRate = c.anchor ? anchor?.rates.get(`${c.anchor}|${d}`) : undefined;
    if (c.anchor && anchorRate) {
      row.anchor = c.anchor;
      row.anchorRowsPerSec = anchorRate;
      row.ratio = row.rowsPerSec / anchorRate;
    }
    rows.push(row, { learner: c.name, d, op: "predict", rowsPerSec: median(pred), runs: pred });
  }
}

// --- Hoeffding trees: size after 1 M rows ---------------------------------------------------------------
// One fresh stream of 1,000,000 rows per (tree, d), drawn batch by batch (the workload's distribution: X ~ N(0, 1),
// a linear score; the label and target add a non-linear term so the trees keep finding splits). Reported: leaves,
// nodes, statistics held (numbers), those statistics × 8 bytes, and the JSON size of the whole model.
interface TreeSize {
  learner: string;
  d: number;
  rows: number;
  seconds: number;
  leaves: number;
  nodes: number;
  depth: number;
  statistics: number;
  statBytes: number;
  peakStatistics: number;
  /** The regressor's memoryBytes() at its peak (after every batch), and its maxSize budget in MiB. */
  peakBytes?: number;
  maxSize?: number | null;
  jsonBytes: number;
}
function treeMemory(): TreeSize[] {
  const out: TreeSize[] = [];
  const rowsTotal = Number(arg("tree-rows", "1000000"));
  for (const d of DIMS) {
    // The regressor with its default budget (maxSize 100 MiB) and with maxSize 16.
    for (const [name, maxSize] of [["HoeffdingTreeClassifier", undefined], ["HoeffdingTreeRegressor", 100], ["HoeffdingTreeRegressor", 16]] as const) {
      if (ONLY && !name.toLowerCase().includes(ONLY.toLowerCase()) && !"hoeffding".includes(ONLY.toLowerCase())) continue;
      const rng = new SeededRandom(7 + d);
      const w = Float64Array.from({ length: d }, () => rng.nextGaussian() / Math.sqrt(d));
      const t = name === "HoeffdingTreeClassifier" ? new HoeffdingTreeClassifier({ classes: [0, 1] }) : new HoeffdingTreeRegressor({ maxSize });
      const X = new Float64Array(BATCH * d);
      const y = new Float64Array(BATCH);
      const t0 = now();
      let peak = 0;
      let peakBytes = 0;
      for (let done = 0; done < rowsTotal; done += BATCH) {
        if ((done / BATCH) % 20 === 0) peak = Math.max(peak, t.size().statistics);
        if (t instanceof HoeffdingTreeRegressor) peakBytes = Math.max(peakBytes, t.memoryBytes());
        for (let i = 0; i < BATCH; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) {
            const v = rng.nextGaussian();
            X[i * d + j] = v;
            s += v * w[j]!;
          }
          const z = s + Math.sin(3 * X[i * d]!) + 0.3 * rng.nextGaussian();
          y[i] = name === "HoeffdingTreeClassifier" ? (z > 0 ? 1 : 0) : z;
        }
        t.update({ X, cols: d, y });
      }
      if (t instanceof HoeffdingTreeRegressor) peakBytes = Math.max(peakBytes, t.memoryBytes());
      const seconds = (now() - t0) / 1e3;
      const z = t.size();
      out.push({
        learner: name, d, rows: rowsTotal, seconds, leaves: z.leaves, nodes: z.nodes, depth: z.depth, statistics: z.statistics,
        statBytes: z.statistics * 8, peakStatistics: Math.max(peak, z.statistics), jsonBytes: JSON.stringify(t.toJSON()).length,
        ...(t instanceof HoeffdingTreeRegressor ? { peakBytes, maxSize: t.params.maxSize } : {}),
      });
    }
  }
  return out;
}
const trees = HOT_ONLY || (ONLY && !"hoeffding".includes(ONLY.toLowerCase()) && !ONLY.toLowerCase().includes("hoeffding")) ? [] : treeMemory();

const hot = hotPaths();
const quality: QualityRow[] = QUALITY && !HOT_ONLY ? qualityTable() : [];

const fmt = (v: number): string => Math.round(v).toLocaleString("en-US");
if (!HOT_ONLY) {
  console.log("\n| learner | d | op | rows/s (median) | scikit-learn rows/s | ratio |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.learner}${r.note ? ` (${r.note})` : ""} | ${r.d} | ${r.op} | ${fmt(r.rowsPerSec)} | ${r.anchorRowsPerSec ? fmt(r.anchorRowsPerSec) : ""} | ${r.ratio ? `${r.ratio.toFixed(2)}×` : ""} |`,
    );
  }
  console.log("\n| kernel | d | GFLOP/s (upper triangle, counted) | GFLOP/s (as 2·n·d², numpy's count) |");
  console.log("|---|---|---|---|");
  for (const k of kernels) console.log(`| XᵀX ${k.kernel} | ${k.d} | ${k.upperGflops.toFixed(2)} | ${k.effectiveGflops.toFixed(2)} |`);
}
if (trees.length > 0) {
  const mib = (b: number): string => (b / 1048576).toFixed(2);
  console.log("\n| Hoeffding tree (defaults) | d | rows | update s | leaves | nodes | depth | statistics | statistics MiB | peak statistics MiB (every 20 batches) | peak memoryBytes() MiB (every batch) | JSON MiB |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const t of trees) {
    const label = t.maxSize === undefined ? t.learner : `${t.learner} (maxSize ${t.maxSize ?? "null"})`;
    console.log(`| ${label} | ${t.d} | ${fmt(t.rows)} | ${t.seconds.toFixed(1)} | ${t.leaves} | ${t.nodes} | ${t.depth} | ${fmt(t.statistics)} | ${mib(t.statBytes)} | ${mib(t.peakStatistics * 8)} | ${t.peakBytes === undefined ? "" : mib(t.peakBytes)} | ${mib(t.jsonBytes)} |`);
  }
}
if (quality.length > 0) {
  console.log("\n## Quality on real data: Seattle wet days (NOAA via vega-datasets 3.2.1), 1,095 daily batches after 2012, prequential");
  console.log(qualityMarkdown(quality));
}
console.log("\n| hot path (d = 10, checked batch of 1,000 rows) | µs per batch (median) |");
console.log("|---|---|");
for (const h of hot) console.log(`| ${h.op} | ${h.usPerBatch.toFixed(1)} |`);

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
const out = new URL(`./results/learners-${started.toISOString().replace(/[:.]/g, "-")}.json`, import.meta.url);
writeFileSync(
  out,
  JSON.stringify(
    {
      started: started.toISOString(),
      node: process.version,
      cpus: cpus().length,
      freshml: VERSION,
      config: { dims: DIMS, batches: N_BATCHES, batchSize: BATCH, repeats: REPEATS },
      rows,
      kernels,
      hot,
      trees,
      quality,
      anchor: anchor?.text ?? null,
    },
    null,
    1,
  ),
);
console.log(`\nwrote ${fileURLToPath(out)}`);
