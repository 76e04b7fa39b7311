import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, MemoryModelStore, Pipeline, SGDRegressor, restoreTrainer, type ModelStore, type NumericBatch, type Trainer } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { numericBatch } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const fileStore = (): FileModelStore => {
  const d = mkdtempSync(join(tmpdir(), "freshml-life-"));
  dirs.push(d);
  return new FileModelStore(d);
};

/** Numeric batches with ids; `bad` ones have a NaN and are quarantined. */
function stream(sizes: readonly number[], bad: ReadonlySet<number> = new Set()): NumericBatch[] {
  return sizes.map((n, k) => {
    const b = numericBatch(1000 + k, n, k < sizes.length / 2 ? -2 : 1);
    if (bad.has(k)) b.X[0] = NaN;
    return { ...b, id: `b${k}` };
  });
}

/** The learner state a pipeline's store holds now. */
async function learnerOf(store: ModelStore): Promise<Trainer> {
  return restoreTrainer((await store.getCheckpoint("model"))!.trainer);
}

/** The same trainer fed the accepted batches in order, directly. */
function direct(make: () => Trainer, batches: readonly NumericBatch[], bad: ReadonlySet<number>): Trainer {
  const t = make();
  batches.forEach((b, k) => !bad.has(k) && t.update(b));
  return t;
}

describe("every accepted row is learned exactly once", () => {
  it("across any split, restarts in fresh Pipelines and re-deliveries (memory and file stores)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.nat(),
        fc.boolean(),
        fc.boolean(),
        async (sizes, cutsRaw, badRaw, useFile, sgd) => {
          const bad = new Set(sizes.length > 2 ? [badRaw % sizes.length] : []);
          const batches = stream(sizes, bad);
          const make = (): Trainer => (sgd ? new SGDRegressor({ seed: 4 }) : new LinearRegression({ l2: 1e-3 }));
          const store = useFile ? fileStore() : new MemoryModelStore();
          // Cut the stream into runs; each run is a fresh Pipeline (a new process) that is
          // re-delivered the last two batches of the run before it (at-least-once source).
          const cuts = [...new Set(cutsRaw.map((c) => c % (batches.length + 1)))].sort((a, b) => a - b);
          let from = 0;
          let learned = 0;
          let redelivered = 0;
          for (const to of [...cuts, batches.length]) {
            const start = Math.max(0, from - 2);
            const p = new Pipeline({ trainer: make(), store, detector: null });
            const r = await p.runBatches(batches.slice(start, to));
            learned += r.rows.learned;
            redelivered += r.batches.skipped;
            expect(r.skipped.every((s) => s.reason === "redelivered")).toBe(true);
            from = Math.max(from, to);
          }
          const want = direct(make, batches, bad);
          const rows = sizes.reduce((a, n, k) => a + (bad.has(k) ? 0 : n), 0);
          expect(learned).toBe(rows);
          if (rows > 0) expect((await learnerOf(store)).toJSON()).toEqual(want.toJSON());
          expect(redelivered).toBeLessThanOrEqual(2 * cuts.length);
        },
      ),
      { numRuns: 40, seed: 11 },
    );
  });

  it("however the same rows are split into batches, the learner matches one fit on all of them", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 5, max: 40 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const all = numericBatch(77, sizes.reduce((a, b) => a + b, 0));
        const store = new MemoryModelStore();
        let at = 0;
        const batches = sizes.map((n) => {
          const b = { X: all.X.slice(at * 3, (at + n) * 3), cols: 3, y: all.y.slice(at, at + n) };
          at += n;
          return b;
        });
        await new Pipeline({ trainer: new LinearRegression(), store, detector: null }).runBatches(batches);
        const once = new LinearRegression();
        once.update(all);
        const got = (await learnerOf(store)) as LinearRegression;
        expect(got.nSeen).toBe(all.y.length);
        const g = got.coefficients();
        const w = once.coefficients();
        for (let j = 0; j < 3; j++) expect(Math.abs(g.weights[j]! - w.weights[j]!)).toBeLessThan(1e-8 * (1 + Math.abs(w.weights[j]!)));
        expect(Math.abs(g.intercept - w.intercept)).toBeLessThan(1e-8 * (1 + Math.abs(w.intercept)));
      }),
      { numRuns: 30, seed: 5 },
    );
  });

  it("a crash between learning and saving: the re-delivered batches are learned again, once", async () => {
    const batches = stream([40, 40, 40, 40, 40]);
    const inner = new MemoryModelStore();
    let writes = 0;
    // A store that dies at the third checkpoint write, as a process killed mid-run would leave it.
    const crashing: ModelStore = Object.assign(Object.create(inner) as ModelStore, {
      putCheckpoint: async (c: Parameters<ModelStore["putCheckpoint"]>[0]) => {
        if (++writes >= 3) throw new Error("killed");
        return inner.putCheckpoint(c);
      },
    });
    await expect(new Pipeline({ trainer: new LinearRegression(), store: crashing, detector: null }).runBatches(batches)).rejects.toThrow("killed");
    const r = await new Pipeline({ trainer: new LinearRegression(), store: inner, detector: null }).runBatches(batches);
    expect(r.skipped.map((s) => s.id)).toEqual(["b0", "b1"]);
    expect(r.rows.learned).toBe(3 * 40);
    expect((await learnerOf(inner)).toJSON()).toEqual(direct(() => new LinearRegression(), batches, new Set()).toJSON());
  });
});

describe("restart semantics", () => {
  it("a fresh Pipeline on an existing store learns the new batches it is given", async () => {
    const store = new MemoryModelStore();
    await new Pipeline({ trainer: new LinearRegression(), store }).runBatches([numericBatch(1), numericBatch(2), numericBatch(3)]);
    const night2 = await new Pipeline({ trainer: new LinearRegression(), store }).runBatches([numericBatch(4), numericBatch(5)]);
    expect(night2.batches).toEqual({ total: 2, accepted: 2, quarantined: 0, skipped: 0 });
    expect(night2.rows.learned).toBe(100);
    expect(night2.restoredFrom).toMatchObject({ from: "checkpoint", position: 3 });
    expect((await learnerOf(store)).nSeen).toBe(250);
  });

  it("a replay by id skips exactly the learned ids and reports them", async () => {
    const store = new MemoryModelStore();
    const all = stream([30, 30, 30, 30, 30]);
    await new Pipeline({ trainer: new LinearRegression(), store }).runBatches(all.slice(0, 3));
    const events: string[] = [];
    const r = await new Pipeline({ trainer: new LinearRegression(), store }).runBatches(all, { onEvent: (e) => e.type === "batch_skipped" && events.push(e.id!) });
    expect(r.skipped).toEqual([0, 1, 2].map((k) => ({ item: k, id: `b${k}`, reason: "redelivered" })));
    expect(events).toEqual(["b0", "b1", "b2"]);
    expect(r.records.map((x) => x.id)).toEqual(["b3", "b4"]);
    // In the same live pipeline too.
    const p = new Pipeline({ trainer: new LinearRegression(), store: new MemoryModelStore() });
    await p.runBatches(all.slice(0, 2));
    expect((await p.runBatches(all.slice(1, 3))).skipped.map((s) => s.id)).toEqual(["b1"]);
  });

  it("resume: { from } passes over a replayed prefix of a source without ids", async () => {
    const store = new MemoryModelStore();
    const plain = [1, 2, 3, 4].map((k) => numericBatch(k));
    await new Pipeline({ trainer: new LinearRegression(), store }).runBatches(plain.slice(0, 2));
    const r = await new Pipeline({ trainer: new LinearRegression(), store }).runBatches(plain, { resume: { from: "checkpoint" } });
    expect(r.skipped).toEqual([{ item: 0, reason: "replayed" }, { item: 1, reason: "replayed" }]);
    expect(r.rows.learned).toBe(100);
    const r2 = await new Pipeline({ trainer: new LinearRegression(), store: new MemoryModelStore() }).runBatches(plain, { resume: { from: 3 } });
    expect(r2.batches).toMatchObject({ skipped: 3, accepted: 1 });
  });

  it("checkpoints are kept apart from versions: list, numbering and prune are about champions; versions carry lineage", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression(), store });
    await p.runBatches(Array.from({ length: 12 }, (_, k) => ({ ...numericBatch(k, 60, k < 6 ? -2 : 3), id: `n${k}` })));
    const versions = (await store.list("model")).versions;
    expect(versions.length).toBeGreaterThanOrEqual(2); // the first model and one after the change
    expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => versions.length - i));
    expect((await store.getCheckpoint("model"))!.sequence).toBe(12);
    // Lineage: parent, rows and batch ids learned since it, fingerprint.
    const newest = await store.get("model", "champion");
    const parent = await store.get("model", newest.parent!);
    expect(newest.parent).toBe(versions[1]!.version);
    expect(newest.data.rows).toBe(Number(newest.tags["freshml.rowsLearned"]) - Number(parent.tags["freshml.rowsLearned"]));
    const ids = JSON.parse(newest.tags["freshml.batchIds"]!) as string[];
    expect(ids.length).toBe(newest.data.batches);
    expect(ids[ids.length - 1]).toBe(`n${Number(newest.tags["freshml.position"]) - 1}`);
    expect(newest.data.fingerprint).not.toBe(parent.data.fingerprint);
    await store.prune("model", { keep: 1 });
    expect((await store.list("model")).versions).toHaveLength(1);
    expect((await store.getCheckpoint("model"))!.champion).toBe(await store.resolveAlias("model", "champion"));
    // A new pipeline still resumes after the prune.
    expect((await new Pipeline({ trainer: new LinearRegression(), store }).runBatches([numericBatch(99)])).restoredFrom?.from).toBe("checkpoint");
  });
});

describe("rollback reaches the pipeline", () => {
  /** A stream that changes twice, so the champion moves at least twice. */
  const drifting = (): NumericBatch[] =>
    Array.from({ length: 18 }, (_, k) => ({ ...numericBatch(300 + k, 60, k < 6 ? -2 : k < 12 ? 3 : -6), id: `d${k}` }));

  it("pipeline.rollback() moves champion and learning state together; the next run continues from there, with lineage", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression(), store });
    await p.runBatches(drifting());
    const before = p.championStoreVersion!;
    const history = (await store.aliasHistory("model", "champion")).map((e) => e.version);
    expect(history.length).toBeGreaterThanOrEqual(3);
    const r = await p.rollback();
    expect(r).toMatchObject({ from: before, to: history[history.length - 2] });
    expect(r.rowsDropped).toBeGreaterThan(0);
    expect(p.championStoreVersion).toBe(r.to);
    const target = await store.get("model", r.to);
    // The learning state is the rolled-back version's own: it learned exactly what that version had.
    const learner = await learnerOf(store);
    expect(learner.toJSON()).toEqual(target.trainer);
    expect((await store.getCheckpoint("model"))!.champion).toBe(r.to);
    // Re-sending the batches learned after that version learns them again (they were dropped).
    const again = await p.runBatches(drifting());
    expect(again.rows.learned).toBe(r.rowsDropped);
    // The next promoted version descends from the rolled-back one, not from the version rolled away from.
    expect(again.promotionsTotal).toBeGreaterThan(0);
    const next = await store.get("model", again.promotions[0]!.version!);
    expect(next.version).toBeGreaterThan(before);
    expect(next.parent).toBe(r.to);
    expect((await store.aliasHistory("model", "champion")).some((e) => e.action === "rollback" && e.version === r.to)).toBe(true);
  });

  it("a store.rollback is seen by a live pipeline at its next run and by a new one", async () => {
    for (const live of [true, false]) {
      const store = fileStore();
      const p = new Pipeline({ trainer: new LinearRegression(), store });
      await p.runBatches(drifting().slice(0, 12));
      const to = await store.rollback("model", "champion");
      const target = await store.get("model", to);
      const q = live ? p : new Pipeline({ trainer: new LinearRegression(), store });
      const r = await q.runBatches([]);
      expect(r.restoredFrom).toMatchObject({ version: to, from: "champion" });
      expect(q.championStoreVersion).toBe(to);
      expect(q.servingModel!.trainer.toJSON()).toEqual(target.trainer);
      expect((await learnerOf(store)).toJSON()).toEqual(target.trainer);
    }
  });
});
