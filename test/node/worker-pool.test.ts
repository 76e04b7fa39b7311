import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GaussianNB, LastValueRegressor, LinearRegression, MajorityClassifier, MeanRegressor, SGDRegressor, SeededRandom, type Trainer } from "../../src/index.js";
import { ShardPool, learnSharded } from "../../src/node/index.js";

let pool: ShardPool;
beforeAll(() => {
  pool = new ShardPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** A batch of `rows` × `cols` with a regression target, or labels 0..2 for classifiers. */
function makeBatch(seed: number, rows: number, cols: number, classes: boolean): { X: Float64Array; cols: number; y: Float64Array } {
  const rng = new SeededRandom(seed);
  const X = Float64Array.from({ length: rows * cols }, () => rng.nextGaussian() * 3 + 1);
  const y = Float64Array.from({ length: rows }, (_, i) => {
    let s = 0.5;
    for (let j = 0; j < cols; j++) s += (j + 1) * X[i * cols + j]!;
    return classes ? (s < 2 ? 0 : s < 8 ? 1 : 2) : s + rng.nextGaussian();
  });
  return { X, cols, y };
}

const learners: Record<string, { make: () => Trainer; classes: boolean; exact?: boolean }> = {
  LinearRegression: { make: () => new LinearRegression({ l2: 1e-6 }), classes: false },
  GaussianNB: { make: () => new GaussianNB({ classes: [0, 1, 2] }), classes: true },
  MeanRegressor: { make: () => new MeanRegressor(), classes: false },
  LastValueRegressor: { make: () => new LastValueRegressor(), classes: false, exact: true },
  MajorityClassifier: { make: () => new MajorityClassifier({ classes: [0, 1, 2] }), classes: true, exact: true },
};

/** Same predictions (and probabilities) within `rel` of their scale. */
function expectClose(a: Trainer, b: Trainer, probe: Float64Array, cols: number, rel: number): void {
  const pa = a.predict({ X: probe, cols });
  const pb = b.predict({ X: probe, cols });
  const scale = Math.max(1, ...Array.from(pb, Math.abs));
  for (let i = 0; i < pb.length; i++) expect(Math.abs(pa[i]! - pb[i]!)).toBeLessThanOrEqual(rel * scale);
  const proba = (t: Trainer): Float64Array | null => ("predictProba" in t ? (t as unknown as { predictProba(x: unknown): Float64Array }).predictProba({ X: probe, cols }) : null);
  const qa = proba(a);
  const qb = proba(b);
  if (qa && qb) for (let i = 0; i < qb.length; i++) expect(Math.abs(qa[i]! - qb[i]!)).toBeLessThanOrEqual(rel);
}

describe("learnSharded: a batch learned across a pool of workers (issue 13)", () => {
  it("equals the sequential update for any split into shards (1e-12 relative; exactly for the exact baselines)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(learners)),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        async (kind, seed, cols, sizes, fitted, inThisThread) => {
          const spec = learners[kind]!;
          const rows = sizes.reduce((a, s) => a + s, 0);
          const batch = makeBatch(seed, rows, cols, spec.classes);
          const start = spec.make();
          // Sometimes the trainer has learned something already: the shards are merged onto it.
          if (fitted) start.update(makeBatch(seed + 1, 7, cols, spec.classes));
          const sequential = start.copy();
          sequential.update(batch);
          const { trainer, timings } = await learnSharded(start, batch, { pool, shards: sizes, inThisThread });
          expect(timings.rows).toEqual(sizes);
          expect(trainer.nSeen).toBe(sequential.nSeen);
          const probe = makeBatch(seed + 2, 9, cols, false).X;
          if (spec.exact) expect(JSON.stringify(trainer.toJSON())).toBe(JSON.stringify(sequential.toJSON()));
          else expectClose(trainer, sequential, probe, cols, 1e-12);
          // The caller's batch and trainer are untouched.
          expect(batch.X.length).toBe(rows * cols);
          expect(start.nSeen).toBe(fitted ? 7 : 0);
        },
      ),
      { numRuns: 60, seed: 13 },
    );
  });

  it("splits into equal contiguous shards by count, and at 100,000 rows matches the sequential fit", async () => {
    const batch = makeBatch(5, 100_000, 10, false);
    const sequential = new LinearRegression({ l2: 1e-6 });
    sequential.update(batch);
    const { trainer, timings } = await learnSharded(new LinearRegression({ l2: 1e-6 }), batch, { pool });
    expect(timings.rows).toEqual([50_000, 50_000]);
    expectClose(trainer, sequential, makeBatch(6, 20, 10, false).X, 10, 1e-12);
    const a = trainer.coefficients();
    const b = sequential.coefficients();
    for (let j = 0; j < 10; j++) expect(Math.abs(a.weights[j]! - b.weights[j]!)).toBeLessThanOrEqual(1e-12 * Math.abs(b.weights[j]!));
  });

  it("with inThisThread, learns the first shard here and the rest in the pool (default shards: the pool's threads plus one)", async () => {
    const batch = makeBatch(8, 3_000, 5, false);
    const sequential = new LinearRegression({ l2: 1e-6 });
    sequential.update(batch);
    const { trainer, timings } = await learnSharded(new LinearRegression({ l2: 1e-6 }), batch, { pool, inThisThread: true });
    expect(timings.rows).toEqual([1_000, 1_000, 1_000]);
    expect(timings.workerMs).toHaveLength(3);
    expectClose(trainer, sequential, makeBatch(6, 20, 5, false).X, 5, 1e-12);
    // One shard: everything here, nothing sent.
    const alone = await learnSharded(new LinearRegression({ l2: 1e-6 }), batch, { pool, shards: 1, inThisThread: true });
    expectClose(alone.trainer, sequential, makeBatch(6, 20, 5, false).X, 5, 1e-12);
  });

  it("keeps the main thread's timers firing while shards learn", async () => {
    const batch = makeBatch(9, 120_000, 30, false);
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const t = performance.now();
      maxGap = Math.max(maxGap, t - last);
      last = t;
    }, 5);
    const t0 = performance.now();
    await learnSharded(new LinearRegression(), batch, { pool, shards: 4 });
    const ms = performance.now() - t0;
    clearInterval(timer);
    // The main thread only copies the shards out and merges the states.
    expect(maxGap).toBeLessThan(Math.max(200, ms / 2));
  });

  it("refuses learners that cannot merge, and bad shard lists", async () => {
    const batch = makeBatch(1, 20, 2, false);
    await expect(learnSharded(new SGDRegressor(), batch, { pool })).rejects.toMatchObject({ code: "unsupported", message: expect.stringMatching(/merge/) });
    await expect(learnSharded(new LinearRegression(), batch, { pool, shards: [10, 5] })).rejects.toMatchObject({ code: "invalid_params" });
    await expect(learnSharded(new LinearRegression(), batch, { pool, shards: 0 })).rejects.toMatchObject({ code: "invalid_params" });
    // A bad batch is the trainer's own typed error, before anything is sent.
    await expect(learnSharded(new LinearRegression(), { X: [[1, NaN]], y: [1] }, { pool })).rejects.toMatchObject({ code: "non_finite" });
    // A NaN in a Float64Array is found by its shard's worker; the row is counted in the whole batch.
    const nan = makeBatch(2, 30, 2, false);
    nan.X[25 * 2 + 1] = NaN;
    await expect(learnSharded(new LinearRegression(), nan, { pool, shards: 3 })).rejects.toMatchObject({ code: "non_finite", details: { row: 25, column: 1 } });
    // …in the shard this thread learns, or in one the pool learns.
    await expect(learnSharded(new LinearRegression(), nan, { pool, shards: [26, 4], inThisThread: true })).rejects.toMatchObject({ code: "non_finite", details: { row: 25, column: 1 } });
    await expect(learnSharded(new LinearRegression(), nan, { pool, shards: [10, 20], inThisThread: true })).rejects.toMatchObject({ code: "non_finite", details: { row: 25, column: 1 } });
    // An error inside a shard comes back typed: a label the classifier does not declare.
    await expect(learnSharded(new GaussianNB({ classes: [0, 1] }), { X: [[1], [2], [3]], y: [0, 1, 7] }, { pool, shards: 3 })).rejects.toMatchObject({ name: "FreshmlError", code: "unknown_class" });
  });
});
