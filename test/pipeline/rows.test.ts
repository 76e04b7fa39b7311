import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LinearRegression, MemoryModelStore, Pipeline, SGDClassifier, type DeadLetter } from "../../src/index.js";
import { Row, accepted, classBatch, numericBatch, rowBatch } from "./helpers.js";

/** A row batch with the given rows broken (wrong type). */
function withBadRows(seed: number, bad: readonly number[]): unknown[] {
  const b: unknown[] = rowBatch(seed);
  for (const i of bad) b[i] = { ...(b[i] as object), temp: "hot" };
  return b;
}

const trainer = (): LinearRegression => new LinearRegression({ l2: 1e-3 });

describe("row policy: a bad row need not sink its batch (issue 11)", () => {
  it("drop: rows failing the schema are left out, counted, handed to the dead-letter sink; the rest is learned", async () => {
    const letters: DeadLetter[] = [];
    const p = new Pipeline({ schema: Row, target: "load", trainer: trainer(), rowPolicy: { schema: "drop" }, deadLetter: (l) => void letters.push(l) });
    const broken = withBadRows(2, [5, 17]);
    const r = await p.runBatches([rowBatch(1), { id: "b2", rows: broken }]);
    expect(r.batches).toMatchObject({ accepted: 2, quarantined: 0 });
    expect(r.rows).toEqual({ seen: 120, learned: 118, dropped: 2, quarantined: 0 });
    const rec = accepted(r.records[1]);
    expect(rec).toMatchObject({ rows: 60, learned: 58, dropped: { rows: 2, clipped: 0, byCode: { schema: 2 } } });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ kind: "rows", batch: 1, id: "b2", rowIndices: [5, 17] });
    expect(letters[0]!.rows).toEqual([broken[5], broken[17]]);
    expect(letters[0]!.issues[0]).toMatchObject({ code: "schema", column: "temp" });
    // What was learned is exactly the good rows.
    const good = (broken as Array<Record<string, unknown>>).filter((_, i) => i !== 5 && i !== 17);
    const direct = new Pipeline({ schema: Row, target: "load", trainer: trainer() });
    await direct.runBatches([rowBatch(1), good as never]);
    const probe = rowBatch(9, 5);
    expect(p.servingModel!.predictRows(probe)).toEqual(direct.servingModel!.predictRows(probe));
  });

  it("clip: a number beyond an inclusive bound is set to the bound and learned; other faults are dropped", async () => {
    const p = new Pipeline({ schema: Row, target: "load", trainer: trainer(), rowPolicy: { schema: "clip" } });
    const b: unknown[] = rowBatch(2);
    b[3] = { ...(b[3] as object), hour: 24 }; // max(23): clipped to 23
    b[4] = { ...(b[4] as object), temp: 61.5 }; // max(60): clipped to 60
    b[8] = { ...(b[8] as object), day: "holiday" }; // not a bound: dropped
    const r = await p.runBatches([rowBatch(1), b]);
    expect(accepted(r.records[1])).toMatchObject({ rows: 60, learned: 59, dropped: { rows: 1, clipped: 2, byCode: { schema: 1 } } });
  });

  it("too many rows at fault (a renamed column) quarantines the whole batch, and the sink gets all of it", async () => {
    const letters: DeadLetter[] = [];
    const p = new Pipeline({ schema: Row, target: "load", trainer: trainer(), rowPolicy: { schema: "drop", maxDropRate: 0.1 }, deadLetter: (l) => void letters.push(l) });
    const renamed = rowBatch(2).map(({ temp, ...rest }) => ({ ...rest, temperature: temp }));
    const sevenBad = withBadRows(3, [0, 1, 2, 3, 4, 5, 6]); // 7 of 60 > 10 %? no: 11.7 %
    const r = await p.runBatches([rowBatch(1), renamed, sevenBad]);
    expect(r.records.map((x) => x.status)).toEqual(["accepted", "quarantined", "quarantined"]);
    expect(r.records[1]!.issues.map((i) => i.code)).toContain("too_many_bad_rows");
    expect(r.rows).toEqual({ seen: 60, learned: 60, dropped: 0, quarantined: 120 });
    expect(letters.map((l) => [l.kind, l.batch, l.rows.length])).toEqual([["batch", 1, 60], ["batch", 2, 60]]);
    expect(letters[0]!.rows[0]).toEqual(renamed[0]);
  });

  it("drop: rows with a label the classifier does not declare, and rows beyond the sanity bound", async () => {
    const letters: DeadLetter[] = [];
    const p = new Pipeline({
      trainer: new SGDClassifier({ classes: [0, 1], seed: 2 }),
      rowPolicy: { unknownClass: "drop", implausible: "drop" },
      deadLetter: (l) => void letters.push(l),
    });
    const b = classBatch(2);
    b.y[10] = 7;
    b.X[3 * 20 + 1] = 1e200;
    const r = await p.runBatches([classBatch(1), b]);
    expect(accepted(r.records[1])).toMatchObject({ rows: 50, learned: 48, dropped: { rows: 2, byCode: { unknown_class: 1, implausible_value: 1 } } });
    expect(letters[0]!.rowIndices).toEqual([10, 20]);
    expect(letters[0]!.rows[0]).toEqual({ x: Array.from(b.X.subarray(30, 33)), y: 7 });
    // The default quarantines instead.
    const strict = new Pipeline({ trainer: new SGDClassifier({ classes: [0, 1], seed: 2 }) });
    expect((await strict.runBatches([classBatch(1), b])).records[1]!.status).toBe("quarantined");
  });

  it("a failing dead-letter sink stops the run before the batch is consumed: a restart meets it again", async () => {
    const store = new MemoryModelStore();
    let fail = true;
    const sink = (): void => {
      if (fail) throw new Error("sink down");
    };
    const p = new Pipeline({ trainer: trainer(), store, deadLetter: sink });
    const bad = numericBatch(3);
    bad.X[0] = Number.NaN;
    await expect(p.runBatches([numericBatch(1), { ...bad, id: "bad" }, numericBatch(4)])).rejects.toThrow("sink down");
    expect(p.position).toBe(1);
    fail = false;
    const again = await new Pipeline({ trainer: trainer(), store, deadLetter: sink }).runBatches([{ ...bad, id: "bad" }, numericBatch(4)]);
    expect(again.records.map((x) => x.status)).toEqual(["quarantined", "accepted"]);
  });

  it("progress is reported for every batch, quarantined ones included", async () => {
    const seen: number[] = [];
    const p = new Pipeline({ trainer: trainer() });
    const bad = numericBatch(3);
    bad.y[0] = Number.NaN;
    await p.runBatches([numericBatch(1), bad, numericBatch(2)], { onProgress: (x) => seen.push(x.batches) });
    expect(seen).toEqual([1, 2, 3]);
  });

  it("rejects a bad rowPolicy or deadLetter with invalid_params", () => {
    for (const rowPolicy of [null, { schema: "skip" }, { unknownClass: "clip" }, { maxDropRate: 2 }]) {
      expect(() => new Pipeline({ trainer: trainer(), rowPolicy: rowPolicy as never })).toThrow(expect.objectContaining({ code: "invalid_params" }));
    }
    expect(() => new Pipeline({ trainer: trainer(), deadLetter: "log" as never })).toThrow(expect.objectContaining({ code: "invalid_params" }));
  });

  it("a hostile row object is dropped without touching Object.prototype", async () => {
    const S = z.object({ a: z.number(), y: z.number() });
    const rows: unknown[] = Array.from({ length: 30 }, (_, i) => ({ a: i, y: 2 * i }));
    rows[2] = JSON.parse('{"__proto__": {"a": 1}, "y": 3}');
    const p = new Pipeline({ schema: S, target: "y", trainer: trainer(), rowPolicy: { schema: "clip" } });
    const r = await p.runBatches([rows as never]);
    expect(accepted(r.records[0])).toMatchObject({ learned: 29, dropped: { rows: 1 } });
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });
});
