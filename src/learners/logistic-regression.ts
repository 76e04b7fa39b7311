import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { bool, count, finiteNumbers, labels, literal, nonNegative, object, optional, positive, positiveInt, unknownValue } from "../core/json-checks.js";
import { allFinite } from "../core/kernels.js";
import { ftrlKernel, type FtrlKernel } from "../core/wasm/ftrl.js";
import { ClassIndex, argmaxLabels, checkClasses } from "./classes.js";
import { balancedClassWeights, classWeightCheck, classWeightJSON, normaliseClassWeight, type ClassWeight } from "./class-weight.js";
import { checkCounts, checkLength, checkPredictions, makeEnvelope, notFitted, openEnvelope, stateInvariantError } from "./envelope.js";
import type { OnlineStandardScaler } from "../preprocessing/standard-scaler.js";
import { checkColumnKinds, describeScaledColumns, freshScaler, normaliseStandardize, restoreScaler, standardizeCheck, type StandardizeOptions } from "./standardize.js";
import type { Classifier, ColumnKind, TrainerJSON } from "./trainer.js";

export type { ClassWeight } from "./class-weight.js";

/** Parameters of {@link LogisticRegression}. */
export interface LogisticRegressionParams {
  /** The labels, declared up front; a label outside them is an `unknown_class` error. */
  classes: readonly number[];
  /** The optimiser. Only `"ftrl"` (FTRL-Proximal, McMahan et al. 2013) for now. */
  solver: "ftrl";
  /**
   * FTRL's α: the per-coordinate learning rate is α / (β + √Σg²). Not a penalty
   * (unlike {@link SGDClassifier}'s `alpha`). Default 0.5, Vowpal Wabbit's `--ftrl` default.
   */
  alpha: number;
  /** FTRL's β, smoothing the first steps of each coordinate. Default 1 (the paper's, River's and VW's). */
  beta: number;
  /** L1 penalty on the weights (not the intercept): weights with |z| ≤ l1 are exactly 0. Default 0. */
  l1: number;
  /**
   * L2 penalty on the weights (not the intercept), weighed against the summed
   * loss of all rows learned so far, so one pass matches scikit-learn's
   * `LogisticRegression(C = 1 / l2)` and E passes over the same rows match
   * C = E / l2. Default 1 (River's default; scikit-learn's default C = 1).
   */
  l2: number;
  /**
   * L2 penalty per row learned (scikit-learn's SGD `alpha` convention): after t
   * rows the penalty is ½·l2PerRow·t·‖w‖², growing with the data, so E passes
   * over n rows match `LogisticRegression(C = 1 / (l2PerRow · n))` whatever E
   * is. Use it to fit a fixed data set with many passes (`l2` there converges
   * to a biased point, since it is at full strength from the first row). Default 0.
   */
  l2PerRow: number;
  /** Learn an (unpenalised) intercept. Default true. */
  fitIntercept: boolean;
  /** Per-class loss weights. Default `null` (all 1). */
  classWeight: ClassWeight;
  /**
   * Keep an online standard scaler in the state and learn on standardised
   * features, as {@link SGDClassifier}'s `standardize`. Default `true`: in a
   * pipeline the featurizer declares its one-hot, boolean and missing-indicator
   * columns binary (`describeColumns`) and they stay as they are, so only
   * numeric columns are scaled and rare levels are not blown up. Without a
   * pipeline every column is scaled unless listed in `{ skip: [...] }`; pass
   * `false` to learn on the raw columns (then {@link LogisticRegression.coefficients}
   * are in raw units, comparable with scikit-learn fitted on unscaled data).
   * States saved before this option existed restore as `false`.
   */
  standardize: boolean | StandardizeOptions;
}

/** The weights of a {@link LogisticRegression}, laid out as scikit-learn's `coef_` and `intercept_`. */
export interface LogisticCoefficients {
  /** Row-major weights: 1 × d for two classes (the weights of the second class), classes × d for more. */
  readonly coef: Float64Array;
  /** One intercept per weight row. */
  readonly intercept: Float64Array;
}

const paramsCheck = object({
  classes: labels,
  solver: literal("ftrl"),
  alpha: positive,
  beta: nonNegative,
  l1: nonNegative,
  l2: nonNegative,
  l2PerRow: nonNegative,
  fitIntercept: bool,
  classWeight: classWeightCheck,
  // Optional so envelopes written before standardize existed still restore (as false: they learned raw columns).
  standardize: optional(standardizeCheck),
});

const stateCheck = object({
  d: positiveInt,
  n: count,
  z: finiteNumbers,
  g2: finiteNumbers,
  counts: finiteNumbers,
  // Present with standardize (checked by restoreScaler).
  scaler: optional(unknownValue),
});

/**
 * FTRL state of k weight rows over d features plus one intercept each: the
 * paper's z and n (here g2 = Σg²) per coordinate, row-major k × (d + 1) with the
 * intercept last. `w` and `sq` (√g2) are derived from them, kept so a row costs
 * no more than one square root per non-zero feature.
 */
class FtrlState {
  n = 0;
  constructor(
    readonly d: number,
    readonly k: number,
    readonly z: Float64Array,
    readonly g2: Float64Array,
    readonly sq: Float64Array,
    readonly w: Float64Array,
    readonly counts: Float64Array,
    public scaler: OnlineStandardScaler | null,
  ) {}

  static fresh(d: number, k: number, classes: number, scaler: OnlineStandardScaler | null): FtrlState {
    const m = k * (d + 1);
    return new FtrlState(d, k, new Float64Array(m), new Float64Array(m), new Float64Array(m), new Float64Array(m), new Float64Array(classes), scaler);
  }

  copy(): FtrlState {
    const s = new FtrlState(this.d, this.k, this.z.slice(), this.g2.slice(), this.sq.slice(), this.w.slice(), this.counts.slice(),
      this.scaler && this.scaler.copy());
    s.n = this.n;
    return s;
  }
}

/**
 * The weight of one coordinate from its z and √Σg² (McMahan et al. 2013,
 * Alg. 1): 0 when |z| ≤ l1, else −(z − sgn(z)·l1) / ((β + √Σg²)/α + l2),
 * computed as / (base + √Σg²·(1/α)) with base = β/α + l2, the one form every
 * path uses, so a restored model recomputes bit-identical weights.
 */
function weightOf(z: number, sq: number, invAlpha: number, base: number, l1: number): number {
  if (l1 === 0) return -z / (base + sq * invAlpha); // no branch on z's sign: the hot loops' form
  if (z <= l1 && z >= -l1) return 0;
  return -(z > 0 ? z - l1 : z + l1) / (base + sq * invAlpha);
}

/**
 * Logistic regression learned online by FTRL-Proximal (McMahan et al., "Ad
 * click prediction: a view from the trenches", KDD 2013, Algorithm 1), the
 * method behind large-scale click prediction: binary logistic for two classes,
 * multinomial (softmax, one weight row per class) for more.
 *
 * Each coordinate has its own learning rate α / (β + √Σg²), so rare features
 * (one-hot levels) take large steps while common ones settle; a row costs
 * O(k·nnz(x)) and zero features are skipped. The intercept has its own adaptive
 * rate and is never penalised. L1 makes weights exactly zero; L2 is weighed
 * against the summed loss of all rows learned, so one pass over a stream
 * approaches scikit-learn's `LogisticRegression(C = 1 / l2)` refit on all of
 * it, and the probabilities are calibrated from the first batches.
 *
 * Defaults: α = 0.5, β = 1 (Vowpal Wabbit's `--ftrl`), l1 = 0, l2 = 1
 * (River's `FTRLProximal`), and `standardize: true`: an online scaler in the
 * state standardises numeric columns (each batch's statistics are learned
 * before the batch, predictions use those of the rows learned), since FTRL's
 * shared α and the L2 penalty assume comparable scales. In a pipeline the
 * featurizer's one-hot and boolean columns are left as they are; without one,
 * list such columns in `standardize: { skip }`. On Seattle's daily weather
 * (docs/learners.md) the defaults stay within 2 % of scikit-learn's
 * `LogisticRegression()` refit daily; the raw columns do not.
 * Rows are learned in the order given, so the model is deterministic.
 *
 * @example
 * ```ts
 * import { LogisticRegression } from "freshml";
 * const clf = new LogisticRegression({ classes: [0, 1] });
 * clf.update({ X: [[-2], [-1], [1], [2]], y: [0, 0, 1, 1] });
 * clf.predict([[-3], [3]]); // Float64Array [0, 1]
 * clf.predictProba([[3]]); // [P(0), P(1)], P(1) > 0.5
 * ```
 *
 * @example A rare class, three classes, weights by class frequency
 * ```ts
 * import { LogisticRegression } from "freshml";
 * const clf = new LogisticRegression({ classes: [0, 1, 2], classWeight: "balanced", l1: 0.01 });
 * clf.update({ X: [[0, 1], [0, 1], [0, 1], [1, 0], [2, 2]], y: [0, 0, 0, 1, 2] });
 * clf.classWeights(); // Float64Array [5/9, 5/3, 5/3] for the next batch
 * clf.coefficients().coef.length; // 3 classes × 2 features
 * ```
 *
 * @example Without a pipeline: a numeric column and two one-hot columns
 * ```ts
 * import { LogisticRegression } from "freshml";
 * // Scale column 0 (°C); leave the one-hot columns 1 and 2 as they are (a pipeline declares them itself).
 * const clf = new LogisticRegression({ classes: [0, 1], standardize: { skip: [1, 2] } });
 * clf.update({ X: [[31, 1, 0], [12, 0, 1], [25, 1, 0], [8, 0, 0]], y: [1, 0, 1, 0] });
 * clf.predict([[28, 1, 0]]); // Float64Array [1]
 * const raw = new LogisticRegression({ classes: [0, 1], standardize: false }); // coefficients in raw units
 * ```
 */
export class LogisticRegression implements Classifier {
  readonly kind = "LogisticRegression";
  readonly task = "classification" as const;
  readonly params: Readonly<LogisticRegressionParams>;
  readonly classes: readonly number[];
  private state: FtrlState | null = null;
  private readonly index: ClassIndex;
  private readonly k: number; // weight rows: 1 for binary, classes for softmax
  private readonly fixedWeights: Float64Array | null; // per class index, for a record classWeight
  private logits = new Float64Array(0);
  private scratch = { X: new Float64Array(0) };
  // Column kinds from describeColumns (a pipeline's featurizer), applied when the scaler is made.
  private kinds: readonly ColumnKind[] | null = null;

  constructor(params: Partial<LogisticRegressionParams> & { classes: readonly number[] }) {
    const {
      classes,
      solver = "ftrl",
      alpha = 0.5,
      beta = 1,
      l1 = 0,
      l2 = 1,
      l2PerRow = 0,
      fitIntercept = true,
      classWeight = null,
      standardize = DEFAULT_STANDARDIZE,
    } = params ?? ({} as LogisticRegressionParams);
    this.classes = checkClasses(classes);
    checkParam(solver === "ftrl", "solver", '"ftrl"', solver);
    checkParam(typeof alpha === "number" && Number.isFinite(alpha) && alpha > 0, "alpha", "a finite number > 0", alpha);
    checkParam(typeof beta === "number" && Number.isFinite(beta) && beta >= 0, "beta", "a finite number ≥ 0", beta);
    checkParam(typeof l1 === "number" && Number.isFinite(l1) && l1 >= 0, "l1", "a finite number ≥ 0", l1);
    checkParam(typeof l2 === "number" && Number.isFinite(l2) && l2 >= 0, "l2", "a finite number ≥ 0", l2);
    checkParam(typeof l2PerRow === "number" && Number.isFinite(l2PerRow) && l2PerRow >= 0, "l2PerRow", "a finite number ≥ 0", l2PerRow);
    checkParam(typeof fitIntercept === "boolean", "fitIntercept", "a boolean", fitIntercept);
    const cw = normaliseClassWeight(classWeight, this.classes);
    const std = normaliseStandardize(standardize);
    this.params = Object.freeze({ classes: this.classes, solver, alpha, beta, l1, l2, l2PerRow, fitIntercept, classWeight: cw.param, standardize: std });
    this.fixedWeights = cw.weights;
    this.index = new ClassIndex(this.classes);
    this.k = this.classes.length === 2 ? 1 : this.classes.length;
    this.logits = new Float64Array(this.k);
  }

  get nFeatures(): number | undefined {
    return this.state?.d;
  }

  get nSeen(): number {
    return this.state?.n ?? 0;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.state?.d);
    const yi = this.index.indexAll(b.y);
    const st = this.state
      ? this.state.copy()
      : FtrlState.fresh(b.cols, this.k, this.classes.length, freshScaler(this.params.standardize, b.cols, this.kinds));
    for (let i = 0; i < b.rows; i++) st.counts[yi[i]!]!++;
    const cw = this.rowWeights(st.counts);
    const { alpha, beta, l1, l2, l2PerRow, fitIntercept } = this.params;
    const perRow = l2PerRow > 0;
    const d = st.d;
    const stride = d + 1;
    const scaler = st.scaler;
    // The WebAssembly SIMD pass (ftrl.wat) of the binary case, or null.
    const kernel = this.k === 1 && !perRow ? ftrlKernel() : null;
    // The scaler learns the batch first (readBatch has refused non-finite features). Every pass
    // then sees the same standardised rows (the kernel's scaled as they are copied into its
    // memory, by the same operations), so the WebAssembly and JS passes stay bit-identical.
    if (scaler) scaler.updateDense(b.X, d);
    const X = scaler && !kernel ? scaleInto(scaler, b.X, this.scratch) : b.X;
    const { z, g2, sq, w } = st;
    const invAlpha = 1 / alpha;
    const base = beta * invAlpha + l2;
    const baseIntercept = beta * invAlpha;
    if (this.k === 1 && !perRow) {
      binaryPass(st, X, yi, b.rows, cw, alpha, beta, l1, l2, fitIntercept, kernel, scaler);
    } else if (this.k === 1) {
      for (let i = 0; i < b.rows; i++) {
        const o = i * d;
        let s = w[d]!;
        for (let j = 0; j < d; j++) s += w[j]! * X[o + j]!;
        const c = yi[i]!;
        const g = (cw === null ? 1 : cw[c]!) * (sigmoid(s) - c);
        stepRowGrowing(st, 0, X, o, g, invAlpha, beta * invAlpha + (l2 + l2PerRow * (st.n + i + 1)), l1);
        if (fitIntercept && g !== 0) stepIntercept(st, d, g, invAlpha, baseIntercept);
      }
    } else {
      const k = this.k;
      const pz = this.logits;
      for (let i = 0; i < b.rows; i++) {
        const o = i * d;
        softmaxRow(st, X, o, pz);
        const c = yi[i]!;
        const cwi = cw === null ? 1 : cw[c]!;
        for (let r = 0; r < k; r++) {
          const g = cwi * (pz[r]! - (r === c ? 1 : 0));
          const ro = r * stride;
          if (perRow) {
            stepRowGrowing(st, ro, X, o, g, invAlpha, beta * invAlpha + (l2 + l2PerRow * (st.n + i + 1)), l1);
            if (fitIntercept && g !== 0) stepIntercept(st, ro + d, g, invAlpha, baseIntercept);
            continue;
          }
          if (g === 0) continue;
          for (let j = 0; j < d; j++) {
            const x = X[o + j]!;
            if (x === 0) continue;
            const q = ro + j;
            const gj = g * x;
            const acc = g2[q]! + gj * gj;
            const rt = Math.sqrt(acc);
            const zj = z[q]! + gj - (rt - sq[q]!) * invAlpha * w[q]!;
            z[q] = zj;
            g2[q] = acc;
            sq[q] = rt;
            w[q] = weightOf(zj, rt, invAlpha, base, l1);
          }
          if (fitIntercept) stepIntercept(st, ro + d, g, invAlpha, baseIntercept);
        }
      }
    }
    st.n += b.rows;
    if (!allFinite(w) || !allFinite(z)) {
      throw new FreshmlError("diverged", "LogisticRegression weights became non-finite on this batch; the model is unchanged", {
        alpha,
      });
    }
    this.state = st;
  }

  /** Row-major `rows × classes.length` probabilities. */
  predictProba(X: FeatureInput): Float64Array {
    const st = this.state;
    if (!st) throw notFitted(this.kind);
    const f = readFeatures(X, st.d);
    const K = this.classes.length;
    const d = st.d;
    const out = new Float64Array(f.rows * K);
    let F = f.X;
    if (st.scaler) {
      F = new Float64Array(f.X.length);
      st.scaler.transformInto(f.X, F);
    }
    if (this.k === 1) {
      const w = st.w;
      for (let i = 0; i < f.rows; i++) {
        const o = i * d;
        let s = w[d]!;
        for (let j = 0; j < d; j++) s += w[j]! * F[o + j]!;
        const p1 = s >= 0 ? 1 / (1 + Math.exp(-s)) : 1 - 1 / (1 + Math.exp(s));
        out[2 * i] = 1 - p1;
        out[2 * i + 1] = p1;
      }
    } else {
      const pz = new Float64Array(K);
      for (let i = 0; i < f.rows; i++) {
        softmaxRow(st, F, i * d, pz);
        out.set(pz, i * K);
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

  /**
   * The learned weights: `coef` row-major (1 × d for two classes, classes × d
   * for more, as scikit-learn's `coef_`) and one intercept per row. With
   * `standardize` they apply to the standardised columns (as the model learns
   * them), not the raw ones.
   */
  coefficients(): LogisticCoefficients {
    const st = this.state;
    if (!st) throw notFitted(this.kind);
    const d = st.d;
    const coef = new Float64Array(st.k * d);
    const intercept = new Float64Array(st.k);
    for (let r = 0; r < st.k; r++) {
      coef.set(st.w.subarray(r * (d + 1), r * (d + 1) + d), r * d);
      intercept[r] = st.w[r * (d + 1) + d]!;
    }
    return { coef, intercept };
  }

  /** The class weights the next batch would use (before counting it), per class in `classes` order. */
  classWeights(): Float64Array {
    const counts = this.state?.counts ?? new Float64Array(this.classes.length);
    return this.rowWeights(counts) ?? new Float64Array(this.classes.length).fill(1);
  }

  toJSON(): TrainerJSON {
    const s = this.state;
    return makeEnvelope(
      this.kind,
      { ...this.params, classes: this.classes.slice(), classWeight: classWeightJSON(this.params.classWeight) },
      s && {
        d: s.d,
        n: s.n,
        z: Array.from(s.z),
        g2: Array.from(s.g2),
        counts: Array.from(s.counts),
        ...(s.scaler ? { scaler: s.scaler.toJSON() } : {}),
      },
    );
  }

  /** Restores from {@link LogisticRegression.toJSON} output. */
  static fromJSON(json: unknown): LogisticRegression {
    const { params, state } = openEnvelope(json, "LogisticRegression", paramsCheck, stateCheck);
    // Saved before standardize existed: those models learned the raw columns.
    const m = new LogisticRegression({ ...params, standardize: params.standardize ?? false } as Partial<LogisticRegressionParams> & { classes: number[] });
    if (state) {
      const size = m.k * (state.d + 1);
      checkLength("z", state.z, size);
      checkLength("g2", state.g2, size);
      checkLength("counts", state.counts, m.classes.length);
      const negative = state.g2.findIndex((v) => v < 0);
      if (negative >= 0) throw stateInvariantError("LogisticRegression", `g2[${negative}]`, "is negative (a sum of squared gradients)", state.g2[negative]);
      checkCounts("LogisticRegression", "counts", state.counts);
      const counted = state.counts.reduce((a, b) => a + b, 0);
      if (counted !== state.n) throw stateInvariantError("LogisticRegression", "n", `is ${state.n} but the class counts add up to ${counted}`, state.n);
      const bad = (field: string, why: string, observed?: unknown): never => {
        throw stateInvariantError("LogisticRegression", field, why, observed);
      };
      const st = FtrlState.fresh(state.d, m.k, m.classes.length, restoreScaler(m.params.standardize, state.scaler, state.d, state.n, bad));
      st.z.set(state.z);
      st.g2.set(state.g2);
      st.counts.set(state.counts);
      st.n = state.n;
      const { alpha, beta, l1, l2, l2PerRow } = m.params;
      const invAlpha = 1 / alpha;
      // The same expressions as update: l2PerRow's strength is that of the last row learned.
      const base = l2PerRow > 0 ? beta * invAlpha + (l2 + l2PerRow * state.n) : beta * invAlpha + l2;
      const baseIntercept = beta * invAlpha;
      const stride = state.d + 1;
      for (let q = 0; q < size; q++) {
        st.sq[q] = Math.sqrt(st.g2[q]!);
        // The intercept (last of each row) is not penalised.
        st.w[q] = q % stride === state.d ? weightOf(st.z[q]!, st.sq[q]!, invAlpha, baseIntercept, 0) : weightOf(st.z[q]!, st.sq[q]!, invAlpha, base, l1);
      }
      m.state = st;
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
    this.kinds = describeScaledColumns(this.kind, this.params.standardize, this.state, checkColumnKinds(kinds));
  }

  clone(): LogisticRegression {
    const c = new LogisticRegression(this.params);
    c.kinds = this.kinds;
    return c;
  }

  copy(): LogisticRegression {
    const c = this.clone();
    c.state = this.state && this.state.copy();
    return c;
  }

  /** Per-class weights for a batch given the class counts including it, or null when all are 1. */
  private rowWeights(counts: Float64Array): Float64Array | null {
    if (this.fixedWeights) return this.fixedWeights;
    return this.params.classWeight === "balanced" ? balancedClassWeights(counts) : null;
  }
}

/** Standardises `X` into `scratch.X` (grown as needed) and returns the standardised rows. */
function scaleInto(scaler: OnlineStandardScaler, X: Float64Array, scratch: { X: Float64Array }): Float64Array {
  if (scratch.X.length < X.length) scratch.X = new Float64Array(X.length);
  const Z = scratch.X.subarray(0, X.length);
  scaler.transformInto(X, Z);
  return Z;
}

/** The default of {@link LogisticRegressionParams.standardize}. */
const DEFAULT_STANDARDIZE = true;

/** The logistic function, without overflow for large |s|. */
function sigmoid(s: number): number {
  if (s >= 0) return 1 / (1 + Math.exp(-s));
  const e = Math.exp(s);
  return e / (1 + e);
}

/**
 * One FTRL-Proximal pass of binary logistic regression over a batch: the hot
 * loop, kept small and monomorphic. `X` is standardised already, unless the
 * WebAssembly `kernel` runs (it standardises with `scaler` as it copies). Features that are 0 are skipped (their
 * gradient is 0, so z, Σg² and the weight stay as they are).
 */
function binaryPass(
  st: FtrlState,
  X: Float64Array,
  yi: Int32Array,
  rows: number,
  cw: Float64Array | null,
  alpha: number,
  beta: number,
  l1: number,
  l2: number,
  fitIntercept: boolean,
  kernel: FtrlKernel | null,
  scaler: OnlineStandardScaler | null,
): void {
  const d = st.d;
  const z = st.z;
  const g2 = st.g2;
  const sq = st.sq;
  const w = st.w;
  const w0 = cw === null ? 1 : cw[0]!;
  const w1 = cw === null ? 1 : cw[1]!;
  const invAlpha = 1 / alpha;
  const base = beta * invAlpha + l2;
  const baseIntercept = beta * invAlpha;
  // The WebAssembly SIMD pass (ftrl.wat) does two features per instruction, bit-identically;
  // it gets the raw rows and the scaler (which standardises them as they are copied in).
  if (kernel !== null) {
    kernel.pass(X, yi, rows, d, z, g2, sq, w, { w0, w1, invAlpha, base, l1, fitIntercept, baseIntercept }, scaler?.standardization());
    return;
  }
  for (let i = 0; i < rows; i++) {
    const o = i * d;
    // Two accumulators halve the dependency chain of the dot product, the serial part of a row.
    let s0 = w[d]!;
    let s1 = 0;
    let j = 0;
    for (; j + 1 < d; j += 2) {
      s0 += w[j]! * X[o + j]!;
      s1 += w[j + 1]! * X[o + j + 1]!;
    }
    if (j < d) s0 += w[j]! * X[o + j]!;
    const s = s0 + s1;
    const c = yi[i]!;
    // 1 / (1 + e^−s) is exact enough here (e^−s overflows to Infinity, giving 0, never NaN)
    // and has no branch on the sign of s.
    const p = 1 / (1 + Math.exp(-s));
    const g = c === 1 ? w1 * (p - 1) : w0 * p;
    if (g === 0) continue;
    if (l1 === 0) {
      for (let j = 0; j < d; j++) {
        const x = X[o + j]!;
        if (x === 0) continue;
        const gj = g * x;
        const acc = g2[j]! + gj * gj;
        const r = Math.sqrt(acc);
        const zj = z[j]! + gj - (r - sq[j]!) * invAlpha * w[j]!;
        z[j] = zj;
        g2[j] = acc;
        sq[j] = r;
        w[j] = -zj / (base + r * invAlpha);
      }
    } else {
      for (let j = 0; j < d; j++) {
        const x = X[o + j]!;
        if (x === 0) continue;
        const gj = g * x;
        const acc = g2[j]! + gj * gj;
        const r = Math.sqrt(acc);
        const zj = z[j]! + gj - (r - sq[j]!) * invAlpha * w[j]!;
        z[j] = zj;
        g2[j] = acc;
        sq[j] = r;
        w[j] = zj <= l1 && zj >= -l1 ? 0 : -(zj > 0 ? zj - l1 : zj + l1) / (base + r * invAlpha);
      }
    }
    if (fitIntercept) stepIntercept(st, d, g, invAlpha, baseIntercept);
  }
}

/**
 * One FTRL step on weight row offset `ro` with the L2 strength of this row
 * (`l2t` = l2 + l2PerRow·t): features that are 0 have no gradient but their
 * weight still follows the growing penalty, so every weight is recomputed.
 */
function stepRowGrowing(st: FtrlState, ro: number, X: Float64Array, o: number, g: number, invAlpha: number, base: number, l1: number): void {
  const { z, g2, sq, w, d } = st;
  for (let j = 0; j < d; j++) {
    const q = ro + j;
    const gj = g * X[o + j]!;
    if (gj !== 0) {
      const acc = g2[q]! + gj * gj;
      const r = Math.sqrt(acc);
      z[q] = z[q]! + gj - (r - sq[q]!) * invAlpha * w[q]!;
      g2[q] = acc;
      sq[q] = r;
    }
    w[q] = weightOf(z[q]!, sq[q]!, invAlpha, base, l1);
  }
}

/** One unpenalised FTRL step on the intercept at index q (its feature is 1); `base` = β/α. */
function stepIntercept(st: FtrlState, q: number, g: number, invAlpha: number, base: number): void {
  const acc = st.g2[q]! + g * g;
  const r = Math.sqrt(acc);
  const zq = st.z[q]! + g - (r - st.sq[q]!) * invAlpha * st.w[q]!;
  st.z[q] = zq;
  st.g2[q] = acc;
  st.sq[q] = r;
  st.w[q] = weightOf(zq, r, invAlpha, base, 0);
}

/** Softmax of the k logits of row offset `o` into `pz`. */
function softmaxRow(st: FtrlState, X: Float64Array, o: number, pz: Float64Array): void {
  const { k, d, w } = st;
  let max = -Infinity;
  for (let r = 0; r < k; r++) {
    const ro = r * (d + 1);
    let s = w[ro + d]!;
    for (let j = 0; j < d; j++) s += w[ro + j]! * X[o + j]!;
    pz[r] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let r = 0; r < k; r++) {
    const e = Math.exp(pz[r]! - max);
    pz[r] = e;
    sum += e;
  }
  for (let r = 0; r < k; r++) pz[r]! /= sum;
}
