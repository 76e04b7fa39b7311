import type { FeatureInput, FlatFeatures } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { builtinTrainers, restoreTrainer, type TrainerRegistry } from "../learners/registry.js";
import { isClassifier, type Trainer } from "../learners/trainer.js";
import { Featurizer, type FieldCount } from "../preprocessing/featurizer.js";
import type { ModelRecord, ModelStore } from "../store/model-store.js";

/**
 * A model ready to serve: a trainer and, for models trained on row objects,
 * the featurizer it was trained with (fields, enum level order and one-hot
 * encoding, missing-value strategies and their statistics, unseen-level
 * policies). `predictRows` takes raw row objects and needs no featurisation
 * code in the host; it gives exactly the pipeline's predictions, including for
 * rows with missing values or enum levels the schema did not declare.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { Pipeline, LinearRegression, MemoryModelStore, loadModel } from "freshml";
 * const Row = z.object({ temp: z.number().optional(), day: z.enum(["wk", "we"]), load: z.number() });
 * const store = new MemoryModelStore();
 * const pipeline = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-6 }), store });
 * const batch = Array.from({ length: 40 }, (_, i) => ({ temp: i, day: i % 3 ? "wk" : "we", load: 2 * i + (i % 3 ? 0 : 5) } as const));
 * await pipeline.runBatches([batch]);
 * const model = await loadModel(store, "model", "champion");
 * model.predictRows([{ temp: 10, day: "we" }, { day: "wk" }]); // ≈ [25, 39]: a missing temp is imputed with its mean (19.5)
 * model.featurizeRows([{ temp: 1, day: "holiday" }]).counts;  // [{ field: "day", missing: 0, unseen: 1, unseenLevels: ["holiday"] }]
 * ```
 */
export class ServingModel {
  constructor(
    /** The trainer. */
    readonly trainer: Trainer,
    /** The featurizer, or null for a model trained on numeric batches. */
    readonly featurizer: Featurizer | null,
    /** The stored version it was loaded from, or null. */
    readonly version: number | null = null,
  ) {}

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

  /** A serving model from a stored version. */
  static fromRecord(record: ModelRecord, registry: TrainerRegistry = builtinTrainers): ServingModel {
    const trainer = restoreTrainer(record.trainer, registry);
    const featurizer = record.preprocessing === undefined || record.preprocessing === null ? null : Featurizer.fromJSON(record.preprocessing);
    return new ServingModel(trainer, featurizer, record.version);
  }
}

/** Raw rows as a served model reads them: see {@link ServingModel.featurizeRows}. */
export interface ServedRows {
  /** The features the trainer sees (checked, encoded, imputed). */
  readonly features: FlatFeatures;
  /** Per field with missing values or unseen levels in these rows, their counts (empty when none). */
  readonly counts: readonly FieldCount[];
}

/**
 * Loads a stored version (by number or alias, e.g. `"champion"`) as a
 * {@link ServingModel}. Custom trainers need a registry that knows their kind.
 *
 * @example
 * ```ts
 * import { loadModel, MemoryModelStore, LinearRegression } from "freshml";
 * const store = new MemoryModelStore();
 * const m = new LinearRegression();
 * m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * await store.setAlias("m", "champion", await store.put({ name: "m", trainer: m.toJSON() }));
 * (await loadModel(store, "m", "champion")).predict([[3]]); // Float64Array [7]
 * ```
 */
export async function loadModel(store: ModelStore, name: string, ref: number | string = "champion", options: { registry?: TrainerRegistry } = {}): Promise<ServingModel> {
  return ServingModel.fromRecord(await store.get(name, ref), options.registry);
}
