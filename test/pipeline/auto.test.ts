/**
 * The self-tuning policy "auto" (issue 17): several candidate windows learned
 * at once by merging per-batch states; the best recent out-of-time loss serves.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GaussianNB, LinearRegression, MemoryModelStore, Pipeline, SGDRegressor, SeededRandom, loadModel, type RetrainPolicy } from "../../src/index.js";
import { AutoMemory, autoSettings } from "../../src/pipeline/auto.js";
import { checkBatch } from "../../src/core/batch.js";
import { heldOutStreams, streams, type Stream } from "../fixtures/real-data.js";
import { accepted } from "./helpers.js";

/** y = w(t)·x + N(0, 1), 3 features, `n` batches of `b` rows: stationary, an abrupt change halfway, or a slow rotation. */
function synthetic(kind: "stationary" | "abrupt" | "slow", seed: number, n = 120, b = 50): Array<{ X: Float64Array; cols: number; y: Float64Array }> {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, t) => {
    const a = (t / n) * Math.PI;
    const w = kind === "stationary" ? [1, -2, 0.5] : kind === "abrupt" ? (t < n / 2 ? [1, -2, 0.5] : [-1.5, 1, 2]) : [2 * Math.cos(a), 2 * Math.sin(a), 0.5];
    const X = new Float64Array(b * 3);
    for (let k = 0; k < X.length; k++) X[k] = rng.nextGaussian();
    const y = Float64Array.from({ length: b }, (_, i) => w[0]! * X[i * 3]! + w[1]! * X[i * 3 + 1]! + w[2]! * X[i * 3 + 2]! + rng.nextGaussian());
    return { X, cols: 3, y };
  });
}

const WINDOWS = [3, 6, 12, 24, 48, 96];

/** The learning state's prequential mean squared error over a run (every batch scored before it was learned). */
async function mse(batches: ReturnType<typeof synthetic>, policy: RetrainPolicy): Promise<number> {
  const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy, detector: null, checkpoint: "end" });
  const r = await p.runBatches(batches);
  return r.metrics.rmse!.challenger! ** 2;
}

describe('policy "auto"', () => {
  for (const kind of ["stationary", "abrupt", "slow"] as const) {
    it(`${kind}: within 2 % of the best fixed candidate chosen in hindsight, and better than the worst`, async () => {
      const s = synthetic(kind, 1);
      const fixed = [...(await Promise.all(WINDOWS.map((w) => mse(s, { window: w })))), await mse(s, "incremental")];
      const auto = await mse(s, "auto");
      const best = Math.min(...fixed);
      const worst = Math.max(...fixed);
      expect(auto).toBeLessThanOrEqual(1.02 * best);
      // Measured (seed 1): stationary worst/best 1.03, abrupt 4.26, slow 3.27.
      expect(auto).toBeLessThan(kind === "stationary" ? worst : 0.5 * worst);
    });
  }

  it("every candidate equals a fresh fit on its window (1e-9), whatever the batch sizes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 30 }), fc.nat(), (sizes, seed) => {
        const rng = new SeededRandom(seed);
        const settings = autoSettings({ windows: [2, 5], horizon: 3 });
        const memory = new AutoMemory(new LinearRegression({ l2: 1e-3 }), settings);
        const batches = sizes.map((n) => {
          const X = Float64Array.from({ length: n * 2 }, () => rng.nextGaussian());
          return checkBatch({ X, cols: 2, y: Float64Array.from({ length: n }, (_, i) => X[2 * i]! - X[2 * i + 1]! + rng.nextGaussian()) });
        });
        const probe = [[0.3, -1.2], [2, 0.5]];
        batches.forEach((b, t) => {
          memory.learn(b);
          const states = memory.states();
          for (const [label, w] of [["window 2", 2], ["window 5", 5], ["everything", Infinity]] as const) {
            const fresh = new LinearRegression({ l2: 1e-3 });
            for (const x of batches.slice(Math.max(0, t + 1 - w), t + 1)) fresh.update(x);
            const got = states[label]!.predict(probe);
            const want = fresh.predict(probe);
            for (let i = 0; i < 2; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(want[i]!)));
          }
        });
      }),
      { seed: 17, numRuns: 60 },
    );
  });

  it("scores are out of time and discounted: each candidate's score is its discounted mean loss on batches it had not learned", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 3, max: 15 }), { minLength: 4, maxLength: 20 }), fc.nat(), (sizes, seed) => {
        const rng = new SeededRandom(seed);
        const memory = new AutoMemory(new LinearRegression({ l2: 1e-3 }), autoSettings({ windows: [2, 5], horizon: 3, minRows: 20 }));
        const batches = sizes.map((n) => {
          const X = Float64Array.from({ length: n * 2 }, () => rng.nextGaussian());
          return checkBatch({ X, cols: 2, y: Float64Array.from({ length: n }, (_, i) => X[2 * i]! - X[2 * i + 1]! + rng.nextGaussian()) });
        });
        const sizesOf = { "window 2": 2, "window 5": 5, everything: Infinity } as const;
        const loss = { "window 2": 0, "window 5": 0, everything: 0 };
        let weight = 0;
        let scoredRows = 0;
        batches.forEach((b, t) => {
          if (t > 0) {
            // Before batch t is learned: a fresh fit on each window's batches predicts it.
            const decay = Math.exp(-Math.min(1 / 3, b.rows / 20));
            weight = weight * decay + b.rows;
            scoredRows += b.rows;
            for (const [label, w] of Object.entries(sizesOf) as Array<[keyof typeof loss, number]>) {
              const fresh = new LinearRegression({ l2: 1e-3 });
              for (const x of batches.slice(Math.max(0, t - w), t)) fresh.update(x);
              const p = fresh.predict(b);
              let l = 0;
              for (let i = 0; i < b.rows; i++) l += (p[i]! - b.y[i]!) ** 2;
              loss[label] = loss[label] * decay + l;
            }
          }
          memory.learn(b);
          const scores = memory.choice().scores;
          for (const label of Object.keys(sizesOf) as Array<keyof typeof loss>) {
            if (t < 3 || scoredRows < 20) expect(scores[label]).toBeNull();
            else expect(Math.abs(scores[label]! - loss[label] / weight)).toBeLessThanOrEqual(1e-9 * (1 + loss[label] / weight));
          }
        });
      }),
      { seed: 23, numRuns: 40 },
    );
  });

  it("restarts are bit-identical to an uninterrupted run; the report and the version say which memory serves", async () => {
    const s = synthetic("abrupt", 4, 40, 30).map((b, k) => ({ ...b, id: `b${k}` }));
    const straight = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), policy: "auto" });
    const r = await straight.runBatches(s);
    const store = new MemoryModelStore();
    for (const [from, to] of [[0, 13], [13, 27], [27, 40]] as const) {
      await new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), policy: "auto", store }).runBatches(s.slice(from, to));
    }
    const cp = await store.getCheckpoint("model");
    const resumed = await new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), policy: "auto", store }).runBatches([]);
    expect(resumed.restoredFrom?.from).toBe("checkpoint");
    const straightCp = (straight as unknown as { learning: { toJSON(): unknown; trainer: { toJSON(): unknown } } }).learning;
    expect((cp!.state as { learning: unknown }).learning).toEqual(JSON.parse(JSON.stringify(straightCp.toJSON())));
    expect(cp!.trainer).toEqual(JSON.parse(JSON.stringify(straightCp.trainer.toJSON())));
    const last = accepted(r.records[r.records.length - 1]);
    expect(last.memory!.served).toMatch(/^window \d+$|^everything$/);
    expect(Object.keys(last.memory!.scores)).toEqual([...WINDOWS.map((w) => `window ${w}`), "everything"]);
    const version = (await store.list("model")).versions[0]!;
    expect((await store.get("model", version.version)).tags["freshml.memory"]).toMatch(/^window \d+$|^everything$/);
    // The served model says which memory it was learned on: the champion's, as the pipeline's own record said when it was saved.
    const champion = await loadModel(store, "model", "champion");
    expect(champion.memory).toBe((await store.get("model", champion.version!)).tags["freshml.memory"]);
    expect(champion.memory).toMatch(/^window \d+$|^everything$/);
    const incremental = new MemoryModelStore();
    await new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), store: incremental }).runBatches(s.slice(0, 5));
    expect((await loadModel(incremental, "model", "champion")).memory).toBeNull();
  });

  it("a drift reset forgets every candidate; the state still restores", async () => {
    const store = new MemoryModelStore();
    const s = synthetic("abrupt", 5, 40, 60);
    const events: string[] = [];
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), policy: "auto", onDrift: "reset", store });
    await p.runBatches(s, { onEvent: (e) => e.type === "drift_detected" && events.push(e.reaction) });
    expect(events).toContain("reset");
    const r = await new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), policy: "auto", onDrift: "reset", store }).runBatches(synthetic("abrupt", 6, 3, 60));
    expect(r.restoredFrom?.from).toBe("checkpoint");
    expect(r.batches.accepted).toBe(3);
  });

  it("works for any mergeable trainer (GaussianNB, log loss); refuses bad options", async () => {
    const rng = new SeededRandom(3);
    const batches = Array.from({ length: 20 }, () => {
      const X = Float64Array.from({ length: 40 * 2 }, () => rng.nextGaussian());
      return { X, cols: 2, y: Float64Array.from({ length: 40 }, (_, i) => (X[2 * i]! > 0 ? 1 : 0)) };
    });
    const r = await new Pipeline({ trainer: new GaussianNB({ classes: [0, 1] }), policy: { auto: { windows: [2, 8] } } }).runBatches(batches);
    expect(r.batches.accepted).toBe(20);
    expect(accepted(r.records[19]).memory!.scores["window 2"]).toBeGreaterThan(0);
    // Trainers without merge keep copies instead (test/pipeline/auto-copies.test.ts).
    expect(() => new Pipeline({ trainer: new SGDRegressor(), policy: "auto" })).not.toThrow();
    for (const auto of [{ windows: [] }, { windows: [0] }, { windows: [3, 3] }, { horizon: 0 }, { margin: 1 }, { shock: 1 }, { windows: [3], everything: false }]) {
      expect(() => new Pipeline({ trainer: new LinearRegression(), policy: { auto } as never })).toThrow(expect.objectContaining({ code: "invalid_params" }));
    }
  });
});

describe('policy "auto" on real, public, time-ordered data', () => {
  const byId = new Map([...streams(), ...heldOutStreams()].map((s) => [s.id, s]));
  /** The learning state's prequential mean squared error over the batches after the first period. */
  async function realMse(s: Stream, policy: RetrainPolicy): Promise<number> {
    const p = new Pipeline({ schema: s.schema, features: s.features as never, target: s.target as never, trainer: s.trainer(), policy, detector: null, checkpoint: "end" });
    const r = await p.runBatches(s.batches as never);
    return r.metrics.rmse!.challenger! ** 2;
  }
  // Mauna Loa CO₂ monthly (Scripps CO2 Program, CC BY 4.0, via vega-datasets 3.2.1, BSD-3-Clause): a strong trend.
  // Seattle temp_max daily and monthly (NOAA, U.S. Government work, via vega-datasets): the same seasons year after year.
  // New York temp_max (NOAA via vega-datasets' weather.csv): held out — not looked at while the policy was designed.
  // Measured auto ÷ the best fixed window or incremental in hindsight (docs/pipeline.md): co2-monthly 1.004,
  // temp-daily 1.003, temp-monthly 1.017, ny-temp-daily 0.985, ny-temp-monthly 1.012. The monthly streams
  // hold 36 batches, too few for a choice among 7 candidates to settle within 1 %: asserted at 2 %.
  const cases = [
    ["co2-monthly", "drifting", 1.01],
    ["temp-daily", "nearly stationary", 1.01],
    ["temp-monthly", "nearly stationary, 36 batches", 1.02],
    ["ny-temp-daily", "held out, nearly stationary", 1.01],
    ["ny-temp-monthly", "held out, 36 batches", 1.02],
  ] as const;
  for (const [id, kind, bound] of cases) {
    it(`${id} (${kind}): within ${Math.round((bound - 1) * 100)} % of the best fixed window in hindsight, and better than incremental`, async () => {
      const s = byId.get(id)!;
      const fixed = await Promise.all(WINDOWS.map((w) => realMse(s, { window: w })));
      const incremental = await realMse(s, "incremental");
      const auto = await realMse(s, "auto");
      expect(auto).toBeLessThanOrEqual(bound * Math.min(...fixed, incremental));
      expect(auto).toBeLessThan(incremental);
    });
  }
});
