/**
 * Measured false-alarm and detection rates of driftCheck with its defaults,
 * for test/validate/false-alarms.test.ts and the table in docs/validation.md.
 *
 * Three nulls, each at batch sizes 30, 100, 1,000 and 10,000, 100 seeded
 * batches per size:
 * - "synthetic, independent": a 5,000-row reference and batches drawn afresh
 *   from the same population (10 columns: 5 Gaussian, 2 correlated with the
 *   first, a log-normal, values rounded to 0.5 (ties), a sparse 0/1 flag at
 *   5 %, and a 4-level category);
 * - "synthetic, resampled": the same reference, batches drawn with
 *   replacement from the reference itself (what issue 11 measured);
 * - "Seattle weather, resampled": the reference is all 1,461 days of
 *   examples/data/seattle-weather.csv (NOAA via vega-datasets; precipitation,
 *   temp_max, temp_min, wind, weather), batches drawn from it with replacement.
 * And two alternatives: every numeric column shifted by 0.5 of its standard
 * deviation (synthetic, independent draws; and Seattle, resampled).
 *
 * Print the table:  npx tsx test/validate/false-alarms.ts
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { driftCheck, SeededRandom, type Column, type DriftCheckOptions, type Table } from "../../src/index.js";

/** One measured row: rates over `batches` batches of `size` rows. */
export interface Rates {
  /** Which null or alternative. */
  scenario: string;
  /** Rows per batch. */
  size: number;
  /** Batches measured. */
  batches: number;
  /** Share of (batch, column) pairs flagged drifted. */
  columnRate: number;
  /** The largest share among columns. */
  worstColumnRate: number;
  /** The column with that share. */
  worstColumn: string;
  /** Share of batches with at least one column drifted at its own threshold. */
  anyColumnRate: number;
  /** Share of batches given a `distribution_drift` warning (default `issues: "batch"`). */
  warnedRate: number;
  /** Share of batches with dataset drift. */
  datasetRate: number;
  /** Share of batches not assessed. */
  notAssessedRate: number;
  /** The tests used, by column kind. */
  tests: string;
}

const numericCol = (values: Float64Array): Column => ({ kind: "numeric", values });

/** A synthetic population: 10 columns of several shapes. `shift` moves every numeric column's mean by shift × its sd. */
function synthetic(rng: SeededRandom, rows: number, shift = 0): Table {
  const cols = Array.from({ length: 9 }, () => new Float64Array(rows));
  const codes = new Int32Array(rows);
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8] = cols as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  for (let i = 0; i < rows; i++) {
    const g0 = rng.nextGaussian();
    c0[i] = g0 + shift;
    c1[i] = rng.nextGaussian() + shift;
    c2[i] = rng.nextGaussian() + shift;
    c3[i] = rng.nextGaussian() + shift;
    c4[i] = rng.nextGaussian() + shift;
    c5[i] = 0.8 * g0 + 0.6 * rng.nextGaussian() + shift; // correlated with x0
    const z = rng.nextGaussian();
    // log-normal, sd ≈ 0.6 at σ = 0.5 (shift in its own sd)
    c6[i] = Math.exp(0.5 * z) + shift * 0.6;
    c7[i] = Math.round((rng.nextGaussian() + shift) * 2) / 2; // ties
    c8[i] = rng.next() < 0.05 ? 1 : 0; // sparse flag
    const u = rng.next();
    codes[i] = u < 0.5 ? 0 : u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
  }
  const columns = new Map<string, Column>();
  ["x0", "x1", "x2", "x3", "x4", "x5_corr", "lognormal", "rounded", "flag"].forEach((n, j) => columns.set(n, numericCol(cols[j]!)));
  columns.set("category", { kind: "categorical", codes, levels: ["a", "b", "c", "d"] });
  return { rows, columns };
}

/** Rows drawn with replacement from a table; numeric columns shifted by `shift` × their sd. */
function resample(rng: SeededRandom, ref: Table, rows: number, shift = 0): Table {
  const pick = Int32Array.from({ length: rows }, () => rng.nextInt(ref.rows));
  const columns = new Map<string, Column>();
  for (const [name, col] of ref.columns) {
    if (col.kind === "numeric") {
      let sd = 0;
      if (shift !== 0) {
        const mean = col.values.reduce((a, b) => a + b, 0) / ref.rows;
        sd = Math.sqrt(col.values.reduce((a, b) => a + (b - mean) ** 2, 0) / ref.rows);
      }
      columns.set(name, numericCol(Float64Array.from(pick, (r) => col.values[r]! + shift * sd)));
    } else columns.set(name, { kind: "categorical", codes: Int32Array.from(pick, (r) => col.codes[r]!), levels: col.levels });
  }
  return { rows, columns };
}

/** All 1,461 days of examples/data/seattle-weather.csv as a table (precipitation, temp_max, temp_min, wind, weather). */
export function seattleTable(): Table {
  const text = readFileSync(fileURLToPath(new URL("../../examples/data/seattle-weather.csv", import.meta.url)), "utf8");
  const lines = text.trim().split("\n").slice(1).map((l) => l.split(","));
  const levels: string[] = [];
  const codes = Int32Array.from(lines, (l) => {
    let c = levels.indexOf(l[5]!);
    if (c < 0) c = levels.push(l[5]!) - 1;
    return c;
  });
  const num = (j: number): Column => numericCol(Float64Array.from(lines, (l) => Number(l[j])));
  return {
    rows: lines.length,
    columns: new Map<string, Column>([
      ["precipitation", num(1)],
      ["temp_max", num(2)],
      ["temp_min", num(3)],
      ["wind", num(4)],
      ["weather", { kind: "categorical", codes, levels }],
    ]),
  };
}

/** Rates of driftCheck(options) against `reference` over `batches` batches from `draw`. */
export function measure(scenario: string, reference: Table, draw: (rng: SeededRandom, size: number) => Table, size: number, batches = 100, seed = 1, options: DriftCheckOptions = {}): Rates {
  const d = driftCheck({ reference, ...options });
  const rng = new SeededRandom(seed * 1_000_003 + size);
  let flagged = 0;
  let pairs = 0;
  let any = 0;
  let warned = 0;
  let dataset = 0;
  let notAssessed = 0;
  const perColumn = new Map<string, number>();
  const tests = new Set<string>();
  for (let b = 0; b < batches; b++) {
    const result = d.validate(draw(rng, size), { batchIndex: b });
    const report = result.drift!;
    if (result.issues.length > 0) warned++;
    if (report.datasetDrift === null) notAssessed++;
    if (report.datasetDrift) dataset++;
    let k = 0;
    for (const c of report.columns) {
      if (c.status === "not_assessed") continue;
      pairs++;
      tests.add(c.test);
      if (c.drifted) {
        flagged++;
        k++;
        perColumn.set(c.column, (perColumn.get(c.column) ?? 0) + 1);
      }
    }
    if (k > 0) any++;
  }
  return {
    scenario,
    size,
    batches,
    columnRate: flagged / Math.max(1, pairs),
    worstColumnRate: Math.max(0, ...perColumn.values()) / batches,
    worstColumn: [...perColumn].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "—",
    anyColumnRate: any / batches,
    warnedRate: warned / batches,
    datasetRate: dataset / batches,
    notAssessedRate: notAssessed / batches,
    tests: [...tests].sort().join(", "),
  };
}

export const SIZES: readonly number[] = process.env.FA_SIZES ? process.env.FA_SIZES.split(",").map(Number) : [30, 100, 1000, 10_000];

/** Every row of the table: three nulls and two shifts at each size. */
export function measureAll(batches = 100): Rates[] {
  const out: Rates[] = [];
  const refRng = new SeededRandom(2026);
  const synthRef = synthetic(refRng, 5000);
  const seattle = seattleTable();
  for (const size of SIZES) {
    const t0 = performance.now();
    out.push(measure("synthetic, independent draws", synthRef, (rng, n) => synthetic(rng, n), size, batches, 1));
    out.push(measure("synthetic, resampled from the reference", synthRef, (rng, n) => resample(rng, synthRef, n), size, batches, 2));
    out.push(measure("Seattle weather, resampled", seattle, (rng, n) => resample(rng, seattle, n), size, batches, 3));
    out.push(measure("synthetic, shift 0.5 sd (independent draws)", synthRef, (rng, n) => synthetic(rng, n, 0.5), size, batches, 4));
    out.push(measure("Seattle weather, shift 0.5 sd (resampled)", seattle, (rng, n) => resample(rng, seattle, n, 0.5), size, batches, 5));
    if (process.env.FA_TIMING) console.error(size, Math.round(performance.now() - t0), "ms");
  }
  return out;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** The markdown table of docs/validation.md. */
export function table(rows: readonly Rates[]): string {
  const lines = [
    "| data | batch rows | tests used | columns drifted (each at α) | worst column | batches with a column drifted | batches warned | dataset drift |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.size.toLocaleString("en-US")} | ${r.tests} | ${pct(r.columnRate)} | ${pct(r.worstColumnRate)} (${r.worstColumn}) | ${pct(r.anyColumnRate)} | ${pct(r.warnedRate)} | ${pct(r.datasetRate)} |`);
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const rows = measureAll(Number(process.argv[2] ?? 100));
  console.log(table(rows));
  // The share rule with two independent columns: "either drifted" at α each, against the corrected dataset level.
  // (As in test/validate/honest-validators.test.ts.)
  const two = (ra: SeededRandom, rb: SeededRandom, n: number): Table => ({
    rows: n,
    columns: new Map<string, Column>([
      ["a", numericCol(Float64Array.from({ length: n }, () => ra.nextGaussian()))],
      ["b", numericCol(Float64Array.from({ length: n }, () => rb.nextGaussian()))],
    ]),
  });
  const pair = measure("two independent Gaussian columns", two(new SeededRandom(1), new SeededRandom(2), 3000), (r, n) => two(r, r, n), 100, 400, 11);
  console.log(`\n${rows[0]!.batches} batches per row, seeded; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`Two independent columns, 100 rows, 400 batches: a column drifted (Evidently's share rule) in ${pct(pair.anyColumnRate)} of batches; dataset drift ${pct(pair.datasetRate)}.`);
}
