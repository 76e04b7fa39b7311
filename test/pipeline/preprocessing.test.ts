/**
 * Preprocessing in the pipeline, on real data: Seattle's daily weather
 * (examples/data/seattle-weather.csv, NOAA National Climatic Data Center via
 * vega-datasets 3.2.1, U.S. Government work), in monthly batches, with
 * optional numbers blanked at random (seeded) and an enum feature `weather`
 * whose schema declares the four levels seen in January 2012: "fog" first
 * appears on 2012-07-11, mid-stream. (The `weather` label is synthesised by
 * the data set's authors, see docs/real-data.md; here it is only an input.)
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Featurizer, LinearRegression, MemoryModelStore, Pipeline, SeededRandom, loadModel, restoreTrainer, schemaValidator, type FeaturizerOptions } from "../../src/index.js";
import { acceptUnseenLevels } from "../../src/preprocessing/schema-features.js";
import { Row, rowBatch } from "./helpers.js";

const Day = z.object({
  doy_sin: z.number().min(-1).max(1),
  doy_cos: z.number().min(-1).max(1),
  precipitation: z.number().min(0).optional(),
  wind: z.number().min(0).optional(),
  temp_min: z.number().min(-30).max(40).optional(),
  weather: z.enum(["drizzle", "rain", "sun", "snow"]).optional(),
  temp_max: z.number().min(-30).max(50),
});
type Day = z.infer<typeof Day>;

const preprocessing: FeaturizerOptions = { fields: { wind: { missing: "median", indicator: true }, precipitation: { indicator: true } } };

interface Stream {
  batches: Array<{ id: string; rows: Array<Record<string, unknown>> }>;
  blanked: Record<string, number>;
  fog: number;
}

/** Monthly batches; each optional number blanked with probability 0.1 × `blank` and the weather with 0.03 × `blank` (seeded). */
function stream(blank = 1): Stream {
  const text = readFileSync(fileURLToPath(new URL("../../examples/data/seattle-weather.csv", import.meta.url)), "utf8");
  const rng = new SeededRandom(2026);
  const blanked: Record<string, number> = { precipitation: 0, wind: 0, temp_min: 0, weather: 0 };
  let fog = 0;
  const batches: Stream["batches"] = [];
  for (const line of text.trim().split("\n").slice(1)) {
    const [date, precipitation, tmax, tmin, wind, weather] = line.split(",") as [string, string, string, string, string, string];
    const [y, m, d] = date.split("-").map(Number) as [number, number, number];
    const phase = (2 * Math.PI * (Date.UTC(y, m - 1, d) - Date.UTC(y, 0, 1))) / (86_400_000 * 365.25);
    const row: Record<string, unknown> = { doy_sin: Math.sin(phase), doy_cos: Math.cos(phase), precipitation: Number(precipitation), wind: Number(wind), temp_min: Number(tmin), weather, temp_max: Number(tmax) };
    for (const k of ["precipitation", "wind", "temp_min"]) {
      if (rng.next() < 0.1 * blank) {
        delete row[k];
        blanked[k]!++;
      }
    }
    if (rng.next() < 0.03 * blank) {
      delete row.weather;
      blanked.weather!++;
    } else if (weather === "fog") fog++;
    // The first half of 2012 is the first batch (the history a model starts from); then a batch per month.
    const id = date < "2012-07" ? "2012-H1" : date.slice(0, 7);
    if (batches[batches.length - 1]?.id !== id) batches.push({ id, rows: [] });
    batches[batches.length - 1]!.rows.push(row);
  }
  return { batches, blanked, fog };
}

describe("preprocessing on real data (Seattle weather, monthly)", () => {
  const s = stream();
  const rows = s.batches.reduce((n, b) => n + b.rows.length, 0);
  const options = { schema: Day, target: "temp_max", trainer: new LinearRegression(), preprocessing } as const;

  it("loses no good row: blanked values imputed, the new level kept; LinearRegression() (l2 = 0) serves", async () => {
    expect(rows).toBe(1461);
    expect(s.fog).toBeGreaterThan(90);
    const p = new Pipeline({ ...options, store: new MemoryModelStore() });
    const r = await p.runBatches(s.batches);
    expect(r.batches).toMatchObject({ total: 43, accepted: 43, quarantined: 0 });
    expect(r.rows).toMatchObject({ seen: 1461, learned: 1461, quarantined: 0 });
    // Drop-first one-hot: no singular system, so the first model serves and the rest are judged on their scores.
    expect(r.promotions[0]).toMatchObject({ batch: 0 });
    expect(r.records.every((b) => b.status !== "accepted" || !(b.decision?.reasons ?? []).some((x) => /singular/.test(x)))).toBe(true);
    // Imputation costs little: the prequential RMSE of the daily maximum is within 20 % of the same run on the
    // complete data (3.26 against 2.82 °C; 10 % of temp_min, the best predictor, is blanked). Both without
    // indicators, which are all-zero columns on complete data and so singular for plain least squares.
    const blanked = await new Pipeline({ ...options, preprocessing: {}, store: new MemoryModelStore() }).runBatches(s.batches);
    const complete = await new Pipeline({ ...options, preprocessing: {}, store: new MemoryModelStore() }).runBatches(stream(0).batches);
    expect(complete.rows.learned).toBe(1461);
    expect(blanked.prequential.value!).toBeLessThan(1.2 * complete.prequential.value!);
    expect(r.prequential.value!).toBeLessThan(1.2 * complete.prequential.value!);
    // Before: the same stream with unseen levels as errors quarantines every month with a foggy day.
    const strict = await new Pipeline({ ...options, preprocessing: { ...preprocessing, fields: { ...preprocessing.fields, weather: { unseen: "error" } } }, store: new MemoryModelStore() }).runBatches(s.batches);
    const foggy = s.batches.filter((b) => b.rows.some((x) => x.weather === "fog"));
    expect(strict.batches.quarantined).toBe(foggy.length);
    expect(strict.rows.quarantined).toBe(foggy.reduce((n, b) => n + b.rows.length, 0));
    expect(strict.rows.quarantined).toBeGreaterThan(800);
  });

  it("counts every missing value and unseen level per field, batch by batch", async () => {
    const p = new Pipeline({ ...options, store: new MemoryModelStore() });
    await p.runBatches(s.batches.slice(0, 1));
    const f = p.servingModel!.featurizer!;
    // The pipeline's own reading of a batch: its (relaxed, still compiled) schema, then the featurizer.
    const validator = schemaValidator(acceptUnseenLevels(Day, f));
    expect(validator.fields).not.toBeNull();
    const total: Record<string, { missing: number; unseen: number }> = {};
    const levels = new Set<string>();
    for (const b of s.batches) {
      const raw = f.transform(validator.check(b.rows).table!);
      for (const c of raw.counts) {
        total[c.field] ??= { missing: 0, unseen: 0 };
        total[c.field]!.missing += c.missing;
        total[c.field]!.unseen += c.unseen;
        c.unseenLevels.forEach((l) => levels.add(l));
      }
    }
    expect(total).toEqual({
      precipitation: { missing: s.blanked.precipitation, unseen: 0 },
      wind: { missing: s.blanked.wind, unseen: 0 },
      temp_min: { missing: s.blanked.temp_min, unseen: 0 },
      weather: { missing: s.blanked.weather, unseen: s.fog },
    });
    expect([...levels]).toEqual(["fog"]);
  });

  it("a restarted pipeline learns the same statistics and model as one that never stopped", async () => {
    const whole = new MemoryModelStore();
    await new Pipeline({ ...options, store: whole }).runBatches(s.batches);
    const store = new MemoryModelStore();
    await new Pipeline({ ...options, store }).runBatches(s.batches.slice(0, 20));
    const again = await new Pipeline({ ...options, store }).runBatches(s.batches);
    expect(again.skipped).toHaveLength(20);
    const state = async (st: MemoryModelStore): Promise<{ featurizer: unknown; trainer: unknown }> => {
      const cp = (await st.getCheckpoint("model"))!;
      const learning = (cp.state as { learning: { featurizer: unknown } }).learning;
      return { featurizer: learning.featurizer, trainer: cp.trainer };
    };
    const [a, b] = [await state(whole), await state(store)];
    expect(b.featurizer).toEqual(a.featurizer);
    const fa = Featurizer.fromJSON(a.featurizer);
    // The statistics are those of every row: the mean and the most frequent declared level exactly, the median up to the sketch.
    const all = s.batches.flatMap((x) => x.rows);
    const seen = (k: string): number[] => all.filter((x) => x[k] !== undefined).map((x) => x[k] as number);
    const precipitation = seen("precipitation");
    expect(fa.fills.precipitation).toBeCloseTo(precipitation.reduce((p, q) => p + q, 0) / precipitation.length, 12);
    const wind = seen("wind").sort((p, q) => p - q);
    // Wind is given to 0.1 m/s: many ties, so the median's ranks are an interval, which must come within 1.5 % of the middle.
    const below = wind.filter((w) => w < (fa.fills.wind as number)).length / wind.length;
    const upTo = wind.filter((w) => w <= (fa.fills.wind as number)).length / wind.length;
    expect(Math.max(0, below - 0.5, 0.5 - upTo)).toBeLessThan(0.015);
    const counts = new Map<string, number>();
    for (const x of all) if (typeof x.weather === "string" && x.weather !== "fog") counts.set(x.weather, (counts.get(x.weather) ?? 0) + 1);
    expect(fa.fills.weather).toBe([...counts].sort((p, q) => q[1] - p[1])[0]![0]);
    const probe = s.batches[s.batches.length - 1]!.rows;
    expect(Array.from(restoreTrainer(b.trainer as never).predict(featurize(fa, probe)))).toEqual(Array.from(restoreTrainer(a.trainer as never).predict(featurize(fa, probe))));
  });

  it("a stored model predicts rows with missing values and new levels exactly as the pipeline featurises them (property)", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ ...options, store });
    await p.runBatches(s.batches.slice(0, 30));
    const model = await loadModel(store, "model", "champion");
    const f = model.featurizer!;
    const validator = schemaValidator(acceptUnseenLevels(Day, f));
    const all = s.batches.flatMap((b) => b.rows);
    fc.assert(
      fc.property(fc.array(fc.record({ i: fc.nat(all.length - 1), drop: fc.subarray(["precipitation", "wind", "temp_min", "weather"]), fog: fc.boolean() }), { minLength: 1, maxLength: 30 }), (picks) => {
        const rows = picks.map(({ i, drop, fog }) => {
          const r: Record<string, unknown> = { ...all[i]! };
          for (const k of drop) delete r[k];
          if (fog && r.weather !== undefined) r.weather = "fog";
          delete r.temp_max;
          return r;
        });
        const served = model.predictRows(rows);
        // The pipeline's path: schema check (relaxed enum), table, featurizer, imputation with the champion's statistics.
        const table = validator.check(rows.map((r) => ({ ...r, temp_max: 0 }))).table!;
        const raw = f.transform(table);
        const viaPipeline = model.trainer.predict({ X: f.impute(raw.X, raw.missing), cols: raw.cols });
        expect(Array.from(served)).toEqual(Array.from(viaPipeline));
        expect(model.featurizeRows(rows).counts).toEqual(raw.counts);
        expect(Array.from(p.servingModel!.predictRows(rows))).toEqual(Array.from(served));
      }),
      { numRuns: 60, seed: 11 },
    );
  });
});

describe("stores written before featurizer formatVersion 2 (fixture from commit cd1256a)", () => {
  const fx = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/featurizer-v1.json", import.meta.url)), "utf8")) as {
    record: Parameters<MemoryModelStore["put"]>[0];
    checkpoint: Parameters<MemoryModelStore["putCheckpoint"]>[0];
    probe: Array<Record<string, unknown>>;
    predictions: number[];
  };
  const Trip = z.object({ distance: z.number(), wind: z.number().optional(), carrier: z.enum(["zeta", "alpha", "mid"]).optional(), express: z.boolean(), delay: z.number() });
  const oldStore = async (): Promise<MemoryModelStore> => {
    const store = new MemoryModelStore();
    await store.setAlias("model", "champion", await store.put(fx.record));
    await store.putCheckpoint(fx.checkpoint);
    return store;
  };
  const more = fx.probe.map((r, i) => ({ ...r, delay: i }));

  it('restart with preprocessing { oneHot: "full" }: the champion predicts as it did, and learning goes on', async () => {
    const store = await oldStore();
    const p = new Pipeline({ schema: Trip, target: "delay", trainer: new LinearRegression({ l2: 1e-3 }), store, preprocessing: { oneHot: "full" } });
    const r0 = await p.runBatches([]);
    expect(r0.restoredFrom).toMatchObject({ from: "checkpoint" });
    expect(Array.from(p.servingModel!.predictRows(fx.probe))).toEqual(fx.predictions);
    const r = await p.runBatches([more]);
    expect(r.rows).toMatchObject({ learned: more.length, quarantined: 0 });
  });

  it("restart with the new default (drop-first) is refused at once, naming both layouts", async () => {
    const p = new Pipeline({ schema: Trip, target: "delay", trainer: new LinearRegression({ l2: 1e-3 }), store: await oldStore() });
    await expect(p.runBatches([more])).rejects.toMatchObject({ code: "invalid_state", message: expect.stringMatching(/carrier=zeta.*carrier=alpha, carrier=mid/) });
  });
});

describe("preprocessing options in the pipeline", () => {
  it("LinearRegression() with an enum feature is promoted with the default drop-first, and singular with full one-hot", async () => {
    const drop = await new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression() }).runBatches([rowBatch(1), rowBatch(2)]);
    expect(drop.promotions.length).toBeGreaterThan(0);
    const full = await new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression(), preprocessing: { oneHot: "full" } }).runBatches([rowBatch(1), rowBatch(2)]);
    expect(full.promotions).toEqual([]);
  });

  it("a free-string field with declared levels is an enum feature; unseen 'other' gets its own column", async () => {
    const Trip = z.object({ km: z.number(), airport: z.string(), late: z.number() });
    const batch = (seed: number, extra: string | null): Array<z.infer<typeof Trip>> => {
      const rng = new SeededRandom(seed);
      return Array.from({ length: 80 }, (_, i) => {
        const airport = extra && i % 10 === 0 ? extra : (["SEA", "PDX", "SFO"] as const)[i % 3]!;
        return { km: 100 * rng.next(), airport, late: (airport === "PDX" ? 5 : airport === "SFO" ? -2 : 0) + (extra && airport === extra ? 9 : 0) + 0.1 * rng.nextGaussian() };
      });
    };
    const store = new MemoryModelStore();
    const p = new Pipeline({ schema: Trip, target: "late", trainer: new LinearRegression({ l2: 1e-6 }), store, preprocessing: { fields: { airport: { levels: ["SEA", "PDX", "SFO"], unseen: "other" } } } });
    const r = await p.runBatches([batch(1, null), batch(2, "BOI"), batch(3, "GEG")]);
    expect(r.rows).toMatchObject({ learned: 240, quarantined: 0 });
    const model = await loadModel(store, "model");
    expect(model.featurizer!.layout.names).toEqual(["km", "airport=PDX", "airport=SFO", "airport=(other)"]);
    const [sea, other] = model.predictRows([{ km: 50, airport: "SEA" }, { km: 50, airport: "LAX" }]);
    expect(other! - sea!).toBeCloseTo(9, 0);
  });

  it("rows left out after featurisation (row policy) leave the statistics and counts too", async () => {
    const S = z.object({ x: z.number(), kind: z.enum(["a", "b", "c"]).optional(), y: z.number() });
    const rng = new SeededRandom(5);
    // 40 rows: kinds a, b, c in turn, a few missing; rows 5, 8, 11 (all "c") hold an absurd x and are dropped.
    const batch = Array.from({ length: 40 }, (_, i) => {
      const kind = i % 7 === 6 ? undefined : (["a", "b", "c"] as const)[i % 3];
      return { x: [5, 8, 11].includes(i) ? 1e35 : rng.nextGaussian(), ...(kind ? { kind } : {}), y: rng.nextGaussian() };
    });
    const store = new MemoryModelStore();
    const r = await new Pipeline({ schema: S, target: "y", trainer: new LinearRegression({ l2: 1e-3 }), store, rowPolicy: { implausible: "drop", maxDropRate: 0.2 } }).runBatches([batch]);
    expect(r.rows).toMatchObject({ learned: 37 });
    const cp = (await store.getCheckpoint("model"))!;
    const f = Featurizer.fromJSON((cp.state as { learning: { featurizer: unknown } }).learning.featurizer);
    const kept = batch.filter((_, i) => ![5, 8, 11].includes(i));
    const count = (k: string): number => kept.filter((x) => x.kind === k).length;
    expect(f.toJSON().preprocess[1]!.counts).toEqual([count("a"), count("b"), count("c")]);
  });

  it("configuration mistakes fail at construction, naming the field", () => {
    const base = { schema: Day, target: "temp_max" as const, trainer: new LinearRegression() };
    expect(() => new Pipeline({ ...base, preprocessing: { fields: { temp_max: {} } } })).toThrow(/"temp_max", which is not a feature/);
    expect(() => new Pipeline({ ...base, preprocessing: { fields: { weather: { levels: ["a"] } } } })).toThrow(/levels for weather, a enum field/);
    expect(() => new Pipeline({ ...base, preprocessing: { fields: { wind: { missing: "most-frequent" } } } })).toThrow(/wind: missing "most-frequent" does not fit a number/);
    expect(() => new Pipeline({ trainer: new LinearRegression(), preprocessing: {} })).toThrow(/preprocessing needs a schema/);
    const S = z.object({ city: z.string(), y: z.number() });
    expect(() => new Pipeline({ schema: S, target: "y", trainer: new LinearRegression() })).toThrow(/free string.*levels in preprocessing/);
  });

  it("the relaxed schema keeps optional, nullable, default and the object's refinements; unseen 'error' keeps z.enum", () => {
    const S = z
      .object({ a: z.enum(["x", "y"]).optional(), b: z.enum(["x", "y"]).nullable(), c: z.enum(["x", "y"]).default("y"), d: z.enum(["x", "y"]), t: z.number() })
      .refine((r) => r.t >= 0);
    const fields = ["a", "b", "c", "d"].map((name) => ({ name, kind: "enum" as const, optional: name !== "c" && name !== "d", levels: ["x", "y"] }));
    const f = new Featurizer(fields, { name: "t", kind: "number", optional: false }, { fields: { d: { unseen: "error" } } });
    const R = acceptUnseenLevels(S, f);
    expect(R.safeParse({ a: "q", b: null, d: "x", t: 1 })).toMatchObject({ success: true, data: { a: "q", b: null, c: "y", d: "x", t: 1 } });
    expect(R.safeParse({ b: "q", d: "q", t: 1 }).success).toBe(false);
    expect(R.safeParse({ b: "q", d: "x", t: -1 }).success).toBe(false);
  });
});

function featurize(f: Featurizer, rows: Array<Record<string, unknown>>): { X: Float64Array; cols: number } {
  const raw = f.transformFeatures(f.readRows(rows));
  return { X: f.impute(raw.X, raw.missing), cols: raw.cols };
}

export type { Day };
