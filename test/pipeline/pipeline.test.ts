import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  FreshmlError,
  LastValueRegressor,
  LinearRegression,
  MemoryModelStore,
  Pipeline,
  SGDClassifier,
  SGDRegressor,
  SeededRandom,
  qualityChecks,
  restoreTrainer,
  type RunReport,
} from "../../src/index.js";

const Row = z.object({ temp: z.number().min(-50).max(60), hour: z.number().int().min(0).max(23), day: z.enum(["wk", "we"]), load: z.number() });
type R = z.infer<typeof Row>;

function rowBatch(seed: number, n = 60, shift = 0): R[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const temp = 20 + 8 * rng.nextGaussian();
    const hour = i % 24;
    const day = rng.next() < 0.3 ? "we" : "wk";
    return { temp, hour, day, load: 10 + 2 * temp + 0.5 * hour + (day === "we" ? -5 : 0) + shift + 0.5 * rng.nextGaussian() };
  });
}

const badBatch = (seed: number): unknown[] => {
  const b: unknown[] = rowBatch(seed, 20);
  b[3] = { temp: "hot", hour: 25, day: "xx" };
  return b;
};

function numericBatch(seed: number, n = 50): { X: Float64Array; cols: number; y: Float64Array } {
  const rng = new SeededRandom(seed);
  const X = Float64Array.from({ length: n * 3 }, () => rng.nextGaussian());
  const y = Float64Array.from({ length: n }, (_, i) => 1 + X[i * 3]! - 2 * X[i * 3 + 1]! + 0.1 * rng.nextGaussian());
  return { X, cols: 3, y };
}

const untimed = (r: RunReport): unknown => JSON.parse(JSON.stringify({ ...r, startedAt: 0, durationMs: 0, stageMs: 0 }));

describe("Pipeline.runBatches", () => {
  it("validates, featurises (one-hot enums), learns, gates and saves with lineage", async () => {
    const store = new MemoryModelStore();
    const events: string[] = [];
    const p = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-6 }), store, gate: { tolerance: 0.5 } });
    const report = await p.runBatches([rowBatch(1), rowBatch(2), rowBatch(3)], { onEvent: (e) => events.push(e.type) });
    expect(report.batches).toEqual({ total: 3, accepted: 3, quarantined: 0, skipped: 0 });
    expect(report.promotions.length).toBeGreaterThanOrEqual(1);
    expect(report.promotions[0]).toMatchObject({ batch: 0, version: 1 });
    expect(events).toContain("model_promoted");
    expect(events[events.length - 1]).toBe("run_finished");
    const champ = await store.get("model", "champion");
    expect(champ.version).toBe(report.championVersion);
    expect(champ.data.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    // temp, hour, day=wk, day=we → the model learned the weekend effect through one-hot columns.
    const m = restoreTrainer(champ.trainer) as LinearRegression;
    const w = m.coefficients().weights;
    expect(w).toHaveLength(4);
    expect(w[0]).toBeCloseTo(2, 1);
    expect(w[3]! - w[2]!).toBeCloseTo(-5, 0);
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
          new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), store, gate: { tolerance: Infinity }, detector: null });
        const r1 = await mk(withBad).runBatches(seq);
        await mk(without).runBatches(clean);
        expect(r1.batches.accepted + r1.batches.quarantined).toBe(r1.batches.total);
        expect(r1.batches.quarantined).toBe(bad.filter(Boolean).length);
        // The same champions, version for version; the bad batches only move the checkpoint's
        // stream position (a checkpoint record may be added to carry it).
        const champions = async (s: MemoryModelStore) =>
          (await s.list("model", { limit: 1000 })).versions.filter((v) => v.tags["freshml.role"] === "champion");
        const a = await champions(withBad);
        const b = await champions(without);
        expect(a.map((v) => v.version)).toEqual(b.map((v) => v.version));
        for (const v of b) expect((await withBad.get("model", v.version)).trainer).toEqual((await without.get("model", v.version)).trainer);
        if (b.length) expect((await withBad.get("model", "champion")).trainer).toEqual((await without.get("model", "champion")).trainer);
        for (const q of r1.records.filter((r) => r.status === "quarantined")) expect(q.issues[0]!.code).toBe("schema");
      }),
      { numRuns: 25, seed: 3 },
    );
  });

  it("a resumed run equals an uninterrupted one", async () => {
    const batches = Array.from({ length: 12 }, (_, i) => rowBatch(i + 1, 40, i >= 6 ? 3 : 0));
    const mk = (store: MemoryModelStore): Pipeline =>
      new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), store, gate: { tolerance: 0.05 } });
    const whole = new MemoryModelStore();
    const r = await mk(whole).runBatches(batches);
    const split = new MemoryModelStore();
    await mk(split).runBatches(batches.slice(0, 5)); // "crash" after 5 batches
    const resumed = await mk(split).runBatches(batches); // a new process replays the source from the start
    expect(resumed.resumedFrom?.position).toBe(5);
    expect(resumed.batches.skipped).toBe(5);
    expect(resumed.batches.total).toBe(7);
    const a = await whole.get("model", "champion");
    const b = await split.get("model", "champion");
    expect(b.trainer).toEqual(a.trainer);
    const probe = [[20, 3, 1, 0]];
    expect(Array.from(restoreTrainer(b.trainer).predict(probe))).toEqual(Array.from(restoreTrainer(a.trainer).predict(probe)));
    expect(r.promotions.length).toBe(r.promotions.length);
  });

  it("same seed, same data: the same report (timings aside)", async () => {
    const run = async (): Promise<RunReport> =>
      new Pipeline({ trainer: new SGDRegressor({ seed: 9 }), gate: { tolerance: 0.1, holdoutFraction: 0.25 } }).runBatches(
        Array.from({ length: 8 }, (_, i) => numericBatch(i)),
      );
    expect(untimed(await run())).toEqual(untimed(await run()));
  });

  it("window(W) with exact forget equals a fresh fit on the last W batches", async () => {
    const batches = Array.from({ length: 9 }, (_, i) => numericBatch(i + 20, 40));
    const p = new Pipeline({ trainer: new LinearRegression(), policy: { window: 3 }, gate: { tolerance: Infinity, holdoutFraction: 0.25 }, detector: null });
    await p.runBatches(batches);
    const fresh = new LinearRegression();
    for (const b of batches.slice(-3)) fresh.update({ X: b.X.subarray(0, 30 * 3), cols: 3, y: b.y.subarray(0, 30) });
    const got = (p.championModel as LinearRegression).coefficients();
    const want = fresh.coefficients();
    for (let j = 0; j < 3; j++) expect(Math.abs(got.weights[j]! - want.weights[j]!)).toBeLessThan(1e-9);
    expect(p.championModel!.nSeen).toBe(90);
  });

  it("window(W) without forget rebuilds; full refits everything", async () => {
    const batches = Array.from({ length: 5 }, (_, i) => numericBatch(i + 40, 20));
    const win = new Pipeline({ trainer: new SGDRegressor({ seed: 1 }), policy: { window: 2 }, gate: { tolerance: Infinity }, detector: null });
    await win.runBatches(batches);
    expect(win.championModel!.nSeen).toBe(2 * 16);
    const full = new Pipeline({ trainer: new LinearRegression(), policy: "full", gate: { tolerance: Infinity }, detector: null });
    await full.runBatches(batches);
    expect(full.championModel!.nSeen).toBe(5 * 16);
  });

  it("the gate applies an absolute bound, a tolerance and a baseline, and says why", async () => {
    const noisy = (seed: number) => numericBatch(seed, 40);
    const strict = new Pipeline({ trainer: new LinearRegression(), gate: { absolute: 1e-6 } });
    const r = await strict.runBatches([noisy(1), noisy(2)]);
    expect(r.promotions).toEqual([]);
    expect(r.records[0]!.decision!.reasons[0]).toMatch(/absolute bound/);
    expect(strict.championModel).toBeNull();
    const vsBaseline = new Pipeline({ trainer: new LinearRegression(), gate: { baseline: new LastValueRegressor(), tolerance: Infinity } });
    const rb = await vsBaseline.runBatches([noisy(3), noisy(4)]);
    expect(rb.records[1]!.decision!.baseline).not.toBeNull();
    expect(rb.records[1]!.decision!.promoted).toBe(true);
  });

  it("a trainer that fails on a batch gives a rejected challenger with the reason, not a crash", async () => {
    // One-hot day columns plus an intercept are collinear: plain least squares is singular.
    const p = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression() });
    const r = await p.runBatches([rowBatch(1), rowBatch(2)]);
    expect(r.promotions).toEqual([]);
    expect(r.records[0]!.decision!.reasons[0]).toMatch(/singular.*l2/);
  });

  it("a rejected challenger keeps learning by default, or is discarded", async () => {
    const batches = [numericBatch(1), numericBatch(2), numericBatch(3)];
    const keep = new Pipeline({ trainer: new LinearRegression(), gate: { absolute: 1e-9 }, checkpoint: "every-batch" });
    const discard = new Pipeline({ trainer: new LinearRegression(), gate: { absolute: 1e-9 }, onRejected: "discard" });
    await keep.runBatches(batches);
    await discard.runBatches(batches);
    expect((keep as unknown as { learner: LinearRegression }).learner.nSeen).toBe(120);
    expect((discard as unknown as { learner: LinearRegression }).learner.nSeen).toBe(0);
  });

  it("stops between stages when aborted; nothing half-written; the report says where", async () => {
    const store = new MemoryModelStore();
    const ac = new AbortController();
    const p = new Pipeline({ trainer: new LinearRegression(), store, gate: { tolerance: Infinity } });
    const r = await p.runBatches(
      Array.from({ length: 10 }, (_, i) => numericBatch(i)),
      { signal: ac.signal, onEvent: (e) => e.type === "model_promoted" && e.batch === 2 && ac.abort() },
    );
    expect(r.status).toBe("aborted");
    expect(r.stoppedAt).toEqual({ batch: 3, stage: "between batches" });
    expect(r.batches.total).toBe(3);
    const versions = (await store.list("model")).versions;
    for (const v of versions) expect((await store.get("model", v.version)).version).toBe(v.version);
    expect(await store.resolveAlias("model", "champion")).toBe(r.championVersion);
  });

  it.each([
    ["promotion", 6],
    ["every-batch", 6],
    [{ every: 3 }, 2],
    ["end", 1],
  ] as const)("checkpoint cadence %j saves %i champion versions over 6 promoted batches", async (checkpoint, expected) => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression(), store, gate: { tolerance: Infinity }, checkpoint, detector: null });
    const r = await p.runBatches(Array.from({ length: 6 }, (_, i) => numericBatch(i)));
    const champions = (await store.list("model")).versions.filter((v) => v.tags["freshml.role"] === "champion");
    expect(champions).toHaveLength(expected);
    expect(await store.resolveAlias("model", "champion")).toBe(r.championVersion);
    // The last champion holds all six batches; its lineage chains to the previous one.
    const last = await store.get("model", "champion");
    expect(restoreTrainer(last.trainer).nSeen).toBe(6 * 40);
    if (expected > 1) expect(last.parent).toBe(champions[1]!.version);
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

  it("onQuarantine: 'throw' records the batch, then throws batch_quarantined with the report", async () => {
    const store = new MemoryModelStore();
    const mk = (): Pipeline => new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), store, onQuarantine: "throw" });
    const source = [rowBatch(1), badBatch(2), rowBatch(3)];
    const err = await mk().runBatches(source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FreshmlError);
    expect((err as FreshmlError).code).toBe("batch_quarantined");
    expect(((err as FreshmlError).details.report as RunReport).batches).toMatchObject({ total: 2, accepted: 1, quarantined: 1 });
    // What was learned was saved first: a restart resumes after the quarantined batch.
    const resumed = await mk().runBatches(source);
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
    const cls = (seed: number) => {
      const b = numericBatch(seed);
      return { ...b, y: b.y.map((v) => (v > 1 ? 1 : 0)) };
    };
    const r = await p.runBatches([cls(1), cls(2), cls(3)], { onProgress: (x) => progress.push(x.etaMs!) });
    expect(progress).toHaveLength(3);
    expect(progress[2]).toBe(0);
    expect(r.prequential.metric).toBe("accuracy");
  });

  it("reacts to drift: the detector fires on a change and the learner starts afresh", async () => {
    const before = Array.from({ length: 6 }, (_, i) => numericBatch(i, 80));
    const after = Array.from({ length: 4 }, (_, i) => {
      const b = numericBatch(50 + i, 80);
      return { ...b, y: b.y.map((v) => 10 - 3 * v) };
    });
    const events: string[] = [];
    const p = new Pipeline({ trainer: new LinearRegression(), onDrift: "reset", gate: { tolerance: Infinity } });
    const r = await p.runBatches([...before, ...after], { onEvent: (e) => e.type === "drift_detected" && events.push(e.reaction) });
    expect(r.driftAlarms.length).toBeGreaterThan(0);
    expect(r.driftAlarms[0]).toBeGreaterThanOrEqual(6);
    expect(events[0]).toBe("reset");
  });
});
