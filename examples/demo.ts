/**
 * freshml demo: a model that keeps learning versus one trained once.
 *
 *   npm run demo
 *
 * Streams 62 years of monthly Mauna Loa CO₂ readings (examples/data) in
 * 5-year periods. Each period is predicted *before* the models learn from it
 * (prequential, test-then-train), so the error printed is the error a user of
 * the model would have seen. The static model learns the first period only;
 * the others keep learning from every period.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LinearRegression, MAE, RecursiveLeastSquares, type Trainer } from "freshml";

interface Reading {
  year: number;
  month: number;
  co2: number;
}

function load(): Reading[] {
  const text = readFileSync(fileURLToPath(new URL("./data/co2-concentration.csv", import.meta.url)), "utf8");
  return text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [date, co2] = line.split(",");
      const [y, m] = date!.split("-").map(Number);
      return { year: y!, month: m!, co2: Number(co2) };
    });
}

/** Features: time in decades since 1958 and the seasonal cycle as a sine/cosine pair. */
function features(r: Reading): number[] {
  const t = (r.year - 1958 + (r.month - 1) / 12) / 10;
  const phase = (2 * Math.PI * (r.month - 1)) / 12;
  return [t, Math.sin(phase), Math.cos(phase)];
}

const rows = load();
const periods = new Map<number, Reading[]>();
for (const r of rows) {
  const start = 1958 + 5 * Math.floor((r.year - 1958) / 5);
  if (!periods.has(start)) periods.set(start, []);
  periods.get(start)!.push(r);
}

const models: Array<[string, Trainer, boolean]> = [
  ["static (first period only)", new LinearRegression(), false],
  ["LinearRegression, all data", new LinearRegression(), true],
  ["RLS, forgetting 0.98", new RecursiveLeastSquares({ forgetting: 0.98, l2: 1e-2 }), true],
];

console.log(`freshml demo — Mauna Loa CO₂, ${rows.length} monthly readings, predicted one 5-year period ahead`);
console.log("(mean absolute error in ppm of each period's readings, predicted before the models learn them)\n");
console.log(["period".padEnd(10), ...models.map(([name]) => name.padStart(28))].join(""));
let first = true;
const totals = models.map(() => new MAE());
for (const [start, batch] of periods) {
  const X = batch.map(features);
  const y = batch.map((r) => r.co2);
  if (!first) {
    const cells = models.map(([, model], k) => {
      const pred = model.predict(X);
      const mae = new MAE();
      mae.update(y, pred);
      totals[k]!.update(y, pred);
      return mae.get().toFixed(2).padStart(28);
    });
    console.log([`${start}–${start + 4}`.padEnd(10), ...cells].join(""));
  }
  for (const [, model, keepsLearning] of models) if (first || keepsLearning) model.update({ X, y });
  first = false;
}
console.log(["overall".padEnd(10), ...totals.map((m) => m.get().toFixed(2).padStart(28))].join(""));
console.log("\nThe static model's error grows as the trend accelerates; the models that keep learning stay close.");
