import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Featurizer, FreshmlError, schemaValidator, type FieldJSON } from "../../src/index.js";

const features: FieldJSON[] = [
  { name: "temp", kind: "number", optional: true },
  { name: "day", kind: "enum", optional: true, levels: ["wk", "we", "hol"] },
  { name: "rain", kind: "boolean", optional: false },
];
const target: FieldJSON = { name: "load", kind: "number", optional: false };

describe("Featurizer", () => {
  it("one-hot in the declared order, booleans as 0/1, missing numbers imputed with the running mean, missing enums as no level", () => {
    const f = new Featurizer(features, target);
    expect(f.layout.names).toEqual(["temp", "day=wk", "day=we", "day=hol", "rain"]);
    const t = f.readRows([{ temp: 10, day: "hol", rain: true, load: 1 }, { day: "wk", rain: false, load: 2 }, { temp: 30, rain: false, load: 3 }], true);
    const raw = f.transform(t);
    expect(raw.missing).toBe(1);
    expect(Array.from(raw.y)).toEqual([1, 2, 3]);
    // Before any statistics, a missing number is 0.
    expect(Array.from(f.impute(raw.X, raw.missing))).toEqual([10, 0, 0, 1, 1, 0, 1, 0, 0, 0, 30, 0, 0, 0, 0]);
    f.learn(raw);
    expect(f.toJSON().impute).toEqual([{ field: "temp", count: 2, mean: 20 }]);
    expect(Array.from(f.impute(raw.X, raw.missing)).slice(5, 10)).toEqual([20, 1, 0, 0, 0]);
    // Nothing missing: the same array, no copy.
    const full = f.transform(f.readRows([{ temp: 1, day: "we", rain: true, load: 0 }], true));
    expect(f.impute(full.X, full.missing)).toBe(full.X);
  });

  it("the running mean is exact whatever the batch split (property) and round-trips through JSON", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: undefined }), { minLength: 1, maxLength: 60 }), fc.nat(), (temps, cut) => {
        const rows = temps.map((t) => (t === undefined ? { rain: true, load: 0 } : { temp: t, rain: true, load: 0 }));
        const split = new Featurizer(features, target);
        const k = cut % (rows.length + 1);
        for (const part of [rows.slice(0, k), rows.slice(k)]) if (part.length) split.learn(split.transform(split.readRows(part, true)));
        const seen = temps.filter((t): t is number => t !== undefined);
        const mean = seen.length ? seen.reduce((a, b) => a + b, 0) / seen.length : 0;
        const got = split.toJSON().impute[0]!;
        expect(got.count).toBe(seen.length);
        expect(Math.abs(got.mean - mean)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(mean)));
        expect(Featurizer.fromJSON(JSON.parse(JSON.stringify(split.toJSON()))).toJSON()).toEqual(split.toJSON());
      }),
      { numRuns: 100, seed: 2 },
    );
  });

  it("reads the schema validator's tables the same as raw rows (levels mapped by name)", () => {
    const schema = z.object({ temp: z.number().optional(), day: z.enum(["wk", "we", "hol"]).optional(), rain: z.boolean(), load: z.number() });
    const rows = [{ day: "hol" as const, rain: true, load: 1 }, { temp: 3, day: "wk" as const, rain: false, load: 2 }];
    const f = new Featurizer(features, target);
    const viaSchema = f.transform(schemaValidator(schema).check(rows).table!);
    const viaSchemaZod = f.transform(schemaValidator(schema, { compile: false }).check(rows).table!);
    const direct = f.transform(f.readRows(rows, true));
    expect(Array.from(viaSchema.X)).toEqual(Array.from(direct.X));
    expect(Array.from(viaSchemaZod.X)).toEqual(Array.from(direct.X));
  });

  it("refuses malformed state and bad fields with typed errors", () => {
    expect(() => Featurizer.fromJSON({ format: "freshml.featurizer" })).toThrow(FreshmlError);
    expect(() => new Featurizer(features, { ...target, optional: true })).toThrow(/must not be optional/);
    expect(() => new Featurizer([{ name: "load", kind: "number", optional: false }], target)).toThrow(/both a feature and the target/);
    const json = new Featurizer(features, target).toJSON();
    expect(() => Featurizer.fromJSON({ ...json, impute: [] })).toThrow(/imputation statistics/);
  });
});
