import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { bool, count, finiteNumbers, num, object, positive, positiveInt } from "../core/json-checks.js";
import { checkLength, checkPredictions, makeEnvelope, notFitted, openEnvelope, stateInvariantError } from "./envelope.js";
import { allFinite, dot } from "../core/kernels.js";
import { linearScores } from "../core/wasm/gemv.js";
import type { LinearCoefficients } from "./linear-regression.js";
import type { Trainer, TrainerJSON } from "./trainer.js";

/** Parameters of {@link RecursiveLeastSquares}. */
export interface RecursiveLeastSquaresParams {
  /**
   * Forgetting factor λ in (0, 1]: a row seen k rows ago weighs λᵏ. 1 never
   * forgets (then the fit is ridge regression with penalty `l2` on every
   * coefficient); 0.999 remembers roughly the last 1,000 rows. Default 0.999.
   */
  forgetting: number;
  /** Initial precision: P₀ = I / l2. Acts as a ridge penalty that fades as λᵗ. Default 1e-3. */
  l2: number;
  /** Fit an intercept (as an extra, always-1 feature). Default true. */
  fitIntercept: boolean;
}

const paramsCheck = object({
  forgetting: num({ gt: 0, max: 1 }),
  l2: positive,
  fitIntercept: bool,
});
const stateCheck = object({
  d: positiveInt,
  n: count,
  w: finiteNumbers,
  P: finiteNumbers,
});

/**
 * Recursive least squares with an exponential forgetting factor: an exact,
 * row-by-row solution of the weighted least-squares problem in which older rows
 * count less, for streams whose relationship drifts. O(d²) per row, O(d²) memory.
 *
 * With `forgetting: 1` it equals ridge regression (penalty `l2` on all
 * coefficients including the intercept) on every row seen.
 *
 * @example
 * ```ts
 * import { RecursiveLeastSquares } from "freshml";
 * const rls = new RecursiveLeastSquares({ forgetting: 0.99 });
 * rls.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * rls.predict([[3]]); // ≈ Float64Array [7]
 * ```
 */
export class RecursiveLeastSquares implements Trainer {
  readonly kind = "RecursiveLeastSquares";
  readonly task = "regression" as const;
  readonly params: Readonly<RecursiveLeastSquaresParams>;
  private d: number | undefined;
  private n = 0;
  /** Weights; the last entry is the intercept when fitIntercept. */
  private w: Float64Array | null = null;
  /** Inverse of the weighted information matrix, (d+1)² row-major. */
  private P: Float64Array | null = null;

  constructor(params: Partial<RecursiveLeastSquaresParams> = {}) {
    const { forgetting = 0.999, l2 = 1e-3, fitIntercept = true } = params;
    checkParam(typeof forgetting === "number" && forgetting > 0 && forgetting <= 1, "forgetting", "in (0, 1]", forgetting);
    checkParam(typeof l2 === "number" && Number.isFinite(l2) && l2 > 0, "l2", "a finite number > 0", l2);
    checkParam(typeof fitIntercept === "boolean", "fitIntercept", "a boolean", fitIntercept);
    this.params = Object.freeze({ forgetting, l2, fitIntercept });
  }

  get nFeatures(): number | undefined {
    return this.d;
  }

  get nSeen(): number {
    return this.n;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.d);
    const p = b.cols + (this.params.fitIntercept ? 1 : 0);
    // Work on copies and swap at the end, so an overflow leaves the model as it was.
    const w = this.w ? this.w.slice() : new Float64Array(p);
    const P = this.P ? this.P.slice() : identityOver(p, this.params.l2);
    const x = new Float64Array(p);
    const Px = new Float64Array(p);
    const lambda = this.params.forgetting;
    const invLambda = 1 / lambda;
    if (this.params.fitIntercept) x[p - 1] = 1;
    for (let i = 0; i < b.rows; i++) {
      x.set(b.X.subarray(i * b.cols, (i + 1) * b.cols));
      for (let r = 0; r < p; r++) Px[r] = dot(P, r * p, x, 0, p);
      const denom = lambda + dot(x, 0, Px, 0, p);
      const err = b.y[i]! - dot(w, 0, x, 0, p);
      const g = err / denom;
      for (let r = 0; r < p; r++) w[r]! += Px[r]! * g;
      // P ← (P − Px·Pxᵀ/denom)/λ, symmetric: update the upper triangle and mirror.
      for (let r = 0; r < p; r++) {
        const a = Px[r]! / denom;
        const o = r * p;
        for (let c = r; c < p; c++) {
          const v = (P[o + c]! - a * Px[c]!) * invLambda;
          P[o + c] = v;
          P[c * p + r] = v;
        }
      }
    }
    if (!allFinite(w) || !allFinite(P)) {
      throw new FreshmlError("diverged", "recursive least squares overflowed on this batch; the model is unchanged", {});
    }
    // P must stay positive definite; a diagonal entry at or below 0 means rounding has destroyed it
    // (features so large that P − Px·Pxᵀ/denom cancels), and restore would refuse such a state.
    for (let r = 0; r < p; r++) {
      if (!(P[r * p + r]! > 0)) {
        throw new FreshmlError("diverged", "recursive least squares lost precision on this batch (P is no longer positive definite: features too large?); the model is unchanged", {
          column: r,
        });
      }
    }
    this.d = b.cols;
    this.w = w;
    this.P = P;
    this.n += b.rows;
  }

  predict(X: FeatureInput): Float64Array {
    if (!this.w || this.d === undefined) throw notFitted(this.kind);
    const f = readFeatures(X, this.d);
    const out = new Float64Array(f.rows);
    const b = this.params.fitIntercept ? this.w[f.cols]! : 0;
    linearScores(f.X, f.rows, f.cols, this.w, [b], 1, out);
    checkPredictions(out, this.kind);
    return out;
  }

  /** Current weights and intercept. */
  coefficients(): LinearCoefficients {
    if (!this.w || this.d === undefined) throw notFitted(this.kind);
    return { weights: this.w.slice(0, this.d), intercept: this.params.fitIntercept ? this.w[this.d]! : 0 };
  }

  toJSON(): TrainerJSON {
    return makeEnvelope(
      this.kind,
      this.params,
      this.w && this.P && this.d !== undefined ? { d: this.d, n: this.n, w: Array.from(this.w), P: Array.from(this.P) } : null,
    );
  }

  /** Restores from {@link RecursiveLeastSquares.toJSON} output. */
  static fromJSON(json: unknown): RecursiveLeastSquares {
    const { params, state } = openEnvelope(json, "RecursiveLeastSquares", paramsCheck, stateCheck);
    const m = new RecursiveLeastSquares(params);
    if (state) {
      const p = state.d + (params.fitIntercept ? 1 : 0);
      checkLength("w", state.w, p);
      checkLength("P", state.P, p * p);
      // P is the inverse of a (weighted, ridge-regularised) XᵀX: symmetric with a positive diagonal.
      for (let r = 0; r < p; r++) {
        if (!(state.P[r * p + r]! > 0)) throw stateInvariantError("RecursiveLeastSquares", `P[${r},${r}]`, "is not positive (P is positive definite)", state.P[r * p + r]);
        for (let c = r + 1; c < p; c++) {
          if (state.P[r * p + c] !== state.P[c * p + r]) throw stateInvariantError("RecursiveLeastSquares", `P[${r},${c}]`, `differs from P[${c},${r}] (P is symmetric)`, state.P[r * p + c]);
        }
      }
      m.d = state.d;
      m.n = state.n;
      m.w = Float64Array.from(state.w);
      m.P = Float64Array.from(state.P);
    }
    return m;
  }

  clone(): RecursiveLeastSquares {
    return new RecursiveLeastSquares(this.params);
  }

  copy(): RecursiveLeastSquares {
    const c = this.clone();
    c.d = this.d;
    c.n = this.n;
    c.w = this.w && this.w.slice();
    c.P = this.P && this.P.slice();
    return c;
  }
}

function identityOver(p: number, l2: number): Float64Array {
  const P = new Float64Array(p * p);
  for (let r = 0; r < p; r++) P[r * p + r] = 1 / l2;
  return P;
}
