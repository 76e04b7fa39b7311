import { describe, expect, it } from "vitest";
import {
  FullRefitLinearRegression,
  FullRefitPolynomialRegression,
  LastValueRegressor,
  LinearRegression,
  MeanRegressor,
  MemoryModelStore,
  Pipeline,
  ServingModel,
  builtinTrainers,
  followChampion,
  loadModel,
  restoreTrainer,
  type NumericBatch,
  type Trainer,
} from "../../src/index.js";
import { numericBatch } from "./helpers.js";

const batches = [1, 2, 3, 4].map((s) => numericBatch(s));
/** y = 1 + x − 0.5·x² + noise, one column (the polynomial learner takes one feature). */
const curve = (seed: number): NumericBatch => {
  const b = numericBatch(seed);
  const X = Float64Array.from({ length: 50 }, (_, i) => b.X[3 * i]!);
  return { X, cols: 1, y: X.map((x, i) => 1 + x - 0.5 * x * x + 0.1 * b.y[i]!) };
};
const curves = [1, 2, 3, 4].map(curve);

/** A checkpoint's state with the first trainer envelope in its policy "auto" memory given another kind. */
function retagAutoTrainer(state: unknown, kind: string): unknown {
  const copy = structuredClone(state) as { learning: { auto: unknown } };
  const visit = (v: unknown): boolean => {
    if (typeof v !== "object" || v === null) return false;
    if ((v as { format?: unknown }).format !== "freshml.trainer") return Object.values(v).some(visit);
    (v as { kind: string }).kind = kind;
    return true;
  };
  if (!visit(copy.learning.auto)) throw new Error("no trainer in the auto memory");
  return copy;
}

// A Pipeline given no registry restores with its trainer's and baseline's own
// classes (so that its bundle carries no other learner): these pin what it
// still restores, and the errors for what it does not.
describe("what a Pipeline restores without a registry", () => {
  it("its own checkpoint and champion, for a full-refit learner too, exactly as builtinTrainers restores them", async () => {
    const cases: Array<[() => Trainer, NumericBatch[]]> = [
      [() => new LinearRegression(), batches],
      [() => new FullRefitLinearRegression(), batches],
      [() => new FullRefitPolynomialRegression({ degree: 2 }), curves],
    ];
    for (const [make, batches] of cases) {
      const ends = [];
      for (const registry of [undefined, builtinTrainers]) {
        const store = new MemoryModelStore();
        await new Pipeline({ trainer: make(), store, gate: { baseline: new MeanRegressor() }, registry }).runBatches(batches.slice(0, 2));
        const again = new Pipeline({ trainer: make(), store, gate: { baseline: new MeanRegressor() }, registry });
        const r = await again.runBatches(batches.slice(2));
        expect(r.restoredFrom).toMatchObject({ from: "checkpoint", position: 2 });
        expect(again.championModel!.kind).toBe(make().kind);
        ends.push({ champion: again.championModel!.toJSON(), learner: (await store.getCheckpoint("model"))!.trainer });
      }
      expect(restoreTrainer(ends[0]!.learner).nSeen).toBe(4 * 50);
      expect(ends[0]).toEqual(ends[1]);
    }
  });

  it("a stored version of another kind is refused, before it is restored, with the same error as before", async () => {
    const store = new MemoryModelStore();
    const other = new FullRefitLinearRegression();
    other.update(batches[0]!);
    await store.putAndAlias({ name: "model", trainer: other.toJSON() }, "champion");
    const run = new Pipeline({ trainer: new LinearRegression(), store }).runBatches(batches.slice(1, 2));
    await expect(run).rejects.toMatchObject({ code: "invalid_state", details: { param: "trainer", observed: "LinearRegression", expected: "FullRefitLinearRegression" } });
    await expect(new Pipeline({ trainer: new LinearRegression(), store }).runBatches(batches.slice(1, 2))).rejects.toThrow(/was trained by FullRefitLinearRegression .*under another name \(the Pipeline's name option\)/);
  });

  it("a baseline changed, removed or added since the checkpoint: the configured one is the gate's, started afresh, and the report says so", async () => {
    const storedBaseline = async (store: MemoryModelStore) => {
      const b = ((await store.getCheckpoint("model"))!.state as { learning: { baseline: unknown } }).learning.baseline;
      return b === null ? null : restoreTrainer(b);
    };
    // Changed (LastValue → Mean), with or without the full registry: no error, the Mean baseline learns from here on.
    for (const registry of [undefined, builtinTrainers]) {
      const store = new MemoryModelStore();
      await new Pipeline({ trainer: new LinearRegression(), store, gate: { baseline: new LastValueRegressor() } }).runBatches(batches.slice(0, 2));
      const r = await new Pipeline({ trainer: new LinearRegression(), store, gate: { baseline: new MeanRegressor() }, registry }).runBatches(batches.slice(2));
      expect(r.restoredFrom).toMatchObject({ from: "checkpoint", position: 2, baseline: "fresh" });
      expect(await storedBaseline(store)).toMatchObject({ kind: "MeanRegressor", nSeen: 2 * 50 });
    }
    // Removed: no error, and no baseline learns on.
    const removed = new MemoryModelStore();
    await new Pipeline({ trainer: new LinearRegression(), store: removed, gate: { baseline: new LastValueRegressor() } }).runBatches(batches.slice(0, 2));
    const r = await new Pipeline({ trainer: new LinearRegression(), store: removed }).runBatches(batches.slice(2));
    expect(r.restoredFrom).toMatchObject({ from: "checkpoint", position: 2 });
    expect(r.restoredFrom!.baseline).toBeUndefined();
    expect(await storedBaseline(removed)).toBeNull();
    // Added: the gate can promote again once the new baseline has evidence (it never could: no baseline learned).
    const added = new MemoryModelStore();
    const drifting = Array.from({ length: 12 }, (_, k) => numericBatch(10 + k, 50, k < 2 ? -2 : 2));
    await new Pipeline({ trainer: new LinearRegression(), store: added, gate: { minRows: 50 } }).runBatches(drifting.slice(0, 2));
    const after = await new Pipeline({ trainer: new LinearRegression(), store: added, gate: { minRows: 50, baseline: new MeanRegressor() } }).runBatches(drifting.slice(2));
    expect(after.restoredFrom).toMatchObject({ from: "checkpoint", baseline: "fresh" });
    expect(after.promotionsTotal).toBeGreaterThan(0);
    expect(await storedBaseline(added)).toMatchObject({ kind: "MeanRegressor", nSeen: 10 * 50 });
    // The same baseline continues where it was.
    const same = new MemoryModelStore();
    await new Pipeline({ trainer: new LinearRegression(), store: same, gate: { baseline: new MeanRegressor() } }).runBatches(batches.slice(0, 2));
    const kept = await new Pipeline({ trainer: new LinearRegression(), store: same, gate: { baseline: new MeanRegressor() } }).runBatches(batches.slice(2));
    expect(kept.restoredFrom).toMatchObject({ baseline: "restored" });
    expect(await storedBaseline(same)).toMatchObject({ kind: "MeanRegressor", nSeen: 4 * 50 });
  });

  it("a baseline changed since a version was promoted: a rollback continues with the configured one", async () => {
    const store = new MemoryModelStore();
    const drifting = Array.from({ length: 8 }, (_, k) => numericBatch(10 + k, 50, k < 2 ? -2 : 2));
    await new Pipeline({ trainer: new LinearRegression(), store, gate: { baseline: new LastValueRegressor(), minRows: 50 } }).runBatches(drifting.slice(0, 6));
    expect(await store.resolveAlias("model", "champion")).toBeGreaterThan(1);
    const p = new Pipeline({ trainer: new LinearRegression(), store, gate: { baseline: new MeanRegressor(), minRows: 50 } });
    await p.rollback();
    const r = await p.runBatches(drifting.slice(6));
    expect(r.restoredFrom).toMatchObject({ from: "champion", baseline: "fresh" });
    expect(await ((async () => restoreTrainer(((await store.getCheckpoint("model"))!.state as { learning: { baseline: unknown } }).learning.baseline))())).toMatchObject({ kind: "MeanRegressor" });
  });

  it("a kind that is not built in gets the error restoreTrainer gives, naming the built-in kinds", async () => {
    const store = new MemoryModelStore();
    await new Pipeline({ trainer: new LinearRegression(), store, policy: "auto" }).runBatches(batches.slice(0, 2));
    const cp = (await store.getCheckpoint("model"))!;
    await store.putCheckpoint({ ...cp, state: retagAutoTrainer(cp.state, "Nope") });
    const expected = (() => {
      try {
        restoreTrainer({ ...cp.trainer, kind: "Nope" });
      } catch (err) {
        return err;
      }
    })();
    await expect(new Pipeline({ trainer: new LinearRegression(), store, policy: "auto" }).runBatches(batches.slice(2))).rejects.toMatchObject({
      code: "invalid_state",
      message: (expected as Error).message,
      details: { observed: "Nope", expected: Object.keys(builtinTrainers) },
    });
  });

  it("a custom trainer with a static fromJSON restores its own checkpoint and champion, with no registry", async () => {
    const { PassiveAggressiveRegressor } = await import("../../examples/custom-trainer.js");
    const make = () => new PassiveAggressiveRegressor({ C: 0.5 });
    const store = new MemoryModelStore();
    await new Pipeline({ trainer: make(), store, gate: { minRows: 1 } }).runBatches(batches.slice(0, 2));
    const again = new Pipeline({ trainer: make(), store, gate: { minRows: 1 } });
    const r = await again.runBatches(batches.slice(2));
    expect(r.restoredFrom).toMatchObject({ from: "checkpoint", position: 2 });
    // The same ends as one uninterrupted run.
    const once = new MemoryModelStore();
    await new Pipeline({ trainer: make(), store: once, gate: { minRows: 1 } }).runBatches(batches);
    expect((await store.getCheckpoint("model"))!.trainer).toEqual((await once.getCheckpoint("model"))!.trainer);
    // Another custom kind is still unknown, and the error lists this one among the kinds it knows.
    const auto = new MemoryModelStore();
    await new Pipeline({ trainer: make(), store: auto, gate: { minRows: 1 }, policy: "auto" }).runBatches(batches.slice(0, 2));
    const cp = (await auto.getCheckpoint("model"))!;
    await auto.putCheckpoint({ ...cp, state: retagAutoTrainer(cp.state, "Other") });
    await expect(new Pipeline({ trainer: make(), store: auto, gate: { minRows: 1 }, policy: "auto" }).runBatches(batches.slice(2))).rejects.toMatchObject({
      code: "invalid_state",
      details: { observed: "Other", expected: [...Object.keys(builtinTrainers), "PassiveAggressiveRegressor"] },
    });
  });

  it("a custom trainer without a static fromJSON: a restart says to add one or to pass a registry, and changes nothing in the store", async () => {
    const { PassiveAggressiveRegressor } = await import("../../examples/custom-trainer.js");
    class Unrestorable extends PassiveAggressiveRegressor {}
    Object.defineProperty(Unrestorable, "fromJSON", { value: undefined });
    const make = () => new Unrestorable({ C: 0.5 });
    const store = new MemoryModelStore();
    await new Pipeline({ trainer: make(), store, gate: { minRows: 1 } }).runBatches(batches.slice(0, 2));
    const snapshot = async () => JSON.stringify([await store.getCheckpoint("model"), await store.aliasHistory("model", "champion"), await store.list("model")]);
    const before = await snapshot();
    await expect(new Pipeline({ trainer: make(), store, gate: { minRows: 1 } }).runBatches(batches.slice(2))).rejects.toMatchObject({
      code: "invalid_state",
      message: expect.stringMatching(/PassiveAggressiveRegressor has no static fromJSON.*registry: \{ \.\.\.builtinTrainers, PassiveAggressiveRegressor: /),
      details: { param: "registry", observed: "PassiveAggressiveRegressor" },
    });
    expect(await snapshot()).toBe(before);
    // With the registry it asks for, the restart resumes.
    const registry = { ...builtinTrainers, PassiveAggressiveRegressor: (json: unknown) => PassiveAggressiveRegressor.fromJSON(json) };
    const r = await new Pipeline({ trainer: make(), store, gate: { minRows: 1 }, registry }).runBatches(batches.slice(2));
    expect(r.restoredFrom).toMatchObject({ from: "checkpoint", position: 2 });
  });

  it("a custom trainer's version served without a registry: loadModel and followChampion say to pass one; with it, they load", async () => {
    const { PassiveAggressiveRegressor } = await import("../../examples/custom-trainer.js");
    const store = new MemoryModelStore();
    await new Pipeline({ trainer: new PassiveAggressiveRegressor({ C: 0.5 }), store, gate: { minRows: 1 } }).runBatches(batches.slice(0, 2));
    const advice = {
      code: "invalid_state",
      message: expect.stringContaining("pass a registry that has it: { ...builtinTrainers, PassiveAggressiveRegressor: (json) => PassiveAggressiveRegressor.fromJSON(json) }"),
      details: { param: "registry", observed: "PassiveAggressiveRegressor" },
    };
    await expect(loadModel(store, "model")).rejects.toMatchObject(advice);
    await expect(followChampion(store, "model")).rejects.toMatchObject(advice);
    const registry = { ...builtinTrainers, PassiveAggressiveRegressor: (json: unknown) => PassiveAggressiveRegressor.fromJSON(json) };
    expect((await loadModel(store, "model", "champion", { registry })).trainer.kind).toBe("PassiveAggressiveRegressor");
    const follower = await followChampion(store, "model", { registry });
    expect(follower.model).toBeInstanceOf(ServingModel);
    await follower.close();
  });

  it("its serving models are ServingModels; a subclass of ServingModel keeps the usual instanceof", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression(), store });
    await p.runBatches(batches.slice(0, 2));
    class Tagged extends ServingModel {}
    const served = p.servingModel!;
    const loaded = await loadModel(store, "model");
    expect(served instanceof ServingModel).toBe(true);
    expect(loaded instanceof ServingModel).toBe(true);
    expect(served instanceof Tagged).toBe(false);
    expect(new Tagged(served.trainer, null) instanceof Tagged).toBe(true);
    expect(new Tagged(served.trainer, null) instanceof ServingModel).toBe(true);
    expect({ trainer: served.trainer } instanceof ServingModel).toBe(false);
    expect(Array.from(loaded.predict(batches[3]!))).toEqual(Array.from(served.predict(batches[3]!)));
  });

  it("a full-refit version still loads with loadModel and ServingModel.fromRecord, with no registry", async () => {
    const store = new MemoryModelStore();
    await new Pipeline({ trainer: new FullRefitPolynomialRegression({ degree: 2 }), store }).runBatches(curves.slice(0, 2));
    const rec = await store.get("model", "champion");
    expect(ServingModel.fromRecord(rec).trainer.kind).toBe("FullRefitPolynomialRegression");
    expect((await loadModel(store, "model")).trainer.kind).toBe("FullRefitPolynomialRegression");
  });
});
