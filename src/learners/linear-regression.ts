import { assertFiniteFeatures, readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { bool, count, finite, finiteNumbers, nonNegative, object, positiveInt } from "../core/json-checks.js";
import { mergeMoments, removeMoments } from "../core/moments.js";
import { checkLength, checkMergeable, checkPredictions, makeEnvelope, notFitted, openEnvelope, stateInvariantError } from "./envelope.js";
import { allFinite, dot, mirrorUpper } from "../core/kernels.js";
import { linearScores } from "../core/wasm/gemv.js";
import { simdEnabled } from "../core/wasm/load.js";
import { SyrkWorkspace, syrkChunkRows } from "../core/wasm/syrk.js";
import type { Trainer, TrainerJSON } from "./trainer.js";

/** Parameters of {@link LinearRegression}. */
export interface LinearRegressionParams {
  /** Ridge penalty on the weights (not the intercept), as scikit-learn's `Ridge(alpha)`. Default 0: ordinary least squares. */
  l2: number;
  /** Fit an intercept. Default true. */
  fitIntercept: boolean;
}

const paramsCheck = object({ l2: nonNegative, fitIntercept: bool });
const stateCheck = object({
  d: positiveInt,
  n: count,
  meanX: finiteNumbers,
  meanY: finite,
  sxx: finiteNumbers,
  sxy: finiteNumbers,
  syy: finite,
});

/** Sufficient statistics, centred: means, Σ(x-x̄)(x-x̄)ᵀ, Σ(x-x̄)(y-ȳ), Σ(y-ȳ)². */
interface Stats {
  d: number;
  n: number;
  meanX: Float64Array;
  meanY: number;
  sxx: Float64Array; // d × d, full symmetric
  sxy: Float64Array;
  syy: number;
}

/** Fitted coefficients of a linear model. */
export interface LinearCoefficients {
  /** One weight per feature. */
  readonly weights: Float64Array;
  /** The intercept (0 without `fitIntercept`). */
  readonly intercept: number;
}

function emptyStats(d: number): Stats {
  return { d, n: 0, meanX: new Float64Array(d), meanY: 0, sxx: new Float64Array(d * d), sxy: new Float64Array(d), syy: 0 };
}

/**
 * Exact least squares (or ridge) learned incrementally from sufficient
 * statistics. Whatever way the rows are split into batches, the solution equals
 * the closed-form fit on all rows (to rounding), and memory is O(d²) however
 * many rows stream through.
 *
 * The statistics are centred (Chan's pairwise update), so large offsets in the
 * data do not cancel catastrophically; the intercept is never penalised. A
 * singular system without a ridge penalty is a `singular_system` error that
 * names a constant or collinear column, not NaN.
 *
 * Cost: update O(b·d²), solve O(d³) once per change, predict O(b·d).
 * Capabilities: `merge` (adds statistics) and `forget` (exact downdate).
 *
 * @example
 * ```ts
 * import { LinearRegression } from "freshml";
 * const model = new LinearRegression({ l2: 0 });
 * model.update({ X: [[0], [1]], y: [1, 3] });
 * model.update({ X: [[2], [3]], y: [5, 7] });
 * model.predict([[4]]); // Float64Array [9]
 * model.coefficients(); // { weights: [2], intercept: 1 }
 * ```
 */
export class LinearRegression implements Trainer {
  readonly kind = "LinearRegression";
  readonly task = "regression" as const;
  readonly params: Readonly<LinearRegressionParams>;
  private stats: Stats | null = null;
  private solved: LinearCoefficients | null = null;

  constructor(params: Partial<LinearRegressionParams> = {}) {
    const { l2 = 0, fitIntercept = true } = params;
    checkParam(typeof l2 === "number" && Number.isFinite(l2) && l2 >= 0, "l2", "a finite number ≥ 0", l2);
    checkParam(typeof fitIntercept === "boolean", "fitIntercept", "a boolean", fitIntercept);
    this.params = Object.freeze({ l2, fitIntercept });
  }

  get nFeatures(): number | undefined {
    return this.stats?.d;
  }

  get nSeen(): number {
    return this.stats?.n ?? 0;
  }

  /** Learns a batch: O(b·d²). */
  update(batch: Batch): void {
    // batchStats detects non-finite features itself, saving a scan.
    const b = readBatch(batch, this.stats?.d, { deferFiniteCheck: true });
    const part = this.batchStats(b.X, b.y, b.rows, b.cols);
    const next = this.stats ? copyStats(this.stats) : emptyStats(b.cols);
    combine(next, part);
    if (!statsFinite(next)) {
      throw new FreshmlError("non_finite", "the batch overflows the statistics (values too large to square)", {
        expected: "values whose squares are finite",
      });
    }
    this.stats = next;
    this.solved = null;
  }

  /** Exactly removes a batch learned earlier (sliding windows). */
  forget(batch: Batch): void {
    if (!this.stats) throw notFitted(this.kind);
    const b = readBatch(batch, this.stats.d);
    if (b.rows > this.stats.n) {
      throw new FreshmlError("forget_mismatch", `cannot forget ${b.rows} rows from a model that has seen ${this.stats.n}`, {
        observed: b.rows,
        expected: `≤ ${this.stats.n}`,
      });
    }
    const part = this.batchStats(b.X, b.y, b.rows, b.cols);
    const next = copyStats(this.stats);
    remove(next, part);
    this.stats = next;
    this.solved = null;
  }

  /** Adds the statistics of another LinearRegression with the same parameters. */
  merge(other: Trainer): void {
    checkMergeable(this, other);
    const o = (other as LinearRegression).stats;
    if (!o) return;
    const next = this.stats ? copyStats(this.stats) : emptyStats(o.d);
    combine(next, o);
    if (!statsFinite(next)) throw new FreshmlError("non_finite", "merging overflows the statistics; the model is unchanged");
    this.stats = next;
    this.solved = null;
  }

  /** The fitted weights and intercept (solving the normal equations if needed). */
  coefficients(): LinearCoefficients {
    const c = this.solve();
    return { weights: c.weights.slice(), intercept: c.intercept };
  }

  predict(X: FeatureInput): Float64Array {
    if (!this.stats) throw notFitted(this.kind);
    const f = readFeatures(X, this.stats.d);
    const { weights, intercept } = this.solve();
    const out = new Float64Array(f.rows);
    linearScores(f.X, f.rows, f.cols, weights, [intercept], 1, out);
    checkPredictions(out, this.kind);
    return out;
  }

  toJSON(): TrainerJSON {
    const s = this.stats;
    return makeEnvelope(
      this.kind,
      this.params,
      s && {
        d: s.d,
        n: s.n,
        meanX: Array.from(s.meanX),
        meanY: s.meanY,
        sxx: packUpper(s.sxx, s.d),
        sxy: Array.from(s.sxy),
        syy: s.syy,
      },
    );
  }

  /** Restores a LinearRegression from {@link LinearRegression.toJSON} output. */
  static fromJSON(json: unknown): LinearRegression {
    const { params, state } = openEnvelope(json, "LinearRegression", paramsCheck, stateCheck);
    const model = new LinearRegression(params);
    if (state) {
      checkLength("meanX", state.meanX, state.d);
      checkLength("sxx (upper triangle)", state.sxx, (state.d * (state.d + 1)) / 2);
      checkLength("sxy", state.sxy, state.d);
      model.stats = {
        d: state.d,
        n: state.n,
        meanX: Float64Array.from(state.meanX),
        meanY: state.meanY,
        sxx: unpackUpper(state.sxx, state.d),
        sxy: Float64Array.from(state.sxy),
        syy: state.syy,
      };
      checkStats(model.stats);
    }
    return model;
  }

  clone(): LinearRegression {
    return new LinearRegression(this.params);
  }

  copy(): LinearRegression {
    const c = this.clone();
    // Shared: statistics are never written in place (update, forget and merge make new ones), so a copy is O(1).
    c.stats = this.stats;
    c.solved = this.solved;
    return c;
  }

  /**
   * Centred statistics of one batch in one pass over memory plus a blocked
   * Zᵀ Z. Rows are shifted by a point near their mean (the model's current
   * means, or the batch's first row), which keeps the sums from cancelling;
   * the batch-centred statistics follow exactly from the shifted ones
   * (S = Σzzᵀ − n·z̄z̄ᵀ). A NaN or ±Infinity feature makes a sum non-finite,
   * so no separate scan is needed to find it.
   */
  private batchStats(X: Float64Array, y: ArrayLike<number>, rows: number, d: number): Stats {
    const s = emptyStats(d);
    s.n = rows;
    const K = this.stats && this.stats.n > 0 ? this.stats.meanX : X.slice(0, d);
    const Ky = this.stats && this.stats.n > 0 ? this.stats.meanY : y[0]!;
    const sz = s.meanX; // Σ(x − K) until the end
    const sxy = s.sxy;
    let szy = 0;
    let syy = 0;
    const chunk = syrkChunkRows(d);
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      const Z = workspace().rows(n, d);
      for (let r = 0; r < n; r++) {
        const i = start + r;
        const o = i * d;
        const zo = r * d;
        const zy = y[i]! - Ky;
        szy += zy;
        syy += zy * zy;
        for (let j = 0; j < d; j++) {
          const z = X[o + j]! - K[j]!;
          Z[zo + j] = z;
          sz[j]! += z;
          sxy[j]! += z * zy;
        }
      }
      if (!allFinite(sz)) {
        assertFiniteFeatures(X, d);
        throw new FreshmlError("non_finite", "the batch overflows the statistics (values too large to sum)");
      }
      workspace().accumulate(n, d, s.sxx);
    }
    const n = rows;
    const mzy = szy / n;
    for (let j = 0; j < d; j++) {
      const mzj = sz[j]! / n;
      for (let k = j; k < d; k++) s.sxx[j * d + k]! -= n * mzj * (sz[k]! / n);
      sxy[j]! -= n * mzj * mzy;
    }
    mirrorUpper(s.sxx, d);
    s.syy = Math.max(0, syy - n * mzy * mzy);
    for (let j = 0; j < d; j++) s.meanX[j] = K[j]! + sz[j]! / n;
    s.meanY = Ky + mzy;
    return s;
  }

  private solve(): LinearCoefficients {
    if (this.solved) return this.solved;
    const s = this.stats;
    if (!s || s.n === 0) throw notFitted(this.kind);
    const d = s.d;
    const { l2, fitIntercept } = this.params;
    // Without an intercept the normal equations use raw moments: XᵀX = S + n·x̄x̄ᵀ.
    const A = solveScratch(0, d * d);
    const rhs = new Float64Array(d);
    let maxDiag = 0;
    for (let j = 0; j < d; j++) {
      // Build the upper triangle and mirror it, so A is exactly symmetric.
      for (let k = j; k < d; k++) {
        let v = s.sxx[j * d + k]!;
        if (!fitIntercept) v += s.n * s.meanX[j]! * s.meanX[k]!;
        if (j === k) v += l2;
        A[j * d + k] = v;
        A[k * d + j] = v;
      }
      maxDiag = Math.max(maxDiag, A[j * d + j]!);
      rhs[j] = fitIntercept ? s.sxy[j]! : s.sxy[j]! + s.n * s.meanX[j]! * s.meanY;
    }
    const chol = cholesky(A, d);
    // A pivot this small relative to the largest diagonal means the system is
    // singular to working precision: the "solution" would be noise. With a ridge,
    // every eigenvalue of A is at least l2 in exact arithmetic, so every Cholesky
    // pivot² is too: a pivot² above l2 / 2 is sound whatever the data's scale, as
    // long as l2 itself is not lost to rounding against the largest diagonal.
    const tol = maxDiag * d * 1e-13;
    const ridgeHolds = l2 > maxDiag * d * 4e-16; // a few times the rounding of the largest diagonal
    let bad = -1;
    if (maxDiag <= 0 || !chol.positiveDefinite) bad = 0;
    else {
      const L = chol.L;
      for (let j = 0; j < d; j++) {
        const p = L[j * d + j]!;
        if (!(p * p > tol || (ridgeHolds && p * p > l2 / 2))) {
          bad = j;
          break;
        }
      }
    }
    if (bad >= 0) {
      if (l2 > 0) {
        throw new FreshmlError(
          "singular_system",
          `least squares is singular to working precision at feature column ${bad} although l2 = ${l2}: the ridge is too small for the data's scale ` +
            `(largest diagonal of XᵀX ${maxDiag.toPrecision(3)}); raise l2 well above ${(maxDiag * d * 4e-16).toPrecision(3)} or standardise the features`,
          { column: bad, rows: s.n, l2, expected: `l2 > ${maxDiag * d * 4e-16}` },
        );
      }
      // A column is constant when its centred sum of squares is zero up to the rounding of its values.
      let constant = -1;
      for (let j = 0; j < d; j++) if (s.sxx[j * d + j]! <= s.n * (1e-10 * s.meanX[j]!) ** 2) constant = j;
      const why =
        constant >= 0
          ? `feature column ${constant} is constant over the ${s.n} rows seen`
          : s.n <= d
            ? `${s.n} rows cannot determine ${d} weights`
            : `feature column ${bad} is a linear combination of earlier columns (with an intercept, e.g. every level of a one-hot enum)`;
      throw new FreshmlError("singular_system", `least squares is singular: ${why}; set l2 > 0 (ridge) to regularise`, {
        column: constant >= 0 ? constant : bad,
        rows: s.n,
      });
    }
    const weights = choleskySolve(chol.L, d, rhs);
    const intercept = fitIntercept ? s.meanY - dot(weights, 0, s.meanX, 0, d) : 0;
    if (!allFinite(weights) || !Number.isFinite(intercept)) {
      throw new FreshmlError(
        "singular_system",
        l2 > 0 ? `least squares gave non-finite weights although l2 = ${l2}; raise l2 or standardise the features` : "least squares gave non-finite weights; set l2 > 0 (ridge) to regularise",
        { l2 },
      );
    }
    this.solved = { weights, intercept };
    return this.solved;
  }
}

// One workspace for all instances: updates are synchronous, so they never interleave.
let shared: SyrkWorkspace | undefined;
let sharedWithSimd = false;
function workspace(): SyrkWorkspace {
  // Rebuilt when setSimdEnabled has changed since it was made.
  if (!shared || sharedWithSimd !== simdEnabled()) {
    shared = new SyrkWorkspace();
    sharedWithSimd = simdEnabled();
  }
  return shared;
}

/** The upper triangle of a symmetric d × d matrix, row by row: half the saved size. */
function packUpper(S: Float64Array, d: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < d; j++) for (let k = j; k < d; k++) out.push(S[j * d + k]!);
  return out;
}

function unpackUpper(packed: number[], d: number): Float64Array {
  const S = new Float64Array(d * d);
  let q = 0;
  for (let j = 0; j < d; j++) for (let k = j; k < d; k++) S[j * d + k] = packed[q++]!;
  mirrorUpper(S, d);
  return S;
}

/**
 * Throws `invalid_state` naming the field unless restored statistics can be
 * those of real rows: `syy` ≥ 0, no sum of squares Σ(x−x̄)² grossly negative,
 * no cross product grossly beyond the raw second moments (|S_jk| ≤ √(Σx_j²·Σx_k²),
 * which any cross-product matrix obeys), and nothing but zeros when no rows
 * were seen. The tolerances are wide (10⁻³ and 10³ of the raw moments):
 * `forget` subtracts statistics, and the rounding it leaves scales with what
 * was removed, not with what remains, so only corruption is refused.
 */
function checkStats(s: Stats): void {
  const bad = (field: string, why: string, observed?: unknown): never => {
    throw stateInvariantError("LinearRegression", field, why, observed);
  };
  const d = s.d;
  if (s.syy < 0) bad("syy", "is negative (a sum of squares)", s.syy);
  // Σx² per column (and Σy²), and what squares below the double range may lose to underflow.
  const lost = (s.n + 1) * 2.3e-308;
  const raw = new Float64Array(d);
  for (let j = 0; j < d; j++) raw[j] = Math.abs(s.sxx[j * d + j]!) + s.n * s.meanX[j]! * s.meanX[j]! + lost;
  const rawY = s.syy + s.n * s.meanY * s.meanY + lost;
  for (let j = 0; j < d; j++) {
    if (s.sxx[j * d + j]! < -1e-3 * raw[j]!) bad(`sxx[${j},${j}]`, "is negative (a sum of squares)", s.sxx[j * d + j]);
  }
  for (let j = 0; j < d; j++) {
    for (let k = j + 1; k < d; k++) {
      if (!(Math.abs(s.sxx[j * d + k]!) <= 1e3 * Math.sqrt(raw[j]!) * Math.sqrt(raw[k]!))) {
        bad(`sxx[${j},${k}]`, "is far beyond √(Σx_j²·Σx_k²): not a cross-product matrix", s.sxx[j * d + k]);
      }
    }
    if (!(Math.abs(s.sxy[j]!) <= 1e3 * Math.sqrt(raw[j]!) * Math.sqrt(rawY))) bad(`sxy[${j}]`, "is far beyond √(Σx_j²·Σy²)", s.sxy[j]);
  }
  if (s.n === 0 && (s.syy !== 0 || s.meanY !== 0 || s.sxx.some((v) => v !== 0) || s.meanX.some((v) => v !== 0))) {
    bad("n", "is 0 but the statistics are not empty", s.n);
  }
}

function copyStats(s: Stats): Stats {
  return { d: s.d, n: s.n, meanX: s.meanX.slice(), meanY: s.meanY, sxx: s.sxx.slice(), sxy: s.sxy.slice(), syy: s.syy };
}

function statsFinite(s: Stats): boolean {
  if (!Number.isFinite(s.syy) || !Number.isFinite(s.meanY)) return false;
  // |S_jk| ≤ max(S_jj, S_kk), so finite diagonals bound every entry.
  for (let j = 0; j < s.d; j++) if (!Number.isFinite(s.sxx[j * s.d + j]!)) return false;
  return allFinite(s.meanX) && allFinite(s.sxy);
}

/** a ← a ∪ b (Chan et al. for the cross-product matrices). */
function combine(a: Stats, b: Stats): void {
  if (b.n === 0) return;
  if (a.n === 0) {
    a.n = b.n;
    a.meanX.set(b.meanX);
    a.meanY = b.meanY;
    a.sxx.set(b.sxx);
    a.sxy.set(b.sxy);
    a.syy = b.syy;
    return;
  }
  const n = a.n + b.n;
  const c = (a.n * b.n) / n;
  const d = a.d;
  const dx = new Float64Array(d);
  for (let j = 0; j < d; j++) dx[j] = b.meanX[j]! - a.meanX[j]!;
  const dy = b.meanY - a.meanY;
  for (let j = 0; j < d; j++) {
    const cj = c * dx[j]!;
    for (let k = j; k < d; k++) a.sxx[j * d + k]! += b.sxx[j * d + k]! + cj * dx[k]!;
    a.sxy[j]! += b.sxy[j]! + cj * dy;
  }
  mirrorUpper(a.sxx, d);
  a.syy += b.syy + c * dy * dy;
  mergeMoments(a.n, a.meanX, undefined, b.n, b.meanX, undefined);
  a.meanY += (dy * b.n) / n;
  a.n = n;
}

/** a ← a \ b, the exact inverse of {@link combine}. */
function remove(a: Stats, b: Stats): void {
  const nA = a.n - b.n;
  if (nA <= 0) {
    const e = emptyStats(a.d);
    Object.assign(a, e);
    return;
  }
  const d = a.d;
  const restMean = a.meanX.slice();
  removeMoments(a.n, restMean, undefined, b.n, b.meanX, undefined);
  const restMeanY = (a.n * a.meanY - b.n * b.meanY) / nA;
  const c = (nA * b.n) / a.n;
  for (let j = 0; j < d; j++) {
    const dxj = b.meanX[j]! - restMean[j]!;
    for (let k = j; k < d; k++) {
      a.sxx[j * d + k]! -= b.sxx[j * d + k]! + c * dxj * (b.meanX[k]! - restMean[k]!);
    }
    a.sxy[j]! -= b.sxy[j]! + c * dxj * (b.meanY - restMeanY);
  }
  a.syy -= b.syy + c * (b.meanY - restMeanY) ** 2;
  if (a.syy < 0) a.syy = 0;
  // The subtraction's rounding scales with what was removed, not with what remains: clamp it back
  // into what real statistics obey (sums of squares ≥ 0, |S_jk| ≤ √(S_jj·S_kk), |sxy_j| ≤ √(S_jj·syy)),
  // so the state always passes restore's checks. Only rounding is ever clamped.
  for (let j = 0; j < d; j++) if (a.sxx[j * d + j]! < 0) a.sxx[j * d + j] = 0;
  for (let j = 0; j < d; j++) {
    const rj = Math.sqrt(a.sxx[j * d + j]!);
    for (let k = j + 1; k < d; k++) {
      const bound = rj * Math.sqrt(a.sxx[k * d + k]!);
      const v = a.sxx[j * d + k]!;
      if (v > bound) a.sxx[j * d + k] = bound;
      else if (v < -bound) a.sxx[j * d + k] = -bound;
    }
    const by = rj * Math.sqrt(a.syy);
    if (a.sxy[j]! > by) a.sxy[j] = by;
    else if (a.sxy[j]! < -by) a.sxy[j] = -by;
  }
  mirrorUpper(a.sxx, d);
  a.meanX.set(restMean);
  a.meanY = restMeanY;
  a.n = nA;
}

// Two scratch matrices for solve (the system and its factor), shared by all instances: solves are synchronous and
// keep neither, and policy "auto" solves several candidates per batch (fresh 80 kB arrays each time at d = 100 load the GC).
const scratch: Float64Array[] = [new Float64Array(0), new Float64Array(0)];

function solveScratch(k: 0 | 1, length: number): Float64Array {
  if (scratch[k]!.length < length) scratch[k] = new Float64Array(length);
  return scratch[k]!.length === length ? scratch[k]! : scratch[k]!.subarray(0, length);
}

/**
 * Cholesky factor of a symmetric d×d matrix (row-major), L Lᵀ = A: ml-matrix's
 * CholeskyDecomposition (Cholesky–Banachiewicz, row by row) on flat arrays,
 * its inner products summed in four lanes — several times faster at d = 100,
 * which matters to policy "auto" (one solve per candidate per batch).
 */
function cholesky(A: Float64Array, d: number): { L: Float64Array; positiveDefinite: boolean } {
  // Only the lower triangle is written and read: the scratch needs no zeroing.
  const L = solveScratch(1, d * d);
  let positiveDefinite = true;
  for (let j = 0; j < d; j++) {
    const jo = j * d;
    let sum = 0;
    for (let k = 0; k < j; k++) {
      const ko = k * d;
      // Four independent sums: the loop is bound by the latency of one addition chain otherwise.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i = 0;
      for (; i + 3 < k; i += 4) {
        s0 += L[ko + i]! * L[jo + i]!;
        s1 += L[ko + i + 1]! * L[jo + i + 1]!;
        s2 += L[ko + i + 2]! * L[jo + i + 2]!;
        s3 += L[ko + i + 3]! * L[jo + i + 3]!;
      }
      for (; i < k; i++) s0 += L[ko + i]! * L[jo + i]!;
      const s = (A[jo + k]! - (s0 + s1 + (s2 + s3))) / L[ko + k]!;
      L[jo + k] = s;
      sum = sum + s * s;
    }
    sum = A[jo + j]! - sum;
    positiveDefinite &&= sum > 0;
    L[jo + j] = Math.sqrt(Math.max(sum, 0));
  }
  return { L, positiveDefinite };
}

/** Solves L Lᵀ x = b (b is overwritten and returned), in ml-matrix's order of operations. */
function choleskySolve(L: Float64Array, d: number, b: Float64Array): Float64Array {
  for (let k = 0; k < d; k++) {
    const ko = k * d;
    let v = b[k]!;
    for (let i = 0; i < k; i++) v = v - b[i]! * L[ko + i]!;
    b[k] = v / L[ko + k]!;
  }
  for (let k = d - 1; k >= 0; k--) {
    let v = b[k]!;
    for (let i = k + 1; i < d; i++) v = v - b[i]! * L[i * d + k]!;
    b[k] = v / L[k * d + k]!;
  }
  return b;
}
