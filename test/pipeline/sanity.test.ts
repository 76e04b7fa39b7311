import { describe, expect, it } from "vitest";
import { FreshmlError, LinearRegression, MemoryModelStore, Pipeline, SGDClassifier, SGDRegressor } from "../../src/index.js";
import { MagnitudeGuard, DEFAULT_SANITY } from "../../src/pipeline/sanity.js";
import { checkBatch } from "../../src/core/batch.js";
import { classBatch, numericBatch, Row, rowBatch } from "./helpers.js";

const codes = (r: { records: Array<{ status: string; issues: Array<{ code: string }> }> }): string[] =>
  r.records.map((x) => (x.status === "accepted" ? "ok" : x.issues[0]!.code));

describe("the sanity bound on absurd magnitudes (issue 10, item 8)", () => {
  it("quarantines targets ×1e100 and features of 1e150 by default, before anything learns them", async () => {
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }) });
    const targets = numericBatch(3);
    targets.y = targets.y.map((v) => v * 1e100);
    const features = numericBatch(4);
    features.X[7] = 1e150;
    const r = await p.runBatches([numericBatch(1), numericBatch(2), targets, features, numericBatch(5)]);
    expect(codes(r)).toEqual(["ok", "ok", "implausible_value", "implausible_value", "ok"]);
    expect(r.records[3]!.issues[0]).toMatchObject({ column: "x1" });
    expect(r.records[3]!.issues[0]!.message).toMatch(/1e\+150 at row 2/);
    expect(r.rows.learned).toBe(150);
    // The learner never saw them: its predictions are those of a pipeline given only the clean batches.
    const clean = new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }) });
    await clean.runBatches([numericBatch(1), numericBatch(2), numericBatch(5)]);
    const probe = [[0.3, -1, 2]];
    expect(Array.from(p.championModel!.predict(probe))).toEqual(Array.from(clean.championModel!.predict(probe)));
  });

  it("judges against the magnitudes learned per column: 1e6× beyond them is implausible, below is not", async () => {
    const p = new Pipeline({ trainer: new SGDRegressor({ standardize: true }), features: ["a", "b", "c"] });
    const big = numericBatch(2);
    big.X[0] = 5e5; // within 1e6 × max(learned ≈ 3, 1)
    const bigger = numericBatch(3);
    bigger.X[3] = 1e12; // column a: beyond 1e6 × 5e5
    const r = await p.runBatches([numericBatch(1), big, bigger]);
    expect(codes(r)).toEqual(["ok", "ok", "implausible_value"]);
    expect(r.records[2]!.issues[0]!.column).toBe("a");
    expect(r.records[2]!.issues[0]!.message).toMatch(/1000000× the largest magnitude learned in this column \(500000\)/);
  });

  it("the first batch meets only maxAbs (1e30 by default)", async () => {
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }) });
    const first = numericBatch(1);
    first.y = first.y.map((v) => v * 1e20);
    const absurd = numericBatch(2);
    absurd.y[0] = 1e31;
    const r = await new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }) }).runBatches([absurd]);
    expect(codes(await p.runBatches([first]))).toEqual(["ok"]);
    expect(codes(r)).toEqual(["implausible_value"]);
    expect(r.records[0]!.issues[0]!.column).toBe("target");
  });

  it("classifiers' labels are not magnitudes; their features are", async () => {
    const p = new Pipeline({ trainer: new SGDClassifier({ classes: [0, 1] }) });
    const bad = classBatch(3);
    bad.X[0] = -1e40;
    const r = await p.runBatches([classBatch(1), classBatch(2), bad]);
    expect(codes(r)).toEqual(["ok", "ok", "implausible_value"]);
  });

  it("names schema features after featurisation, and the bound can be moved or turned off", async () => {
    const wild = rowBatch(3).map((row, i) => (i === 4 ? { ...row, temp: 59 } : row));
    const strict = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), sanity: { maxScaleChange: 1.5 } });
    const r = await strict.runBatches([rowBatch(1), rowBatch(2), wild]);
    expect(codes(r)).toEqual(["ok", "ok", "implausible_value"]);
    expect(r.records[2]!.issues[0]!.column).toBe("temp");
    const off = new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }), sanity: false });
    const huge = numericBatch(2);
    huge.y = huge.y.map((v) => v * 1e100);
    expect(codes(await off.runBatches([numericBatch(1), huge]))).toEqual(["ok", "ok"]);
  });

  it("the learned magnitudes survive a restart and roll back with the champion", async () => {
    const store = new MemoryModelStore();
    const trainer = (): LinearRegression => new LinearRegression({ l2: 0.5 });
    const wide = numericBatch(2);
    wide.X[0] = 1000; // column a learns 1000: 5e8 is then within 1e6×
    await new Pipeline({ trainer: trainer(), store }).runBatches([numericBatch(1), wide]);
    const probe = numericBatch(9);
    probe.X[0] = 5e8;
    const restarted = new Pipeline({ trainer: trainer(), store });
    expect(codes(await restarted.runBatches([{ ...probe }]))).toEqual(["ok"]);
    // Back to the first version (learned before the wide batch): it knew only magnitudes ≈ 3, so 5e8 is implausible again.
    const { versions } = await store.list("model");
    await store.setAlias("model", "champion", Math.min(...versions.map((v) => v.version)));
    const again = new Pipeline({ trainer: trainer(), store });
    expect(codes(await again.runBatches([{ ...probe }]))).toEqual(["implausible_value"]);
  });

  it("a guard's check changes nothing; copy and JSON round-trip keep the learned magnitudes", () => {
    const g = new MagnitudeGuard(DEFAULT_SANITY, true);
    const b = checkBatch({ X: [[1, -4], [2, 3]], y: [10, -20] });
    const m = g.check(b, (j) => `c${j}`, "y");
    if (!("features" in m)) throw new Error("expected magnitudes");
    expect(Array.from(m.features)).toEqual([2, 4]);
    expect(g.toJSON()).toEqual({ features: [], target: 0 });
    g.learn(m);
    expect(g.toJSON()).toEqual({ features: [2, 4], target: 20 });
    const restored = MagnitudeGuard.restore(JSON.parse(JSON.stringify(g.toJSON())), DEFAULT_SANITY, true);
    const far = checkBatch({ X: [[1, 4.1e6]], y: [1] });
    expect(restored.check(far, (j) => `c${j}`, "y")).toMatchObject({ column: "c1", row: 0, value: 4.1e6 });
    expect(g.copy().toJSON()).toEqual(g.toJSON());
    expect(() => MagnitudeGuard.restore({ features: [-1], target: 0 }, DEFAULT_SANITY, true)).toThrow(FreshmlError);
  });

  it("rejects bad sanity options with invalid_params", () => {
    const t = new LinearRegression();
    for (const sanity of [null, 5, { maxAbs: -1 }, { maxAbs: Number.NaN }, { maxScaleChange: 0.5 }]) {
      expect(() => new Pipeline({ trainer: t, sanity: sanity as never })).toThrow(expect.objectContaining({ code: "invalid_params" }));
    }
  });
});
