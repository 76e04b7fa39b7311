import { assertFiniteFeatures, readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { finiteNumbers, labels, nonNegative, nullable, object, positiveInt } from "../core/json-checks.js";
import { classMomentsSimd } from "../core/wasm/moments.js";
import { gaussianScoresSimd } from "../core/wasm/gemv.js";
import { ClassIndex, argmaxLabels, checkClasses } from "./classes.js";
import { checkLength, checkMergeable, checkPredictions, makeEnvelope, notFitted, openEnvelope } from "./envelope.js";
import { allFinite, logSumExp } from "../core/kernels.js";
import type { Classifier, Trainer, TrainerJSON } from "./trainer.js";

/** Parameters of {@link GaussianNB}. */
export interface GaussianNBParams {
  /** The labels, declared up front. */
  classes: readonly number[];
  /** Added to every variance: this fraction of the largest feature variance. Default 1e-9, as scikit-learn. */
  varSmoothing: number;
  /** Fixed class priors (sum 1); by default the observed class frequencies. */
  priors: readonly number[] | null;
}

const paramsCheck = object({
  classes: labels,
  varSmoothing: nonNegative,
  priors: nullable(finiteNumbers),
});
const stateCheck = object({
  d: positiveInt,
  counts: finiteNumbers,
  mean: finiteNumbers,
  m2: finiteNumbers,
});

/** Per-class statistics of a {@link GaussianNB}. */
export interface ClassMoments {
  /** Rows seen per class. */
  readonly counts: Float64Array;
  /** Row-major classes × features means (scikit-learn's `theta_`). */
  readonly means: Float64Array;
  /** Row-major classes × features variances including smoothing (scikit-learn's `var_`). */
  readonly variances: Float64Array;
}

interface NBState {
  d: number;
  counts: Float64Array; // k
  mean: Float64Array; // k × d
  m2: Float64Array; // k × d, centred sums of squares
}

interface NBModel {
  logPrior: Float64Array;
  logNorm: Float64Array; // −½ Σ log(2π σ²) per class
  invVar: Float64Array; // k × d
}

/**
 * Gaussian naive Bayes from exact per-class moments: batch-split invariant,
 * mergeable (shards combine exactly) and forgettable. O(b·d) per batch.
 *
 * Matches scikit-learn's `GaussianNB`, with one deliberate difference: the
 * variance smoothing is `varSmoothing` times the largest variance of all data
 * seen (scikit-learn uses the last `partial_fit` batch's), so the model does not
 * depend on how the rows were split.
 *
 * @example
 * ```ts
 * import { GaussianNB } from "freshml";
 * const nb = new GaussianNB({ classes: [0, 1] });
 * nb.update({ X: [[-1], [-1.2], [1], [1.1]], y: [0, 0, 1, 1] });
 * nb.predict([[-0.9], [0.8]]); // Float64Array [0, 1]
 * ```
 */
export class GaussianNB implements Classifier {
  readonly kind = "GaussianNB";
  readonly task = "classification" as const;
  readonly params: Readonly<GaussianNBParams>;
  readonly classes: readonly number[];
  private state: NBState | null = null;
  private model: NBModel | null = null;
  private readonly index: ClassIndex;

  constructor(params: Partial<GaussianNBParams> & { classes: readonly number[] }) {
    const { classes, varSmoothing = 1e-9, priors = null } = params ?? ({} as GaussianNBParams);
    this.classes = checkClasses(classes);
    checkParam(typeof varSmoothing === "number" && Number.isFinite(varSmoothing) && varSmoothing >= 0, "varSmoothing",
      "a finite number ≥ 0", varSmoothing);
    if (priors !== null) {
      checkParam(
        Array.isArray(priors) && priors.length === this.classes.length && priors.every((p) => typeof p === "number" && p >= 0) &&
          Math.abs(priors.reduce((a, b) => a + b, 0) - 1) < 1e-9,
        "priors", `${this.classes.length} non-negative numbers summing to 1`, priors);
    }
    this.params = Object.freeze({ classes: this.classes, varSmoothing, priors: priors && Object.freeze(priors.slice()) });
    this.index = new ClassIndex(this.classes);
  }

  get nFeatures(): number | undefined {
    return this.state?.d;
  }

  get nSeen(): number {
    if (!this.state) return 0;
    let n = 0;
    for (const c of this.state.counts) n += c;
    return n;
  }

  update(batch: Batch): void {
    // The one-pass moments detect non-finite features themselves (see batchMoments).
    const b = readBatch(batch, this.state?.d, { deferFiniteCheck: true });
    const yi = this.index.indexAll(b.y);
    const part = batchMoments(b.X, yi, b.rows, b.cols, this.classes.length, this.state);
    if (!allFinite(part.mean) || !allFinite(part.m2)) {
      assertFiniteFeatures(b.X, b.cols);
      throw new FreshmlError("non_finite", "the batch overflows the class variances (values too large to square)");
    }
    const next = this.state ? copyState(this.state) : emptyState(b.cols, this.classes.length);
    combine(next, part, +1);
    if (!allFinite(next.m2) || !allFinite(next.mean)) {
      throw new FreshmlError("non_finite", "the batch overflows the class variances (values too large to square)");
    }
    this.state = next;
    this.model = null;
  }

  /** Exactly removes a batch learned earlier. */
  forget(batch: Batch): void {
    if (!this.state) throw notFitted(this.kind);
    const b = readBatch(batch, this.state.d);
    const yi = this.index.indexAll(b.y);
    const part = batchMoments(b.X, yi, b.rows, b.cols, this.classes.length, this.state);
    for (let c = 0; c < this.classes.length; c++) {
      if (part.counts[c]! > this.state.counts[c]!) {
        throw new FreshmlError("forget_mismatch",
          `cannot forget ${part.counts[c]} rows of class ${this.classes[c]}: only ${this.state.counts[c]} were learned`,
          { observed: part.counts[c], expected: `≤ ${this.state.counts[c]}` });
      }
    }
    const next = copyState(this.state);
    combine(next, part, -1);
    this.state = next;
    this.model = null;
  }

  /** Adds the class statistics of another GaussianNB with the same parameters. */
  merge(other: Trainer): void {
    checkMergeable(this, other);
    const o = (other as GaussianNB).state;
    if (!o) return;
    const next = this.state ? copyState(this.state) : emptyState(o.d, this.classes.length);
    combine(next, o, +1);
    if (!allFinite(next.m2) || !allFinite(next.mean)) throw new FreshmlError("non_finite", "merging overflows the class variances; the model is unchanged");
    this.state = next;
    this.model = null;
  }

  /** Per-class means (k × d) and variances including smoothing, as scikit-learn's `theta_` and `var_`. */
  moments(): ClassMoments {
    if (!this.state) throw notFitted(this.kind);
    const s = this.state;
    const eps = this.epsilon();
    const variances = new Float64Array(s.m2.length);
    for (let c = 0; c < s.counts.length; c++) {
      for (let j = 0; j < s.d; j++) {
        const n = s.counts[c]!;
        variances[c * s.d + j] = (n > 0 ? s.m2[c * s.d + j]! / n : 0) + eps;
      }
    }
    return { counts: s.counts.slice(), means: s.mean.slice(), variances };
  }

  /**
   * Row-major `rows × k` joint log-likelihoods log P(c) + log P(x | c). A row
   * so far from every class (or with features so large) that every class's
   * log-likelihood is −∞ throws `prediction_overflow` naming the row.
   */
  jointLogLikelihood(X: FeatureInput): Float64Array {
    const out = this.rawJointLogLikelihood(X);
    const k = this.classes.length;
    for (let o = 0; o < out.length; o += k) {
      let any = false;
      for (let c = 0; c < k; c++) if (out[o + c]! > -Infinity) any = true;
      if (!any) {
        const row = o / k;
        throw new FreshmlError("prediction_overflow", `GaussianNB cannot score row ${row}: its log-likelihood is −∞ under every class (features too far from the classes' means for their variances)`, {
          row,
          expected: "a finite log-likelihood for some class",
        });
      }
    }
    return out;
  }

  private rawJointLogLikelihood(X: FeatureInput): Float64Array {
    if (!this.state) throw notFitted(this.kind);
    const f = readFeatures(X, this.state.d);
    const m = this.fitted();
    const k = this.classes.length;
    const d = f.cols;
    const mean = this.state.mean;
    const invVar = m.invVar;
    const rowsX = f.X;
    const out = new Float64Array(f.rows * k);
    // log P(c) + the normaliser, once per class: the sum below adds them first, so this is exact.
    const base = new Float64Array(k);
    for (let c = 0; c < k; c++) base[c] = m.logPrior[c]! + m.logNorm[c]!;
    // The same sums with WebAssembly SIMD (the two accumulators are the lanes of one f64x2).
    if (gaussianScoresSimd(rowsX, f.rows, d, mean, invVar, base, k, out)) return out;
    for (let i = 0; i < f.rows; i++) {
      const o = i * d;
      for (let c = 0; c < k; c++) {
        const co = c * d;
        let s0 = 0;
        let s1 = 0;
        let j = 0;
        for (; j + 1 < d; j += 2) {
          const d0 = rowsX[o + j]! - mean[co + j]!;
          const d1 = rowsX[o + j + 1]! - mean[co + j + 1]!;
          s0 += d0 * d0 * invVar[co + j]!;
          s1 += d1 * d1 * invVar[co + j + 1]!;
        }
        if (j < d) {
          const d0 = rowsX[o + j]! - mean[co + j]!;
          s0 += d0 * d0 * invVar[co + j]!;
        }
        out[i * k + c] = base[c]! - 0.5 * (s0 + s1);
      }
    }
    return out;
  }

  predictProba(X: FeatureInput): Float64Array {
    const jll = this.jointLogLikelihood(X);
    const k = this.classes.length;
    for (let o = 0; o < jll.length; o += k) {
      const lse = logSumExp(jll, o, k);
      for (let c = 0; c < k; c++) jll[o + c] = Math.exp(jll[o + c]! - lse);
    }
    checkPredictions(jll, this.kind, k);
    return jll;
  }

  predict(X: FeatureInput): Float64Array {
    const jll = this.jointLogLikelihood(X);
    const k = this.classes.length;
    return argmaxLabels(jll, jll.length / k, k, this.classes);
  }

  toJSON(): TrainerJSON {
    const s = this.state;
    return makeEnvelope(
      this.kind,
      { classes: this.classes.slice(), varSmoothing: this.params.varSmoothing, priors: this.params.priors && this.params.priors.slice() },
      s && { d: s.d, counts: Array.from(s.counts), mean: Array.from(s.mean), m2: Array.from(s.m2) },
    );
  }

  /** Restores from {@link GaussianNB.toJSON} output. */
  static fromJSON(json: unknown): GaussianNB {
    const { params, state } = openEnvelope(json, "GaussianNB", paramsCheck, stateCheck);
    const m = new GaussianNB(params);
    if (state) {
      const k = m.classes.length;
      checkLength("counts", state.counts, k);
      checkLength("mean", state.mean, k * state.d);
      checkLength("m2", state.m2, k * state.d);
      m.state = { d: state.d, counts: Float64Array.from(state.counts), mean: Float64Array.from(state.mean), m2: Float64Array.from(state.m2) };
      checkNBState(m.state);
    }
    return m;
  }

  clone(): GaussianNB {
    return new GaussianNB(this.params);
  }

  copy(): GaussianNB {
    const c = this.clone();
    c.state = this.state && copyState(this.state);
    c.model = this.model;
    return c;
  }

  /** varSmoothing × the largest variance over all rows seen (all classes pooled). */
  private epsilon(): number {
    const s = this.state!;
    let n = 0;
    const mean = new Float64Array(s.d);
    const m2 = new Float64Array(s.d);
    for (let c = 0; c < s.counts.length; c++) {
      const nc = s.counts[c]!;
      if (nc === 0) continue;
      const total = n + nc;
      for (let j = 0; j < s.d; j++) {
        const dlt = s.mean[c * s.d + j]! - mean[j]!;
        mean[j]! += (dlt * nc) / total;
        m2[j]! += s.m2[c * s.d + j]! + (dlt * dlt * n * nc) / total;
      }
      n = total;
    }
    let maxVar = 0;
    for (let j = 0; j < s.d; j++) maxVar = Math.max(maxVar, m2[j]! / n);
    return this.params.varSmoothing * maxVar;
  }

  private fitted(): NBModel {
    if (this.model) return this.model;
    const s = this.state!;
    const k = this.classes.length;
    const { variances } = this.moments();
    let total = 0;
    for (const c of s.counts) total += c;
    const logPrior = new Float64Array(k);
    const logNorm = new Float64Array(k);
    const invVar = new Float64Array(k * s.d);
    for (let c = 0; c < k; c++) {
      const prior = this.params.priors ? this.params.priors[c]! : s.counts[c]! / total;
      logPrior[c] = Math.log(prior);
      let ln = 0;
      for (let j = 0; j < s.d; j++) {
        // Floored so a zero (all values equal) or subnormal variance keeps 1/v and log v finite.
        const v = Math.max(variances[c * s.d + j]!, VARIANCE_FLOOR);
        ln += Math.log(2 * Math.PI * v);
        invVar[c * s.d + j] = 1 / v;
      }
      logNorm[c] = -0.5 * ln;
    }
    this.model = { logPrior, logNorm, invVar };
    return this.model;
  }
}

// The smallest variance the model divides by (see fitted): far below any real data's spread.
const VARIANCE_FLOOR = 1e-300;

/** Throws `invalid_state` naming the field when restored GaussianNB statistics are inconsistent. */
function checkNBState(s: NBState): void {
  const bad = (field: string, why: string, observed?: unknown): never => {
    throw new FreshmlError("invalid_state", `invalid GaussianNB state: ${field} ${why}`, { field, ...(observed === undefined ? {} : { observed }) });
  };
  const d = s.d;
  for (let c = 0; c < s.counts.length; c++) {
    const n = s.counts[c]!;
    if (!(n >= 0) || !Number.isInteger(n)) bad(`counts[${c}]`, "is not a count (an integer ≥ 0)", n);
    for (let j = 0; j < d; j++) {
      const q = c * d + j;
      if (!(s.m2[q]! >= 0)) bad(`m2[${q}]`, "is negative (a sum of squared deviations)", s.m2[q]);
      if (n === 0 && (s.m2[q] !== 0 || s.mean[q] !== 0)) bad(`mean[${q}]`, `holds statistics for class index ${c}, which has no rows`);
    }
  }
}

function emptyState(d: number, k: number): NBState {
  return { d, counts: new Float64Array(k), mean: new Float64Array(k * d), m2: new Float64Array(k * d) };
}

function copyState(s: NBState): NBState {
  return { d: s.d, counts: s.counts.slice(), mean: s.mean.slice(), m2: s.m2.slice() };
}

/**
 * Per-class counts, means and centred sums of squares of one batch, in one
 * pass over memory. Each class's values are shifted by a point near its mean
 * (the model's current class mean, or the class's first row in the batch), so
 * the sums Σ(x−K) and Σ(x−K)² do not cancel badly; the exact centred sums
 * follow as m2 = Σ(x−K)² − (Σ(x−K))²/n. A NaN or ±Infinity feature makes a sum
 * non-finite, so the caller learns of it without a separate scan.
 */
function batchMoments(X: Float64Array, yi: Int32Array, rows: number, d: number, k: number, prior: NBState | null): NBState {
  const s = emptyState(d, k);
  const counts = s.counts;
  const s1 = s.mean; // Σ(x−K), turned into the mean below
  const s2 = s.m2; // Σ(x−K)², turned into m2 below
  const shift = new Float64Array(k * d);
  const shiftSet = new Uint8Array(k);
  if (prior) {
    for (let c = 0; c < k; c++) {
      if (prior.counts[c]! > 0) {
        shift.set(prior.mean.subarray(c * d, (c + 1) * d), c * d);
        shiftSet[c] = 1;
      }
    }
  }
  for (let i = 0; i < rows; i++) {
    const c = yi[i]!;
    if (shiftSet[c] === 0) {
      shift.set(X.subarray(i * d, (i + 1) * d), c * d);
      shiftSet[c] = 1;
    }
  }
  if (!classMomentsSimd(X, yi, rows, d, k, shift, s1, s2, counts)) {
    for (let i = 0; i < rows; i++) {
      const c = yi[i]!;
      const o = i * d;
      const co = c * d;
      counts[c]!++;
      for (let j = 0; j < d; j++) {
        const z = X[o + j]! - shift[co + j]!;
        s1[co + j]! += z;
        s2[co + j]! += z * z;
      }
    }
  }
  for (let c = 0; c < k; c++) {
    const n = counts[c]!;
    if (n === 0) continue;
    for (let j = 0; j < d; j++) {
      const q = c * d + j;
      const mz = s1[q]! / n;
      const v = s2[q]! - mz * s1[q]!;
      s1[q] = shift[q]! + mz;
      s2[q] = v > 0 ? v : 0;
    }
  }
  return s;
}

/** a ← a ∪ b (sign +1) or a ← a \ b (sign −1), per class, by Chan's formula. */
function combine(a: NBState, b: NBState, sign: 1 | -1): void {
  const d = a.d;
  for (let c = 0; c < a.counts.length; c++) {
    const nb = b.counts[c]!;
    if (nb === 0) continue;
    const na = a.counts[c]!;
    const co = c * d;
    if (sign > 0) {
      const n = na + nb;
      const cc = (na * nb) / n;
      for (let j = 0; j < d; j++) {
        const dlt = b.mean[co + j]! - a.mean[co + j]!;
        a.mean[co + j]! += (dlt * nb) / n;
        a.m2[co + j]! += b.m2[co + j]! + dlt * dlt * cc;
      }
      a.counts[c] = n;
    } else {
      const rest = na - nb;
      if (rest <= 0) {
        a.counts[c] = 0;
        a.mean.fill(0, co, co + d);
        a.m2.fill(0, co, co + d);
        continue;
      }
      const cc = (rest * nb) / na;
      for (let j = 0; j < d; j++) {
        const restMean = (na * a.mean[co + j]! - nb * b.mean[co + j]!) / rest;
        const dlt = b.mean[co + j]! - restMean;
        const v = a.m2[co + j]! - b.m2[co + j]! - dlt * dlt * cc;
        a.mean[co + j] = restMean;
        a.m2[co + j] = v > 0 ? v : 0;
      }
      a.counts[c] = rest;
    }
  }
}
