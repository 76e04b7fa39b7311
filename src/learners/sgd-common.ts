import { assertFiniteFeatures } from "../core/batch.js";
import { checkParam, FreshmlError } from "../core/errors.js";
import { bool, count, finite, finiteNumbers, nonNegative, nullable, object, oneOf, positive, positiveInt, unknownValue, type Infer } from "../core/json-checks.js";
import { SeededRandom } from "../core/random.js";
import { OnlineStandardScaler } from "../preprocessing/standard-scaler.js";
import { checkLength } from "./envelope.js";
import { allFinite, axpy, dot } from "../core/kernels.js";
import { simdEnabled } from "../core/wasm/load.js";
import { sgdKernel, type SgdKernel } from "../core/wasm/sgd.js";
import type { ColumnKind } from "./trainer.js";
import {
  describeScaledColumns,
  freshScaler,
  learnAndScale,
  normaliseStandardize,
  restoreScaler,
  standardizeCheck,
  type StandardizeOptions,
} from "./standardize.js";

/**
 * Step-size schedules, named as in scikit-learn:
 * - `constant`: η = eta0;
 * - `invscaling`: η = eta0 / tᵖᵒʷᵉʳᵀ;
 * - `optimal`: η = 1 / (alpha·(t₀ + t)), Bottou's schedule (needs alpha > 0);
 * - `adagrad`: per-coordinate η = eta0 / √(Σ g²).
 */
export type LearningRate = "constant" | "invscaling" | "optimal" | "adagrad";

/** Parameters shared by {@link SGDRegressor} and {@link SGDClassifier}. */
export interface SGDParams {
  /** L2 penalty strength (weights only, not the intercept). Default 1e-4. */
  alpha: number;
  /** Step-size schedule. */
  learningRate: LearningRate;
  /** Base step size for `constant`, `invscaling` and `adagrad`. Default 0.01. */
  eta0: number;
  /** Exponent of `invscaling`. Default 0.25. */
  powerT: number;
  /** Visit each batch's rows in a seeded random order. Default true. */
  shuffle: boolean;
  /** Seed of the shuffling generator. Default 0. */
  seed: number;
  /** Learn an intercept. Default true. */
  fitIntercept: boolean;
  /**
   * Keep an online standard scaler in the state and learn on standardised
   * features. Default false. `true` scales every column except those a
   * pipeline declares binary (see `describeColumns`); `{ skip: [...] }` also
   * leaves the listed columns unscaled (one-hot or 0/1 flags), for use
   * without a pipeline.
   */
  standardize: boolean | StandardizeOptions;
}

export type { StandardizeOptions } from "./standardize.js";


/** Checks of the saved parameters both SGD learners share. */
export const sgdParamsShape = {
  alpha: nonNegative,
  learningRate: /* @__PURE__ */ oneOf(["constant", "invscaling", "optimal", "adagrad"]),
  eta0: positive,
  powerT: finite,
  shuffle: bool,
  seed: finite,
  fitIntercept: bool,
  standardize: standardizeCheck,
};

/** Check of the saved SGD state (the scaler is checked by its own restore). */
export const sgdStateCheck = /* @__PURE__ */ object({
  d: positiveInt,
  n: count,
  t: positive,
  w: finiteNumbers,
  b: finiteNumbers,
  G: /* @__PURE__ */ nullable(finiteNumbers),
  rng: count,
  scaler: unknownValue,
});
export type SGDStateJSON = Infer<typeof sgdStateCheck>;

/** Fills SGD defaults and checks every value. */
export function sgdParams(p: Partial<SGDParams>, defaultRate: LearningRate): SGDParams {
  const {
    alpha = 1e-4,
    learningRate = defaultRate,
    eta0 = 0.01,
    powerT = 0.25,
    shuffle = true,
    seed = 0,
    fitIntercept = true,
    standardize = false,
  } = p;
  checkParam(typeof alpha === "number" && Number.isFinite(alpha) && alpha >= 0, "alpha", "a finite number ≥ 0", alpha);
  checkParam(["constant", "invscaling", "optimal", "adagrad"].includes(learningRate), "learningRate",
    "constant, invscaling, optimal or adagrad", learningRate);
  checkParam(typeof eta0 === "number" && Number.isFinite(eta0) && eta0 > 0, "eta0", "a finite number > 0", eta0);
  checkParam(typeof powerT === "number" && Number.isFinite(powerT), "powerT", "a finite number", powerT);
  checkParam(typeof shuffle === "boolean", "shuffle", "a boolean", shuffle);
  checkParam(typeof seed === "number" && Number.isFinite(seed), "seed", "a finite number", seed);
  checkParam(typeof fitIntercept === "boolean", "fitIntercept", "a boolean", fitIntercept);
  const std = normaliseStandardize(standardize);
  if (learningRate === "optimal" && alpha <= 0) {
    throw new FreshmlError("invalid_params", "learningRate 'optimal' needs alpha > 0", { param: "alpha", observed: alpha });
  }
  return { alpha, learningRate, eta0, powerT, shuffle, seed, fitIntercept, standardize: std };
}

/**
 * `describeColumns` for an SGD learner: before the first batch it records the
 * kinds (applied when the scaler is made); after, the columns it would leave
 * unscaled must be those the fitted scaler does, else `invalid_params`.
 * Without `standardize` it only checks the argument.
 */
export function describeSgdColumns(kind: string, p: SGDParams, st: SGDState | null, kinds: readonly ColumnKind[]): readonly ColumnKind[] | null {
  return describeScaledColumns(kind, p.standardize, st, kinds);
}

/**
 * The learned state of a linear SGD model with `k` output rows of weights
 * (k = 1 for regression and binary logistic, k = classes for softmax).
 */
export class SGDState {
  t = 1; // sample counter, starting at 1 as in scikit-learn's schedules
  n = 0;
  G: Float64Array | null;
  constructor(
    readonly d: number,
    readonly k: number,
    public w: Float64Array,
    public b: Float64Array,
    adagrad: boolean,
    public rng: SeededRandom,
    public scaler: OnlineStandardScaler | null,
  ) {
    this.G = adagrad ? new Float64Array(k * d + k) : null;
  }

  static fresh(d: number, k: number, p: SGDParams, kinds: readonly ColumnKind[] | null = null): SGDState {
    const scaler = freshScaler(p.standardize, d, kinds);
    return new SGDState(d, k, new Float64Array(k * d), new Float64Array(k), p.learningRate === "adagrad", new SeededRandom(p.seed), scaler);
  }

  copy(): SGDState {
    const s = new SGDState(this.d, this.k, this.w.slice(), this.b.slice(), false, SeededRandom.fromState(this.rng.state),
      this.scaler && this.scaler.copy());
    s.G = this.G && this.G.slice();
    s.t = this.t;
    s.n = this.n;
    return s;
  }

  finite(): boolean {
    return allFinite(this.w) && allFinite(this.b) && (this.G === null || allFinite(this.G));
  }

  toJSON(): SGDStateJSON {
    return {
      d: this.d,
      n: this.n,
      t: this.t,
      w: Array.from(this.w),
      b: Array.from(this.b),
      G: this.G && Array.from(this.G),
      rng: this.rng.state,
      scaler: this.scaler?.toJSON() ?? null,
    };
  }

  /**
   * Restores the state, checking its invariants (each an `invalid_state`
   * naming the field): lengths, finite weights, non-negative adagrad sums, a
   * sample counter of at least 1, and a scaler of the same width that has seen
   * exactly the rows learned (and leaves the parameter's `skip` columns unscaled).
   */
  static fromJSON(s: SGDStateJSON, k: number, p: SGDParams): SGDState {
    checkLength("w", s.w, k * s.d);
    checkLength("b", s.b, k);
    const bad = (field: string, why: string, observed?: unknown): never => {
      throw new FreshmlError("invalid_state", `invalid SGD state: ${field} ${why}`, { field, ...(observed === undefined ? {} : { observed }) });
    };
    if (!allFinite(Float64Array.from(s.w))) bad("w", "holds a non-finite weight");
    if (!allFinite(Float64Array.from(s.b))) bad("b", "holds a non-finite intercept");
    if (s.t < 1) bad("t", "is below 1", s.t);
    if (p.learningRate === "adagrad") {
      if (!s.G) throw new FreshmlError("invalid_state", "adagrad state needs G", { field: "G" });
      checkLength("G", s.G, k * s.d + k);
      s.G.forEach((g, i) => {
        if (!(g >= 0)) bad(`G[${i}]`, "is negative (a sum of squared gradients)", g);
      });
    }
    const scaler = restoreScaler(p.standardize, s.scaler, s.d, s.n, bad);
    const st = new SGDState(s.d, k, Float64Array.from(s.w), Float64Array.from(s.b), false, SeededRandom.fromState(s.rng), scaler);
    st.G = s.G && Float64Array.from(s.G);
    st.t = s.t;
    st.n = s.n;
    return st;
  }
}

/** The logistic function, without overflow for large |z|. */
export function sigmoid(z: number): number {
  // Two branches keep exp() from overflowing for large |z|.
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Bottou's t₀ for the `optimal` schedule, as scikit-learn derives it. */
export function optimalT0(alpha: number): number {
  const typw = Math.sqrt(1 / Math.sqrt(alpha));
  return 1 / (typw * alpha);
}

/** Step size for sample counter t (non-adagrad schedules). */
export function stepSize(p: SGDParams, t: number, t0: number): number {
  switch (p.learningRate) {
    case "constant":
    case "adagrad":
      return p.eta0;
    case "invscaling":
      // √√t is exact to rounding and several times cheaper than pow for the default 0.25.
      return p.powerT === 0.25 ? p.eta0 / Math.sqrt(Math.sqrt(t)) : p.powerT === 0.5 ? p.eta0 / Math.sqrt(t) : p.eta0 / Math.pow(t, p.powerT);
    case "optimal":
      return 1 / (p.alpha * (t0 + t - 1));
  }
}

/**
 * Prepares a batch for a pass: the row visiting order (shuffled when asked)
 * and the features to learn from (standardised into `scratch` when the state
 * holds a scaler, which first learns this batch's statistics).
 */
export function preparePass(
  st: SGDState,
  p: SGDParams,
  X: Float64Array,
  rows: number,
  scratch: { order: Uint32Array; X: Float64Array },
): { order: Uint32Array; X: Float64Array } {
  if (scratch.order.length < rows) scratch.order = new Uint32Array(rows);
  const order = scratch.order;
  for (let i = 0; i < rows; i++) order[i] = i;
  if (p.shuffle) st.rng.shuffle(order, rows);
  if (!st.scaler) return { order, X };
  return { order, X: learnAndScale(st.scaler, X, st.d, scratch) };
}

// The WebAssembly SIMD pass (sgd.wat), or null where unavailable; loaded once.
let simdKernel: SgdKernel | null | undefined;
function kernel(): SgdKernel | null {
  if (!simdEnabled()) return null;
  if (simdKernel === undefined) simdKernel = sgdKernel();
  return simdKernel;
}

/** Loss of a single-row SGD pass, as a small integer so the hot loop branches cheaply. */
export const PassLoss = {
  Squared: 0,
  Huber: 1,
  /** Binary logistic; targets are 0/1. */
  Logistic: 2,
} as const;
/** One of {@link PassLoss}'s values. */
export type PassLoss = (typeof PassLoss)[keyof typeof PassLoss];

/**
 * One pass of plain-schedule SGD over a batch for a single weight row (linear
 * regression, binary logistic). `target[i]` is the regression target or the
 * 0/1 label of row i.
 *
 * The L2 shrink is kept as a scalar factor (w = scale · v), as scikit-learn
 * does, so each row costs one dot product and one axpy: O(d), no extra pass.
 * Everything the loop needs is hoisted into locals; the schedule is a number.
 * Advances the state's sample counter. Returns false, stopping early, when a
 * linear output is not finite (a NaN or ±Infinity feature, or overflow): the
 * caller then discards the state copy and reports the fault.
 */
export function plainPass(
  st: SGDState,
  p: SGDParams,
  X: Float64Array,
  order: Uint32Array,
  rows: number,
  t0: number,
  loss: PassLoss,
  target: ArrayLike<number>,
  epsilon: number,
): boolean {
  const d = st.d;
  const v = st.w; // rescaled in place at the end
  const alpha = p.alpha;
  const eta0 = p.eta0;
  const powerT = p.powerT;
  // 0 constant, 1 invscaling √√t, 2 invscaling √t, 3 invscaling pow (JS only), 4 optimal
  const schedule =
    p.learningRate === "invscaling" ? (powerT === 0.25 ? 1 : powerT === 0.5 ? 2 : 3) : p.learningRate === "optimal" ? 4 : 0;
  const fitIntercept = p.fitIntercept;
  const simd = schedule === 3 ? null : kernel();
  if (simd) {
    const io = {
      intercept: st.b[0]!, t: st.t, alpha, eta0, t0, epsilon, fitIntercept,
      schedule: schedule as 0 | 1 | 2 | 4, loss,
    };
    const ok = simd.pass(X, target, order, rows, d, v, io);
    st.b[0] = io.intercept;
    st.t = io.t;
    return ok;
  }
  let scale = 1;
  let b0 = st.b[0]!;
  let t = st.t;
  for (let r = 0; r < rows; r++) {
    const i = order[r]!;
    const o = i * d;
    const out = b0 + scale * dot(v, 0, X, o, d);
    if (out - out !== 0) return false;
    let g: number;
    if (loss === PassLoss.Logistic) {
      g = sigmoid(out) - target[i]!;
    } else {
      g = out - target[i]!;
      if (loss === PassLoss.Huber) g = g > epsilon ? epsilon : g < -epsilon ? -epsilon : g;
    }
    const eta =
      schedule === 1 ? eta0 / Math.sqrt(Math.sqrt(t))
      : schedule === 0 ? eta0
      : schedule === 4 ? 1 / (alpha * (t0 + t - 1))
      : schedule === 2 ? eta0 / Math.sqrt(t)
      : eta0 / Math.pow(t, powerT);
    const step = eta * g;
    const shrink = 1 - eta * alpha;
    if (shrink > 1e-9) scale *= shrink;
    else {
      v.fill(0);
      scale = 1;
    }
    if (step !== 0) axpy(-step / scale, X, o, v, d);
    if (fitIntercept) b0 -= step;
    if (scale < 1e-9) {
      // Fold the factor back before it underflows.
      for (let j = 0; j < d; j++) v[j]! *= scale;
      scale = 1;
    }
    t++;
  }
  if (scale !== 1) for (let j = 0; j < d; j++) v[j]! *= scale;
  st.b[0] = b0;
  st.t = t;
  return true;
}

/**
 * After a pass stopped on a non-finite output: a non-finite feature is
 * `non_finite` (naming it), anything else is divergence. Never returns.
 */
export function passFailed(X: Float64Array, cols: number, p: SGDParams): never {
  assertFiniteFeatures(X, cols);
  throw divergedError(p);
}

/** The error for weights that left the finite range. */
export function divergedError(p: SGDParams): FreshmlError {
  return new FreshmlError("diverged", "SGD weights became non-finite on this batch (step size too large?); the model is unchanged", {
    learningRate: p.learningRate,
    eta0: p.eta0,
  });
}

/**
 * One SGD step on weight row `c` (offset `c·d`) for gradient scale `g` of the
 * loss with respect to the linear output, at row offset `o` of X.
 */
export function stepRow(
  st: SGDState,
  p: SGDParams,
  c: number,
  X: Float64Array,
  o: number,
  g: number,
  eta: number,
): void {
  const d = st.d;
  const w = st.w;
  const wo = c * d;
  const G = st.G;
  if (G !== null) {
    const alpha = p.alpha;
    const eta0 = p.eta0;
    for (let j = 0; j < d; j++) {
      const gj = g * X[o + j]! + alpha * w[wo + j]!;
      const acc = G[wo + j]! + gj * gj;
      G[wo + j] = acc;
      w[wo + j]! -= (eta0 * gj) / (Math.sqrt(acc) + 1e-10);
    }
    if (p.fitIntercept) {
      const gi = st.k * d + c;
      const acc = G[gi]! + g * g;
      G[gi] = acc;
      st.b[c]! -= (eta0 * g) / (Math.sqrt(acc) + 1e-10);
    }
    return;
  }
  const shrink = 1 - eta * p.alpha;
  const step = eta * g;
  for (let j = 0; j < d; j++) w[wo + j] = w[wo + j]! * shrink - step * X[o + j]!;
  if (p.fitIntercept) st.b[c]! -= step;
}
