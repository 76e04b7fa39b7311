/**
 * The self-tuning policy "auto": cost per batch beside "incremental"
 * (LinearRegression, 1,000-row batches, d = 10 and d = 100, K = 7 candidates),
 * and the prequential error table on synthetic and real streams beside every
 * fixed window chosen in hindsight.
 *
 *   npm run bench:auto
 *
 * Results: printed and written to bench/results/auto-<time>.{json,txt}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LinearRegression, Pipeline, SeededRandom, VERSION, type RetrainPolicy } from "../src/index.js";
import { streams } from "../test/fixtures/real-data.js";

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

async function timed(batches: ReturnType<typeof linearBatches>, policy: RetrainPolicy): Promise<number> {
  const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), policy, detector: null, checkpoint: "end", yieldEveryMs: Infinity });
  const t0 = performance.now();
  await p.runBatches(batches);
  return (performance.now() - t0) / batches.length;
}

lines.push("", "cost per batch (ms, median of 3), 1,000-row batches, LinearRegression", "d      incremental     auto (K=7)   ratio");
const cost: unknown[] = [];
for (const d of [10, 100]) {
  const batches = linearBatches(d === 10 ? 300 : 120, 1000, d, d);
  const inc: number[] = [];
  const auto: number[] = [];
  for (let r = 0; r < 3; r++) {
    inc.push(await timed(batches, "incremental"));
    auto.push(await timed(batches, "auto"));
  }
  const med = (a: number[]): number => [...a].sort((x, y) => x - y)[1]!;
  cost.push({ d, incrementalMs: med(inc), autoMs: med(auto), ratio: med(auto) / med(inc) });
  lines.push(`${String(d).padEnd(7)}${med(inc).toFixed(2).padStart(11)}${med(auto).toFixed(2).padStart(15)}${(med(auto) / med(inc)).toFixed(2).padStart(8)}`);
}
out.cost = cost;

/** Prequential MSE of the learning state (every batch scored before it is learned). */
async function mseOf(batches: unknown[], policy: RetrainPolicy, setup: Record<string, unknown>, make: () => LinearRegression): Promise<number> {
  const p = new Pipeline({ ...setup, trainer: make(), policy, detector: null, checkpoint: "end" } as never);
  const r = await p.runBatches(batches as never);
  return r.metrics.rmse!.challenger! ** 2;
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
lines.push("", "prequential MSE (lower is better); auto vs the best fixed policy in hindsight", ["stream".padEnd(22), ...policies.map(([n]) => n.padStart(12)), "  auto/best"].join(""));
const quality: unknown[] = [];
const cases: Array<[string, unknown[], Record<string, unknown>, () => LinearRegression]> = [
  ...["stationary", "abrupt", "slow"].map((k): [string, unknown[], Record<string, unknown>, () => LinearRegression] => [`synthetic ${k}`, synthetic(k, 1), {}, () => new LinearRegression({ l2: 1e-6 })]),
  ...streams()
    .filter((s) => s.task === "regression")
    .map((s): [string, unknown[], Record<string, unknown>, () => LinearRegression] => [s.id, s.batches, { schema: s.schema, features: s.features, target: s.target }, () => s.trainer() as LinearRegression]),
];
for (const [name, batches, setup, make] of cases) {
  const row: Record<string, number> = {};
  for (const [label, policy] of policies) row[label] = await mseOf(batches, policy, setup, make);
  const best = Math.min(...policies.slice(1).map(([l]) => row[l]!));
  quality.push({ stream: name, mse: row, autoOverBest: row.auto! / best });
  lines.push([name.padEnd(22), ...policies.map(([l]) => row[l]!.toPrecision(4).padStart(12)), (row.auto! / best).toFixed(3).padStart(11)].join(""));
}
out.quality = quality;
console.log(lines.join("\n"));
const dir = join(fileURLToPath(new URL(".", import.meta.url)), "results");
mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
writeFileSync(join(dir, `auto-${stamp}.json`), JSON.stringify(out, null, 2));
writeFileSync(join(dir, `auto-${stamp}.txt`), lines.join("\n") + "\n");
