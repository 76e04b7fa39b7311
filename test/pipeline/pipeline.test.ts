import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FreshmlError,
  GaussianNB,
  LastValueRegressor,
  LinearRegression,
  MemoryModelStore,
  Pipeline,
  SGDClassifier,
  SGDRegressor,
  qualityChecks,
  restoreTrainer,
  type RunReport,
} from "../../src/index.js";
import { Row, accepted, badBatch, classBatch, numericBatch, rowBatch, type R } from "./helpers.js";

const untimed = (r: RunReport): unknown => JSON.parse(JSON.stringify({ ...r, startedAt: 0, durationMs: 0, stageMs: 0 }));

describe("Pipeline.runBatches", () => {
  it("validates, featurises (one-hot enums), learns every row, gates and saves with lineage", async () => {
    const store = new MemoryModelStore();
    const events: string[] = [];
    const p = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-6 }), store });
    const report = await p.runBatches([rowBatch(1), rowBatch(2), rowBatch(3)], { onEvent: (e) => events.push(e.type) });
    expect(report.batches).toEqual({ total: 3, accepted: 3, quarantined: 0, skipped: 0 });
    expect(report.rows).toEqual({ seen: 180, learned: 180, dropped: 0, quarantined: 0 });
    // The first model serves as soon as it exists.
    expect(report.promotions[0]).toMatchObject({ batch: 0, version: 1 });
    expect(accepted(report.records[0]).decision!.mode).toBe("first");
    expect(events).toContain("model_promoted");
    expect(events[events.length - 1]).toBe("run_finished");
    const champ = await store.get("model", "champion");
    expect(champ.version).toBe(report.championVersion);
    expect(champ.data.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    // temp, hour, day=we (drop-first: "wk" is the reference level) → the model learned the weekend effect through one-hot columns.
    const m = restoreTrainer(champ.trainer) as LinearRegression;
    const w = m.coefficients().weights;
    expect(w).toHaveLength(3);
    expect(w[0]).toBeCloseTo(2, 1);
    expect(w[2]!).toBeCloseTo(-5, 0);
    // The learning state learned all 180 rows, in the checkpoint slot (not a version).
    const cp = (await store.getCheckpoint("model"))!;
    expect(restoreTrainer(cp.trainer).nSeen).toBe(180);
    expect(cp.champion).toBe(report.championVersion);
    expect(report.prequential.metric).toBe("rmse");
    expect(report.prequential.value!).toBeLessThan(1);
    expect(JSON.parse(JSON.stringify(report)).batches.total).toBe(3);
  });

  it("quarantined batches never change the champion or any stored version, and every batch is accounted for (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), async (bad) => {
        const seq = bad.map((isBad, i) => (isBad ? badBatch(100 + i) : rowBatch(i + 1)));
        const clean = bad.map((isBad, i) => (isBad ? null : rowBatch(i + 1))).filter((b): b is R[] => b !== null);
        const withBad = new MemoryModelStore();
        const without = new MemoryModelStore();
        const mk = (store: MemoryModelStore): Pipeline =>
          new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), store, gate: { confidence: 0.5, minRows: 1 }, detector: null });
        const r1 = await mk(withBad).runBatches(seq);
        await mk(without).runBatches(clean);
        expect(r1.batches.accepted + r1.batches.quarantined).toBe(r1.batches.total);
        expect(r1.batches.quarantined).toBe(bad.filter(Boolean).length);
        const versions = async (s: MemoryModelStore) => (await s.list("model", { limit: 1000 })).versions;
        const a = await versions(withBad);
        const b = await versions(without);
        expect(a.map((v) => v.version)).toEqual(b.map((v) => v.version));
        for (const v of b) expect((await withBad.get("model", v.version)).trainer).toEqual((await without.get("model", v.version)).trainer);
        // The learning state too: the bad batches moved only the stream position.
        const ca = (await withBad.getCheckpoint("model"))!;
        const cb = (await without.getCheckpoint("model"))!;
        expect(ca.trainer).toEqual(cb.trainer);
        for (const q of r1.records.filter((r) => r.status === "quarantined")) expect(q.issues[0]!.code).toBe("schema");
      }),
      { numRuns: 25, seed: 3 },
    );
  });

  it("same seed, same data: the same report (timings aside)", async () => {
    const run = async (): Promise<RunReport> =>
      new Pipeline({ trainer: new SGDRegressor({ seed: 9 }), gate: { minRows: 20 } }).runBatches(Array.from({ length: 8 }, (_, i) => numericBatch(i)));
    expect(untimed(await run())).toEqual(untimed(await run()));
  });

  it("window(W) with exact forget equals a fresh fit on the last W batches", async () => {
    const batches = Array.from({ length: 9 }, (_, i) => numericBatch(i + 20, 40));
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression(), store, policy: { window: 3 }, detector: null });
    await p.runBatches(batches);
    const learner = restoreTrainer((await store.getCheckpoint("model"))!.trainer) as LinearRegression;
    const fresh = new LinearRegression();
    for (const b of batches.slice(-3)) fresh.update(b);
    const got = learner.coefficients();
    const want = fresh.coefficients();
    for (let j = 0; j < 3; j++) expect(Math.abs(got.weights[j]! - want.weights[j]!)).toBeLessThan(1e-9);
    expect(learner.nSeen).toBe(120);
  });

  it("window(W) without forget rebuilds; full refits everything", async () => {
    const batches = Array.from({ length: 5 }, (_, i) => numericBatch(i + 40, 20));
    const s1 = new MemoryModelStore();
    await new Pipeline({ trainer: new SGDRegressor({ seed: 1 }), store: s1, policy: { window: 2 }, detector: null }).runBatches(batches);
    expect(restoreTrainer((await s1.getCheckpoint("model"))!.trainer).nSeen).toBe(2 * 20);
    const s2 = new MemoryModelStore();
    await new Pipeline({ trainer: new LinearRegression(), store: s2, policy: "full", detector: null }).runBatches(batches);
    expect(restoreTrainer((await s2.getCheckpoint("model"))!.trainer).nSeen).toBe(5 * 20);
  });

  it("the gate applies an absolute bound and a baseline, and says why", async () => {
    const strict = new Pipeline({ trainer: new LinearRegression(), gate: { absolute: 1e-6 } });
    const r = await strict.runBatches([numericBatch(1), numericBatch(2)]);
    expect(r.promotions).toEqual([]);
    expect(accepted(r.records[1]).decision!.reasons[0]).toMatch(/absolute bound/);
    expect(strict.championModel).toBeNull();
    const vsBaseline = new Pipeline({ trainer: new LinearRegression(), gate: { baseline: new LastValueRegressor() } });
    const rb = await vsBaseline.runBatches([numericBatch(3), numericBatch(4), numericBatch(5)]);
    // No evidence yet on batch 0; on batch 1 the challenger beat the baseline out of time and became the first champion.
    expect(accepted(rb.records[1]).decision).toMatchObject({ mode: "first", promoted: true });
    expect(accepted(rb.records[1]).decision!.baseline).toBeGreaterThan(accepted(rb.records[1]).decision!.challenger!);
  });

  it("a model that cannot predict is not promoted, but every batch is still learned; a batch the trainer refuses is learn_failed", async () => {
    // Full one-hot day columns plus an intercept are collinear: plain least squares is singular.
    const p = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression(), preprocessing: { oneHot: "full" } });
    const r = await p.runBatches([rowBatch(1), rowBatch(2)]);
    expect(r.promotions).toEqual([]);
    expect(r.batches).toMatchObject({ accepted: 2, quarantined: 0 });
    expect(accepted(r.records[0]).decision!.reasons[0]).toMatch(/cannot predict.*singular.*l2/);
    // A label the classifier does not declare: quarantined before anything reads it.
    const c = new Pipeline({ trainer: new SGDClassifier({ classes: [0, 1] }) });
    const bad = classBatch(2);
    bad.y[3] = 2;
    const rc = await c.runBatches([classBatch(1), bad]);
    expect(rc.records[1]!.issues[0]!.code).toBe("unknown_class");
    // A trainer that refuses a batch after validation: learn_failed, with its reason, nothing learned.
    const refusing = new LinearRegression();
    (refusing as { update: LinearRegression["update"] }).update = () => {
      throw new FreshmlError("diverged", "refused");
    };
    (refusing as { clone: () => LinearRegression }).clone = () => refusing;
    const rf = await new Pipeline({ trainer: refusing }).runBatches([numericBatch(1)]);
    expect(rf.records[0]!.issues[0]).toMatchObject({ code: "learn_failed", message: expect.stringMatching(/diverged.*refused/) });
    expect(rf.rows.learned).toBe(0);
  });

  it("stops between stages when aborted; nothing half-written; the report says where", async () => {
    const store = new MemoryModelStore();
    const ac = new AbortController();
    const p = new Pipeline({ trainer: new LinearRegression(), store });
    const r = await p.runBatches(
      Array.from({ length: 10 }, (_, i) => numericBatch(i)),
      { signal: ac.signal, onEvent: (e) => e.type === "batch_validated" && e.batch === 2 && ac.abort() },
    );
    expect(r.status).toBe("aborted");
    expect(r.stoppedAt).toEqual({ batch: 2, stage: "test" });
    // The interrupted batch was not processed: every batch counted is accepted or quarantined.
    expect(r.batches).toEqual({ total: 2, accepted: 2, quarantined: 0, skipped: 0 });
    const versions = (await store.list("model")).versions;
    for (const v of versions) expect((await store.get("model", v.version)).version).toBe(v.version);
    expect(await store.resolveAlias("model", "champion")).toBe(r.championVersion);
    // The checkpoint holds the two learned batches; the next run learns batch 2 again from the start.
    expect(restoreTrainer((await store.getCheckpoint("model"))!.trainer).nSeen).toBe(100);
  });

  it.each([
    ["every-batch", 6],
    [{ every: 3 }, 2],
    ["end", 1],
  ] as const)("checkpoint cadence %j writes the learning state %i times over 6 batches; promotions are saved when they happen", async (checkpoint, expected) => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression(), store, checkpoint, detector: null });
    const r = await p.runBatches(Array.from({ length: 6 }, (_, i) => numericBatch(i)));
    expect(r.checkpoints.filter((c) => c.kind === "checkpoint")).toHaveLength(expected);
    expect((await store.getCheckpoint("model"))!.sequence).toBe(expected);
    expect(r.promotions.every((x) => x.version !== null)).toBe(true);
    expect(await store.resolveAlias("model", "champion")).toBe(r.championVersion);
    expect(restoreTrainer((await store.getCheckpoint("model"))!.trainer).nSeen).toBe(6 * 50);
  });

  it("one run at a time", async () => {
    const p = new Pipeline({ trainer: new LinearRegression() });
    async function* slow(): AsyncIterable<ReturnType<typeof numericBatch>> {
      yield numericBatch(1);
      await new Promise((r) => setImmediate(r));
      yield numericBatch(2);
    }
    const first = p.runBatches(slow());
    await expect(p.runBatches([numericBatch(3)])).rejects.toMatchObject({ code: "run_in_progress" });
    expect((await first).batches.total).toBe(2);
  });

  it("onQuarantine: 'throw' records the batch, saves, then throws batch_quarantined with the report", async () => {
    const store = new MemoryModelStore();
    const mk = (): Pipeline => new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), store, onQuarantine: "throw" });
    const source = [rowBatch(1), badBatch(2), rowBatch(3)];
    const err = await mk().runBatches(source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FreshmlError);
    expect((err as FreshmlError).code).toBe("batch_quarantined");
    expect(((err as FreshmlError).details.report as RunReport).batches).toMatchObject({ total: 2, accepted: 1, quarantined: 1 });
    // A restart replaying the source resumes after the quarantined batch when it says so.
    const resumed = await mk().runBatches(source, { resume: { from: "checkpoint" } });
    expect(resumed.batches).toMatchObject({ skipped: 2, total: 1, accepted: 1 });
  });

  it("quarantines a numeric batch with NaN or a wrong width, and quality failures", async () => {
    const p = new Pipeline({ trainer: new LinearRegression(), validators: [qualityChecks({ minRows: 30 })] });
    const nan = numericBatch(2);
    nan.X[5] = NaN;
    const r = await p.runBatches([numericBatch(1), nan, { X: new Float64Array(8), cols: 2, y: new Float64Array(4) }, numericBatch(3, 10)]);
    expect(r.records.map((x) => [x.status, x.issues[0]?.code])).toEqual([
      ["accepted", undefined],
      ["quarantined", "non_finite"],
      ["quarantined", "column_mismatch"],
      ["quarantined", "too_few_rows"],
    ]);
  });

  it("streams an AsyncIterable and reports progress with an ETA for arrays", async () => {
    const progress: number[] = [];
    const p = new Pipeline({ trainer: new SGDClassifier({ classes: [0, 1], seed: 1 }) });
    const r = await p.runBatches([classBatch(1), classBatch(2), classBatch(3)], { onProgress: (x) => progress.push(x.etaMs!) });
    expect(progress).toHaveLength(3);
    expect(progress[2]).toBe(0);
    expect(r.prequential.metric).toBe("logloss");
  });

  it("tracks every configured metric per batch for champion and challenger, classifiers included", async () => {
    const p = new Pipeline({ trainer: new GaussianNB({ classes: [0, 1] }), metrics: ["accuracy", "rocauc", "macrof1", "balancedaccuracy"], gate: { metric: "logloss" } });
    const r = await p.runBatches(Array.from({ length: 6 }, (_, i) => classBatch(i, 80)));
    expect(Object.keys(r.series).sort()).toEqual(["accuracy", "balancedaccuracy", "logloss", "macrof1", "rocauc"]);
    expect(r.series.accuracy!.batch).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.series.accuracy!.champion[0]).toBeNull(); // no champion before the first batch
    for (const m of ["accuracy", "rocauc", "macrof1", "balancedaccuracy"]) {
      expect(r.series[m]!.champion[5]).toBeGreaterThan(0.6);
      expect(r.metrics[m]!.champion).toBeGreaterThan(0.6);
      expect(accepted(r.records[5]).scores!.challenger![m]).toBe(r.series[m]!.challenger[5]);
    }
    expect(r.metrics.logloss!.champion).toBeLessThan(0.7);
  });

  it("reacts to drift: the detector fires on a change and the learner starts afresh", async () => {
    const before = Array.from({ length: 6 }, (_, i) => numericBatch(i, 80));
    const after = Array.from({ length: 4 }, (_, i) => {
      const b = numericBatch(50 + i, 80);
      return { ...b, y: b.y.map((v) => 10 - 3 * v) };
    });
    const events: string[] = [];
    const p = new Pipeline({ trainer: new LinearRegression(), onDrift: "reset" });
    const r = await p.runBatches([...before, ...after], { onEvent: (e) => e.type === "drift_detected" && events.push(e.reaction) });
    expect(r.driftAlarms.length).toBeGreaterThan(0);
    expect(r.driftAlarms[0]).toBeGreaterThanOrEqual(6);
    expect(events[0]).toBe("reset");
  });

  it("a batch a model cannot predict finitely is quarantined, not a crash, and the run goes on", async () => {
    // Without the sanity bound (which would quarantine it first as implausible_value).
    const p = new Pipeline({ trainer: new LinearRegression(), sanity: false });
    const huge = numericBatch(2);
    huge.X.fill(1.7e308); // finite, but −2 · 1.7e308 overflows
    const r = await p.runBatches([numericBatch(1), huge, numericBatch(3)]);
    expect(r.records.map((x) => x.status)).toEqual(["accepted", "quarantined", "accepted"]);
    expect(r.records[1]!.issues[0]!.code).toBe("prediction_failed");
  });

  it("a batch of huge finite values leaves the detector and the checkpoint restorable", async () => {
    const store = new MemoryModelStore();
    const huge = numericBatch(2);
    huge.X.fill(1e160);
    await new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), store }).runBatches([numericBatch(1), huge, numericBatch(3)]);
    // A fresh process on the store restores everything, detector included.
    const r = await new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), store }).runBatches([numericBatch(4)]);
    expect(r.restoredFrom?.from).toBe("checkpoint");
    expect(r.batches.accepted).toBe(1);
  });
});
