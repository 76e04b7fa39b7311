/**
 * Validation and drift detection:
 * - detector quality on seeded synthetic streams: false alarms per 10,000
 *   stationary values, detection rate and mean delay on abrupt and gradual changes;
 * - throughput of quality + drift checks on 1,000 × 10 numeric batches, and of
 *   schema + quality + drift on the same values as row objects (the path a
 *   Pipeline with a schema takes), with the default tests (KS at 1,000-row
 *   batches, robust normed Wasserstein only when both samples exceed 1,000);
 * - the drift check alone on those batches (KS, and the default test) against
 *   1,000- and 5,000-row references, beside the path it replaced (sort each
 *   batch column, then ksTwoSample / wassersteinDistance), interleaved in one process;
 * - schema validation of row objects (11 numeric fields): zod's safeParse per
 *   row beside the checker compiled from the same schema.
 *
 *   npm run bench:validation       (or npm run bench)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  ADWIN,
  DDM,
  PageHinkley,
  SeededRandom,
  VERSION,
  driftCheck,
  driftStream,
  ksTwoSample,
  qualityChecks,
  runValidators,
  schemaValidator,
  tableFromMatrix,
  wassersteinDistance,
  type DriftDetector,
  type Table,
  type Validator,
} from "../src/index.js";

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const started = new Date();
console.log(`# freshml ${VERSION} validation bench  ${started.toISOString()}  node ${process.version}`);

// ---- detector quality
const SEEDS = 20;
const detectors: Array<[string, () => DriftDetector, boolean]> = [
  ["ADWIN", () => new ADWIN(), false],
  ["PageHinkley", () => new PageHinkley(), false],
  ["DDM", () => new DDM(), true],
];
const quality: Array<Record<string, unknown>> = [];
console.log("\n| detector | stream | false alarms / 10k stationary | abrupt: detected, mean delay | gradual (over 1,000): detected, mean delay |");
console.log("|---|---|---|---|---|");
for (const [name, make, bernoulli] of detectors) {
  const level = bernoulli ? { from: 0.2, to: 0.5 } : { from: 0, to: 0.5 };
  let falseAlarms = 0;
  const delays: Record<string, number[]> = { abrupt: [], gradual: [] };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const d = make();
    for (const v of driftStream({ kind: "stationary", length: 10_000, from: level.from, bernoulli, seed }).values) {
      d.update(v);
      if (d.driftDetected) falseAlarms++;
    }
    for (const kind of ["abrupt", "gradual"] as const) {
      const s = driftStream({ kind, length: 6000, changeAt: 3000, width: 1000, ...level, bernoulli, seed: seed + 1000 });
      const det = make();
      for (let i = 0; i < s.values.length; i++) {
        det.update(s.values[i]!);
        if (det.driftDetected && i >= 3000) {
          delays[kind]!.push(i - 3000);
          break;
        }
      }
    }
  }
  const mean = (a: number[]): string => (a.length ? (a.reduce((x, y) => x + y, 0) / a.length).toFixed(0) : "—");
  const row = {
    detector: name,
    stream: bernoulli ? "0/1 errors, p 0.2 → 0.5" : "Gaussian σ 0.3, mean 0 → 0.5",
    falseAlarmsPer10k: falseAlarms / SEEDS,
    abruptDetected: `${delays.abrupt!.length}/${SEEDS}`,
    abruptMeanDelay: mean(delays.abrupt!),
    gradualDetected: `${delays.gradual!.length}/${SEEDS}`,
    gradualMeanDelay: mean(delays.gradual!),
  };
  quality.push(row);
  console.log(`| ${name} | ${row.stream} | ${row.falseAlarmsPer10k} | ${row.abruptDetected}, ${row.abruptMeanDelay} | ${row.gradualDetected}, ${row.gradualMeanDelay} |`);
}

// ---- quality + drift throughput
const BATCHES = 200;
const names = Array.from({ length: 10 }, (_, j) => `x${j}`);
const rng = new SeededRandom(7);
const batches = Array.from({ length: BATCHES }, () => Float64Array.from({ length: 10_000 }, () => rng.nextGaussian()));
const checksRate = (drift: () => ReturnType<typeof driftCheck>): number => {
const runs: number[] = [];
for (let r = 0; r < 6; r++) {
  const validators = [qualityChecks(), drift()];
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const table = tableFromMatrix(batches[b]!, names);
    const res = runValidators(validators, table, { batchIndex: b });
    if (res.ok) for (const v of validators) v.accept?.(table);
  }
  if (r > 0) runs.push((BATCHES * 1000) / ((performance.now() - t0) / 1e3));
}
return median(runs);
};
const checksRowsPerSec = checksRate(() => driftCheck());
const checksPsiRowsPerSec = checksRate(() => driftCheck({ test: "psi" }));
const qualityOnlyRowsPerSec = checksRate(() => ({ name: "none", validate: () => ({ ok: true, issues: [] }) }) as unknown as ReturnType<typeof driftCheck>);

// ---- the drift check alone: the indexed reference beside the sort-and-merge path it replaced
/**
 * What driftCheck did per numeric column before the reference index: drop
 * missing values, sort the batch column, then ksTwoSample (exact p-value up to
 * 10⁵ cells) or the normed Wasserstein walk. Reference fixed, as in the runs below.
 */
function sortAndMergeCheck(test: "ks" | "wasserstein", reference: Table): Validator {
  const refs = new Map<string, { sorted: Float64Array; sd: number }>();
  const ref0 = reference.rows;
  for (const [name, col] of reference.columns) {
    if (col.kind !== "numeric") continue;
    const sorted = col.values.filter((v) => v === v).sort();
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    refs.set(name, { sorted, sd: Math.sqrt(sorted.reduce((a, v) => a + (v - mean) ** 2, 0) / sorted.length) });
  }
  return {
    name: "sort-and-merge",
    validate(table) {
      const columns = [];
      for (const [name, col] of table.columns) {
        const ref = refs.get(name);
        if (!ref || col.kind !== "numeric") continue;
        // As driftCheck did: a copy without missing values, sorted.
        let n = 0;
        for (let i = 0; i < col.values.length; i++) if (col.values[i] === col.values[i]) n++;
        let cur: Float64Array;
        if (n === col.values.length) cur = col.values.slice().sort();
        else {
          cur = new Float64Array(n);
          for (let i = 0, k = 0; i < col.values.length; i++) if (col.values[i] === col.values[i]) cur[k++] = col.values[i]!;
          cur.sort();
        }
        if (test === "ks") {
          const r = ksTwoSample(ref.sorted, cur, 1e5);
          columns.push({ column: name, test, score: r.statistic, pValue: r.pValue, threshold: 0.05, drifted: r.pValue < 0.05 });
        } else {
          const score = wassersteinDistance(ref.sorted, cur) / (ref.sd > 0 ? ref.sd : 1);
          columns.push({ column: name, test, score, threshold: 0.1, drifted: score >= 0.1 });
        }
      }
      const driftShare = columns.filter((c) => c.drifted).length / columns.length;
      const full = columns.map((c) => ({ ...c, status: c.drifted ? ("drifted" as const) : ("stable" as const), rows: 1000, referenceRows: ref0, nonFinite: 0 }));
      return { ok: true, issues: [], drift: { columns: full, status: driftShare >= 0.5 ? "drifted" : "stable", driftShare, datasetDrift: driftShare >= 0.5, datasetDriftShare: driftShare, datasetAlpha: 0.05, referenceRows: ref0 } };
    },
  };
}
const tables = batches.map((X) => tableFromMatrix(X, names));
/** Rows/s of validate() alone over batches 5…199, old and new path interleaved; medians of 9 runs. */
const checkAloneRates = (refBatches: number, make: (reference: Table) => Validator, makeOld: (reference: Table) => Validator): { rate: number; oldRate: number } => {
  const reference = tableFromMatrix(Float64Array.from(batches.slice(0, refBatches).flatMap((b) => [...b])), names);
  const rate = (v: Validator): number => {
    const t0 = performance.now();
    for (let b = 5; b < BATCHES; b++) if (v.validate(tables[b]!, { batchIndex: b }).drift!.columns.length !== 10) throw new Error("unexpected");
    return ((BATCHES - 5) * 1000) / ((performance.now() - t0) / 1e3);
  };
  const runs: number[] = [];
  const oldRuns: number[] = [];
  for (let r = 0; r < 10; r++) {
    const [fresh, old] = [make(reference), makeOld(reference)];
    const a = rate(fresh);
    const b = rate(old);
    if (r > 0) runs.push(a), oldRuns.push(b);
  }
  return { rate: median(runs), oldRate: median(oldRuns) };
};
const checkAlone = [
  { label: "KS (`test: \"ks\"`), 1,000-row reference", ...checkAloneRates(1, (reference) => driftCheck({ test: "ks", reference }), (r) => sortAndMergeCheck("ks", r)) },
  { label: "default test (KS), 1,000-row reference", ...checkAloneRates(1, (reference) => driftCheck({ reference }), (r) => sortAndMergeCheck("ks", r)) },
  { label: "KS (`test: \"ks\"`), 5,000-row reference", ...checkAloneRates(5, (reference) => driftCheck({ test: "ks", reference }), (r) => sortAndMergeCheck("ks", r)) },
  { label: "default test (KS: a 1,000-row batch is small), 5,000-row reference", ...checkAloneRates(5, (reference) => driftCheck({ reference }), (r) => sortAndMergeCheck("wasserstein", r)) },
  { label: "robust normed Wasserstein (`test: \"wasserstein\"`), 5,000-row reference", ...checkAloneRates(5, (reference) => driftCheck({ test: "wasserstein", reference }), (r) => sortAndMergeCheck("wasserstein", r)) },
];

// ---- schema + quality + drift on row objects (the same values), defaults
const fieldNames = names;
const RowSchema = z.object(Object.fromEntries(fieldNames.map((f) => [f, z.number()])));
const rowObjects = batches.slice(0, 50).map((X) => Array.from({ length: 1000 }, (_, i) => Object.fromEntries(fieldNames.map((f, j) => [f, X[i * 10 + j]!]))));
const fullRuns: number[] = [];
for (let r = 0; r < 6; r++) {
  const rows = schemaValidator(RowSchema);
  const validators = [qualityChecks(), driftCheck()];
  const t0 = performance.now();
  for (let b = 0; b < rowObjects.length; b++) {
    const checked = rows.check(rowObjects[b]!);
    if (!checked.ok) throw new Error("unexpected");
    const res = runValidators(validators, checked.table!, { batchIndex: b });
    if (res.ok) for (const v of validators) v.accept?.(checked.table!);
  }
  if (r > 0) fullRuns.push((rowObjects.length * 1000) / ((performance.now() - t0) / 1e3));
}
const schemaQualityDriftRowsPerSec = median(fullRuns);

// ---- schema validation of row objects
const fields = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"];
const Row = z.object(Object.fromEntries(fields.map((f, i) => [f, i % 2 ? z.number() : z.number().min(-10).max(10)])));
const rowBatches = Array.from({ length: 50 }, () =>
  Array.from({ length: 1000 }, () => Object.fromEntries(fields.map((f) => [f, Math.max(-9, Math.min(9, rng.nextGaussian()))]))),
);
const rowsPerSec = (fn: (rows: object[]) => void): number => {
  const out: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    for (const b of rowBatches) fn(b);
    if (r > 0) out.push((rowBatches.length * 1000) / ((performance.now() - t0) / 1e3));
  }
  return median(out);
};
const zodRate = rowsPerSec((rows) => {
  for (const row of rows) if (!Row.safeParse(row).success) throw new Error("unexpected");
});
const compiled = schemaValidator(Row);
const compiledRate = rowsPerSec((rows) => {
  if (!compiled.check(rows).ok) throw new Error("unexpected");
});
const handRate = rowsPerSec((rows) => {
  for (const row of rows as Array<Record<string, unknown>>) {
    for (const f of fields) {
      const v = row[f];
      if (typeof v !== "number" || v - v !== 0) throw new Error("unexpected");
    }
  }
});

console.log("\n| path | rows/s (median of 5) |");
console.log("|---|---|");
console.log(`| quality + drift (defaults: KS on 1,000-row batches; Fisher / chi-squared for few levels), 1,000 × 10 numeric batches | ${Math.round(checksRowsPerSec).toLocaleString("en-US")} |`);
console.log(`| schema + quality + drift (defaults), the same values as row objects | ${Math.round(schemaQualityDriftRowsPerSec).toLocaleString("en-US")} |`);
console.log(`| quality + drift (PSI), same batches | ${Math.round(checksPsiRowsPerSec).toLocaleString("en-US")} |`);
console.log(`| quality checks alone (table layout included), same batches | ${Math.round(qualityOnlyRowsPerSec).toLocaleString("en-US")} |`);
console.log(`| zod safeParse per row, 11 numeric fields | ${Math.round(zodRate).toLocaleString("en-US")} |`);
console.log(`| schemaValidator (compiled from the same zod schema), incl. table layout | ${Math.round(compiledRate).toLocaleString("en-US")} |`);
console.log(`| hand-written typeof/finite loop (no table) | ${Math.round(handRate).toLocaleString("en-US")} |`);

console.log("\n| drift check alone, 1,000 × 10 numeric batches (median of 9) | rows/s | µs per batch | sort + merge (before) rows/s | speed-up |");
console.log("|---|---|---|---|---|");
for (const c of checkAlone) {
  console.log(`| ${c.label} | ${Math.round(c.rate).toLocaleString("en-US")} | ${Math.round(1e9 / c.rate)} | ${Math.round(c.oldRate).toLocaleString("en-US")} | ×${(c.rate / c.oldRate).toFixed(2)} |`);
}

const outDir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
const out = `${outDir}validation-${started.toISOString().replace(/[:.]/g, "-")}.json`;
writeFileSync(out, JSON.stringify({ started: started.toISOString(), node: process.version, freshml: VERSION, quality, checksRowsPerSec, schemaQualityDriftRowsPerSec, checksPsiRowsPerSec, qualityOnlyRowsPerSec, checkAlone, zodRate, compiledRate, handRate }, null, 1));
console.log(`\nwrote ${out}`);
