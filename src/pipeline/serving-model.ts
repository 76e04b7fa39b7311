import type { FeatureInput, FlatFeatures } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { restoreWith, type TrainerRegistry } from "../learners/restore.js";
import { isClassifier, type Trainer } from "../learners/trainer.js";
import { Featurizer, type FieldCount } from "../preprocessing/featurizer.js";
import type { ModelRecord } from "../store/model-store.js";

/**
 * What {@link ServingModel} does, without its `fromRecord`, whose default
 * registry reaches every built-in learner: the Pipeline makes its serving
 * models with this class, so an application that imports only the Pipeline
 * does not bundle learners it does not use. `instanceof ServingModel` is true
 * of these too.
 *
 * @internal
 */
export class ServingModelBase {
  constructor(
    /** The trainer. */
    readonly trainer: Trainer,
    /** The featurizer, or null for a model trained on numeric batches. */
    readonly featurizer: Featurizer | null,
    /** The stored version it was loaded from, or null. */
    readonly version: number | null = null,
    /** The stored version's tags (empty when not loaded from a store). */
    readonly tags: Readonly<Record<string, string>> = {},
  ) {}

  /**
   * Under the policy `"auto"`, the memory this model was learned on ("window
   * 12", "everything": the stored version's tag `freshml.memory`); null for
   * other policies, or when not loaded from a store.
   *
   * @example
   * ```ts
   * import { LinearRegression, MemoryModelStore, Pipeline, loadModel } from "freshml";
   * const store = new MemoryModelStore();
   * const batches = Array.from({ length: 6 }, (_, k) => ({ X: [[k], [k + 1], [k + 2]], y: [2 * k, 2 * k + 2, 2 * k + 4] }));
   * await new Pipeline({ trainer: new LinearRegression(), store, policy: "auto" }).runBatches(batches);
   * (await loadModel(store, "model", "champion")).memory; // "everything"
   * ```
   */
  get memory(): string | null {
    return Object.prototype.hasOwnProperty.call(this.tags, "freshml.memory") ? this.tags["freshml.memory"]! : null;
  }

  /** The fields a row must have (null for numeric models). */
  get fields(): readonly string[] | null {
    return this.featurizer ? this.featurizer.features.map((f) => f.name) : null;
  }

  /**
   * Predicts raw row objects: checked against the stored fields (`invalid_row`
   * naming the row and field), one-hot encoded in the declared level order
   * (an undeclared level per the field's unseen policy), missing optional
   * values imputed with the stored statistics. Classifiers give the label's
   * class index when the target is an enum (see {@link ServingModel.labels}), else a number.
   */
  predictRows(rows: readonly unknown[]): Float64Array {
    return this.trainer.predict(this.rowFeatures(rows));
  }

  /** Class probabilities for raw rows (classifiers), row-major in the order of `trainer.classes`. */
  predictProbaRows(rows: readonly unknown[]): Float64Array {
    const t = this.trainer;
    if (!isClassifier(t)) throw new FreshmlError("unsupported", `${t.kind} is not a classifier`);
    return t.predictProba(this.rowFeatures(rows));
  }

  /** Predicts numeric features, as the trainer does. */
  predict(X: FeatureInput): Float64Array {
    return this.trainer.predict(X);
  }

  /** An enum target's level names, indexed by predicted class; null for a numeric target. */
  get labels(): readonly string[] | null {
    return this.featurizer?.layout.targetLevels ?? null;
  }

  /** The features the trainer sees for raw rows (checked, encoded, imputed). */
  rowFeatures(rows: readonly unknown[]): FlatFeatures {
    return this.featurizeRows(rows).features;
  }

  /** The features the trainer sees for raw rows, with the missing values and unseen levels found per field (for a host's own monitoring). */
  featurizeRows(rows: readonly unknown[]): ServedRows {
    if (!this.featurizer) throw new FreshmlError("unsupported", "this model was trained on numeric batches: call predict(X) with its feature matrix");
    const f = this.featurizer;
    const raw = f.transformFeatures(f.readRows(rows));
    return { features: { X: f.impute(raw.X, raw.missing), cols: raw.cols }, counts: raw.counts };
  }
}

/** Raw rows as a served model reads them: see {@link ServingModel.featurizeRows}. */
export interface ServedRows {
  /** The features the trainer sees (checked, encoded, imputed). */
  readonly features: FlatFeatures;
  /** Per field with missing values or unseen levels in these rows, their counts (empty when none). */
  readonly counts: readonly FieldCount[];
}

/** A trainer, featurizer, version and tags read from a stored version, restoring its trainer with `registry`. */
export function servingModelParts(record: ModelRecord, registry: TrainerRegistry): ConstructorParameters<typeof ServingModelBase> {
  const trainer = restoreWith(record.trainer, registry);
  const featurizer = record.preprocessing === undefined || record.preprocessing === null ? null : Featurizer.fromJSON(record.preprocessing);
  return [trainer, featurizer, record.version, { ...(record.tags ?? {}) }];
}
