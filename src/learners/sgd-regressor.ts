import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { object, oneOf, positive } from "../core/json-checks.js";
import { checkPredictions, makeEnvelope, notFitted, openEnvelope } from "./envelope.js";
import { dot } from "../core/kernels.js";
import { linearScores } from "../core/wasm/gemv.js";
import {
  SGDState,
  describeSgdColumns,
  divergedError,
  optimalT0,
  passFailed,
  PassLoss,
  plainPass,
  preparePass,
  sgdParams,
  sgdParamsShape,
  sgdStateCheck,
  stepRow,
  stepSize,
  type SGDParams,
  type SGDStateJSON,
} from "./sgd-common.js";
import { checkColumnKinds } from "./standardize.js";
import type { LinearCoefficients } from "./linear-regression.js";
import type { ColumnKind, Trainer, TrainerJSON } from "./trainer.js";

/** Parameters of {@link SGDRegressor}. */
export interface SGDRegressorParams extends SGDParams {
  /** `squared` error or `huber` (squared within `epsilon`, linear beyond: robust to outliers). Default `squared`. */
  loss: "squared" | "huber";
  /** Huber threshold. Default 0.1, as scikit-learn. */
  epsilon: number;
}

const paramsCheck = object({ ...sgdParamsShape, loss: oneOf(["squared", "huber"]), epsilon: positive });

/**
 * Linear regression by stochastic gradient descent: one pass over each batch,
 * O(b·d) per batch and O(d) memory. Defaults follow scikit-learn's
 * `SGDRegressor` (alpha 1e-4, invscaling with eta0 0.01 and powerT 0.25).
 *
 * @example
 * ```ts
 * import { SGDRegressor } from "freshml";
 * const sgd = new SGDRegressor({ learningRate: "constant", eta0: 0.05, seed: 1 });
 * for (let epoch = 0; epoch < 200; epoch++) sgd.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * sgd.predict([[3]]); // ≈ Float64Array [7]
 * ```
 */
export class SGDRegressor implements Trainer {
  readonly kind = "SGDRegressor";
  readonly task = "regression" as const;
  readonly params: Readonly<SGDRegressorParams>;
  private state: SGDState | null = null;
  private readonly t0: number;
  private scratch = { order: new Uint32Array(0), X: new Float64Array(0) };
  // Column kinds from describeColumns (a pipeline's featurizer), applied when the scaler is made.
  private kinds: readonly ColumnKind[] | null = null;

  constructor(params: Partial<SGDRegressorParams> = {}) {
    const { loss = "squared", epsilon = 0.1, ...rest } = params;
    checkParam(loss === "squared" || loss === "huber", "loss", "squared or huber", loss);
    checkParam(typeof epsilon === "number" && Number.isFinite(epsilon) && epsilon > 0, "epsilon", "a finite number > 0", epsilon);
    this.params = Object.freeze({ ...sgdParams(rest, "invscaling"), loss, epsilon });
    this.t0 = this.params.alpha > 0 ? optimalT0(this.params.alpha) : 1;
  }

  get nFeatures(): number | undefined {
    return this.state?.d;
  }

  get nSeen(): number {
    return this.state?.n ?? 0;
  }

  update(batch: Batch): void {
    // The plain pass detects non-finite features itself (see plainPass), saving a scan.
    const fused = this.params.learningRate !== "adagrad";
    const b = readBatch(batch, this.state?.d, { deferFiniteCheck: fused });
    const p = this.params;
    // Learn on a copy and swap it in only if every weight stays finite.
    const st = this.state ? this.state.copy() : SGDState.fresh(b.cols, 1, p, this.kinds);
    const { order, X } = preparePass(st, p, b.X, b.rows, this.scratch);
    const d = st.d;
    const y = b.y;
    const huber = p.loss === "huber";
    const eps = p.epsilon;
    if (st.G === null) {
      const ok = plainPass(st, p, X, order, b.rows, this.t0, huber ? PassLoss.Huber : PassLoss.Squared, y, eps);
      if (!ok) passFailed(b.X, b.cols, p);
    } else {
      let t = st.t;
      for (let r = 0; r < b.rows; r++) {
        const i = order[r]!;
        const o = i * d;
        const resid = st.b[0]! + dot(st.w, 0, X, o, d) - y[i]!;
        const g = huber ? (resid > eps ? eps : resid < -eps ? -eps : resid) : resid;
        stepRow(st, p, 0, X, o, g, stepSize(p, t, this.t0));
        t++;
      }
      st.t = t;
    }
    st.n += b.rows;
    if (!st.finite()) throw divergedError(p);
    this.state = st;
  }

  predict(X: FeatureInput): Float64Array {
    const st = this.state;
    if (!st) throw notFitted(this.kind);
    const f = readFeatures(X, st.d);
    const out = new Float64Array(f.rows);
    // With a scaler, rows are standardised chunk by chunk into the kernel's buffer (no full-size copy).
    const sc = st.scaler;
    const d = f.cols;
    linearScores(f.X, f.rows, d, st.w, st.b, 1, out, sc ? (from, to, dst) => sc.transformInto(f.X.subarray(from * d, to * d), dst) : undefined);
    checkPredictions(out, this.kind);
    return out;
  }

  /** Current weights and intercept (in standardised units when `standardize`). */
  coefficients(): LinearCoefficients {
    if (!this.state) throw notFitted(this.kind);
    return { weights: this.state.w.slice(), intercept: this.state.b[0]! };
  }

  toJSON(): TrainerJSON {
    return makeEnvelope(this.kind, this.params, this.state && this.state.toJSON());
  }

  /** Restores from {@link SGDRegressor.toJSON} output. */
  static fromJSON(json: unknown): SGDRegressor {
    const { params, state } = openEnvelope(json, "SGDRegressor", paramsCheck, sgdStateCheck);
    const m = new SGDRegressor(params);
    if (state) m.state = SGDState.fromJSON(state, 1, m.params);
    return m;
  }

  /**
   * Declares each feature column's kind (a pipeline calls this with its
   * featurizer's kinds before the first batch). With `standardize`, columns
   * declared `"binary"` (one-hot levels, 0/1 flags) are left unscaled, and
   * that choice is kept in the saved state. After learning, the same
   * declaration is accepted again (a resumed pipeline) and a different one
   * is `invalid_params`. Without `standardize` it has no effect.
   */
  describeColumns(kinds: readonly ColumnKind[]): void {
    this.kinds = describeSgdColumns(this.kind, this.params, this.state, checkColumnKinds(kinds));
  }

  clone(): SGDRegressor {
    const c = new SGDRegressor(this.params);
    c.kinds = this.kinds;
    return c;
  }

  copy(): SGDRegressor {
    const c = this.clone();
    c.state = this.state && this.state.copy();
    return c;
  }
}
