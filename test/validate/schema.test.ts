import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { FreshmlError, qualityChecks, runValidators, schemaValidator } from "../../src/index.js";

const Row = z.object({
  temp: z.number().min(-50).max(60),
  hour: z.number().int().min(0).max(23),
  frac: z.number().gt(0).lt(1),
  kind: z.enum(["a", "b", "c"]),
  on: z.boolean(),
  note: z.string(),
  extra: z.number().optional(),
});

describe("schemaValidator", () => {
  const compiled = schemaValidator(Row);

  it("compiles a schema of plain fields (and knows its ranges)", () => {
    expect(compiled.fields?.map((f) => f.name)).toEqual(["temp", "hour", "frac", "kind", "on", "note", "extra"]);
    expect(compiled.ranges).toEqual({ temp: { min: -50, max: 60 }, hour: { min: 0, max: 23 }, frac: { min: 0, max: 1 } });
    expect(schemaValidator(z.object({ x: z.number().multipleOf(2) })).fields).toBeNull();
    expect(schemaValidator(z.strictObject({ x: z.number() })).fields).toBeNull();
    expect(schemaValidator(z.object({ x: z.number().refine((v) => v > 0) })).fields).toBeNull();
  });

  it("accepts exactly the rows zod accepts, and reports zod's own issues (property)", () => {
    const value = fc.oneof(
      fc.double(),
      fc.integer({ min: -100, max: 100 }),
      fc.constantFrom(0, 1, 23, 24, -50, 60, 60.0001, 0.5, NaN, Infinity, -0),
      fc.constantFrom("a", "b", "c", "d", "", "1"),
      fc.boolean(),
      fc.constant(undefined),
      fc.constant(null),
    );
    const row = fc.record({ temp: value, hour: value, frac: value, kind: value, on: value, note: value, extra: value }, { requiredKeys: [] });
    const plain = schemaValidator(Row, { compile: false });
    fc.assert(
      fc.property(row, (r) => {
        const a = compiled.check([r]);
        const b = plain.check([r]);
        expect(a.ok).toBe(Row.safeParse(r).success);
        expect(a.issues.map((i) => [i.code, (i as { row: number }).row, (i as { path: unknown }).path, (i as { zodCode: string }).zodCode])).toEqual(
          b.issues.map((i) => [i.code, (i as { row: number }).row, (i as { path: unknown }).path, (i as { zodCode: string }).zodCode]),
        );
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  it("keeps the first N issues in full and counts the rest", () => {
    const v = schemaValidator(Row, { maxIssues: 3 });
    const rows = Array.from({ length: 10 }, () => ({ temp: "x", hour: 1, frac: 0.5, kind: "a", on: true, note: "" }));
    const r = v.check(rows);
    expect(r.ok).toBe(false);
    expect(r.issues).toHaveLength(3);
    expect(r.issuesOmitted).toBe(7);
    expect(r.issues[1]).toMatchObject({ code: "schema", severity: "error", row: 1, path: ["temp"], zodCode: "invalid_type", column: "temp" });
    expect(r.issues[1]!.message).toMatch(/row 1, temp: /);
  });

  it("lays out a valid batch as a table: numbers and booleans numeric, enums and strings categorical", () => {
    const r = compiled.check([
      { temp: 1.5, hour: 2, frac: 0.5, kind: "b", on: true, note: "x" },
      { temp: 2.5, hour: 3, frac: 0.25, kind: "a", on: false, note: "y", extra: 7 },
    ]);
    expect(r.ok).toBe(true);
    const t = r.table!;
    expect(t.rows).toBe(2);
    expect(Array.from((t.columns.get("temp") as { values: Float64Array }).values)).toEqual([1.5, 2.5]);
    expect(Array.from((t.columns.get("on") as { values: Float64Array }).values)).toEqual([1, 0]);
    expect(Array.from((t.columns.get("extra") as { values: Float64Array }).values)).toEqual([NaN, 7]);
    expect(t.columns.get("kind")).toMatchObject({ kind: "categorical", levels: ["a", "b", "c"] });
    expect(Array.from((t.columns.get("kind") as { codes: Int32Array }).codes)).toEqual([1, 0]);
  });

  it("survives arbitrary junk: a result or a FreshmlError, never a crash, never a polluted prototype (property)", () => {
    const quality = qualityChecks();
    const junkRow = fc.oneof(
      fc.anything(),
      fc.dictionary(fc.constantFrom("__proto__", "constructor", "prototype", "temp", "hour", "toString", "kind"), fc.anything()),
      fc.string({ maxLength: 5000 }).map((s) => ({ temp: s, note: s })),
      fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "temp": 1}')),
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(junkRow, { maxLength: 20 }), fc.anything()), (rows) => {
        for (const v of [compiled, schemaValidator(Row, { compile: false })]) {
          try {
            const r = v.check(rows as unknown[]);
            expect(typeof r.ok).toBe("boolean");
            if (r.table) runValidators([quality], r.table, { batchIndex: 0 });
            for (const i of r.issues) expect(typeof i.message).toBe("string");
          } catch (err) {
            expect(err).toBeInstanceOf(FreshmlError);
          }
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
      }),
      { numRuns: 500, seed: 5 },
    );
  });
});

describe("schemaValidator without a compiled path", () => {
  it("lays out a valid batch from zod's output (transforms applied)", () => {
    const v = schemaValidator(z.object({ x: z.number().refine((n) => n > 0), k: z.enum(["p", "q"]).default("p") }));
    expect(v.fields).toBeNull();
    const r = v.check([{ x: 2 }, { x: 3, k: "q" }]);
    expect(r.ok).toBe(true);
    expect(Array.from((r.table!.columns.get("x") as { values: Float64Array }).values)).toEqual([2, 3]);
    expect(Array.from((r.table!.columns.get("k") as { codes: Int32Array }).codes)).toEqual([0, 1]);
    expect(v.check([{ x: -1 }]).issues[0]).toMatchObject({ code: "schema", row: 0, zodCode: "custom" });
  });
});

describe("schemaValidator: zod defaults and foreign schemas", () => {
  it("a field with a plain .default() keeps the compiled fast path and fills the default like zod", async () => {
    const { z } = await import("zod");
    const { schemaValidator } = await import("../../src/index.js");
    const v = schemaValidator(z.object({ a: z.number(), b: z.number().max(10).default(3) }));
    expect(v.fields).not.toBeNull();
    const r = v.check([{ a: 1 }, { a: 2, b: 7 }]);
    expect(r.ok).toBe(true);
    expect(Array.from((r.table!.columns.get("b") as { values: Float64Array }).values)).toEqual([3, 7]);
    expect(v.check([{ a: 1, b: 11 }]).ok).toBe(false);
  });

  it("a schema that is not a zod 4 object is refused with the requirement named", async () => {
    const { schemaValidator } = await import("../../src/index.js");
    expect(() => schemaValidator({ _def: { typeName: "ZodObject" }, shape: {} } as never)).toThrow(/zod 4 object schema/);
  });
});
