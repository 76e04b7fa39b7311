/**
 * Regression tests for what a red-team pass over the rewritten loop found
 * (each one failed before its fix).
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  FreshmlError,
  GaussianNB,
  LastValueRegressor,
  LinearRegression,
  MeanRegressor,
  MemoryModelStore,
  Pipeline,
  SGDRegressor,
  loadModel,
  restoreTrainer,
  type ModelStore,
  type PipelineOptions,
  type Trainer,
} from "../../src/index.js";
import { classBatch, numericBatch } from "./helpers.js";

const codeOf = (f: () => unknown): { code: string; param: unknown } => {
  try {
    f();
  } catch (err) {
    if (err instanceof FreshmlError) return { code: err.code, param: err.details.param };
    throw err;
  }
  throw new Error("did not throw");
};

describe("red-team regressions", () => {
  it("an abort between the gate and learning leaves no decision behind to promote later", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), store, detector: null, gate: { minRows: 20, window: 1 } });
    await p.runBatches([numericBatch(1, 30, 5), numericBatch(2, 200, -2)]);
    const before = store.resolveAlias("model", "champion");
    let checks = 0;
    const signal = { get aborted() { return ++checks >= 5; } } as unknown as AbortSignal; // the 5th check is before "learn"
    await p.runBatches([{ ...numericBatch(3, 50), id: "b3" }], { signal });
    const r = await p.runBatches([{ ...numericBatch(4, 30, 5), id: "b4" }]);
    expect(r.promotionsTotal).toBe(0);
    expect(await store.resolveAlias("model", "champion")).toBe(await before);
  });

  it("a batch the trainer refuses changes nothing: champion, versions, evidence, detector, run metrics", async () => {
    /** Learns like MeanRegressor, but refuses batches of 49 rows. */
    class Picky implements Trainer {
      readonly kind = "Picky";
      readonly task = "regression" as const;
      readonly params = {};
      constructor(private readonly inner: MeanRegressor = new MeanRegressor()) {}
      get nFeatures(): number | undefined {
        return this.inner.nFeatures;
      }
      get nSeen(): number {
        return this.inner.nSeen;
      }
      update(b: Parameters<Trainer["update"]>[0]): void {
        if (b.y.length === 49) throw new FreshmlError("diverged", "no 49-row batches");
        this.inner.update(b);
      }
      predict(X: Parameters<Trainer["predict"]>[0]): Float64Array {
        return this.inner.predict(X);
      }
      toJSON(): ReturnType<Trainer["toJSON"]> {
        return { ...this.inner.toJSON(), kind: "Picky" };
      }
      clone(): Picky {
        return new Picky();
      }
      copy(): Picky {
        return new Picky(this.inner.copy());
      }
    }
    const mk = (store: MemoryModelStore, promote: "as-tested" | "after-learning") =>
      new Pipeline({ trainer: new Picky(), store, detector: null, gate: { minRows: 5, window: 1, promote } });
    for (const promote of ["as-tested", "after-learning"] as const) {
      const withBad = new MemoryModelStore();
      const without = new MemoryModelStore();
      const shifted = (seed: number, n: number) => {
        const b = numericBatch(seed, n);
        return { ...b, y: b.y.map((v) => v + 10) };
      };
      const good = [numericBatch(1, 50), shifted(2, 50), shifted(3, 50)];
      const r1 = await mk(withBad, promote).runBatches([good[0]!, good[1]!, shifted(9, 49), good[2]!]);
      const r2 = await mk(without, promote).runBatches(good);
      expect(r1.records[2]!.status).toBe("quarantined");
      expect((await withBad.list("model")).versions.map((v) => v.version)).toEqual((await without.list("model")).versions.map((v) => v.version));
      // The same state but for the stream position, which counts the quarantined batch.
      const state = async (st: MemoryModelStore) => {
        const cp = (await st.getCheckpoint("model"))!;
        const s = cp.state as { learning: { position: number } };
        return { ...s, learning: { ...s.learning, position: 0 }, trainer: cp.trainer };
      };
      expect(await state(withBad)).toEqual(await state(without));
      expect(r1.metrics).toEqual(r2.metrics);
    }
  });

  it("holdout mode serves a first model under a baseline or an absolute bound, and gathers evidence across small batches", async () => {
    const batches = Array.from({ length: 12 }, (_, k) => numericBatch(40 + k, 50, k < 6 ? -2 : 4));
    for (const gate of [{ mode: "holdout" as const, baseline: new LastValueRegressor() }, { mode: "holdout" as const, absolute: 10 }]) {
      const p = new Pipeline({ trainer: new LinearRegression(), detector: null, gate });
      const r = await p.runBatches(batches);
      expect(p.championModel).not.toBeNull();
      expect(r.promotionsTotal).toBeGreaterThan(1); // the change is followed, on 10 held-out rows a batch
    }
    expect(codeOf(() => new Pipeline({ trainer: new LinearRegression(), gate: { mode: "holdout", promote: "as-tested" } }))).toEqual({ code: "invalid_params", param: "gate.promote" });
  });

  it("two Pipeline objects taking turns on one store lose nothing of each other's learning", async () => {
    const store = new MemoryModelStore();
    const mk = () => new Pipeline({ trainer: new LinearRegression(), store, detector: null });
    const b = Array.from({ length: 8 }, (_, k) => ({ ...numericBatch(k, 20), id: `t${k}` }));
    const A = mk();
    const B = mk();
    await A.runBatches(b.slice(0, 3));
    await B.runBatches(b.slice(3, 6));
    await A.runBatches(b.slice(6));
    const learner = restoreTrainer((await store.getCheckpoint("model"))!.trainer);
    expect(learner.nSeen).toBe(160);
    const direct = new LinearRegression();
    for (const x of b) direct.update(x);
    expect(learner.toJSON()).toEqual(direct.toJSON());
  });

  it("without a champion (an absolute bound never met) the gate's memory stays bounded", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression(), store, detector: null, gate: { absolute: 1e-9 } });
    const sizes: number[] = [];
    for (let round = 0; round < 3; round++) {
      await p.runBatches(Array.from({ length: 100 }, (_, k) => numericBatch(1000 * round + k, 10)));
      sizes.push(JSON.stringify((await store.getCheckpoint("model"))!.state).length);
    }
    expect(p.championModel).toBeNull();
    // Flat: the evidence keeps its window, not every batch since the start (a few characters of number formatting apart).
    expect(Math.abs(sizes[2]! - sizes[0]!)).toBeLessThan(0.05 * sizes[0]!);
  });

  it("a restart with another trainer (kind or parameters) is refused, naming both", async () => {
    const store = new MemoryModelStore();
    await new Pipeline({ trainer: new LinearRegression(), store }).runBatches([numericBatch(1)]);
    for (const trainer of [new SGDRegressor(), new LinearRegression({ l2: 1 })]) {
      await expect(new Pipeline({ trainer, store }).runBatches([numericBatch(2)])).rejects.toMatchObject({ code: "invalid_state", details: { param: "trainer" } });
    }
  });

  it("a crash after a promotion and a store.rollback to the checkpoint's own champion continues from that version's state", async () => {
    const inner = new MemoryModelStore();
    const mk = (store: ModelStore) => new Pipeline({ trainer: new LinearRegression(), store, detector: null, checkpoint: "end" });
    await mk(inner).runBatches([numericBatch(1, 40)]); // v1 and a checkpoint continuing it
    const v1 = await inner.get("model", 1);
    let dead = false;
    const dying: ModelStore = Object.assign(Object.create(inner) as ModelStore, {
      putCheckpoint: async () => {
        dead = true;
        throw new Error("killed");
      },
    });
    // Learns more, promotes v2, dies before the checkpoint.
    await expect(mk(dying).runBatches(Array.from({ length: 8 }, (_, k) => numericBatch(10 + k, 40, 5)))).rejects.toThrow("killed");
    expect(dead).toBe(true);
    expect(await inner.resolveAlias("model", "champion")).toBeGreaterThan(1);
    while ((await inner.resolveAlias("model", "champion")) !== 1) await inner.rollback("model", "champion"); // back to v1, the checkpoint's champion
    const r = await mk(inner).runBatches([]);
    expect(r.restoredFrom).toMatchObject({ version: 1, from: "champion" });
    expect(restoreTrainer((await inner.getCheckpoint("model"))!.trainer).toJSON()).toEqual(v1.trainer);
  });

  it("a field with a zod default serves by itself; a coerced field is learned through zod", async () => {
    const Row = z.object({ a: z.number(), b: z.number().default(5), y: z.number() });
    const store = new MemoryModelStore();
    const rows = Array.from({ length: 40 }, (_, i) => (i % 4 ? { a: i, b: i % 7, y: 2 * i + (i % 7) } : { a: i, y: 2 * i + 5 }));
    const p = new Pipeline({ schema: Row, target: "y", trainer: new LinearRegression({ l2: 1e-6 }), store });
    await p.runBatches([rows]);
    const model = await loadModel(store, "model");
    const probe = [{ a: 3 }, { a: 3, b: 5 }];
    expect(Array.from(model.predictRows(probe))).toEqual(Array.from(p.servingModel!.predictRows(probe)));
    expect(model.predictRows(probe)[0]).toBe(model.predictRows(probe)[1]);
    const Coerced = z.object({ a: z.coerce.number(), y: z.number() });
    const r = await new Pipeline({ schema: Coerced, target: "y", trainer: new LinearRegression() }).runBatches([Array.from({ length: 10 }, (_, i) => ({ a: String(i), y: i }))]);
    expect(r.batches.accepted).toBe(1);
  });

  it("configuration mistakes name their parameter", () => {
    const t = new LinearRegression();
    const Row = z.object({ a: z.number(), y: z.number() });
    const cases: Array<[PipelineOptions<typeof Row> | Record<string, unknown>, string]> = [
      [{ trainer: t, name: "my model" }, "name"],
      [{ trainer: t, name: "" }, "name"],
      [{ trainer: t, metrics: ["bogus"] }, "metrics"],
      [{ trainer: t, metrics: "mae" }, "metrics"],
      [{ trainer: t, detector: {} }, "detector"],
      [{ trainer: t, store: {} }, "store"],
      [{ trainer: t, gate: "strict" }, "gate"],
      [{ trainer: t, schema: Row, target: "y", features: ["a", "a"] }, "features"],
      [{ trainer: new GaussianNB({ classes: [0, 1] }), gate: { evaluationSet: { ...classBatch(1), y: new Float64Array(50).fill(3) } } }, "gate.evaluationSet"],
      [{ trainer: new GaussianNB({ classes: [0, 1] }), gate: { baseline: new GaussianNB({ classes: [0, 1, 2] }) } }, "gate.baseline"],
    ];
    for (const [options, param] of cases) expect(codeOf(() => new Pipeline(options as PipelineOptions))).toEqual({ code: "invalid_params", param });
  });

  it("an unusable batch id quarantines that batch; a failing source keeps what was learned", async () => {
    const store = new MemoryModelStore();
    const r = await new Pipeline({ trainer: new LinearRegression(), store }).runBatches([numericBatch(1), { ...numericBatch(2), id: "" }, numericBatch(3)]);
    expect(r.records.map((x) => x.status)).toEqual(["accepted", "quarantined", "accepted"]);
    expect(r.records[1]!.issues[0]!.code).toBe("invalid_id");
    const store2 = new MemoryModelStore();
    function* failing() {
      yield numericBatch(1);
      yield numericBatch(2);
      throw new Error("source broke");
    }
    await expect(new Pipeline({ trainer: new LinearRegression(), store: store2 }).runBatches(failing())).rejects.toThrow("source broke");
    expect(restoreTrainer((await store2.getCheckpoint("model"))!.trainer).nSeen).toBe(100);
  });
});
