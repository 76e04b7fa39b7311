import * as z3 from "zod/v3";
import * as zm from "zod/mini";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { requireZod4Object } from "../../src/core/zod-requirement.js";

const refused = (schema: unknown): string => {
  try {
    requireZod4Object(schema, "schemaValidator");
  } catch (err) {
    expect(err).toMatchObject({ name: "FreshmlError", code: "invalid_params" });
    return (err as Error).message;
  }
  throw new Error("accepted");
};

describe("requireZod4Object", () => {
  it("accepts a zod 4 object schema", () => {
    expect(() => requireZod4Object(z.object({ a: z.number() }), "schemaValidator")).not.toThrow();
  });

  it("names the requirement and what it got, for zod 3, zod/mini, another zod 4 type and non-schemas", () => {
    const need = "schemaValidator needs a zod 4 object schema (z.object from 'zod' v4)";
    expect(refused(z3.z.object({ a: z3.z.number() }))).toBe(`${need}; got a zod 3 schema (ZodObject): upgrade to zod ^4`);
    expect(refused(zm.object({ a: zm.number() }))).toBe(`${need}; got a zod/mini object schema (use z.object from 'zod', not 'zod/mini')`);
    expect(refused(z.array(z.number()))).toBe(`${need}; got a zod array schema, not an object schema`);
    expect(refused({ a: 1 })).toBe(`${need}; got an object that is not a zod schema`);
    expect(refused(undefined)).toBe(`${need}; got undefined`);
  });

  it("recognises a zod 4 object schema from another copy of zod", () => {
    const foreign = Object.create(null) as Record<string, unknown>;
    Object.assign(foreign, { _zod: { def: { type: "object" }, version: { major: 4 } }, optional: () => foreign });
    expect(refused(foreign)).toMatch(/another copy of zod \(install one zod \^4: npm dedupe\)$/);
  });
});
