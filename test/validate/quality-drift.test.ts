import { describe, expect, it } from "vitest";
import { driftCheck, qualityChecks, runValidators, SeededRandom, tableFromMatrix, type Table } from "../../src/index.js";

const ctx = { batchIndex: 0 };
function gaussianTable(seed: number, rows: number, shift = 0, cols = ["a", "b"]): Table {
  const rng = new SeededRandom(seed);
  return tableFromMatrix(Float64Array.from({ length: rows * cols.length }, (_, k) => (k % cols.length === 0 ? shift : 0) + rng.nextGaussian()), cols);
}

describe("qualityChecks", () => {
  it("flags each rule with its default severity", () => {
    const t = tableFromMatrix(new Float64Array([NaN, 5, 1, 5, 2, 5, 3, 99]), ["a", "b"], { values: [0, 0, 0, 1], categorical: true, name: "label" });
    const r = qualityChecks({ maxMissingRate: 0.1, ranges: { b: { min: 0, max: 10 } }, minRows: 10, label: { column: "label", minShare: 0.3 } }).validate(t, ctx);
    const codes = r.issues.map((i) => [i.code, i.column, i.severity]);
    expect(codes).toEqual([
      ["too_few_rows", undefined, "error"],
      ["missing_rate", "a", "error"],
      ["out_of_range", "b", "error"],
      ["label_imbalance", "label", "warn"],
    ]);
    expect(r.ok).toBe(false);
    expect(r.issues[2]).toMatchObject({ observed: { count: 1, min: 5, max: 99 }, expected: { min: 0, max: 10 } });
    for (const i of r.issues) expect(i.message.length).toBeGreaterThan(10);
  });

  it("reports constant columns and duplicated rows as warnings; the batch stays ok", () => {
    const t = tableFromMatrix(new Float64Array([1, 7, 1, 7, 1, 7, 2, 7]), ["a", "b"]);
    const q = qualityChecks({ maxDuplicateRate: 0.25 });
    // b was never constant in the accepted batches, and 7 was one value among 100.
    q.accept!(tableFromMatrix(Float64Array.from({ length: 200 }, (_, k) => (k % 2 ? k / 2 : k)), ["a", "b"]));
    const r = q.validate(t, ctx);
    expect(r.ok).toBe(true);
    expect(r.issues.map((i) => i.code)).toEqual(["constant_column", "duplicate_rows"]);
    expect(r.issues[1]).toMatchObject({ observed: 0.5 });
  });

  it("learns ranges from accepted batches", () => {
    const q = qualityChecks({ learnRanges: { margin: 0.1, warmupRows: 0 } });
    q.accept!(tableFromMatrix(new Float64Array([0, 10]), ["x"]));
    expect(q.validate(tableFromMatrix(new Float64Array([5, 10.5]), ["x"]), ctx).ok).toBe(true);
    const r = q.validate(tableFromMatrix(new Float64Array([5, 12]), ["x"]), ctx);
    expect(r.issues[0]).toMatchObject({ code: "out_of_range", column: "x", expected: { min: -1, max: 11 } });
  });

  it("severities can be changed per rule", () => {
    const t = tableFromMatrix(new Float64Array([NaN, 1]), ["a"]);
    expect(qualityChecks({ maxMissingRate: 0, severity: { missing_rate: "warn" } }).validate(t, ctx).ok).toBe(true);
  });
});

describe("driftCheck", () => {
  it("reports a score for every column on every batch, drifted or not", () => {
    const d = driftCheck();
    d.accept!(gaussianTable(1, 500));
    const same = d.validate(gaussianTable(2, 300), ctx);
    expect(same.drift!.columns.map((c) => [c.column, c.test, c.drifted])).toEqual([["a", "ks", false], ["b", "ks", false]]);
    expect(same.issues).toEqual([]);
    const moved = d.validate(gaussianTable(3, 300, 1), ctx);
    expect(moved.drift!.columns.map((c) => c.drifted)).toEqual([true, false]);
    expect(moved.drift!.driftShare).toBe(0.5);
    expect(moved.drift!.datasetDrift).toBe(true);
    // Drift is a reason to retrain, not to reject: a warning, the batch passes.
    expect(moved.ok).toBe(true);
    // The issue is raised at the batch level: p below 0.05 / 2 columns (Bonferroni).
    expect(moved.issues[0]).toMatchObject({ code: "distribution_drift", severity: "warn", column: "a", observed: { test: "ks" }, expected: 0.025 });
    expect(moved.issues[0]!.message).toMatch(/column a drifted: ks/);
  });

  it("picks tests by column kind and reference size, as Evidently does", () => {
    const d = driftCheck({ referenceRows: 3000 });
    const withLabel = (seed: number, rows: number, p: number): Table => {
      const rng = new SeededRandom(seed);
      const base = gaussianTable(seed, rows);
      const label = tableFromMatrix(Float64Array.from({ length: rows }, () => (rng.next() < p ? 1 : 0)), ["x"], {
        values: Array.from({ length: rows }, () => (rng.next() < p ? 1 : 0)),
        name: "label",
        categorical: true,
      });
      return { rows, columns: new Map([...base.columns, ["label", label.columns.get("label")!]]) };
    };
    d.accept!(withLabel(1, 800, 0.3));
    // A two-level label in small samples: Fisher's exact test (chi-squared's p-value is too small at low counts).
    expect(d.validate(withLabel(2, 500, 0.3), ctx).drift!.columns.map((c) => c.test)).toEqual(["ks", "ks", "fisher_exact"]);
    d.accept!(withLabel(3, 800, 0.3)); // reference now 1,600 rows
    // A 500-row batch is still small: p-value tests.
    expect(d.validate(withLabel(5, 500, 0.3), ctx).drift!.columns.map((c) => c.test)).toEqual(["ks", "ks", "fisher_exact"]);
    // Both samples large: distances.
    const big = d.validate(withLabel(4, 1200, 0.7), ctx).drift!;
    expect(big.columns.map((c) => c.test)).toEqual(["wasserstein", "wasserstein", "jensen_shannon"]);
    expect(big.columns[2]!.drifted).toBe(true);
    expect(big.referenceRows).toBe(1600);
  });

  it("uses the first accepted rows as reference by default, the newest with rolling", () => {
    const fixed = driftCheck({ referenceRows: 200, test: "psi" });
    const rolling = driftCheck({ referenceRows: 200, test: "psi", rolling: true });
    for (const d of [fixed, rolling]) {
      d.accept!(gaussianTable(1, 200));
      d.accept!(gaussianTable(2, 200, 3));
    }
    const probe = gaussianTable(3, 200, 3);
    expect(fixed.validate(probe, ctx).drift!.columns[0]!.drifted).toBe(true);
    expect(rolling.validate(probe, ctx).drift!.columns[0]!.drifted).toBe(false);
  });

  it("takes an explicit reference, and composes with other validators", () => {
    const d = driftCheck({ reference: gaussianTable(1, 400), test: "wasserstein" });
    d.accept!(gaussianTable(9, 400, 5)); // ignored: the reference is fixed
    const r = runValidators([qualityChecks({ minRows: 1000 }), d], gaussianTable(2, 400, 2), ctx);
    expect(r.issues.map((i) => i.code)).toEqual(["too_few_rows", "distribution_drift"]);
    expect(r.ok).toBe(false);
    expect(r.drift!.columns[0]).toMatchObject({ column: "a", test: "wasserstein", drifted: true });
  });

  it("says \"not assessed\" before it has a reference, never drift or no drift", () => {
    const r = driftCheck().validate(gaussianTable(1, 100), ctx);
    expect(r.issues).toEqual([]);
    expect(r.drift!.columns.map((c) => [c.column, c.status, c.score, c.reason])).toEqual([
      ["a", "not_assessed", null, "no reference yet"],
      ["b", "not_assessed", null, "no reference yet"],
    ]);
    expect(r.drift!.datasetDrift).toBeNull();
    expect(r.drift!.status).toBe("not_assessed");
  });
});

describe("driftCheck on numeric columns with few values", () => {
  it("compares them as categories (chi-squared), as Evidently does", () => {
    const d = driftCheck();
    d.accept!(tableFromMatrix(Float64Array.from({ length: 400 }, (_, i) => i % 3), ["level"]));
    const same = d.validate(tableFromMatrix(Float64Array.from({ length: 300 }, (_, i) => (i * 7) % 3), ["level"]), ctx).drift!.columns[0]!;
    expect(same).toMatchObject({ test: "chi_squared", drifted: false });
    const moved = d.validate(tableFromMatrix(Float64Array.from({ length: 300 }, (_, i) => (i % 5 === 0 ? 1 : 2)), ["level"]), ctx).drift!.columns[0]!;
    expect(moved).toMatchObject({ test: "chi_squared", drifted: true });
  });
});
