/**
 * The pipeline on real, public, time-ordered data (docs/real-data.md).
 *
 * The criteria, on the served champion's prequential score (each batch
 * scored before anything learned it), over the batches after the first period:
 * - weakly drifting data: pipeline ≤ 1.01 × the same learner frozen after the
 *   first period (the metrics are losses: rmse, log loss);
 * - strongly drifting data: the pipeline approaches an expanding-window refit —
 *   here: pipeline ≤ 1.10 × refit (justified in docs/real-data.md) — and is much
 *   better than frozen (≤ 0.5 × frozen).
 *
 * Where a criterion fails today it is marked `it.fails` with its figures, so the
 * suite says so instead of passing a weakened criterion; when the pipeline is
 * fixed, that `it.fails` fails and must become `it`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { baselines, gates, runPipeline, served, streams, table, type Figure, type Score, type Stream } from "../fixtures/real-data.js";
import type { RunReport } from "../../src/index.js";

const reference = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/real-data.json", import.meta.url)), "utf8")) as {
  streams: Record<string, { batches: number; rows: number; frozen: Score; refit: Score; prior?: Score }>;
};

const all = streams();
const baseCache = new Map<string, ReturnType<typeof baselines>>();
const base = (s: Stream): ReturnType<typeof baselines> => {
  if (!baseCache.has(s.id)) baseCache.set(s.id, baselines(s));
  return baseCache.get(s.id)!;
};
const runCache = new Map<string, Promise<RunReport>>();
const run = (s: Stream, gate: string): Promise<RunReport> => {
  const key = `${s.id}/${gate}`;
  if (!runCache.has(key)) runCache.set(key, runPipeline(s, gates(s).find((g) => g.name === gate)!.gate));
  return runCache.get(key)!;
};
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** Relative tolerance of "approach" on strongly drifting data (docs/real-data.md says why). */
const APPROACH = 0.1;
/** The tolerance on weakly drifting data. */
const WEAK = 0.01;

/**
 * Criteria that fail today, with their figures. Empty: the first run of this suite found the default gate
 * frozen on one-row batches (a window of 5 batches could never hold minRows 100 rows; CO₂ monthly was
 * 5.16 × the refit); the evidence window now stretches to hold minRows rows, and minRows defaults to 20.
 */
const KNOWN_FAILURES = new Set<string>();

describe("real data: the data and the baselines", () => {
  it("the data files are the ones docs/real-data.md names (sha1 of vega-datasets 3.2.1's files)", () => {
    const sha1 = (name: string): string =>
      createHash("sha1").update(readFileSync(fileURLToPath(new URL(`../../examples/data/${name}`, import.meta.url)))).digest("hex");
    expect(sha1("co2-concentration.csv")).toBe("b739e44f61cba365c2c92f2516076698273fa7ca");
    expect(sha1("seattle-weather.csv")).toBe("cd594240afef8932e25b173e8b804cdecd1780b6");
  });

  it("every stream is time-ordered, with the first period as batch 0 and every row accounted for", () => {
    const rows = (s: Stream): number => s.batches.reduce((n, b) => n + b.length, 0);
    const byId = new Map(all.map((s) => [s.id, s]));
    expect(rows(byId.get("co2-monthly")!)).toBe(741);
    expect(byId.get("co2-monthly")!.batches[0]!.length).toBe(56); // 1958-03 … 1962-12 (1958-06 and 1958-10 are missing in the record)
    for (const id of ["temp-daily", "wet-daily", "temp-monthly", "wet-monthly"]) {
      expect(rows(byId.get(id)!)).toBe(1461);
      expect(byId.get(id)!.batches[0]!.length).toBe(366); // 2012
    }
    expect(byId.get("temp-daily")!.batches.slice(1).every((b) => b.length === 1)).toBe(true);
    expect(byId.get("temp-monthly")!.batches.length - 1).toBe(36);
    for (const s of all) for (const b of s.batches) for (const r of b) expect(s.schema.safeParse(r).success).toBe(true);
  });

  it.each(all.map((s) => [s.id, s] as const))("%s: frozen, expanding refit and prior equal scikit-learn's (test/fixtures/generate_real_data.py) to 1e-6", (id, s) => {
    const mine = base(s);
    const ref = reference.streams[id]!;
    expect(mine.rows).toBe(ref.rows);
    expect(s.batches.length - 1).toBe(ref.batches);
    for (const role of ["frozen", "refit", "prior"] as const) {
      const a = mine[role];
      const b = ref[role];
      expect(a === undefined).toBe(b === undefined);
      if (!a || !b) continue;
      expect(rel(a.value, b.value)).toBeLessThan(1e-6);
      if (b.accuracy !== undefined) expect(a.accuracy).toBe(b.accuracy);
    }
  });

  it.each(all.map((s) => [s.id, s] as const))("%s: the learning state is the expanding refit (every accepted row learned), and the report's run score pools its batches", async (_id, s) => {
    const report = await run(s, "default");
    expect(report.batches).toEqual({ total: s.batches.length, accepted: s.batches.length, quarantined: 0, skipped: 0 });
    // The exact learners give the same model for any split into batches, so the challenger scores as the refit.
    expect(rel(report.metrics[s.metric]!.challenger!, base(s).refit.value)).toBeLessThan(1e-9);
    // The served model's run score is the pooled score of batches 1..K (batch 0 had no champion).
    const series = report.series[s.metric]!;
    expect(series.batch).toEqual(s.batches.map((_, k) => k));
    expect(series.champion[0]).toBeNull();
    let sum = 0;
    let n = 0;
    for (let k = 1; k < s.batches.length; k++) {
      const v = series.champion[k]!;
      const rows = s.batches[k]!.length;
      sum += s.metric === "rmse" ? v * v * rows : v * rows;
      n += rows;
    }
    expect(rel(served(s, report).value, s.metric === "rmse" ? Math.sqrt(sum / n) : sum / n)).toBeLessThan(1e-9);
  });
});

describe("real data: the issue's criteria", () => {
  for (const s of all) {
    for (const { name } of gates(s)) {
      const key = `${s.id}/${name}`;
      const test = KNOWN_FAILURES.has(key) ? it.fails : it;
      if (s.drift === "weak") {
        test(`${key} (weak drift): pipeline ${s.metric} ≤ ${1 + WEAK} × frozen`, async () => {
          const p = served(s, await run(s, name)).value;
          expect(p).toBeLessThanOrEqual((1 + WEAK) * base(s).frozen.value);
        });
      } else {
        test(`${key} (strong drift): pipeline ${s.metric} ≤ ${1 + APPROACH} × expanding refit and ≤ 0.5 × frozen`, async () => {
          const p = served(s, await run(s, name)).value;
          expect(p).toBeLessThanOrEqual((1 + APPROACH) * base(s).refit.value);
          expect(p).toBeLessThanOrEqual(0.5 * base(s).frozen.value);
        });
      }
    }
  }

  // On one-row batches the default gate must keep replacing the first model (it once could not: see KNOWN_FAILURES).
  for (const id of ["co2-monthly", "temp-daily", "wet-daily"]) {
    it(`${id}/default: the champion is replaced after the first model on one-row batches`, async () => {
      const s = all.find((x) => x.id === id)!;
      const report = await run(s, "default");
      expect(report.promotionsTotal).toBeGreaterThan(1);
    });
  }
});

describe("real data: docs", () => {
  it("docs/real-data.md shows the figures this suite computes (regenerate with npx tsx test/fixtures/real-data.ts)", async () => {
    const rows: Figure[] = [];
    for (const s of all) {
      const b = base(s);
      for (const { name } of gates(s)) {
        const report = await run(s, name);
        rows.push({ stream: s, gate: name, rows: b.rows, promotions: report.promotionsTotal, pipeline: served(s, report), frozen: b.frozen, refit: b.refit, ...(b.prior ? { prior: b.prior } : {}) });
      }
    }
    const doc = readFileSync(fileURLToPath(new URL("../../docs/real-data.md", import.meta.url)), "utf8");
    const shown = /<!-- figures:start -->\n([\s\S]*?)\n<!-- figures:end -->/.exec(doc)?.[1];
    expect(shown).toBe(table(rows));
  });
});
