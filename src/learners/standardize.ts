import { assertFiniteFeatures } from "../core/batch.js";
import { checkParam, describeValue, FreshmlError } from "../core/errors.js";
import { array, bool, count, object, union } from "../core/json-checks.js";
import { OnlineStandardScaler } from "../preprocessing/standard-scaler.js";
import type { ColumnKind } from "./trainer.js";

// The `standardize` option shared by SGDRegressor, SGDClassifier and
// LogisticRegression: an online scaler kept in the learner's state, numeric
// columns only when a pipeline declares its binary columns (describeColumns).

/** The object form of the learners' `standardize` option. */
export interface StandardizeOptions {
  /** Zero-based feature columns to leave unscaled (e.g. one-hot indicators). */
  readonly skip: readonly number[];
}

/** Check of a saved `standardize` parameter. */
export const standardizeCheck = /* @__PURE__ */ union(bool, /* @__PURE__ */ object({ skip: /* @__PURE__ */ array(count) }));

/** Checks a `standardize` parameter; the object form's `skip` comes back sorted, deduplicated and frozen. */
export function normaliseStandardize(v: unknown): boolean | StandardizeOptions {
  if (typeof v === "boolean") return v;
  const skip = v !== null && typeof v === "object" ? (v as { skip?: unknown }).skip : undefined;
  checkParam(
    Array.isArray(skip) && skip.every((j) => Number.isInteger(j) && j >= 0),
    "standardize",
    "a boolean or { skip: column indices (integers ≥ 0) }",
    v,
  );
  return Object.freeze({ skip: Object.freeze([...new Set(skip as number[])].sort((a, b) => a - b)) });
}

/**
 * The columns the scaler leaves unscaled: the parameter's `skip`, plus the
 * columns declared binary through `describeColumns`. Ascending.
 */
export function scalerSkip(standardize: boolean | StandardizeOptions, kinds: readonly ColumnKind[] | null): number[] {
  const skip = new Set<number>(typeof standardize === "object" ? standardize.skip : []);
  if (kinds) kinds.forEach((k, j) => k === "binary" && skip.add(j));
  return [...skip].sort((a, b) => a - b);
}

/** Checks a `describeColumns` argument: an array of "numeric" | "binary". */
export function checkColumnKinds(kinds: unknown): readonly ColumnKind[] {
  if (!Array.isArray(kinds) || !kinds.every((k) => k === "numeric" || k === "binary")) {
    throw new FreshmlError("invalid_params", "describeColumns needs an array of \"numeric\" | \"binary\"", {
      param: "kinds",
      observed: describeValue(kinds),
    });
  }
  return Object.freeze([...kinds] as ColumnKind[]);
}

/**
 * `describeColumns` for a learner with `standardize`: before the first batch
 * it records the kinds (applied when the scaler is made); after, the columns
 * it would leave unscaled must be those the fitted scaler does, else
 * `invalid_params`. Without `standardize` it only checks the argument.
 * `fitted` is the learned state's width and scaler, or null before learning.
 */
export function describeScaledColumns(
  kind: string,
  standardize: boolean | StandardizeOptions,
  fitted: { readonly d: number; readonly scaler: OnlineStandardScaler | null } | null,
  kinds: readonly ColumnKind[],
): readonly ColumnKind[] | null {
  if (!standardize) return null;
  const scaler = fitted?.scaler;
  if (fitted && scaler) {
    if (kinds.length !== fitted.d) {
      throw new FreshmlError("column_mismatch", `describeColumns got ${kinds.length} kinds for a ${kind} of ${fitted.d} features`, {
        observed: kinds.length,
        expected: fitted.d,
      });
    }
    const want = scalerSkip(standardize, kinds).join();
    if (want !== scaler.skip.join()) {
      throw new FreshmlError("invalid_params", `${kind} has already learned with columns [${scaler.skip.join(", ")}] unscaled; describeColumns asks for [${want}]`, {
        param: "kinds",
        observed: want,
        expected: scaler.skip.join(),
      });
    }
  }
  return kinds;
}

/**
 * The scaler of a learner's first batch of `d` columns: null without
 * `standardize`; else a fresh scaler leaving the `skip` and binary columns
 * unscaled (`column_mismatch` when the declared kinds are not `d`,
 * `invalid_params` when `skip` names a column beyond `d`).
 */
export function freshScaler(standardize: boolean | StandardizeOptions, d: number, kinds: readonly ColumnKind[] | null): OnlineStandardScaler | null {
  if (!standardize) return null;
  if (kinds && kinds.length !== d) {
    throw new FreshmlError("column_mismatch", `describeColumns declared ${kinds.length} columns but the batch has ${d}`, {
      observed: d,
      expected: kinds.length,
    });
  }
  const skip = scalerSkip(standardize, kinds);
  if (skip.length > 0 && skip[skip.length - 1]! >= d) {
    throw new FreshmlError("invalid_params", `standardize.skip lists column ${skip[skip.length - 1]} but the batch has ${d} columns`, {
      param: "standardize",
      observed: skip[skip.length - 1],
      expected: `< ${d}`,
    });
  }
  return new OnlineStandardScaler({ skip });
}

/**
 * Restores a learner's saved scaler (null without `standardize`), checking
 * that it has the learner's width, has seen exactly the `n` rows learned, and
 * leaves the parameter's `skip` columns unscaled; a violation calls `bad`
 * with the field (which throws the learner's `invalid_state`).
 */
export function restoreScaler(
  standardize: boolean | StandardizeOptions,
  json: unknown,
  d: number,
  n: number,
  bad: (field: string, why: string, observed?: unknown) => never,
): OnlineStandardScaler | null {
  if (!standardize) return null;
  const scaler = OnlineStandardScaler.fromJSON(json);
  if (n > 0 && scaler.nFeatures !== d) bad("scaler.d", `is ${String(scaler.nFeatures)}, expected ${d}`, scaler.nFeatures);
  if (scaler.count !== n) bad("scaler.n", `is ${scaler.count}, but the model has learned ${n} rows`, scaler.count);
  const have = new Set(scaler.skip);
  for (const j of scalerSkip(standardize, null)) if (!have.has(j)) bad("scaler.skip", `does not leave column ${j} unscaled as standardize.skip asks`);
  return scaler;
}

/**
 * The scaler learns a batch's statistics, then the batch is standardised into
 * `scratch.X` (grown as needed); returns the standardised rows. Call it on the
 * learner's state copy, so a failing batch leaves the model unchanged.
 */
export function learnAndScale(scaler: OnlineStandardScaler, X: Float64Array, d: number, scratch: { X: Float64Array }): Float64Array {
  // A NaN or ±Infinity is named as such before the scaler could call it an overflow.
  assertFiniteFeatures(X, d);
  scaler.updateDense(X, d);
  if (scratch.X.length < X.length) scratch.X = new Float64Array(X.length);
  const Z = scratch.X.subarray(0, X.length);
  scaler.transformInto(X, Z);
  return Z;
}
