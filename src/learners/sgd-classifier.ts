import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { array, labels, nonNegative, object, optional } from "../core/json-checks.js";
import { ClassIndex, argmaxLabels, checkClasses } from "./classes.js";
import { checkPredictions, makeEnvelope, notFitted, openEnvelope } from "./envelope.js";
import { balancedClassWeights, classWeightCheck, classWeightJSON, normaliseClassWeight, type ClassWeight } from "./class-weight.js";
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
  sigmoid,
  stepSize,
  type SGDParams,
  type SGDStateJSON,
} from "./sgd-common.js";
import { checkColumnKinds } from "./standardize.js";
import type { ColumnKind, Classifier, TrainerJSON } from "./trainer.js";

/** Parameters of {@link SGDClassifier}. */
export interface SGDClassifierParams extends SGDParams {
  /** The labels, declared up front; a label outside them is an `unknown_class` error. */
  classes: readonly number[];
  /**
   * Per-class loss weights, as in {@link LogisticRegression}: `"balanced"`
   * (n / (k · n_c) from the class counts of every row learned so far, this
   * batch included; scikit-learn's `partial_fit` refuses "balanced"), a record
   * label → weight, or `null` (default, all 1). A class weight scales the loss
   * gradient, not the L2 shrink, as scikit-learn does.
   */
  classWeight: ClassWeight;
}

const stateCheck = object({ ...sgdStateCheck.shape, counts: optional(array(nonNegative)) });
const paramsCheck = object({
  ...sgdParamsShape,
  classes: labels,
  // Optional so envelopes written before classWeight existed still restore.
  classWeight: optional(classWeightCheck),
});

/**
 * Logistic regression by stochastic gradient descent: binary logistic for two
 * classes, multinomial (softmax) for more. One pass per batch: O(b·d·k) time,
 * O(d·k) memory. Defaults follow scikit-learn's `SGDClassifier(loss="log_loss")`
 * (alpha 1e-4, the `optimal` schedule); unlike scikit-learn, more than two
 * classes use one softmax model rather than one-vs-rest.
 *
 * @example
 * ```ts
 * import { SGDClassifier } from "freshml";
 * const clf = new SGDClassifier({ classes: [0, 1], seed: 7 });
 * for (let epoch = 0; epoch < 20; epoch++) clf.update({ X: [[-2], [-1], [1], [2]], y: [0, 0, 1, 1] });
 * clf.predict([[-3], [3]]); // Float64Array [0, 1]
 * ```
 */
export class SGDClassifier implements Classifier {
  readonly kind = "SGDClassifier";
  readonly task = "classification" as const;
  readonly params: Readonly<SGDClassifierParams>;
  readonly classes: readonly number[];
  private state: SGDState | null = null;
  private readonly index: ClassIndex;
  private readonly k: number; // weight rows: 1 for binary, classes for softmax
  private readonly t0: number;
  private scratch = { order: new Uint32Array(0), X: new Float64Array(0) };
  // Column kinds from describeColumns (a pipeline's featurizer), applied when the scaler is made.
  private kinds: readonly ColumnKind[] | null = null;
  private logits = new Float64Array(0);
  private readonly fixedWeights: Float64Array | null;
  // Rows seen per class (only with classWeight "balanced"); outside the SGD state so its JSON is unchanged.
  private counts: Float64Array | null = null;

  constructor(params: Partial<SGDClassifierParams> & { classes: readonly number[] }) {
    const { classes, classWeight = null, ...rest } = params ?? ({} as SGDClassifierParams);
    this.classes = checkClasses(classes);
    const cw = normaliseClassWeight(classWeight, this.classes);
    this.fixedWeights = cw.weights;
    this.params = Object.freeze({ ...sgdParams(rest, "optimal"), classes: this.classes, classWeight: cw.param });
    this.index = new ClassIndex(this.classes);
    this.k = this.classes.length === 2 ? 1 : this.classes.length;
    this.logits = new Float64Array(this.k);
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
    const weighted = this.params.classWeight !== null;
    const fused = this.k === 1 && this.params.learningRate !== "adagrad" && !weighted;
    const b = readBatch(batch, this.state?.d, { deferFiniteCheck: fused });
    const yi = this.index.indexAll(b.y);
    let counts = this.counts;
    let cw = this.fixedWeights;
    if (this.params.classWeight === "balanced") {
      counts = counts ? counts.slice() : new Float64Array(this.classes.length);
      for (let i = 0; i < b.rows; i++) counts[yi[i]!]!++;
      cw = balancedClassWeights(counts);
    }
    const p = this.params;
    const st = this.state ? this.state.copy() : SGDState.fresh(b.cols, this.k, p, this.kinds);
    const { order, X } = preparePass(st, p, b.X, b.rows, this.scratch);
    const d = st.d;
    const k = this.k;
    let t = st.t;
    if (k === 1 && st.G === null && cw === null) {
      const ok = plainPass(st, p, X, order, b.rows, this.t0, PassLoss.Logistic, yi, 0);
      if (!ok) passFailed(b.X, b.cols, p);
      t = st.t;
    } else if (k === 1) {
      for (let r = 0; r < b.rows; r++) {
        const i = order[r]!;
        const o = i * d;
        const z = st.b[0]! + dot(st.w, 0, X, o, d);
        const g = (cw === null ? 1 : cw[yi[i]!]!) * (sigmoid(z) - (yi[i] === 1 ? 1 : 0));
        stepRow(st, p, 0, X, o, g, stepSize(p, t, this.t0));
        t++;
      }
    } else {
      const z = this.logits;
      for (let r = 0; r < b.rows; r++) {
        const i = order[r]!;
        const o = i * d;
        softmaxInto(st, X, o, z);
        const eta = stepSize(p, t, this.t0);
        const target = yi[i]!;
        const wt = cw === null ? 1 : cw[target]!;
        for (let c = 0; c < k; c++) stepRow(st, p, c, X, o, wt * (z[c]! - (c === target ? 1 : 0)), eta);
        t++;
      }
    }
    st.t = t;
    st.n += b.rows;
    if (!st.finite()) throw divergedError(p);
    this.state = st;
    this.counts = counts;
  }

  /** Row-major `rows × classes.length` probabilities. */
  predictProba(X: FeatureInput): Float64Array {
    const st = this.state;
    if (!st) throw notFitted(this.kind);
    const f = readFeatures(X, st.d);
    const rows = f.rows;
    const d = f.cols;
    const K = this.classes.length;
    const out = new Float64Array(rows * K);
    // With a scaler, rows are standardised chunk by chunk into the kernel's buffer (no full-size copy).
    const sc = st.scaler;
    const transform = sc ? (from: number, to: number, dst: Float64Array) => sc.transformInto(f.X.subarray(from * d, to * d), dst) : undefined;
    if (this.k === 1) {
      // Logits into the second half of `out`, then probabilities pairwise from the front: row i's
      // pair (2i, 2i + 1) never passes logit rows + i, read just before, nor any later one.
      linearScores(f.X, rows, d, st.w, st.b, 1, out.subarray(rows), transform);
      for (let i = 0; i < rows; i++) {
        const p1 = sigmoid(out[rows + i]!);
        out[2 * i] = 1 - p1;
        out[2 * i + 1] = p1;
      }
    } else {
      // Logits in place, then a softmax per row as softmaxInto computes it; the largest logit's
      // term is exp(0) = 1 exactly (when finite), so it needs no call to exp.
      linearScores(f.X, rows, d, st.w, st.b, K, out, transform);
      for (let o = 0; o < out.length; o += K) {
        let max = -Infinity;
        for (let c = 0; c < K; c++) if (out[o + c]! > max) max = out[o + c]!;
        const finite = max - max === 0;
        let sum = 0;
        for (let c = 0; c < K; c++) {
          const v = out[o + c]!;
          const e = finite && v === max ? 1 : Math.exp(v - max);
          out[o + c] = e;
          sum += e;
        }
        for (let c = 0; c < K; c++) out[o + c]! /= sum;
      }
    }
    checkPredictions(out, this.kind, K);
    return out;
  }

  /** The most probable label per row. */
  predict(X: FeatureInput): Float64Array {
    const proba = this.predictProba(X);
    const K = this.classes.length;
    return argmaxLabels(proba, proba.length / K, K, this.classes);
  }

  toJSON(): TrainerJSON {
    const state = this.state && (this.counts ? { ...this.state.toJSON(), counts: Array.from(this.counts) } : this.state.toJSON());
    return makeEnvelope(this.kind, { ...this.params, classes: this.classes.slice(), classWeight: classWeightJSON(this.params.classWeight) }, state);
  }

  /** Restores from {@link SGDClassifier.toJSON} output. */
  static fromJSON(json: unknown): SGDClassifier {
    const { params, state } = openEnvelope(json, "SGDClassifier", paramsCheck, stateCheck);
    const m = new SGDClassifier(params as Partial<SGDClassifierParams> & { classes: number[] });
    if (state) {
      m.state = SGDState.fromJSON(state, m.k, m.params);
      if (m.params.classWeight === "balanced") {
        const counts = state.counts;
        if (!counts || counts.length !== m.classes.length) {
          throw new FreshmlError("invalid_state", `a balanced SGDClassifier state needs ${m.classes.length} class counts`);
        }
        m.counts = Float64Array.from(counts);
      }
    }
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

  clone(): SGDClassifier {
    const c = new SGDClassifier(this.params);
    c.kinds = this.kinds;
    return c;
  }

  copy(): SGDClassifier {
    const c = this.clone();
    c.state = this.state && this.state.copy();
    c.counts = this.counts && this.counts.slice();
    return c;
  }
}


/** Softmax of the k logits of row offset `o` into `z`. */
function softmaxInto(st: SGDState, X: Float64Array, o: number, z: Float64Array): void {
  const k = st.k;
  const d = st.d;
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    const v = st.b[c]! + dot(st.w, c * d, X, o, d);
    z[c] = v;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(z[c]! - max);
    z[c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) z[c]! /= sum;
}
