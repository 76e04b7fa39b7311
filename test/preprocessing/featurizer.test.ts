import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Featurizer, FreshmlError, MemoryModelStore, selectFeaturized, ServingModel, loadModel, restoreTrainer, schemaValidator, type FeaturizerOptions, type FieldJSON } from "../../src/index.js";

const features: FieldJSON[] = [
  { name: "temp", kind: "number", optional: true },
  { name: "day", kind: "enum", optional: true, levels: ["wk", "we", "hol"] },
  { name: "rain", kind: "boolean", optional: false },
];
const target: FieldJSON = { name: "load", kind: "number", optional: false };

const caught = (f: () => unknown): FreshmlError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FreshmlError);
    return e as FreshmlError;
  }
  throw new Error("expected a FreshmlError");
};

describe("Featurizer: layout", () => {
  it("drops the first level by default, booleans as 0/1, and says what each column is", () => {
    const f = new Featurizer(features, target);
    expect(f.layout.names).toEqual(["temp", "day=we", "day=hol", "rain"]);
    expect(f.layout.kinds).toEqual(["numeric", "binary", "binary", "binary"]);
    expect(f.layout.fields).toEqual(["temp", "day", "day", "rain"]);
    const raw = f.transform(f.readRows([{ temp: 10, day: "hol", rain: true, load: 1 }, { temp: 2, day: "wk", rain: false, load: 2 }], true));
    expect(Array.from(raw.X)).toEqual([10, 0, 1, 1, 2, 0, 0, 0]);
  });

  it("full one-hot, an other bucket and missing indicators, each where the docs say", () => {
    const f = new Featurizer(features, target, { oneHot: "full", fields: { day: { unseen: "other", indicator: true }, temp: { indicator: true } } });
    expect(f.layout.names).toEqual(["temp", "temp_missing", "day=wk", "day=we", "day=hol", "day=(other)", "day_missing", "rain"]);
    expect(f.layout.kinds).toEqual(["numeric", "binary", "binary", "binary", "binary", "binary", "binary", "binary"]);
  });

  it("refuses options that do not fit the field, naming it", () => {
    const bad: Array<[FeaturizerOptions, RegExp]> = [
      [{ fields: { temp: { missing: "most-frequent" } } }, /temp: missing "most-frequent" does not fit a number/],
      [{ fields: { day: { missing: "median" } } }, /day: missing "median" does not fit a enum/],
      [{ fields: { day: { missing: "constant", value: "sun" } } }, /day: missing "constant" needs a value that is one of wk, we, hol/],
      [{ fields: { temp: { missing: "constant" } } }, /temp: .*a finite number/],
      [{ fields: { temp: { value: 3 } } }, /value is only read with missing "constant"/],
      [{ fields: { temp: { unseen: "other" } } }, /unseen applies to enum fields/],
      [{ fields: { wind: {} } }, /"wind", which is not a feature/],
      [{ oneHot: "first" as never }, /oneHot must be/],
      [{ fields: { temp: null as never } }, /preprocessing of temp must be an object/],
      [{ fields: { day: { unseen: "drop" as never } } }, /day: unseen must be/],
      [{ fields: { temp: { indicator: "yes" as never } } }, /temp: indicator must be a boolean/],
    ];
    for (const [o, msg] of bad) {
      const e = caught(() => new Featurizer(features, target, o));
      expect(e.code).toBe("invalid_params");
      expect(e.message).toMatch(msg);
    }
    // An indicator whose name collides with another field.
    expect(caught(() => new Featurizer([...features, { name: "temp_missing", kind: "number", optional: false }], target, { fields: { temp: { indicator: true } } })).message).toMatch(/two output columns are named "temp_missing"/);
  });
});

describe("Featurizer: missing values", () => {
  const rows = [
    { temp: 10, day: "hol", rain: true, load: 1 },
    { day: "we", rain: false, load: 2 },
    { temp: 30, rain: false, load: 3 },
    { temp: 40, day: "we", rain: false, load: 3 },
  ];

  it("mean (default): NaN before imputation, 0 before any statistics, then the running mean; the indicator marks the row", () => {
    const f = new Featurizer(features, target, { fields: { temp: { indicator: true } } });
    const raw = f.transform(f.readRows(rows, true));
    expect(raw.missing).toBe(3); // NaN cells: temp, and the two columns of day (drop-first)
    expect(raw.counts).toEqual([
      { field: "temp", missing: 1, unseen: 0, unseenLevels: [] },
      { field: "day", missing: 1, unseen: 0, unseenLevels: [] },
    ]);
    expect(raw.X[5]).toBeNaN();
    expect(Array.from(f.impute(raw.X, raw.missing)).slice(5, 10)).toEqual([0, 1, 1, 0, 0]);
    f.learn(raw);
    expect(f.fills).toEqual({ temp: (10 + 30 + 40) / 3, day: "we" });
    // temp, temp_missing, day=we, day=hol, rain; row 2's day is the most frequent level, "we".
    expect(Array.from(f.impute(raw.X, raw.missing))).toEqual([10, 0, 0, 1, 1, 80 / 3, 1, 1, 0, 0, 30, 0, 1, 0, 0, 40, 0, 1, 0, 0]);
    // Nothing missing: the same array, no copy.
    const full = f.transform(f.readRows([{ temp: 1, day: "we", rain: true, load: 0 }], true));
    expect(f.impute(full.X, full.missing)).toBe(full.X);
  });

  it("a running mean of values near the float limit stays finite (the sum would overflow)", () => {
    const f = new Featurizer(features, target);
    for (const temp of [1.7e308, 1.7e308, -1e308]) f.learn(f.transform(f.readRows([{ temp, rain: true, load: 0 }, { temp, rain: true, load: 0 }], true)));
    expect((f.fills.temp as number) / 1e308).toBeCloseTo((1.7 + 1.7 - 1) / 3, 12);
  });

  it("median, constant, most-frequent booleans, and an enum with no level", () => {
    const fields: FieldJSON[] = [...features.slice(0, 2), { name: "rain", kind: "boolean", optional: true }];
    const f = new Featurizer(fields, target, { oneHot: "full", fields: { temp: { missing: "median" }, day: { missing: "none" } } });
    const more = [...rows.map((r, i) => (i === 0 ? { ...r, rain: undefined } : r)), { temp: 1000, day: "wk", rain: true, load: 0 }, { temp: 20, day: "wk", rain: false, load: 0 }];
    const raw = f.transform(f.readRows(more, true));
    f.learn(raw);
    // Observed temps 10, 30, 40, 1000, 20: the median is 30 (not the mean, 220); rain was false 4 times out of 5.
    expect(f.fills).toEqual({ temp: 30, day: null, rain: false });
    const X = f.impute(raw.X, raw.missing);
    expect(Array.from(X.subarray(5, 10))).toEqual([30, 0, 1, 0, 0]);
    expect(Array.from(X.subarray(10, 15))).toEqual([30, 0, 0, 0, 0]);
    expect(X[4]).toBe(0);
    const c = new Featurizer(fields, target, { fields: { temp: { missing: "constant", value: -1 }, day: { missing: "constant", value: "hol" }, rain: { missing: "constant", value: true } } });
    const rc = c.transform(c.readRows(more, true));
    c.learn(rc);
    expect(c.fills).toEqual({ temp: -1, day: "hol", rain: true });
    // temp, day=we, day=hol, rain
    expect(Array.from(c.impute(rc.X, rc.missing).subarray(0, 12))).toEqual([10, 0, 1, 1, -1, 1, 0, 0, 30, 0, 1, 0]);
  });

  it("a missing required field or a non-finite number in a table names the field and row", () => {
    const f = new Featurizer(features, target);
    const table = f.readRows([{ temp: 1, day: "wk", rain: true, load: 1 }, { temp: 2, day: "wk", rain: true, load: 2 }], true);
    (table.columns.get("rain") as { values: Float64Array }).values[1] = NaN;
    let e = caught(() => f.transform(table));
    expect(e).toMatchObject({ code: "non_finite", details: { row: 1, field: "rain" } });
    expect(e.message).toMatch(/feature rain is missing at row 1/);
    (table.columns.get("rain") as { values: Float64Array }).values[1] = 1;
    (table.columns.get("temp") as { values: Float64Array }).values[0] = Infinity;
    e = caught(() => f.transform(table));
    expect(e).toMatchObject({ code: "non_finite", details: { row: 0, field: "temp" } });
    (table.columns.get("temp") as { values: Float64Array }).values[0] = 1;
    (table.columns.get("load") as { values: Float64Array }).values[1] = NaN;
    expect(caught(() => f.transform(table))).toMatchObject({ code: "non_finite", details: { row: 1, field: "load" } });
  });
});

describe("Featurizer: unseen levels", () => {
  const table = (_f: Featurizer): ReturnType<Featurizer["readRows"]> =>
    // As the pipeline's relaxed schema lays it out: a categorical column with the batch's own levels.
    schemaValidator(z.object({ temp: z.number(), day: z.string(), rain: z.boolean(), load: z.number() })).check([
      { temp: 1, day: "wk", rain: true, load: 1 },
      { temp: 2, day: "storm", rain: true, load: 1 },
      { temp: 3, day: "we", rain: true, load: 1 },
      { temp: 4, day: "flood", rain: true, load: 1 },
      { temp: 5, day: "storm", rain: true, load: 1 },
    ]).table!;

  it('"ignore" (default) keeps the row with no level and counts it; "other" sets its own column', () => {
    const f = new Featurizer(features, target);
    const raw = f.transform(table(f));
    expect(raw.counts).toEqual([{ field: "day", missing: 0, unseen: 3, unseenLevels: ["storm", "flood"] }]);
    expect(raw.fields[1]).toEqual({ field: "day", codes: Int32Array.from([0, -2, 1, -3, -2]), unseenLevels: ["storm", "flood"] });
    // Rows 0, 3 and 4 alone (a pipeline dropping rows at fault): counts recomputed for them.
    const some = selectFeaturized(raw, [0, 3, 4]);
    expect(Array.from(some.X)).toEqual([...raw.X.subarray(0, 4), ...raw.X.subarray(12, 20)]);
    expect(some.counts).toEqual([{ field: "day", missing: 0, unseen: 2, unseenLevels: ["flood", "storm"] }]);
    expect(selectFeaturized(raw, [0, 2]).counts).toEqual([]);
    // temp, day=we, day=hol, rain: an unseen level reads as the reference level.
    expect(Array.from(raw.X.subarray(4, 8))).toEqual([2, 0, 0, 1]);
    const o = new Featurizer(features, target, { fields: { day: { unseen: "other" } } });
    const ro = o.transform(table(o));
    expect(o.layout.names).toEqual(["temp", "day=we", "day=hol", "day=(other)", "rain"]);
    expect(Array.from(ro.X.subarray(5, 10))).toEqual([2, 0, 0, 1, 1]);
    expect(Array.from(ro.X.subarray(0, 5))).toEqual([1, 0, 0, 0, 1]);
  });

  it('"error" fails with unseen_level naming the field, row and level; serving reads it as invalid_row', () => {
    const f = new Featurizer(features, target, { fields: { day: { unseen: "error" } } });
    const e = caught(() => f.transform(table(f)));
    expect(e).toMatchObject({ code: "unseen_level", details: { row: 1, field: "day", observed: "storm" } });
    expect(caught(() => f.readRows([{ temp: 1, day: "storm", rain: true }]))).toMatchObject({ code: "invalid_row", details: { row: 0, field: "day" } });
    // The default accepts any string at serving, and still rejects a non-string.
    const g = new Featurizer(features, target);
    expect(g.transformFeatures(g.readRows([{ temp: 1, day: "storm", rain: true }])).counts[0]!.unseen).toBe(1);
    expect(caught(() => g.readRows([{ temp: 1, day: 3, rain: true }]))).toMatchObject({ code: "invalid_row", details: { field: "day" } });
  });

  it("unseen levels never feed the most-frequent statistics", () => {
    const f = new Featurizer(features, target);
    f.learn(f.transform(table(f)));
    // "wk" once, "we" once (first declared wins the tie); the three unseen rows are not "wk".
    expect(f.fills.day).toBe("wk");
    expect(f.toJSON().preprocess[1]!.counts).toEqual([1, 1, 0]);
  });
});

describe("Featurizer: statistics over any batch split (properties)", () => {
  const fields: FieldJSON[] = [
    { name: "a", kind: "number", optional: true },
    { name: "b", kind: "number", optional: true },
    { name: "e", kind: "enum", optional: true, levels: ["x", "y", "z"] },
    { name: "c", kind: "boolean", optional: true },
  ];
  const y: FieldJSON = { name: "y", kind: "number", optional: false };
  const options: FeaturizerOptions = { fields: { a: { missing: "mean", indicator: true }, b: { missing: "median" } } };
  const row = fc.record(
    {
      a: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      b: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      e: fc.constantFrom("x", "y", "z", "new"),
      c: fc.boolean(),
      y: fc.constant(0),
    },
    { requiredKeys: ["y"] },
  );
  const learnIn = (rows: Array<Record<string, unknown>>, cuts: number[]): Featurizer => {
    const f = new Featurizer(fields, y, options);
    const at = [0, ...cuts.map((c) => c % (rows.length + 1)).sort((p, q) => p - q), rows.length];
    for (let k = 0; k + 1 < at.length; k++) {
      const part = rows.slice(at[k], at[k + 1]);
      if (part.length) f.learn(f.transform(f.readRows(part, true)));
    }
    return f;
  };

  it("means equal one pass up to rounding; median sketches, level and boolean counts are identical; JSON round-trips", () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 400 }), fc.array(fc.nat(), { maxLength: 5 }), (rows, cuts) => {
        const split = learnIn(rows, cuts).toJSON();
        const whole = learnIn(rows, []).toJSON();
        const [sa, wa] = [split.preprocess[0]!, whole.preprocess[0]!];
        expect(sa.count).toBe(wa.count);
        expect(Math.abs(sa.mean! - wa.mean!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(wa.mean!)));
        const observed = rows.filter((r) => r.a !== undefined).map((r) => r.a!);
        const mean = observed.length ? observed.reduce((s, v) => s + v, 0) / observed.length : 0;
        expect(Math.abs(wa.mean! - mean)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(mean)));
        expect(split.preprocess.slice(1)).toEqual(whole.preprocess.slice(1));
        expect(Featurizer.fromJSON(JSON.parse(JSON.stringify(split))).toJSON()).toEqual(split);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it("a subset of a featurised batch is the featurised subset: same matrix, rows, counts and statistics", () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 80 }), fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }), (rows, mask) => {
        const keep = rows.map((_, i) => i).filter((i) => mask[i]);
        const f = new Featurizer(fields, y, options);
        const sub = selectFeaturized(f.transform(f.readRows(rows, true)), keep);
        const direct = keep.length ? f.transform(f.readRows(keep.map((i) => rows[i]!), true)) : null;
        if (direct) {
          expect(Array.from(sub.X)).toEqual(Array.from(direct.X));
          expect(sub.counts.map((c) => [c.field, c.missing, c.unseen])).toEqual(direct.counts.map((c) => [c.field, c.missing, c.unseen]));
          expect(sub.missing).toBe(direct.missing);
          expect(direct.missing).toBe(direct.X.filter((v) => v !== v).length);
        }
        const [a, b] = [f.copy(), f.copy()];
        a.learn(sub);
        if (direct) b.learn(direct);
        expect(a.toJSON()).toEqual(b.toJSON());
      }),
      { numRuns: 100, seed: 9 },
    );
  });

  it("imputing a batch equals imputing each row alone (serving reads rows one by one)", () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 60 }), fc.array(row, { minLength: 1, maxLength: 20 }), (train, probe) => {
        const f = learnIn(train, []);
        const batch = f.transformFeatures(f.readRows(probe));
        const X = f.impute(batch.X, batch.missing);
        probe.forEach((r, i) => {
          const one = f.transformFeatures(f.readRows([r]));
          expect(Array.from(f.impute(one.X, one.missing))).toEqual(Array.from(X.subarray(i * f.cols, (i + 1) * f.cols)));
        });
      }),
      { numRuns: 100, seed: 8 },
    );
  });
});

describe("Featurizer against scikit-learn (test/fixtures/generate_preprocessing.py)", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const fx = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/preprocessing.json", import.meta.url)), "utf8")) as any;
  const fields: FieldJSON[] = [
    { name: "a", kind: "number", optional: true },
    { name: "b", kind: "number", optional: true },
    { name: "c", kind: "boolean", optional: true },
    { name: "e", kind: "enum", optional: true, levels: ["lo", "mid", "hi"] },
  ];
  const y: FieldJSON = { name: "y", kind: "number", optional: false };
  const column = (X: Float64Array, cols: number, j: number): number[] => Array.from({ length: X.length / cols }, (_, i) => X[i * cols + j]!);
  const block = (X: Float64Array, cols: number, from: number, to: number): number[] => Array.from({ length: X.length / cols }, (_, i) => Array.from(X.subarray(i * cols + from, i * cols + to))).flat();

  for (const name of ["small", "large"] as const) {
    it(`${name}: SimpleImputer mean / constant / most_frequent with add_indicator, OneHotEncoder(drop="first" | None, handle_unknown="ignore")`, () => {
      const c = fx[name];
      const f = new Featurizer(fields, y, { fields: { a: { indicator: true }, b: { missing: "median" } } });
      // Learned in batches of 37 rows: the statistics do not depend on the split.
      for (let i = 0; i < c.fit.length; i += 37) f.learn(f.transform(f.readRows(c.fit.slice(i, i + 37), true)));
      expect(f.layout.names).toEqual(["a", "a_missing", "b", "c", "e=mid", "e=hi"]);
      const raw = f.transformFeatures(f.readRows(c.apply));
      const X = f.impute(raw.X, raw.missing);
      const a = column(X, 6, 0);
      a.forEach((v, i) => expect(Math.abs(v - c.a_mean[i])).toBeLessThanOrEqual(1e-12 * Math.abs(c.a_mean[i])));
      expect(column(X, 6, 1)).toEqual(c.a_indicator);
      expect(column(X, 6, 3)).toEqual(c.c_most_frequent);
      expect(block(X, 6, 4, 6)).toEqual(c.e_onehot_first);
      expect(raw.counts.find((k) => k.field === "e")!.unseenLevels).toEqual(["new"]);
      const observed = (c.fit as Array<{ b?: number }>).filter((r) => r.b !== undefined).map((r) => r.b!).sort((p, q) => p - q);
      const median = f.fills.b as number;
      if (observed.length <= 128) {
        // Up to k values the sketch is exact: numpy's median.
        expect(median).toBe(c.b_median_value);
        expect(column(X, 6, 2)).toEqual(c.b_median);
      } else {
        // Beyond, an approximation: its rank is within 1 % of the middle (docs/preprocessing.md).
        const rank = observed.filter((v) => v < median).length;
        expect(Math.abs(rank / observed.length - 0.5)).toBeLessThanOrEqual(0.01);
        expect(median).not.toBe(c.b_median_value);
      }
      const g = new Featurizer(fields, y, { oneHot: "full", fields: { a: { missing: "constant", value: 7.5 } } });
      g.learn(g.transform(g.readRows(c.fit, true)));
      const rg = g.transformFeatures(g.readRows(c.apply));
      const G = g.impute(rg.X, rg.missing);
      expect(column(G, 6, 0)).toEqual(c.a_constant);
      expect(block(G, 6, 3, 6)).toEqual(c.e_onehot_full);
    });
  }
});

describe("Featurizer: stored forms", () => {
  it("refuses malformed state and bad fields with typed errors", () => {
    expect(() => Featurizer.fromJSON({ format: "freshml.featurizer" })).toThrow(FreshmlError);
    expect(() => new Featurizer(features, { ...target, optional: true })).toThrow(/must not be optional/);
    expect(() => new Featurizer([{ name: "load", kind: "number", optional: false }], target)).toThrow(/both a feature and the target/);
    const json = new Featurizer(features, target, { fields: { temp: { missing: "median" } } }).toJSON();
    expect(json.formatVersion).toBe(2);
    expect(() => Featurizer.fromJSON({ ...json, preprocess: [] })).toThrow(/preprocessing does not match/);
    expect(() => Featurizer.fromJSON({ ...json, preprocess: json.preprocess.map((p, i) => (i === 0 ? { ...p, sketch: undefined } : p)) })).toThrow(/no sketch/);
    expect(() => Featurizer.fromJSON({ ...json, preprocess: json.preprocess.map((p, i) => (i === 1 ? { ...p, counts: [1] } : p)) })).toThrow(/level counts/);
    for (const bad of [{ ...json, preprocess: [] }, { ...json, oneHot: "half" }]) expect(caught(() => Featurizer.fromJSON(bad)).code).toBe("invalid_state");
  });

  it("a version stored before formatVersion 2 loads, keeps full one-hot, and predicts identically (fixture from commit cd1256a)", async () => {
    const fx = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/featurizer-v1.json", import.meta.url)), "utf8")) as {
      trainer: { kind: string };
      preprocessing: { formatVersion: number; impute: unknown[] };
      probe: unknown[];
      predictions: number[];
    };
    expect(fx.preprocessing.formatVersion).toBe(1);
    const store = new MemoryModelStore();
    await store.setAlias("model", "champion", await store.put({ name: "model", trainer: fx.trainer as never, preprocessing: fx.preprocessing }));
    const model = await loadModel(store, "model");
    expect(model.featurizer!.layout.names).toEqual(["distance", "wind", "carrier=zeta", "carrier=alpha", "carrier=mid", "express"]);
    expect(Array.from(model.predictRows(fx.probe))).toEqual(fx.predictions);
    // Written back (formatVersion 2) and read again: still the same predictions.
    const again = new ServingModel(restoreTrainer(fx.trainer as never), Featurizer.fromJSON(JSON.parse(JSON.stringify(model.featurizer!.toJSON()))));
    expect(Array.from(again.predictRows(fx.probe))).toEqual(fx.predictions);
    // As before, an undeclared level is refused and a missing enum sets no level.
    expect(caught(() => model.predictRows([{ distance: 1, carrier: "omega", express: true }])).code).toBe("invalid_row");
    const none = model.featurizer!.transformFeatures(model.featurizer!.readRows([{ distance: 1, express: true }]));
    expect(Array.from(model.featurizer!.impute(none.X, none.missing)).slice(2, 5)).toEqual([0, 0, 0]);
  });
});
