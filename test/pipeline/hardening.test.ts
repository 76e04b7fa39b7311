import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { FreshmlError, LinearRegression, MemoryModelStore, Pipeline, SGDClassifier, SGDRegressor, type ModelStore, type Trainer } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { classBatch, numericBatch } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const fileStore = (): FileModelStore => {
  const d = mkdtempSync(join(tmpdir(), "freshml-hard-"));
  dirs.push(d);
  return new FileModelStore(d);
};

/** The kinds of batch the fuzz mixes; only "clean" and "subnormal" may be learned. */
const KINDS = ["clean", "subnormal", "nan", "infinite", "wrongType", "wrongShape", "huge", "hugeTarget", "hostileKeys", "sparseHuge"] as const;
type Kind = (typeof KINDS)[number];

/** A batch of the given kind, built from a clean seeded batch. */
function batchOf(kind: Kind, seed: number): unknown {
  const b = numericBatch(seed, 20);
  const rows = (): number[][] => Array.from({ length: 20 }, (_, i) => Array.from(b.X.subarray(i * 3, i * 3 + 3)));
  switch (kind) {
    case "clean":
      return { X: rows(), y: Array.from(b.y) };
    case "subnormal": {
      const X = rows();
      X[seed % 20]![seed % 3] = 5e-324;
      return { X, y: Array.from(b.y) };
    }
    case "nan": {
      const y = Array.from(b.y);
      y[seed % 20] = Number.NaN;
      return { X: rows(), y };
    }
    case "infinite": {
      const X = rows();
      X[seed % 20]![1] = -Infinity;
      return { X, y: Array.from(b.y) };
    }
    case "wrongType": {
      const X: unknown[][] = rows();
      X[seed % 20]![0] = seed % 2 ? "1.5" : null;
      return { X, y: Array.from(b.y) };
    }
    case "wrongShape": {
      const X = rows();
      X[seed % 20]!.pop();
      return { X, y: Array.from(b.y) };
    }
    case "huge": {
      const X = rows();
      X[seed % 20]![seed % 3] = seed % 2 ? 1e300 : -1.7e308;
      return { X, y: Array.from(b.y) };
    }
    case "hugeTarget":
      // A unit slip: finite, learnable by the arithmetic, absurd (issue 10 item 8).
      return { X: rows(), y: Array.from(b.y, (v) => v * 1e100) };
    case "hostileKeys": {
      // Keys that are Object.prototype's: a hostile batch object must not reach them.
      const bad = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": 1}, "X": [[1, 2]], "y": "x"}') as unknown;
      return bad;
    }
    case "sparseHuge": {
      const X: number[][] = [];
      X.length = 2 ** 32 - 1;
      const y: number[] = [];
      y.length = 2 ** 32 - 1;
      return { X, y };
    }
  }
}

/** What a caller can read of a pipeline's state through the store: the champion's version and the learning state. */
async function stateOf(store: ModelStore): Promise<string> {
  const champion = await store.resolveAlias("model", "champion");
  const cp = await store.getCheckpoint("model");
  return JSON.stringify({ champion, trainer: cp?.trainer ?? null, learning: (cp?.state as { learning?: { rowsLearned?: number; fingerprint?: string } } | undefined)?.learning?.fingerprint ?? null });
}

const probe = [[0.5, -1, 2], [1e-3, 3, -0.25]];

describe("a seeded fuzz of good and hostile batches through a Pipeline (issue 10)", () => {
  it("never changes the champion or the learning state except by a clean batch, throws only FreshmlErrors, and a fresh Pipeline always resumes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...KINDS), fc.nat({ max: 1000 })), { minLength: 3, maxLength: 9 }),
        fc.boolean(),
        fc.boolean(),
        async (plan, useFile, sgd) => {
          const store = useFile ? fileStore() : new MemoryModelStore();
          const make = (): Trainer => (sgd ? new SGDRegressor({ seed: 3, standardize: true }) : new LinearRegression({ l2: 1e-2 }));
          // Two clean batches first, so that there is a champion to protect.
          await new Pipeline({ trainer: make(), store }).runBatches([batchOf("clean", 1) as never, batchOf("clean", 2) as never]);
          let alternate = false;
          for (const [kind, seed] of plan) {
            const before = await stateOf(store);
            const championBefore = await store.resolveAlias("model", "champion");
            // A fresh Pipeline every other batch: a restart must always be possible.
            const p = new Pipeline({ trainer: make(), store });
            alternate = !alternate;
            let report;
            try {
              report = await p.runBatches([batchOf(kind, seed) as never]);
            } catch (err) {
              expect(err).toBeInstanceOf(FreshmlError);
              throw err; // no batch, however hostile, should stop the run: it is quarantined
            }
            const learnable = kind === "clean" || kind === "subnormal";
            if (!learnable) {
              expect(report.batches.quarantined, `${kind} batch ${seed}`).toBe(1);
              for (const issue of report.records[0]!.issues) expect(typeof issue.code).toBe("string");
              // Nothing it could reach changed: champion version, learner, fingerprint.
              const after = JSON.parse(await stateOf(store)) as { champion: number | null; trainer: unknown; learning: unknown };
              const was = JSON.parse(before) as typeof after;
              expect(after.champion).toBe(was.champion);
              expect(after.trainer).toEqual(was.trainer);
              expect(after.learning).toEqual(was.learning);
              expect(await store.resolveAlias("model", "champion")).toBe(championBefore);
            } else {
              expect(report.batches.accepted, `${kind} batch ${seed}`).toBe(1);
            }
            // The serving model predicts finitely, and a fresh Pipeline restores without complaint.
            const served = p.championModel;
            if (served) for (const v of served.predict(probe)) expect(Number.isFinite(v)).toBe(true);
            expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          }
          const fresh = new Pipeline({ trainer: make(), store });
          const last = await fresh.runBatches([batchOf("clean", 999) as never]);
          expect(last.batches.accepted).toBe(1);
        },
      ),
      { seed: 20261129, numRuns: 24 },
    );
  }, 60_000);
});

describe("issue 10 regressions at the pipeline", () => {
  it("5. a label outside the classes anywhere in a batch quarantines it as unknown_class: nothing learned, nothing promoted", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new SGDClassifier({ classes: [0, 1], seed: 1 }), store });
    await p.runBatches([classBatch(1), classBatch(2)]);
    const before = await stateOf(store);
    const tail = classBatch(3);
    tail.y[tail.y.length - 1] = 2; // in the last rows (a holdout gate's tail)
    const r = await p.runBatches([tail]);
    expect(r.records[0]).toMatchObject({ status: "quarantined", issues: [{ code: "unknown_class" }] });
    expect(r.rows.learned).toBe(0);
    expect(await stateOf(store)).toBe(before);
    const holdout = new Pipeline({ trainer: new SGDClassifier({ classes: [0, 1], seed: 1 }), gate: { mode: "holdout" } });
    const rh = await holdout.runBatches([classBatch(1), classBatch(2), tail]);
    expect(rh.records.map((x) => x.status)).toEqual(["accepted", "accepted", "quarantined"]);
  });

  it("6. declared features are enforced for numeric batches: a first batch of 2 columns for 4 names is quarantined", async () => {
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }), features: ["a", "b", "c", "d"] });
    const two = { X: [[1, 2], [3, 4], [5, 6]], y: [1, 2, 3] };
    const four = { X: [[1, 2, 3, 4], [3, 4, 5, 7], [5, 6, 1, 2], [0, 1, 0, 1], [2, 2, 2, 9]], y: [1, 2, 3, 4, 5] };
    const r = await p.runBatches([two, four, four]);
    expect(r.records.map((x) => (x.status === "accepted" ? "ok" : x.issues[0]!.code))).toEqual(["column_mismatch", "ok", "ok"]);
    expect(p.championModel?.nFeatures).toBe(4);
  });

  it("7. a restart with another trainer or other parameters is refused with invalid_state (not silently replaced)", async () => {
    const store = new MemoryModelStore();
    await new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }), store }).runBatches([numericBatch(1)]);
    for (const other of [new SGDRegressor(), new LinearRegression({ l2: 0 }), new LinearRegression()]) {
      await expect(new Pipeline({ trainer: other, store }).runBatches([numericBatch(2)])).rejects.toMatchObject({ code: "invalid_state" });
    }
    expect((await new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }), store }).runBatches([numericBatch(2)])).batches.accepted).toBe(1);
  });

  it("17. maxBatchRecords: 0 (unbounded streams) saves promotions and keeps no records", async () => {
    for (const store of [new MemoryModelStore(), fileStore()]) {
      const p = new Pipeline({ trainer: new LinearRegression({ l2: 0.5 }), store, maxBatchRecords: 0 });
      const drift = [numericBatch(1), numericBatch(2), numericBatch(3, 50, 3), numericBatch(4, 50, 3), numericBatch(5, 50, 3)];
      const r = await p.runBatches(drift);
      expect(r.batches.accepted).toBe(5);
      expect(r.records).toEqual([]);
      expect((await store.list("model")).versions.length).toBeGreaterThanOrEqual(1);
    }
  });

  it("row objects with hostile keys are read by the schema, not by Object.prototype", async () => {
    const Row = z.object({ a: z.number(), y: z.number() });
    const rows = Array.from({ length: 30 }, (_, i) => JSON.parse(`{"a": ${i}, "y": ${2 * i}, "__proto__": {"a": "x"}, "constructor": 1}`) as unknown);
    const p = new Pipeline({ schema: Row, target: "y", trainer: new LinearRegression({ l2: 1e-6 }) });
    const r = await p.runBatches([rows as never, { id: "__proto__", rows } as never, { id: "constructor", rows } as never, { id: "__proto__", rows } as never]);
    expect(r.records.map((x) => x.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect(r.skipped).toEqual([expect.objectContaining({ id: "__proto__", reason: "redelivered" })]);
  });
});

describe("issue 10 items 10 and 12 at the pipeline", () => {
  it("past the store's alias-history limit a restart still continues from the checkpoint (moves counted by seq)", async () => {
    const store = new MemoryModelStore({ aliasHistoryLimit: 2 });
    const drifting = Array.from({ length: 12 }, (_, k) => numericBatch(k, 40, k % 2 ? 3 : -2));
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), store, gate: { minRows: 1, window: 1, confidence: 0.5 } });
    const r = await p.runBatches(drifting);
    expect(r.promotionsTotal).toBeGreaterThan(2);
    expect((await store.aliasHistory("model", "champion")).length).toBe(2);
    const resumed = await new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), store, gate: { minRows: 1, window: 1, confidence: 0.5 } }).runBatches([numericBatch(99)]);
    expect(resumed.restoredFrom?.from).toBe("checkpoint");
    expect(resumed.restoredFrom?.position).toBe(12);
  });

  it("a promotion is stored and aliased in one step: a concurrent prune({ keep: 0 }) cannot make the run fail", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), store, gate: { minRows: 1, window: 1, confidence: 0.5 } });
    const batches = Array.from({ length: 10 }, (_, k) => numericBatch(k, 40, k % 2 ? 3 : -2));
    const pruning = (async (): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        await store.prune("model", { keep: 0 }).catch(() => undefined);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const r = await p.runBatches(batches);
    await pruning;
    expect(r.batches.accepted).toBe(10);
    expect(await store.resolveAlias("model", "champion")).toBe(r.championVersion);
  });
});
