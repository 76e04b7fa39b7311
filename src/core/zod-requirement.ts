import * as z from "zod";
import { FreshmlError, describeValue } from "./errors.js";

/** Says what `schema` is, for an error that explains why it was refused. */
export function describeSchema(schema: unknown): string {
  if (typeof schema !== "object" || schema === null) return describeValue(schema);
  const s = schema as { _zod?: { def?: { type?: unknown }; version?: { major?: unknown } }; _def?: { typeName?: unknown }; optional?: unknown };
  if (s._zod && typeof s._zod === "object") {
    const type = String(s._zod.def?.type ?? "unknown");
    if (typeof s.optional !== "function") return `a zod/mini ${type} schema (use z.object from 'zod', not 'zod/mini')`;
    if (type !== "object") return `a zod ${type} schema, not an object schema`;
    return `a zod ${String(s._zod.version?.major ?? "4")} object schema from another copy of zod (install one zod ^4: npm dedupe)`;
  }
  if (s._def && typeof s._def.typeName === "string") return `a zod 3 schema (${s._def.typeName}): upgrade to zod ^4`;
  return "an object that is not a zod schema";
}

/**
 * Throws `invalid_params` naming the requirement unless `schema` is a zod 4
 * object schema built with the zod this package resolves (its peer
 * dependency): `where` is the API that needs it, e.g. "schemaValidator".
 */
export function requireZod4Object(schema: unknown, where: string): asserts schema is z.ZodObject {
  if (schema instanceof z.ZodObject) return;
  const observed = describeSchema(schema);
  throw new FreshmlError("invalid_params", `${where} needs a zod 4 object schema (z.object from 'zod' v4); got ${observed}`, {
    param: "schema",
    expected: "a zod 4 object schema (z.object from 'zod' v4)",
    observed,
  });
}
