/**
 * The self-tuning policy "auto": cost per batch beside "incremental"
 * (LinearRegression, 1,000-row batches, d = 10 and d = 100, K = 7 candidates;
 * wall time and this process's CPU time, which a shared machine disturbs
 * less), and the prequential error table on synthetic and real streams
 * beside every fixed window chosen in hindsight (the New York streams were
 * held out while the policy was designed; the wet-day streams are GaussianNB,
 * log loss). Also the cost of "auto" for a trainer without merge, which keeps
 * copies of the learner (SGDRegressor, same batches and K).
 *
 *   npm run bench:auto
 *   npm run bench:auto -- --copies-only   (only the SGDRegressor copies' cost)
 *
 * Results: printed and written to bench/results/auto-<time>.{json,txt}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LinearRegression, LogisticRegression, Pipeline, SGDRegressor, SeededRandom, VERSION, type RetrainPolicy, type Trainer } from "../src/index.js";
import { heldOutStreams, streams } from "../test/fixtures/real-data.js";

const lines: string[] = [`freshml ${VERSION} policy "auto" bench; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`];
const out: Record<string, unknown> = { version: VERSION };

function linearBatches(n: number, rows: number, d: number, seed: number): Array<{ X: Float64Array; cols: number; y: Float64Array }> {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, () => {
    const X = new Float64Array(rows * d);
    for (let k = 0; k < X.length; k++) X[k] = rng.nextGaussian();
    const y = Float64Array.from({ length: rows }, (_, i) => X[i * d]! - 2 * X[i * d + 1]! + rng.nextGaussian());
    return { X, cols: d, y };
  });
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Wall and CPU milliseconds per batch of one run (the checkpoint at the end included). */
async function timed(batches: ReturnType<typeof linearBatches>, policy: RetrainPolicy, make: () => Trainer = () => new LinearRegression({ l2: 1e-3 })): Promise<{ wall: number; cpu: number }> {
  const p = new Pipeline({ trainer: make(), policy, detector: null, checkpoint: "end", yieldEveryMs: Infinity });
  const t0 = performance.now();
  const c0 = cpuMs();
  await p.runBatches(batches);
  return { wall: (performance.now() - t0) / batches.length, cpu: (cpuMs() - c0) / batches.length };
}

const copiesOnly = process.argv.includes("--copies-only");
const RUNS = 5;
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;

/**
 * Cost per batch of "auto" beside "incremental" for a trainer: the median over
 * RUNS alternating pairs of each, and the median of the per-pair ratios.
 */
async function costTable(name: string, make: () => Trainer, sizes: ReadonlyArray<readonly [number, number]>): Promise<unknown[]> {
  lines.push(
    "",
    `cost per batch (ms; the median over ${RUNS} alternating runs of each, and the median of the per-pair ratios), 1,000-row batches, ${name}`,
    "d      batches   incremental wall/cpu   auto (K=7) wall/cpu   ratio wall   ratio cpu",
  );
  const rows: unknown[] = [];
  for (const [d, n] of sizes) {
    const batches = linearBatches(n, 1000, d, d);
    const inc: Array<{ wall: number; cpu: number }> = [];
    const auto: Array<{ wall: number; cpu: number }> = [];
    for (let r = 0; r < RUNS; r++) {
      inc.push(await timed(batches, "incremental", make));
      auto.push(await timed(batches, "auto", make));
    }
    const wall = median(auto.map((a, r) => a.wall / inc[r]!.wall));
    const cpu = median(auto.map((a, r) => a.cpu / inc[r]!.cpu));
    const m = (xs: Array<{ wall: number; cpu: number }>, k: "wall" | "cpu"): number => median(xs.map((x) => x[k]));
    rows.push({ trainer: name, d, batches: batches.length, incremental: { wallMs: m(inc, "wall"), cpuMs: m(inc, "cpu") }, auto: { wallMs: m(auto, "wall"), cpuMs: m(auto, "cpu") }, ratioWall: wall, ratioCpu: cpu });
    lines.push(
      `${String(d).padEnd(7)}${String(batches.length).padStart(7)}${`${m(inc, "wall").toFixed(2)} / ${m(inc, "cpu").toFixed(2)}`.padStart(24)}${`${m(auto, "wall").toFixed(2)} / ${m(auto, "cpu").toFixed(2)}`.padStart(22)}${wall.toFixed(2).padStart(13)}${cpu.toFixed(2).padStart(12)}`,
    );
  }
  return rows;
}

// Without merge, "auto" keeps copies: up to 2·6 + 1 = 13 updates and 7 predictions per batch where incremental makes 1 and 1
// (fewer while copies hold the same batches). 200 batches: mostly past the longest window, 96.
const copiesCost = () => costTable("SGDRegressor (no merge: copies)", () => new SGDRegressor({ seed: 1 }), [[10, 200], [100, 200]]);
if (copiesOnly) {
  out.copiesCost = await copiesCost();
  finish("auto-copies");
  process.exit(0);
}

// d = 100 twice: 120 batches (as measured before; until a window fills, it shares everything's state) and
// 200 batches (mostly the steady state past the longest window, 96, where every candidate is solved).
lines.push(
  "",
  `cost per batch (ms; the median over ${RUNS} alternating runs of each, and the median of the per-pair ratios), 1,000-row batches, LinearRegression`,
  "d      batches   incremental wall/cpu   auto (K=7) wall/cpu   ratio wall   ratio cpu",
);
const cost: unknown[] = [];
for (const [d, n] of [[10, 300], [100, 120], [100, 200]] as const) {
  const batches = linearBatches(n, 1000, d, d);
  const inc: Array<{ wall: number; cpu: number }> = [];
  const auto: Array<{ wall: number; cpu: number }> = [];
  for (let r = 0; r < RUNS; r++) {
    inc.push(await timed(batches, "incremental"));
    auto.push(await timed(batches, "auto"));
  }
  const wall = median(auto.map((a, r) => a.wall / inc[r]!.wall));
  const cpu = median(auto.map((a, r) => a.cpu / inc[r]!.cpu));
  const m = (xs: Array<{ wall: number; cpu: number }>, k: "wall" | "cpu"): number => median(xs.map((x) => x[k]));
  cost.push({ d, batches: batches.length, incremental: { wallMs: m(inc, "wall"), cpuMs: m(inc, "cpu") }, auto: { wallMs: m(auto, "wall"), cpuMs: m(auto, "cpu") }, ratioWall: wall, ratioCpu: cpu });
  lines.push(
    `${String(d).padEnd(7)}${String(batches.length).padStart(7)}${`${m(inc, "wall").toFixed(2)} / ${m(inc, "cpu").toFixed(2)}`.padStart(24)}${`${m(auto, "wall").toFixed(2)} / ${m(auto, "cpu").toFixed(2)}`.padStart(22)}${wall.toFixed(2).padStart(13)}${cpu.toFixed(2).padStart(12)}`,
  );
}
out.cost = cost;
out.copiesCost = await copiesCost();

/** Prequential MSE (regression) or log loss (classifiers) of the learning state (every batch scored before it is learned). */
async function lossOf(batches: unknown[], policy: RetrainPolicy, setup: Record<string, unknown>, make: () => Trainer, metric: "rmse" | "logloss"): Promise<number> {
  const p = new Pipeline({ ...setup, trainer: make(), policy, detector: null, checkpoint: "end", ...(metric === "logloss" ? { metrics: ["logloss"] } : {}) } as never);
  const r = await p.runBatches(batches as never);
  const m = (r.metrics as Record<string, { challenger: number | null } | undefined>)[metric]!.challenger!;
  return metric === "rmse" ? m ** 2 : m;
}

function synthetic(kind: string, seed: number, n = 120, b = 50): Array<{ X: Float64Array; cols: number; y: Float64Array }> {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, t) => {
    const a = (t / n) * Math.PI;
    const w = kind === "stationary" ? [1, -2, 0.5] : kind === "abrupt" ? (t < n / 2 ? [1, -2, 0.5] : [-1.5, 1, 2]) : [2 * Math.cos(a), 2 * Math.sin(a), 0.5];
    const X = new Float64Array(b * 3);
    for (let k = 0; k < X.length; k++) X[k] = rng.nextGaussian();
    return { X, cols: 3, y: Float64Array.from({ length: b }, (_, i) => w[0]! * X[i * 3]! + w[1]! * X[i * 3 + 1]! + w[2]! * X[i * 3 + 2]! + rng.nextGaussian()) };
  });
}

const WINDOWS = [3, 6, 12, 24, 48, 96];
const policies: Array<[string, RetrainPolicy]> = [["auto", "auto"], ["incremental", "incremental"], ...WINDOWS.map((w): [string, RetrainPolicy] => [`window ${w}`, { window: w }])];
lines.push(
  "",
  "prequential MSE (log loss for wet-*; lower is better); auto vs the best fixed policy in hindsight and vs incremental",
  ["stream".padEnd(22), ...policies.map(([n]) => n.padStart(12)), "  auto/best", "  auto/incr"].join(""),
);
const quality: unknown[] = [];
type Case = [string, unknown[], Record<string, unknown>, () => Trainer, "rmse" | "logloss"];
const cases: Case[] = [
  ...["stationary", "abrupt", "slow"].map((k): Case => [`synthetic ${k}`, synthetic(k, 1), {}, () => new LinearRegression({ l2: 1e-6 }), "rmse"]),
  ...[...streams(), ...heldOutStreams()].map((s): Case => [s.id, s.batches, { schema: s.schema, features: s.features, target: s.target }, s.trainer, s.metric]),
];
async function qualityRows(list: Case[], into: unknown[]): Promise<void> {
  for (const [name, batches, setup, make, metric] of list) {
    const row: Record<string, number> = {};
    for (const [label, policy] of policies) row[label] = await lossOf(batches, policy, setup, make, metric);
    const best = Math.min(...policies.slice(1).map(([l]) => row[l]!));
    into.push({ stream: name, metric: metric === "rmse" ? "mse" : "logloss", loss: row, autoOverBest: row.auto! / best, autoOverIncremental: row.auto! / row.incremental! });
    lines.push([name.padEnd(22), ...policies.map(([l]) => row[l]!.toPrecision(4).padStart(12)), (row.auto! / best).toFixed(3).padStart(11), (row.auto! / row.incremental!).toFixed(3).padStart(11)].join(""));
  }
}
await qualityRows(cases, quality);
// The same streams with learners without merge: "auto" keeps copies of them.
lines.push("", "the same with trainers without merge (copies): SGDRegressor({ standardize: true, seed: 1 }) for regression, LogisticRegression({ classes: [0, 1] }) for wet-*");
const copiesQuality: unknown[] = [];
await qualityRows(
  cases.map(([name, batches, setup, , metric]): Case => [name, batches, setup, metric === "rmse" ? () => new SGDRegressor({ standardize: true, seed: 1 }) : () => new LogisticRegression({ classes: [0, 1] }), metric]),
  copiesQuality,
);
out.copiesQuality = copiesQuality;
out.quality = quality;
finish("auto");

/** Prints the results and writes bench/results/<prefix>-<time>.{json,txt}. */
function finish(prefix: string): void {
  console.log(lines.join("\n"));
  const dir = join(fileURLToPath(new URL(".", import.meta.url)), "results");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  writeFileSync(join(dir, `${prefix}-${stamp}.json`), JSON.stringify(out, null, 2));
  writeFileSync(join(dir, `${prefix}-${stamp}.txt`), lines.join("\n") + "\n");
}
