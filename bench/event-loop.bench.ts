/**
 * Does a retraining run freeze its host? A 5 ms setInterval in the same
 * process records when it fires while a Pipeline (LinearRegression, d = 100)
 * learns 500 batches of 1,000 rows from a synchronous source; the gaps
 * between fires are the host's stalls. In-thread, without yielding
 * (`yieldEveryMs: Infinity`, the old behaviour) and with the default (10 ms).
 *
 *   npm run bench:event-loop  [-- --batches 500 --rows 1000 --cols 100]
 *
 * Results: printed and written to bench/results/event-loop-<time>.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LinearRegression, Pipeline, SeededRandom, VERSION } from "../src/index.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BATCHES = arg("batches", 500);
const ROWS = arg("rows", 1000);
const COLS = arg("cols", 100);

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

async function measure(mode: string, yieldEveryMs: number): Promise<Result> {
  const fires: number[] = [];
  const timer = setInterval(() => fires.push(performance.now()), 5);
  const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), yieldEveryMs, checkpoint: "end" });
  const t0 = performance.now();
  fires.push(t0);
  await p.runBatches(source());
  const t1 = performance.now();
  fires.push(t1);
  clearInterval(timer);
  const gaps = fires.slice(1).map((t, i) => t - fires[i]!);
  return { mode, yieldEveryMs, runMs: t1 - t0, fires: fires.length - 2, gapP50Ms: quantile(gaps, 0.5), gapP99Ms: quantile(gaps, 0.99), gapMaxMs: Math.max(...gaps) };
}

const results: Result[] = [];
for (let rep = 0; rep < 3; rep++) {
  results.push(await measure("in-thread, no yielding", Infinity));
  results.push(await measure("in-thread, default", 10));
}
const med = (mode: string, k: keyof Result): number => {
  const v = results.filter((r) => r.mode === mode).map((r) => r[k] as number).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
};
const modes = [...new Set(results.map((r) => r.mode))];
const lines = [
  `freshml ${VERSION} event-loop bench: ${BATCHES} batches × ${ROWS} rows × ${COLS} cols, LinearRegression; 5 ms setInterval; median of 3 runs`,
  "mode                      run ms   timer fires   gap p50   gap p99   gap max",
  ...modes.map(
    (m) =>
      `${m.padEnd(24)}${med(m, "runMs").toFixed(0).padStart(8)}${med(m, "fires").toFixed(0).padStart(14)}${med(m, "gapP50Ms").toFixed(1).padStart(10)}${med(m, "gapP99Ms").toFixed(1).padStart(10)}${med(m, "gapMaxMs").toFixed(1).padStart(10)}`,
  ),
  `cost of yielding: run time ${((med("in-thread, default", "runMs") / med("in-thread, no yielding", "runMs") - 1) * 100).toFixed(1)} % (median runs)`,
];
console.log(lines.join("\n"));
const dir = join(fileURLToPath(new URL(".", import.meta.url)), "results");
mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
writeFileSync(join(dir, `event-loop-${stamp}.json`), JSON.stringify({ version: VERSION, batches: BATCHES, rows: ROWS, cols: COLS, results }, null, 2));
writeFileSync(join(dir, `event-loop-${stamp}.txt`), lines.join("\n") + "\n");
