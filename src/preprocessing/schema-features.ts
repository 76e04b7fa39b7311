import { z } from "zod";
import { FreshmlError } from "../core/errors.js";
import type { FieldSpec } from "../validate/schema.js";
import type { Featurizer, FeaturizerOptions, FieldJSON } from "./featurizer.js";

/**
 * The featurizer field of a schema field: numbers, booleans and enums as
 * they are; a free string (`z.string()`) becomes an enum when the
 * preprocessing gives its `levels` (any other string is then an unseen
 * level). Anything else is `invalid_params` naming the field.
 */
export function featureField(spec: FieldSpec, preprocessing: FeaturizerOptions = {}): FieldJSON {
  const o = preprocessing.fields && Object.prototype.hasOwnProperty.call(preprocessing.fields, spec.name) ? preprocessing.fields[spec.name] : undefined;
  const levels = o?.levels;
  if (levels !== undefined) {
    if (spec.kind !== "string") {
      throw new FreshmlError("invalid_params", `preprocessing gives levels for ${spec.name}, a ${spec.kind} field; levels are for free-string fields (z.string())`, { param: "preprocessing", field: spec.name });
    }
    if (!Array.isArray(levels) || levels.length === 0 || levels.some((l) => typeof l !== "string") || new Set(levels).size !== levels.length) {
      throw new FreshmlError("invalid_params", `preprocessing levels of ${spec.name} must be a non-empty list of distinct strings`, { param: "preprocessing", field: spec.name });
    }
  } else if (spec.kind === "string") {
    throw new FreshmlError("invalid_params", `feature ${spec.name} is a free string; use z.enum([...]), or give its levels in preprocessing.fields.${spec.name}.levels, so it can be one-hot encoded`, { param: "features", field: spec.name });
  }
  const kind = spec.kind === "string" ? "enum" : spec.kind;
  const lv = spec.kind === "string" ? levels! : spec.levels;
  return {
    name: spec.name,
    kind,
    optional: spec.optional,
    ...(kind === "enum" ? { levels: lv.slice() } : {}),
    ...(spec.default !== undefined ? { default: spec.default } : {}),
  };
}

/**
 * The schema the pipeline validates rows with: the user's, except that an
 * enum feature whose `unseen` policy is not "error" accepts any string (its
 * `z.enum` becomes `z.string()`, keeping `.optional()`, `.nullable()` and
 * `.default()`), so that a new level is a good row the featurizer encodes
 * and counts rather than a schema error that quarantines the batch. The
 * object's own refinements and strictness are kept. Returns the schema itself
 * when nothing changes.
 */
export function acceptUnseenLevels<S extends z.ZodObject>(schema: S, featurizer: Featurizer): z.ZodObject {
  const open = new Set(Object.entries(featurizer.preprocessing).filter(([, p]) => p.unseen !== undefined && p.unseen !== "error").map(([name]) => name));
  const shape = schema.shape as Record<string, z.ZodType>;
  const replaced: Record<string, z.ZodType> = {};
  for (const name of open) {
    const field = shape[name];
    if (!field) continue;
    const relaxed = relaxEnum(field);
    if (relaxed) replaced[name] = relaxed;
  }
  if (Object.keys(replaced).length === 0) return schema;
  return (schema as unknown as { safeExtend(shape: Record<string, z.ZodType>): z.ZodObject }).safeExtend(replaced);
}

/** `z.enum([...])` under optional / nullable / default wrappers, as `z.string()` under the same wrappers; null for anything else. */
function relaxEnum(field: z.ZodType): z.ZodType | null {
  if (field instanceof z.ZodEnum) return field._zod.def.checks?.length ? null : z.string();
  if (field instanceof z.ZodOptional) {
    const inner = relaxEnum(field.unwrap() as z.ZodType);
    return inner ? inner.optional() : null;
  }
  if (field instanceof z.ZodNullable) {
    const inner = relaxEnum(field.unwrap() as z.ZodType);
    return inner ? inner.nullable() : null;
  }
  if (field instanceof z.ZodDefault) {
    const inner = relaxEnum(field.unwrap() as z.ZodType);
    const v: unknown = (field._zod.def as { defaultValue?: unknown }).defaultValue;
    return inner && typeof v === "string" ? (inner as z.ZodString).default(v) : null;
  }
  return null;
}
