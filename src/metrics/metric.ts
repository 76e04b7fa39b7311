import { FreshmlError } from "../core/errors.js";
import { allFiniteFast } from "../core/kernels.js";

/** What a metric scores: predicted values, predicted labels, or row-major class probabilities. */
export type MetricInput = "value" | "label" | "proba";

/** JSON form of a metric: its name, parameters and running sums. */
export interface MetricJSON {
  /** The metric name. */
  readonly metric: string;
  /** Construction parameters. */
  readonly params: Record<string, unknown>;
  /** Running sums. */
  readonly state: Record<string, unknown>;
}

/**
 * A streaming metric. It folds in batches of (truth, prediction) pairs in
 * O(batch), can `revert` a batch folded in earlier (rolling windows), and can
 * `merge` another instance's sums (data-parallel evaluation): every built-in
 * metric's state is a few running sums.
 *
 * For `input: "proba"`, `yPred` is row-major `rows × classes.length`.
 *
 * @example
 * ```ts
 * import { RMSE } from "freshml";
 * const m = new RMSE();
 * m.update([1, 2], [1, 4]);
 * m.get(); // √2
 * ```
 */
export interface Metric {
  /** Short name, e.g. "rmse". */
  readonly name: string;
  /** Whether a larger value is better (accuracy) or worse (rmse). */
  readonly biggerIsBetter: boolean;
  /** The kind of prediction it scores. */
  readonly input: MetricInput;
  /** Rows folded in. */
  readonly count: number;
  /** Folds in a batch. */
  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void;
  /** Removes a batch folded in earlier. */
  revert(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void;
  /** Adds another metric's sums (same name and parameters). */
  merge(other: Metric): void;
  /** The current value; NaN before any row. */
  get(): number;
  /** A fresh instance with the same parameters. */
  clone(): Metric;
  /** JSON-safe state. */
  toJSON(): MetricJSON;
}

/** Checks a (truth, prediction) pair of arrays: lengths agree and values are finite numbers. */
export function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, perRow = 1): void {
  if (yPred.length !== yTrue.length * perRow) {
    throw new FreshmlError("target_length_mismatch",
      `expected ${yTrue.length * perRow} predictions for ${yTrue.length} targets, got ${yPred.length}`,
      { observed: yPred.length, expected: yTrue.length * perRow });
  }
  // Typed arrays hold numbers only: a branch-free finiteness scan tells, and the loop below names the offender.
  if (yTrue instanceof Float64Array && yPred instanceof Float64Array && allFiniteFast(yTrue) && allFiniteFast(yPred)) return;
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i]!;
    if (typeof v !== "number" || v - v !== 0) {
      throw new FreshmlError("non_finite", `target at row ${i} is ${String(v)}`, { row: i, observed: String(v) });
    }
  }
  for (let i = 0; i < yPred.length; i++) {
    const v = yPred[i]!;
    if (typeof v !== "number" || v - v !== 0) {
      throw new FreshmlError("non_finite", `prediction at row ${Math.floor(i / perRow)} is ${String(v)}`, {
        row: Math.floor(i / perRow),
        observed: String(v),
      });
    }
  }
}

// A metric's parameters never change after construction: their JSON is worked out once per instance.
const paramKeys = new WeakMap<Metric, string>();
function paramsKey(m: Metric): string {
  let k = paramKeys.get(m);
  if (k === undefined) {
    k = JSON.stringify(m.toJSON().params);
    paramKeys.set(m, k);
  }
  return k;
}

/** Throws `incompatible_merge` unless both metrics have the same JSON params and name. */
export function checkSameMetric(a: Metric, b: Metric): void {
  if (a.name === b.name && paramsKey(a) === paramsKey(b)) return;
  const ja = a.toJSON();
  const jb = b.toJSON();
  if (ja.metric !== jb.metric || JSON.stringify(ja.params) !== JSON.stringify(jb.params)) {
    throw new FreshmlError("incompatible_merge", `cannot merge metric ${jb.metric} into ${ja.metric} with other parameters`);
  }
}
