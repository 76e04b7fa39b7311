import type { Batch, FeatureInput } from "../core/batch.js";
import type { FreshmlError } from "../core/errors.js";

/**
 * The kind of a feature column as a pipeline's featurizer knows it:
 * `"binary"` for one-hot levels and other 0/1 indicator columns, `"numeric"`
 * for everything else. See {@link Trainer.describeColumns}.
 */
export type ColumnKind = "numeric" | "binary";

/** What a trainer predicts: a number, or one of a declared set of class labels. */
export type Task = "regression" | "classification";

/**
 * The versioned JSON form of a trainer: parameters and learned state kept apart,
 * so the same parameters rebuild an unfitted copy and the state restores a fitted
 * one. `state` is `null` before the first update.
 */
export interface TrainerJSON<P = Record<string, unknown>, S = unknown> {
  /** Always "freshml.trainer". */
  readonly format: "freshml.trainer";
  /** Envelope version; a reader refuses versions it does not know. */
  readonly formatVersion: 1;
  /** The trainer kind, the key for restoring it. */
  readonly kind: string;
  /** Construction parameters. */
  readonly params: P;
  /** Learned state, `null` before the first update. */
  readonly state: S | null;
}

/**
 * The learner contract. Built-in learners implement it, and so does any custom
 * trainer: freshml needs nothing else to validate, update, evaluate and save it.
 *
 * Rules every implementation keeps (the conformance suite in `freshml/testing`
 * checks them):
 * - `update` never mutates its input, and when it throws the state is exactly as
 *   it was (bad input is found before anything changes);
 * - after a successful `update` the state holds only finite numbers (values so
 *   large that a statistic would overflow are refused, not learned), so
 *   `toJSON` never writes a non-finite number as `null`;
 * - `predict` returns finite values or throws a {@link FreshmlError}
 *   (`prediction_overflow` when an output overflows);
 * - `toJSON` then restore gives bit-identical predictions;
 * - the same parameters (seed included) and data give the same state;
 * - `clone()` has the parameters and none of the learned state; `copy()` has both.
 *
 * Optional capabilities: `merge` (combine the state learned on another shard, so
 * `a.merge(b)` equals learning a's data then b's) and `forget` (exactly un-learn a
 * batch learned earlier, for sliding windows).
 *
 * @example A trainer of your own
 * ```ts
 * import { readBatch, readFeatures, type Trainer, type TrainerJSON, type Batch, type FeatureInput } from "freshml";
 * class MeanOfTargets implements Trainer {
 *   readonly kind = "MeanOfTargets";
 *   readonly task = "regression" as const;
 *   readonly params = {};
 *   nFeatures: number | undefined;
 *   nSeen = 0;
 *   private sum = 0;
 *   update(batch: Batch): void {
 *     const b = readBatch(batch, this.nFeatures);
 *     let s = 0;
 *     for (let i = 0; i < b.rows; i++) s += b.y[i]!;
 *     this.nFeatures = b.cols; this.sum += s; this.nSeen += b.rows;
 *   }
 *   predict(X: FeatureInput): Float64Array {
 *     return new Float64Array(readFeatures(X, this.nFeatures).rows).fill(this.sum / this.nSeen);
 *   }
 *   toJSON(): TrainerJSON {
 *     return { format: "freshml.trainer", formatVersion: 1, kind: this.kind, params: {}, state: { d: this.nFeatures, n: this.nSeen, sum: this.sum } };
 *   }
 *   clone(): MeanOfTargets { return new MeanOfTargets(); }
 *   copy(): MeanOfTargets { const c = new MeanOfTargets(); Object.assign(c, this); return c; }
 * }
 * ```
 * `examples/custom-trainer.ts` shows a complete one that passes the conformance suite.
 */
export interface Trainer {
  /** A stable name for this kind of trainer; it keys restore in a {@link TrainerRegistry}. */
  readonly kind: string;
  /** Regression predicts numbers; classification predicts declared labels. */
  readonly task: Task;
  /** Construction parameters with defaults filled in (never learned state). */
  readonly params: Readonly<object>;
  /** Feature count, fixed by the first batch; `undefined` before it. */
  readonly nFeatures: number | undefined;
  /** Rows learned so far (after forgets). */
  readonly nSeen: number;
  /** Learns one batch. Throws {@link FreshmlError} on bad input, leaving the state as it was. */
  update(batch: Batch): void;
  /** Predicts one value (or label) per row. Throws `not_fitted` before the first update. */
  predict(X: FeatureInput): Float64Array;
  /** Parameters and learned state as versioned, JSON-safe data. */
  toJSON(): TrainerJSON;
  /** Same parameters, no learned state. */
  clone(): Trainer;
  /** Same parameters and an independent deep copy of the learned state. */
  copy(): Trainer;
  /** Optional: adds the state learned by `other` (same kind and parameters) to this one. */
  merge?(other: Trainer): void;
  /** Optional: exactly removes a batch learned earlier. */
  forget?(batch: Batch): void;
  /**
   * Optional: told the kind of each feature column, once, before the first
   * `update`. A pipeline calls it with its featurizer's column kinds (one per
   * feature column, in order), so that preprocessing inside the trainer can
   * treat indicator columns differently; the SGD learners with `standardize`
   * leave `"binary"` columns unscaled and keep that choice in their saved
   * state. Calling it again with the same kinds (e.g. on a restored trainer)
   * is allowed; kinds that contradict what the trainer has already learned
   * throw `invalid_params`. Trainers that have no use for it need not have it.
   */
  describeColumns?(kinds: readonly ColumnKind[]): void;
}

/**
 * A classifier: predicts one of `classes`, declared up front, and can give the
 * probability of each.
 */
export interface Classifier extends Trainer {
  readonly task: "classification";
  /** The labels this classifier predicts, in the column order of `predictProba`. */
  readonly classes: readonly number[];
  /** Row-major `rows × classes.length` class probabilities. */
  predictProba(X: FeatureInput): Float64Array;
}

/** True when `t` is a {@link Classifier}. */
export function isClassifier(t: Trainer): t is Classifier {
  return t.task === "classification" && typeof (t as Classifier).predictProba === "function";
}
