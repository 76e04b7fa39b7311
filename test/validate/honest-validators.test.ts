/**
 * Issue 11 (validators that don't cry wolf) and issue 10 items 9, 16 and 18:
 * each `describe` failed on the main branch before this change.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  driftCheck,
  FreshmlError,
  groupIssues,
  qualityChecks,
  restoreValidators,
  runValidators,
  saveValidators,
  schemaValidator,
  SeededRandom,
  tableFromMatrix,
  type Column,
  type DriftCheckState,
  type QualityState,
  type Table,
} from "../../src/index.js";
import { measure, seattleTable, SIZES } from "./false-alarms.js";

const ctx = { batchIndex: 0 };
const gauss = (seed: number, n: number, shift = 0): Float64Array => {
  const rng = new SeededRandom(seed);
  return Float64Array.from({ length: n }, () => shift + rng.nextGaussian());
};
const table = (cols: Record<string, Float64Array | Column>): Table => {
  const columns = new Map<string, Column>();
  let rows = 0;
  for (const [k, v] of Object.entries(cols)) {
    const col: Column = v instanceof Float64Array ? { kind: "numeric", values: v } : v;
    rows = col.kind === "numeric" ? col.values.length : col.codes.length;
    columns.set(k, col);
  }
  return { rows, columns };
};

describe("measured false-alarm rates (defaults, ≥ 100 seeded batches per size)", () => {
  // A synthetic reference of 10 columns of several shapes, and all 1,461 days of Seattle weather (real data).
  const rng = new SeededRandom(2026);
  const synth = (r: SeededRandom, n: number, shift = 0): Table => {
    const cols: Record<string, Float64Array | Column> = {};
    for (let j = 0; j < 6; j++) cols[`x${j}`] = Float64Array.from({ length: n }, () => shift + r.nextGaussian());
    cols.rounded = Float64Array.from({ length: n }, () => Math.round((shift + r.nextGaussian()) * 2) / 2);
    cols.flag = Float64Array.from({ length: n }, () => (r.next() < 0.05 ? 1 : 0));
    cols.category = { kind: "categorical", codes: Int32Array.from({ length: n }, () => (r.next() < 0.6 ? 0 : r.next() < 0.7 ? 1 : 2)), levels: ["a", "b", "c"] };
    return table(cols);
  };
  const reference = synth(rng, 5000);
  const seattle = seattleTable();
  const resample = (r: SeededRandom, ref: Table, n: number, shift = 0): Table => {
    const pick = Int32Array.from({ length: n }, () => r.nextInt(ref.rows));
    const cols: Record<string, Float64Array | Column> = {};
    for (const [name, col] of ref.columns) {
      if (col.kind === "categorical") cols[name] = { kind: "categorical", codes: Int32Array.from(pick, (i) => col.codes[i]!), levels: col.levels };
      else {
        const mean = col.values.reduce((a, b) => a + b, 0) / ref.rows;
        const sd = Math.sqrt(col.values.reduce((a, b) => a + (b - mean) ** 2, 0) / ref.rows);
        cols[name] = Float64Array.from(pick, (i) => col.values[i]! + shift * sd);
      }
    }
    return table(cols);
  };

  it.each(SIZES.map((s) => [s]))("independent draws from the reference's population, %i rows: dataset drift ≤ 5 %", (size) => {
    const r = measure("synthetic", reference, (g, n) => synth(g, n), size, 100, 7);
    expect(r.datasetRate).toBeLessThanOrEqual(0.05);
    // Each column at α = 0.05 (100 batches × 9 columns: ±1.5 % noise); batch-level warnings at most α in expectation.
    expect(r.columnRate).toBeLessThanOrEqual(0.07);
    expect(r.warnedRate).toBeLessThanOrEqual(0.1);
    expect(r.notAssessedRate).toBe(0);
  });

  it.each(SIZES.map((s) => [s]))("real data: Seattle weather resampled, %i rows: dataset drift ≤ 5 %", (size) => {
    const r = measure("seattle", seattle, (g, n) => resample(g, seattle, n), size, 100, 8);
    expect(r.datasetRate).toBeLessThanOrEqual(0.05);
    expect(r.columnRate).toBeLessThanOrEqual(0.07);
    expect(r.warnedRate).toBeLessThanOrEqual(0.1);
  });

  it("detects a mean shift of 0.5 sd at 1,000 rows in ≥ 90 % of batches (synthetic and real)", () => {
    expect(measure("synthetic shift", reference, (g, n) => synth(g, n, 0.5), 1000, 100, 9).datasetRate).toBeGreaterThanOrEqual(0.9);
    expect(measure("seattle shift", seattle, (g, n) => resample(g, seattle, n, 0.5), 1000, 100, 10).datasetRate).toBeGreaterThanOrEqual(0.9);
  });

  it("the share rule alone would not hold 5 % with two columns: the dataset level is corrected", () => {
    // Two independent columns at α = 0.05 each: "share ≥ 0.5" = "either drifted" ≈ 9.75 % of clean batches.
    const two = table({ a: gauss(1, 3000), b: gauss(2, 3000) });
    const r = measure("two columns", two, (g, n) => table({ a: Float64Array.from({ length: n }, () => g.nextGaussian()), b: Float64Array.from({ length: n }, () => g.nextGaussian()) }), 100, 400, 11);
    expect(r.anyColumnRate).toBeGreaterThan(0.06); // the uncorrected share rule
    expect(r.datasetRate).toBeLessThanOrEqual(0.05); // α · r / k = 0.025 per column
  });

  it("below minRows a column is not assessed: neither drift nor no drift", () => {
    const d = driftCheck({ reference: table({ a: gauss(1, 500) }) });
    const r = d.validate(table({ a: gauss(2, 12, 5) }), ctx).drift!;
    expect(r.columns[0]).toMatchObject({ status: "not_assessed", drifted: false, score: null, rows: 12 });
    expect(r.columns[0]!.reason).toMatch(/fewer than minRows 20/);
    expect(r.datasetDrift).toBeNull();
    expect(r.status).toBe("not_assessed");
  });

  it("distance thresholds only when both samples are large; p-value tests otherwise", () => {
    const d = driftCheck({ reference: table({ a: gauss(1, 5000) }) });
    expect(d.validate(table({ a: gauss(2, 30) }), ctx).drift!.columns[0]!.test).toBe("ks");
    expect(d.validate(table({ a: gauss(2, 1000) }), ctx).drift!.columns[0]!.test).toBe("ks");
    expect(d.validate(table({ a: gauss(2, 1001) }), ctx).drift!.columns[0]!.test).toBe("wasserstein");
    const small = driftCheck({ reference: table({ a: gauss(1, 300) }) });
    expect(small.validate(table({ a: gauss(2, 5000) }), ctx).drift!.columns[0]!.test).toBe("ks");
  });
});

describe("constant_column (issue 11)", () => {
  it("stays quiet on a sparse 0/1 flag that is all 0 in a batch", () => {
    const q = qualityChecks();
    const rng = new SeededRandom(3);
    for (let k = 0; k < 12; k++) q.accept!(table({ snow: Float64Array.from({ length: 30 }, () => (rng.next() < 0.03 ? 1 : 0)), temp: gauss(k, 30) }));
    const summer = q.validate(table({ snow: new Float64Array(30), temp: gauss(99, 30) }), ctx);
    expect(summer.issues.filter((i) => i.code === "constant_column")).toEqual([]);
  });

  it("fires when a column that was never constant becomes constant (a stuck sensor)", () => {
    const q = qualityChecks({ maxDuplicateRate: 1 });
    q.accept!(table({ temp: gauss(1, 200) }));
    const stuck = q.validate(table({ temp: new Float64Array(30).fill(21.5) }), ctx);
    expect(stuck.issues).toMatchObject([{ code: "constant_column", column: "temp", observed: 21.5, severity: "warn" }]);
    expect(stuck.ok).toBe(true);
  });

  it("stays quiet for a column that was constant in the accepted batches", () => {
    const q = qualityChecks({ maxDuplicateRate: 1 });
    q.accept!(table({ version: new Float64Array(100).fill(3) }));
    expect(q.validate(table({ version: new Float64Array(30).fill(3) }), ctx).issues).toEqual([]);
  });
});

describe("learnRanges (issue 11)", () => {
  it("widens with accepted batches and tolerates a margin", () => {
    const q = qualityChecks({ learnRanges: { warmupRows: 30 } });
    // A warm-up month of 0…10, then months that creep up by 2 each: all accepted, the range follows.
    for (let k = 0; k < 12; k++) {
      const month = table({ x: Float64Array.from({ length: 30 }, (_, i) => 2 * k + (i / 29) * 10) });
      const r = q.validate(month, ctx);
      expect(r.ok).toBe(true);
      q.accept!(month);
    }
    const state = q.toJSON!() as QualityState;
    expect(state.ranges[0]).toMatchObject({ column: "x", min: 0, max: 32 });
  });

  it("0/1 columns learn no zero-width range", () => {
    const q = qualityChecks({ learnRanges: { warmupRows: 0 }, maxDuplicateRate: 1 });
    q.accept!(table({ flag: new Float64Array(200) })); // all 0 so far
    expect(q.validate(table({ flag: Float64Array.from({ length: 30 }, (_, i) => i % 2) }), ctx).issues).toEqual([]);
  });

  it("one wild value is a warning, not a quarantine, and does not widen the range; a unit change is an error", () => {
    const q = qualityChecks({ learnRanges: { warmupRows: 0 }, maxDuplicateRate: 1 });
    q.accept!(table({ temp: Float64Array.from({ length: 300 }, (_, i) => 5 + (i % 20)) })); // 5…24
    const wild = table({ temp: Float64Array.from({ length: 30 }, (_, i) => (i === 7 ? 999 : 10 + (i % 10))) });
    const r = q.validate(wild, ctx);
    expect(r.ok).toBe(true);
    expect(r.issues).toMatchObject([{ code: "out_of_range", severity: "warn", column: "temp", observed: { count: 1, max: 999 } }]);
    q.accept!(wild);
    // The next month is judged against the same range: 999 was not learned.
    const next = q.validate(table({ temp: Float64Array.from({ length: 30 }, (_, i) => 10 + (i % 10)) }), ctx);
    expect(next.issues).toEqual([]);
    const unit = q.validate(table({ temp: Float64Array.from({ length: 30 }, (_, i) => 1000 * (10 + (i % 10))) }), ctx);
    expect(unit.ok).toBe(false);
    expect(unit.issues[0]).toMatchObject({ code: "out_of_range", severity: "error", column: "temp", observed: { count: 30 } });
  });
});

describe("label balance (issue 11; issue 10 item 18)", () => {
  it("works on boolean (0/1) and numeric labels", () => {
    const q = qualityChecks({ label: { column: "y", minShare: 0.1 }, maxDuplicateRate: 1 });
    const y = Float64Array.from({ length: 100 }, (_, i) => (i < 97 ? 0 : 1));
    const r = q.validate(table({ x: gauss(1, 100), y }), ctx);
    expect(r.issues).toMatchObject([{ code: "label_imbalance", column: "y", observed: { minShare: 0.03, counts: { 0: 97, 1: 3 } } }]);
    const classes = Float64Array.from({ length: 100 }, (_, i) => (i < 50 ? 2 : i < 99 ? 5 : 7));
    expect(q.validate(table({ y: classes }), ctx).issues[0]).toMatchObject({ code: "label_imbalance", observed: { minShare: 0.01 } });
  });

  it("counts a level named __proto__ like any other", () => {
    const q = qualityChecks({ label: { column: "y", minShare: 0.1 }, maxDuplicateRate: 1 });
    const codes = Int32Array.from({ length: 100 }, (_, i) => (i < 98 ? 0 : 1));
    const r = q.validate(table({ y: { kind: "categorical", codes, levels: ["ok", "__proto__"] } }), ctx);
    expect(r.issues).toHaveLength(1);
    const counts = (r.issues[0] as { observed: { counts: Record<string, number> } }).observed.counts;
    expect(Object.keys(counts)).toEqual(["ok", "__proto__"]);
    expect(counts["__proto__"]).toBe(2);
    expect(({} as Record<string, unknown>).ok).toBeUndefined(); // no prototype touched
  });
});

describe("hostile magnitudes in drift (issue 10 item 9)", () => {
  it("one accepted 1e200 in the reference does not hide a +1000 shift", () => {
    const ref = gauss(1, 5000);
    ref[123] = 1e200;
    for (const [size, test] of [[400, "ks"], [2000, "wasserstein"]] as const) {
      const d = driftCheck();
      d.accept!(table({ x: ref }));
      const clean = d.validate(table({ x: gauss(2, size) }), ctx).drift!.columns[0]!;
      const moved = d.validate(table({ x: gauss(3, size, 1000) }), ctx).drift!.columns[0]!;
      expect(clean).toMatchObject({ test, drifted: false });
      expect(moved).toMatchObject({ test, drifted: true });
      expect(moved.score).toBeGreaterThan(test === "ks" ? 0.99 : 2);
    }
  });

  it("±Infinity in a batch: a finite score, a non_finite quality issue, never a silent \"no drift\"", () => {
    const d = driftCheck({ test: "wasserstein", reference: table({ x: gauss(1, 3000) }) });
    const values = gauss(2, 2000, 3);
    values[5] = Infinity;
    values[6] = -Infinity;
    const r = runValidators([qualityChecks(), d], table({ x: values }), ctx);
    const col = r.drift!.columns[0]!;
    expect(Number.isFinite(col.score)).toBe(true);
    expect(col).toMatchObject({ drifted: true, nonFinite: 2 });
    expect(r.issues.map((i) => [i.code, i.severity])).toContainEqual(["non_finite", "error"]);
    expect(r.ok).toBe(false);
  });

  it("infinities never enter the reference", () => {
    const d = driftCheck();
    const v = gauss(1, 3000);
    v[0] = Infinity;
    d.accept!(table({ x: v }));
    const state = d.toJSON!() as DriftCheckState;
    expect(state.columns[0]!.values).toHaveLength(2999);
    expect(state.columns[0]!.values.every(Number.isFinite)).toBe(true);
  });
});

describe("sparse arrays claiming 2³²−1 rows (issue 10 item 16)", () => {
  const Row = z.object({ a: z.number(), b: z.number() });
  for (const compile of [true, false]) {
    it(`are refused at once with batch_too_large (compile: ${compile})`, () => {
      const rows: unknown[] = [];
      rows.length = 2 ** 32 - 1;
      const t0 = performance.now();
      let err: unknown;
      try {
        schemaValidator(Row, { compile }).check(rows);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FreshmlError);
      expect((err as FreshmlError).code).toBe("batch_too_large");
      expect((err as FreshmlError).details).toMatchObject({ observed: 2 ** 32 - 1, expected: 10_000_000 });
      expect(performance.now() - t0).toBeLessThan(1000);
    });
  }

  it("a sparse batch under the limit is reported quickly, holes counted beyond the kept issues", () => {
    const rows: unknown[] = [{ a: 1, b: 2 }];
    rows.length = 2_000_000;
    for (const compile of [true, false]) {
      const t0 = performance.now();
      const r = schemaValidator(Row, { compile }).check(rows);
      expect(r.ok).toBe(false);
      expect(r.issues).toHaveLength(20);
      expect(r.issuesOmitted).toBe(2_000_000 - 1 - 20);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  });
});

describe("validator state survives a restart", () => {
  it("toJSON / restore: a fresh validator judges the next batch exactly as the old one", () => {
    const make = () => [qualityChecks({ learnRanges: { warmupRows: 0 } }), driftCheck({ referenceRows: 800, rolling: true })];
    const old = make();
    const level = (seed: number, n: number): Column => ({ kind: "categorical", codes: Int32Array.from(gauss(seed, n), (v) => (v > 0.5 ? 1 : v > -0.5 ? 0 : 2)), levels: ["mid", "high", "low"] });
    for (let k = 0; k < 4; k++) {
      const t = table({ a: gauss(k, 300, k * 0.1), c: level(k + 10, 300) });
      for (const v of old) v.accept!(t);
    }
    const saved = JSON.parse(JSON.stringify(saveValidators(old)));
    const fresh = make();
    restoreValidators(fresh, saved);
    const probe = table({ a: gauss(50, 300, 0.8), c: level(51, 300) });
    const a = runValidators(old, probe, ctx);
    const b = runValidators(fresh, probe, ctx);
    expect(JSON.parse(JSON.stringify(b))).toEqual(JSON.parse(JSON.stringify(a)));
    expect(a.issues.length).toBeGreaterThan(0);
    // And they keep learning alike.
    for (const v of [...old, ...fresh]) v.accept!(probe);
    expect(saveValidators(fresh)).toEqual(saveValidators(old));
  });

  it("restore refuses a bad state with invalid_state and changes nothing", () => {
    const vs = [qualityChecks(), driftCheck()];
    vs[1]!.accept!(table({ a: gauss(1, 100) }));
    const before = saveValidators(vs);
    const bad = [
      null,
      [before[0], { ...before[1]!, columns: [{ name: "a", kind: "numeric", values: [1, Infinity], levels: [] }] }],
      [before[0], { ...before[1]!, version: 2 }],
      [{ kind: "quality", version: 1, ranges: [{ column: "a", min: 5, max: 1, rows: 3, binary: false }], sketches: [] }, before[1]],
      [before[0]],
    ];
    for (const s of bad) {
      expect(() => restoreValidators(vs, s)).toThrow(expect.objectContaining({ code: "invalid_state" }));
      expect(saveValidators(vs)).toEqual(before);
    }
  });
});

describe("groupIssues", () => {
  it("groups by code and column with counts, first rows and observed/expected examples", () => {
    const rows = schemaValidator(z.object({ t: z.number().max(50), u: z.number() }), { maxIssues: 100 });
    const batch = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? { t: 60 + i, u: 1 } : { t: 20, uu: 1 }));
    const r = rows.check(batch);
    const groups = groupIssues(r.issues);
    expect(groups.map((g) => [g.code, g.column, g.count, g.severity])).toEqual([
      ["schema", "t", 10, "error"],
      ["schema", "u", 30, "error"],
    ]);
    expect(groups[0]!.firstRows).toEqual([0, 4, 8, 12, 16]);
    expect(groups[0]!.examples[0]).toMatchObject({ row: 0, observed: { zodCode: "too_big", path: ["t"] } });
    const q = qualityChecks({ ranges: { x: { min: 0, max: 1 } } }).validate(tableFromMatrix(new Float64Array([5, NaN, 0.5, 7]), ["x"]), ctx);
    expect(groupIssues(q.issues)).toMatchObject([
      { code: "missing_rate", column: "x", count: 1, examples: [{ observed: 0.25, expected: 0.05 }] },
      { code: "out_of_range", column: "x", count: 1, examples: [{ observed: { count: 2, min: 0.5, max: 7 }, expected: { min: 0, max: 1 } }] },
    ]);
  });
});
