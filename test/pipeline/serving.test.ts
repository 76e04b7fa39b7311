import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  FreshmlError,
  GaussianNB,
  LinearRegression,
  MemoryModelStore,
  Pipeline,
  SGDClassifier,
  SGDRegressor,
  SeededRandom,
  loadModel,
  type PipelineOptions,
} from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// Enum levels deliberately not in alphabetical order: one-hot follows the declared order.
const Trip = z.object({
  distance: z.number().min(0),
  wind: z.number().optional(),
  carrier: z.enum(["zeta", "alpha", "mid"]),
  express: z.boolean(),
  delay: z.number(),
});
type Trip = z.infer<typeof Trip>;

function trips(seed: number, n = 80, shift = 0): Trip[] {
  const rng = new SeededRandom(seed);
  const carriers = ["zeta", "alpha", "mid"] as const;
  return Array.from({ length: n }, () => {
    const distance = 100 + 900 * rng.next();
    const carrier = carriers[Math.floor(rng.next() * 3)]!;
    const express = rng.next() < 0.4;
    const wind = rng.next() < 0.2 ? undefined : 10 * rng.next();
    const delay = 0.01 * distance + (carrier === "zeta" ? 8 : carrier === "alpha" ? -3 : 0) + (express ? -4 : 0) + 0.5 * (wind ?? 5) + shift + rng.nextGaussian();
    return wind === undefined ? { distance, carrier, express, delay } : { distance, wind, carrier, express, delay };
  });
}

describe("a stored model serves by itself", () => {
  it("loadModel(...).predictRows equals the pipeline's champion bit for bit: enums, booleans, missing values", async () => {
    const d = mkdtempSync(join(tmpdir(), "freshml-serve-"));
    dirs.push(d);
    const store = new FileModelStore(d);
    const p = new Pipeline({ schema: Trip, target: "delay", trainer: new SGDRegressor({ seed: 3, standardize: true }), store });
    await p.runBatches([trips(1), trips(2), trips(3, 80, 5), trips(4, 80, 5), trips(5, 80, 5)]);
    const probe = [...trips(9, 30), { distance: 500, carrier: "mid", express: true, delay: 0 }];
    const model = await loadModel(store, "model", "champion");
    expect(model.version).toBe(p.championStoreVersion);
    expect(model.fields).toEqual(["distance", "wind", "carrier", "express"]);
    expect(model.featurizer!.layout.names).toEqual(["distance", "wind", "carrier=alpha", "carrier=mid", "express"]);
    const served = model.predictRows(probe);
    const live = p.servingModel!.predictRows(probe);
    expect(Array.from(served)).toEqual(Array.from(live));
    // A missing wind is imputed with the mean of the winds the model learned, not 0 or NaN.
    const withMean = model.predictRows([{ distance: 500, wind: model.featurizer!.toJSON().preprocess[1]!.mean!, carrier: "mid", express: true }]);
    expect(served[served.length - 1]).toBe(withMean[0]);
    // From a fresh process's point of view: a new store object on the same folder.
    const again = await loadModel(new FileModelStore(d), "model", "champion");
    expect(Array.from(again.predictRows(probe))).toEqual(Array.from(served));
  });

  it("classifiers serve enum labels and probabilities from rows", async () => {
    const Flower = z.object({ a: z.number(), b: z.number(), kind: z.enum(["setosa", "other"]) });
    const rng = new SeededRandom(4);
    const batch = (): Array<z.infer<typeof Flower>> =>
      Array.from({ length: 100 }, () => {
        const kind = rng.next() < 0.5 ? ("setosa" as const) : ("other" as const);
        return { a: (kind === "setosa" ? 1 : 3) + 0.5 * rng.nextGaussian(), b: rng.nextGaussian(), kind };
      });
    const store = new MemoryModelStore();
    const p = new Pipeline({ schema: Flower, target: "kind", trainer: new GaussianNB({ classes: [0, 1] }), store });
    await p.runBatches([batch(), batch()]);
    const model = await loadModel(store, "model");
    expect(model.labels).toEqual(["setosa", "other"]);
    const pred = model.predictRows([{ a: 1, b: 0 }, { a: 3, b: 0 }]);
    expect(Array.from(pred).map((c) => model.labels![c])).toEqual(["setosa", "other"]);
    const proba = model.predictProbaRows([{ a: 1, b: 0 }]);
    expect(proba[0]!).toBeGreaterThan(0.9);
  });

  it("bad rows get invalid_row naming the row and field", () => {
    return (async () => {
      const store = new MemoryModelStore();
      await new Pipeline({ schema: Trip, target: "delay", trainer: new LinearRegression({ l2: 1e-3 }), store }).runBatches([trips(1)]);
      const model = await loadModel(store, "model");
      const bad: unknown[][] = [
        [{ distance: "far", carrier: "mid", express: true }],
        [{ distance: 1, express: true }],
        [{ distance: Infinity, carrier: "mid", express: true }],
        [{ distance: 1, carrier: "mid", express: "yes" }],
        [null],
      ];
      for (const rows of bad) {
        const err = (() => {
          try {
            model.predictRows(rows);
          } catch (e) {
            return e;
          }
        })();
        expect(err).toBeInstanceOf(FreshmlError);
        expect((err as FreshmlError).code).toBe("invalid_row");
        expect((err as FreshmlError).details.row).toBe(0);
      }
      // A hostile key is never read as a field.
      expect(() => model.predictRows([JSON.parse('{"__proto__": {"distance": 5}, "carrier": "mid", "express": true}')])).toThrow(/distance/);
    })();
  });
});

describe("configuration mistakes fail at construction", () => {
  const base = { schema: Trip, trainer: new LinearRegression() } as const;
  const fails = (options: PipelineOptions<typeof Trip>, param: string, message: RegExp): void => {
    let err: unknown;
    try {
      new Pipeline(options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FreshmlError);
    expect((err as FreshmlError).code).toBe("invalid_params");
    expect((err as FreshmlError).details.param).toBe(param);
    expect((err as FreshmlError).message).toMatch(message);
  };

  it("names the parameter at fault", () => {
    fails({ ...base }, "target", /target "target" is not a field.*distance, wind/);
    fails({ ...base, target: "delay", features: ["distance", "speed" as "wind"] }, "features", /feature "speed"/);
    fails({ ...base, target: "wind" }, "target", /optional/);
    fails({ ...base, target: "carrier" }, "trainer", /enum.*regression.*classifier/);
    fails({ ...base, target: "carrier", trainer: new SGDClassifier({ classes: [0, 1] }) }, "trainer", /3 levels.*\[0,1,2\].*\[0,1\]/);
    fails({ ...base, target: "express", trainer: new SGDClassifier({ classes: [1, 2] }) }, "trainer", /boolean/);
    fails({ ...base, target: "delay", gate: { metric: "accuracy" } }, "gate.metric", /accuracy/);
    fails({ ...base, target: "delay", metrics: ["logloss"] }, "metrics", /logloss/);
  });

  it("a row batch without a schema throws at once instead of quarantining every batch", async () => {
    const p = new Pipeline({ trainer: new LinearRegression() });
    await expect(p.runBatches([trips(1)])).rejects.toMatchObject({ code: "invalid_params", details: { param: "schema" } });
  });

  it("types check features and target against the schema's keys", () => {
    expectTypeOf<PipelineOptions<typeof Trip>["target"]>().toEqualTypeOf<"distance" | "wind" | "carrier" | "express" | "delay" | undefined>();
    // @ts-expect-error — not a field of the schema
    const wrong: PipelineOptions<typeof Trip> = { schema: Trip, trainer: new LinearRegression(), target: "delays" };
    expect(wrong).toBeDefined();
  });
});
