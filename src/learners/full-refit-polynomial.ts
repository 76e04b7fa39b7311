import { PolynomialRegression } from "ml-regression-polynomial";
import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { finiteNumbers, nullable, object, positiveInt } from "../core/json-checks.js";
import { checkPredictions, makeEnvelope, notFitted, openEnvelope } from "./envelope.js";
import { allFinite } from "../core/kernels.js";
import { RetainedRows } from "./retained-rows.js";
import { fullRefitParams, type FullRefitParams } from "./full-refit-linear.js";
import type { Trainer, TrainerJSON } from "./trainer.js";

/** Parameters of {@link FullRefitPolynomialRegression}. */
export interface FullRefitPolynomialParams extends FullRefitParams {
  /** Polynomial degree. Default 2. */
  degree: number;
}

const paramsCheck = object({ maxRows: nullable(positiveInt), degree: positiveInt });
const stateCheck = object({ X: finiteNumbers, y: finiteNumbers, coefficients: finiteNumbers });

/**
 * Full-refit polynomial regression on one feature, wrapping ml-regression's
 * `PolynomialRegression`: retains rows and refits from scratch after every
 * batch (O(n) per batch, O(n²) per run).
 *
 * @example
 * ```ts
 * import { FullRefitPolynomialRegression } from "freshml";
 * const m = new FullRefitPolynomialRegression({ degree: 2 });
 * m.update({ X: [[0], [1], [2], [3]], y: [1, 2, 5, 10] }); // y = x² + 1
 * m.predict([[4]]); // ≈ Float64Array [17]
 * ```
 */
export class FullRefitPolynomialRegression implements Trainer {
  readonly kind = "FullRefitPolynomialRegression";
  readonly task = "regression" as const;
  readonly params: Readonly<FullRefitPolynomialParams>;
  private data: RetainedRows | null = null;
  private coefficients = new Float64Array(0); // ascending powers 0..degree

  constructor(params: Partial<FullRefitPolynomialParams> = {}) {
    const { degree = 2, ...rest } = params;
    checkParam(Number.isInteger(degree) && degree >= 1 && degree <= 20, "degree", "an integer in [1, 20]", degree);
    this.params = Object.freeze({ ...fullRefitParams(rest), degree });
  }

  get nFeatures(): number | undefined {
    return this.data ? 1 : undefined;
  }

  get nSeen(): number {
    return this.data?.rows ?? 0;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, 1);
    const data = this.data ? this.data.copy() : new RetainedRows(1, this.params.maxRows);
    data.append(b);
    this.refit(data);
  }

  forget(batch: Batch): void {
    if (!this.data) throw notFitted(this.kind);
    const b = readBatch(batch, 1);
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
    const f = readFeatures(X, 1);
    const out = new Float64Array(f.rows);
    const c = this.coefficients;
    for (let i = 0; i < f.rows; i++) {
      const x = f.X[i]!;
      let v = 0;
      for (let p = c.length - 1; p >= 0; p--) v = v * x + c[p]!; // Horner
      out[i] = v;
    }
    checkPredictions(out, this.kind);
    return out;
  }

  toJSON(): TrainerJSON {
    const r = this.data;
    return makeEnvelope(this.kind, this.params, r && { ...r.toJSON(), coefficients: Array.from(this.coefficients) });
  }

  /** Restores from {@link FullRefitPolynomialRegression.toJSON} output. */
  static fromJSON(json: unknown): FullRefitPolynomialRegression {
    const { params, state } = openEnvelope(json, "FullRefitPolynomialRegression", paramsCheck, stateCheck);
    const m = new FullRefitPolynomialRegression(params);
    if (state) {
      if (state.coefficients.length !== params.degree + 1) throw new FreshmlError("invalid_state", "coefficient count differs from degree + 1");
      m.data = RetainedRows.from(1, params.maxRows, state.X, state.y);
      m.coefficients = Float64Array.from(state.coefficients);
    }
    return m;
  }

  clone(): FullRefitPolynomialRegression {
    return new FullRefitPolynomialRegression(this.params);
  }

  copy(): FullRefitPolynomialRegression {
    const c = this.clone();
    c.data = this.data && this.data.copy();
    c.coefficients = this.coefficients.slice();
    return c;
  }

  private refit(data: RetainedRows): void {
    const { X, y } = data.toArrays();
    if (data.rows <= this.params.degree) {
      throw new FreshmlError("singular_system", `a degree-${this.params.degree} polynomial needs more than ${this.params.degree} rows, got ${data.rows}`, {
        rows: data.rows,
      });
    }
    let fit: PolynomialRegression;
    try {
      fit = new PolynomialRegression(X.map((r) => r[0]!), y, this.params.degree);
    } catch (err) {
      throw new FreshmlError("singular_system", `the refit failed (${err instanceof Error ? err.message : String(err)}); the model is unchanged`, { rows: data.rows });
    }
    const coefficients = new Float64Array(this.params.degree + 1);
    fit.powers.forEach((p, i) => (coefficients[p] = fit.coefficients[i]!));
    if (!allFinite(coefficients)) {
      throw new FreshmlError("singular_system", "the polynomial refit gave non-finite coefficients; the model is unchanged");
    }
    this.data = data;
    this.coefficients = coefficients;
  }
}
