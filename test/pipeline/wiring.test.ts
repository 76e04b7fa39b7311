/** How the pipeline uses what the featurizer, the validators and the learners give it (issues 10 and 11). */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LinearRegression, MemoryModelStore, Pipeline, SGDRegressor, qualityChecks } from "../../src/index.js";
import { Row, accepted, rowBatch } from "./helpers.js";

describe("the pipeline wires the parts together", () => {
  it("a scaling trainer leaves the featurizer's one-hot columns unscaled", async () => {
    const p = new Pipeline({ schema: Row, target: "load", trainer: new SGDRegressor({ standardize: true, seed: 1 }) });
    await p.runBatches([rowBatch(1), rowBatch(2)]);
    const state = p.championModel!.toJSON().state as { scaler?: { skip?: number[] } };
    const kinds = p.servingModel!.featurizer!.layout.kinds;
    const binary = kinds.flatMap((k, j) => (k === "binary" ? [j] : []));
    expect(binary.length).toBeGreaterThan(0);
    expect(state.scaler?.skip).toEqual(binary);
  });

  it("a first batch with missing values is imputed with its own means, not zeros", async () => {
    const S = z.object({ a: z.number().optional(), y: z.number() });
    const rows = Array.from({ length: 40 }, (_, i) => ({ a: 100 + (i % 7), y: 3 * (100 + (i % 7)) }));
    rows[5] = { y: 3 * 103 } as never; // a missing: the mean of a is ≈ 103, not 0
    const p = new Pipeline({ schema: S, target: "y", trainer: new LinearRegression({ l2: 1e-9 }) });
    await p.runBatches([rows]);
    // Imputed with 0, row 5 would bend the fit; imputed with ≈103 it sits on the line.
    expect(p.servingModel!.predictRows([{ a: 104, y: 0 }])[0]).toBeCloseTo(312, 0);
  });

  it("records group issues by code and column with counts and examples, and say which fields were imputed", async () => {
    const renamed = rowBatch(3).map(({ temp, ...rest }, i) => (i < 40 ? { ...rest, temperature: temp } : { ...rest, temp, hour: 30 }));
    const blanks = rowBatch(4).map((r, i) => (i % 10 === 0 ? { ...r, day: undefined } : r));
    const OptionalDay = Row.extend({ day: z.enum(["wk", "we"]).optional() });
    const p = new Pipeline({ schema: OptionalDay, target: "load", trainer: new LinearRegression({ l2: 1e-3 }) });
    const r = await p.runBatches([rowBatch(1), renamed, blanks]);
    const q = r.records[1]!;
    expect(q.status).toBe("quarantined");
    expect(q.issues.length).toBeLessThanOrEqual(21);
    const groups = q.issueGroups!.map((g) => [g.column, g.count]);
    expect(groups).toEqual(expect.arrayContaining([["temp", 40], ["hour", 20]]));
    const fields = accepted(r.records[2]).fields!;
    expect(fields).toEqual([expect.objectContaining({ field: "day", missing: 6 })]);
  });

  it("a batch of rows claiming 2³²−1 rows is quarantined as batch_too_large, quickly", async () => {
    const huge: unknown[] = [];
    huge.length = 2 ** 32 - 1;
    const p = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }) });
    const r = await p.runBatches([rowBatch(1), huge as never, rowBatch(2)]);
    expect(r.records.map((x) => (x.status === "accepted" ? "ok" : x.issues[0]!.code))).toEqual(["ok", "batch_too_large", "ok"]);
  });

  it("validators' learned state survives a restart: a wild value is judged the same as without the restart", async () => {
    const store = new MemoryModelStore();
    const make = (): Pipeline => new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), validators: [qualityChecks({ learnRanges: {} })], store });
    const warm = [1, 2, 3, 4].map((k) => rowBatch(k));
    const wild = rowBatch(9).map((row) => ({ ...row, load: row.load * 1000 }));
    const straight = await new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), validators: [qualityChecks({ learnRanges: {} })] }).runBatches([...warm, wild]);
    await make().runBatches(warm);
    const resumed = await make().runBatches([wild]);
    expect(resumed.restoredFrom?.validators).toBe("restored");
    expect(resumed.records[0]!.status).toBe(straight.records[4]!.status);
    expect(resumed.records[0]!.status).toBe("quarantined");
  });
});

describe("the pipeline keeps its run history", () => {
  it("each run (aborted ones too) is summarised into the history it was given", async () => {
    const { MemoryRunHistory } = await import("../../src/index.js");
    const history = new MemoryRunHistory();
    const p = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), history });
    const first = await p.runBatches([rowBatch(1), rowBatch(2)]);
    const controller = new AbortController();
    controller.abort();
    const aborted = await p.runBatches([rowBatch(3)], { signal: controller.signal });
    expect(first.historyId).toBeDefined();
    expect(aborted.status).toBe("aborted");
    const runs = await history.list("model");
    expect(runs.map((r) => r.id).sort()).toEqual([first.historyId, aborted.historyId].sort());
    const summary = await history.get(first.historyId!);
    expect(summary).toMatchObject({ name: "model" });
    expect(() => new Pipeline({ trainer: new LinearRegression(), history: {} as never })).toThrow(expect.objectContaining({ code: "invalid_params" }));
  });
});
