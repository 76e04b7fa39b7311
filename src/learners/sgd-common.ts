import { z } from "zod";
import { checkParam, FreshmlError } from "../core/errors.js";
import { SeededRandom } from "../core/random.js";
import { OnlineStandardScaler } from "../schema/standard-scaler.js";
import { checkLength, finiteArray } from "./envelope.js";
import { allFinite } from "./kernels.js";

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
  /** Keep an online standard scaler in the state and learn on standardised features. Default false. */
  standardize: boolean;
}

export const sgdParamsShape = {
  alpha: z.number().min(0),
  learningRate: z.enum(["constant", "invscaling", "optimal", "adagrad"]),
  eta0: z.number().positive(),
  powerT: z.number(),
  shuffle: z.boolean(),
  seed: z.number(),
  fitIntercept: z.boolean(),
  standardize: z.boolean(),
};

export const sgdStateSchema = z.object({
  d: z.number().int().positive(),
  n: z.number().int().nonnegative(),
  t: z.number().positive(),
  w: finiteArray,
  b: finiteArray,
  G: finiteArray.nullable(),
  rng: z.number().int().nonnegative(),
  scaler: z.unknown(),
});
export type SGDStateJSON = z.infer<typeof sgdStateSchema>;

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
  checkParam(typeof standardize === "boolean", "standardize", "a boolean", standardize);
  if (learningRate === "optimal" && alpha <= 0) {
    throw new FreshmlError("invalid_params", "learningRate 'optimal' needs alpha > 0", { param: "alpha", observed: alpha });
  }
  return { alpha, learningRate, eta0, powerT, shuffle, seed, fitIntercept, standardize };
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

  static fresh(d: number, k: number, p: SGDParams): SGDState {
    return new SGDState(d, k, new Float64Array(k * d), new Float64Array(k), p.learningRate === "adagrad",
      new SeededRandom(p.seed), p.standardize ? new OnlineStandardScaler() : null);
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

  static fromJSON(s: SGDStateJSON, k: number, p: SGDParams): SGDState {
    checkLength("w", s.w, k * s.d);
    checkLength("b", s.b, k);
    if (p.learningRate === "adagrad") {
      if (!s.G) throw new FreshmlError("invalid_state", "adagrad state needs G");
      checkLength("G", s.G, k * s.d + k);
    }
    const st = new SGDState(s.d, k, Float64Array.from(s.w), Float64Array.from(s.b), false, SeededRandom.fromState(s.rng),
      p.standardize ? OnlineStandardScaler.fromJSON(s.scaler) : null);
    st.G = s.G && Float64Array.from(s.G);
    st.t = s.t;
    st.n = s.n;
    return st;
  }
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
      return p.eta0 / Math.pow(t, p.powerT);
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
  st.scaler.updateDense(X, st.d);
  if (scratch.X.length < X.length) scratch.X = new Float64Array(X.length);
  const Z = scratch.X.subarray(0, X.length);
  st.scaler.transformInto(X, Z);
  return { order, X: Z };
}

/** Features as the model sees them at predict time (standardised when the state holds a scaler). */
export function predictView(st: SGDState, X: Float64Array): Float64Array {
  if (!st.scaler) return X;
  const Z = new Float64Array(X.length);
  st.scaler.transformInto(X, Z);
  return Z;
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
