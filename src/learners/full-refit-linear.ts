import MultivariateLinearRegression from "ml-regression-multivariate-linear";
import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { finite, finiteNumbers, nullable, object, positiveInt } from "../core/json-checks.js";
import { checkPredictions, makeEnvelope, notFitted, openEnvelope } from "./envelope.js";
import { allFinite, dot } from "../core/kernels.js";
import { RetainedRows } from "./retained-rows.js";
import type { Trainer, TrainerJSON } from "./trainer.js";

/** Parameters of {@link FullRefitLinearRegression}. */
export interface FullRefitParams {
  /** Keep at most this many of the newest rows (null: keep every row). Default null. */
  maxRows: number | null;
}

const paramsCheck = object({ maxRows: nullable(positiveInt) });
const stateCheck = object({
  d: positiveInt,
  X: finiteNumbers,
  y: finiteNumbers,
  weights: finiteNumbers,
  intercept: finite,
});

/** Checks the shared `maxRows` parameter. */
export function fullRefitParams(p: Partial<FullRefitParams>): FullRefitParams {
  const { maxRows = null } = p;
  checkParam(maxRows === null || (Number.isInteger(maxRows) && maxRows > 0), "maxRows", "a positive integer or null", maxRows);
  return { maxRows };
}

/**
 * The honest baseline: keeps the rows it has seen and refits
 * ml-regression's `MultivariateLinearRegression` from scratch after every
 * batch. Update costs O(n·d²) for n rows retained, so a run over n batches is
 * O(n²) — the cost that incremental learners remove. Use it to measure that
 * gap, or for models that cannot learn incrementally.
 *
 * @example
 * ```ts
 * import { FullRefitLinearRegression } from "freshml";
 * const m = new FullRefitLinearRegression();
 * m.update({ X: [[0], [1]], y: [1, 3] });
 * m.update({ X: [[2]], y: [5] });
 * m.predict([[3]]); // ≈ Float64Array [7]
 * ```
 */
export class FullRefitLinearRegression implements Trainer {
  readonly kind = "FullRefitLinearRegression";
  readonly task = "regression" as const;
  readonly params: Readonly<FullRefitParams>;
  private data: RetainedRows | null = null;
  private weights = new Float64Array(0);
  private intercept = 0;

  constructor(params: Partial<FullRefitParams> = {}) {
    this.params = Object.freeze(fullRefitParams(params));
  }

  get nFeatures(): number | undefined {
    return this.data?.cols;
  }

  get nSeen(): number {
    return this.data?.rows ?? 0;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.data?.cols);
    const data = this.data ? this.data.copy() : new RetainedRows(b.cols, this.params.maxRows);
    data.append(b);
    this.refit(data);
  }

  /** Removes a batch learned earlier (its rows must still be retained) and refits. */
  forget(batch: Batch): void {
    if (!this.data) throw notFitted(this.kind);
    const b = readBatch(batch, this.data.cols);
    const data = this.data.copy();
    data.removeBlock(b);
    if (data.rows === 0) {
      this.data = null;
      return;
    }
    this.refit(data);
  }

  predict(X: FeatureInput): Float64Array {
    if (!this.data) throw notFitted(this.kind);
    const f = readFeatures(X, this.data.cols);
    const out = new Float64Array(f.rows);
    for (let i = 0; i < f.rows; i++) out[i] = this.intercept + dot(f.X, i * f.cols, this.weights, 0, f.cols);
    checkPredictions(out, this.kind);
    return out;
  }

  toJSON(): TrainerJSON {
    const r = this.data;
    return makeEnvelope(this.kind, this.params, r && { d: r.cols, ...r.toJSON(), weights: Array.from(this.weights), intercept: this.intercept });
  }

  /** Restores from {@link FullRefitLinearRegression.toJSON} output. */
  static fromJSON(json: unknown): FullRefitLinearRegression {
    const { params, state } = openEnvelope(json, "FullRefitLinearRegression", paramsCheck, stateCheck);
    const m = new FullRefitLinearRegression(params);
    if (state) {
      m.data = RetainedRows.from(state.d, params.maxRows, state.X, state.y);
      if (state.weights.length !== state.d) throw new FreshmlError("invalid_state", "weights length differs from d");
      m.weights = Float64Array.from(state.weights);
      m.intercept = state.intercept;
    }
    return m;
  }

  clone(): FullRefitLinearRegression {
    return new FullRefitLinearRegression(this.params);
  }

  copy(): FullRefitLinearRegression {
    const c = this.clone();
    c.data = this.data && this.data.copy();
    c.weights = this.weights.slice();
    c.intercept = this.intercept;
    return c;
  }

  private refit(data: RetainedRows): void {
    const { X, y } = data.toArrays();
    let mlr: MultivariateLinearRegression;
    try {
      mlr = new MultivariateLinearRegression(X, y.map((v) => [v]), { intercept: true, statistics: false });
    } catch (err) {
      throw new FreshmlError("singular_system", `the refit failed (${err instanceof Error ? err.message : String(err)}); the model is unchanged`, { rows: data.rows });
    }
    const weights = new Float64Array(data.cols);
    for (let j = 0; j < data.cols; j++) weights[j] = mlr.weights[j]![0]!;
    const intercept = mlr.weights[data.cols]![0]!;
    if (!allFinite(weights) || !Number.isFinite(intercept)) {
      throw new FreshmlError("singular_system", "the refit gave non-finite weights; the model is unchanged");
    }
    this.data = data;
    this.weights = weights;
    this.intercept = intercept;
  }
}
