import { describe, expect, it } from "vitest";
import { LinearRegression, MeanRegressor, MemoryModelStore, Pipeline, SeededRandom, restoreTrainer, type NumericBatch } from "../../src/index.js";
import { decide, gateSettings, normalQuantile, type EvidenceEntry } from "../../src/pipeline/gate.js";
import { RMSE } from "../../src/metrics/rmse.js";
import { accepted, numericBatch } from "./helpers.js";

/** One batch of evidence with given per-row squared errors. */
function entry(challenger: number[], champion: number[]): EvidenceEntry {
  const a = new RMSE();
  const b = new RMSE();
  const zeros = challenger.map(() => 0);
  a.update(zeros, challenger.map(Math.sqrt));
  b.update(zeros, champion.map(Math.sqrt));
  let sumD = 0;
  let sumD2 = 0;
  challenger.forEach((c, i) => {
    const d = c - champion[i]!;
    sumD += d;
    sumD2 += d * d;
  });
  return { batch: 0, rows: challenger.length, sumD, sumD2, challenger: a, champion: b, baseline: null };
}

describe("gate decisions", () => {
  const settings = gateSettings({ minRows: 10 }, new LinearRegression());

  it("Φ⁻¹ matches SciPy's norm.ppf (SciPy 1.10.1)", () => {
    const scipy: Array<[number, number]> = [
      [0.5, 0],
      [0.9, 1.2815515655446004],
      [0.95, 1.6448536269514722],
      [0.975, 1.959963984540054],
      [0.99, 2.3263478740408408],
      [0.999, 3.090232306167813],
      [0.9999, 3.719016485455709],
    ];
    for (const [p, z] of scipy) expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-8);
  });

  it("needs enough paired rows, a margin and a significant paired difference", () => {
    const rng = new SeededRandom(1);
    const noisy = (n: number, scale: number) => Array.from({ length: n }, () => scale * (1 + 0.3 * rng.nextGaussian()) ** 2);
    // Clearly better on plenty of rows: promoted.
    const good = decide(settings, [entry(noisy(50, 1), noisy(50, 2))], true, null);
    expect(good).toMatchObject({ promoted: true, rows: 50, batches: 1 });
    expect(good.statistic!).toBeGreaterThan(settings.critical);
    // The same, on 5 rows: not enough evidence.
    expect(decide(settings, [entry(noisy(5, 1), noisy(5, 2))], true, null).reasons[0]).toMatch(/5 paired rows/);
    // Equal quality: the paired test does not flip for noise.
    const tie = decide(settings, [entry(noisy(200, 1), noisy(200, 1))], true, null);
    expect(tie.promoted).toBe(false);
    // A margin of 60 % is more than a 2× MSE improvement gives in RMSE (≈ 29 %).
    expect(decide(gateSettings({ minRows: 10, margin: 0.6 }, new LinearRegression()), [entry(noisy(50, 1), noisy(50, 2))], true, null).reasons.join()).toMatch(/margin 0.6/);
  });

  it("checks the evaluation set only when everything else passed, and refuses a challenger worse there", () => {
    let calls = 0;
    const evaluate = () => {
      calls++;
      return { challenger: 3, champion: 1 };
    };
    expect(decide(settings, [entry([1, 1], [2, 2])], true, evaluate).promoted).toBe(false);
    expect(calls).toBe(0); // too few rows: not scored
    const d = decide(settings, Array.from({ length: 3 }, () => entry(Array(20).fill(1), Array(20).fill(2))), true, evaluate);
    expect(calls).toBe(1);
    expect(d.promoted).toBe(false);
    expect(d.evaluation).toEqual({ challenger: 3, champion: 1 });
    expect(d.reasons[0]).toMatch(/evaluation set/);
  });
});

describe("the gate on streams", () => {
  it("a stationary stream: champion and challenger of equal quality swap rarely (count over seeds)", async () => {
    // Means of the newest 5 batches: every challenger is as good as the champion it faces, in expectation.
    let swaps = 0;
    let naiveSwaps = 0;
    let decisions = 0;
    for (let seed = 0; seed < 20; seed++) {
      const rng = new SeededRandom(seed);
      const batches = Array.from({ length: 30 }, () => ({ X: Float64Array.from({ length: 50 }, () => rng.nextGaussian()), cols: 1, y: Float64Array.from({ length: 50 }, () => 5 + rng.nextGaussian()) }));
      const r = await new Pipeline({ trainer: new MeanRegressor(), policy: { window: 5 }, detector: null }).runBatches(batches);
      swaps += r.promotionsTotal - 1; // the first model is not a swap
      decisions += r.records.filter((x) => x.status === "accepted" && x.decision && x.decision.mode !== "first").length;
      // Without the paired test and the window ("not worse on this batch"), noise decides.
      const naive = await new Pipeline({ trainer: new MeanRegressor(), policy: { window: 5 }, detector: null, gate: { confidence: 0.5, minRows: 1, window: 1 } }).runBatches(batches);
      naiveSwaps += naive.promotionsTotal - 1;
    }
    // Measured: 3 % of decisions swap (0.9 per 30-batch run), against 48 % without the paired test.
    expect(swaps / decisions).toBeLessThan(0.06);
    expect(naiveSwaps).toBeGreaterThan(8 * swaps);
  });

  it("an abrupt change: the challenger takes over within a few batches", async () => {
    for (let seed = 0; seed < 5; seed++) {
      const batches = Array.from({ length: 20 }, (_, k) => numericBatch(500 + 20 * seed + k, 60, k < 10 ? -2 : 4));
      const r = await new Pipeline({ trainer: new LinearRegression(), policy: { window: 3 }, detector: null }).runBatches(batches);
      const after = r.promotions.filter((x) => x.batch >= 10);
      expect(after.length).toBeGreaterThanOrEqual(1);
      expect(after[0]!.batch).toBeLessThanOrEqual(13);
    }
  });

  it("a batch with corrupted labels: an evaluation set stops its promotion; as-tested promotion never serves it", async () => {
    const clean = (k: number): NumericBatch => numericBatch(700 + k, 60, k < 4 ? -2 : 3);
    const corrupted = (() => {
      const b = numericBatch(799, 60, 3);
      return { ...b, y: b.y.map((v) => -50 * v) }; // labels flipped and scaled
    })();
    const stream = [0, 1, 2, 3, 4, 5, 6].map(clean);
    stream.push(corrupted, clean(8));
    const learnedCorruption = async (store: MemoryModelStore): Promise<boolean> => {
      for (const v of (await store.list("model")).versions) {
        const m = restoreTrainer((await store.get("model", v.version)).trainer) as LinearRegression;
        if (Math.abs(m.coefficients().weights[1]!) > 5) return true; // the corrupted batch's slope is −150
      }
      return false;
    };
    const trusted = numericBatch(900, 200, 3);
    const options = { trainer: new LinearRegression(), policy: { window: 2 }, detector: null } as const;
    // The default promotes the state after it learned the batch: the trusted set sees the damage.
    const guarded = new MemoryModelStore();
    const rg = await new Pipeline({ ...options, store: guarded, gate: { evaluationSet: trusted } }).runBatches(stream);
    expect(await learnedCorruption(guarded)).toBe(false);
    const at7 = accepted(rg.records[7]).decision;
    if (at7?.evaluation) expect(at7.reasons.join()).toMatch(/evaluation set/);
    // As-tested: every promoted model was scored out of time before it learned anything it serves.
    const tested = new MemoryModelStore();
    await new Pipeline({ ...options, store: tested, gate: { promote: "as-tested" } }).runBatches(stream);
    expect(await learnedCorruption(tested)).toBe(false);
    // Holdout: the corrupted batch's own tail agrees with its head, so alone the gate promotes it…
    const holdout = { mode: "holdout" as const, confidence: 0.5, minRows: 5 };
    const naiveStore = new MemoryModelStore();
    const naive = await new Pipeline({ ...options, policy: { window: 1 }, store: naiveStore, gate: holdout }).runBatches(stream);
    expect(accepted(naive.records[7]).decision!.promoted).toBe(true);
    expect(await learnedCorruption(naiveStore)).toBe(true);
    // …and a trusted evaluation set stops it.
    const held = new MemoryModelStore();
    const rh = await new Pipeline({ ...options, policy: { window: 1 }, store: held, gate: { ...holdout, evaluationSet: trusted } }).runBatches(stream);
    expect(accepted(rh.records[7]).decision!.promoted).toBe(false);
    expect(accepted(rh.records[7]).decision!.reasons.join()).toMatch(/evaluation set/);
    expect(await learnedCorruption(held)).toBe(false);
  });
});
