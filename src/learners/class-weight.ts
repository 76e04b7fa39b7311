import { checkParam } from "../core/errors.js";
import { literal, positive, record, union, type Check } from "../core/json-checks.js";

/**
 * Class weights, shared by {@link LogisticRegression} and {@link SGDClassifier}:
 * the parameter's check and JSON form, and scikit-learn's balanced weights.
 */

/**
 * How rows of each class are weighted in the loss:
 * - `null`: every row weighs 1;
 * - `"balanced"`: class c weighs n / (k · n_c), scikit-learn's definition, with
 *   n and n_c counted over every row learned so far (this batch included) and k
 *   the number of declared classes;
 * - a record label → weight (labels missing from it weigh 1).
 */
export type ClassWeight = "balanced" | Readonly<Record<number, number>> | null;

/** A `classWeight` as saved: the check of a restored envelope's parameter. */
export const classWeightCheck: Check<"balanced" | Record<string, number> | null> = /* @__PURE__ */ union(
  /* @__PURE__ */ literal("balanced"),
  /* @__PURE__ */ record(positive),
  /* @__PURE__ */ literal(null),
);

/**
 * Checks a `classWeight` parameter and returns its JSON-safe form (a record
 * keyed by label text) and, for a record, the weight of each class index.
 */
export function normaliseClassWeight(
  classWeight: unknown,
  classes: readonly number[],
): { param: "balanced" | Readonly<Record<string, number>> | null; weights: Float64Array | null } {
  if (classWeight === null || classWeight === undefined) return { param: null, weights: null };
  if (classWeight === "balanced") return { param: "balanced", weights: null };
  checkParam(typeof classWeight === "object" && !Array.isArray(classWeight), "classWeight",
    '"balanced", null or a record label → weight', classWeight);
  const rec = classWeight as Record<string, unknown>;
  const weights = new Float64Array(classes.length).fill(1);
  const param: Record<string, number> = {};
  for (const [key, v] of Object.entries(rec)) {
    const c = classes.indexOf(Number(key));
    checkParam(key.trim() !== "" && c >= 0, "classWeight", `keys among the declared classes [${classes.join(", ")}]`, key);
    checkParam(typeof v === "number" && Number.isFinite(v) && v > 0, `classWeight[${key}]`, "a finite number > 0", v);
    weights[c] = v as number;
    param[String(classes[c])] = v as number;
  }
  return { param: Object.freeze(param), weights };
}

/** The parameter as saved: a fresh copy of a record (the frozen one stays the model's). */
export function classWeightJSON(cw: ClassWeight): ClassWeight {
  return cw === null || cw === "balanced" ? cw : { ...cw };
}

/** scikit-learn's balanced weights n / (k · n_c) from class counts (1 for a class not seen yet). */
export function balancedClassWeights(counts: Float64Array): Float64Array {
  const k = counts.length;
  let n = 0;
  for (let c = 0; c < k; c++) n += counts[c]!;
  const out = new Float64Array(k);
  for (let c = 0; c < k; c++) out[c] = counts[c]! > 0 ? n / (k * counts[c]!) : 1;
  return out;
}
