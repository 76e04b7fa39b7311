import { readFeatures, type FeatureInput } from "../core/batch.js";
import { describeValue, FreshmlError } from "../core/errors.js";
import { array, count, finiteNumbers, object, optional, positiveInt, readChecked } from "../core/json-checks.js";
import { mergeMoments, removeMoments } from "../core/moments.js";
import { classMomentsSimd } from "../core/wasm/moments.js";

const scalerStateCheck = /* @__PURE__ */ object({
  d: positiveInt,
  n: count,
  mean: finiteNumbers,
  m2: finiteNumbers,
  skip: /* @__PURE__ */ optional(/* @__PURE__ */ array(count)),
});

/** JSON form of an {@link OnlineStandardScaler}. */
export interface StandardScalerJSON {
  /** Column count. */
  d: number;
  /** Rows seen. */
  n: number;
  /** Column means (0 for a column left unscaled). */
  mean: number[];
  /** Column sums of squared deviations from the mean (0 for a column left unscaled). */
  m2: number[];
  /** Columns left unscaled, ascending (absent when there are none). */
  skip?: number[];
}

/** Options of {@link OnlineStandardScaler}. */
export interface StandardScalerOptions {
  /**
   * Zero-based columns to pass through unchanged (not centred, not scaled, no
   * statistics kept): one-hot or other 0/1 indicator columns, whose rare levels
   * would otherwise be blown up to large values. Default none.
   */
  skip?: readonly number[];
}

/**
 * Online standardisation: running per-column mean and variance (Welford's
 * statistics, merged batch-wise with Chan's formula), exact whatever the batch
 * split, mergeable, and small enough to live inside a learner's state.
 *
 * `transform` maps x to (x − mean) / std with the population std, as
 * scikit-learn's `StandardScaler` does; a constant column is divided by 1.
 * Columns listed in `skip` pass through unchanged.
 *
 * Every update is all-or-nothing: a batch whose statistics would overflow
 * (a column's mean or sum of squares beyond the largest double, e.g. values
 * around 1e200) is refused with `non_finite` naming the column, and the
 * scaler is exactly as before. The statistics therefore always stay finite.
 *
 * @example
 * ```ts
 * import { OnlineStandardScaler } from "freshml";
 * const s = new OnlineStandardScaler();
 * s.update([[1], [3]]);
 * s.transform([[2], [3]]); // Float64Array [0, 1]
 * ```
 */
export class OnlineStandardScaler {
  private d: number | undefined;
  private n = 0;
  private mean = new Float64Array(0);
  private m2 = new Float64Array(0);
  private scale: Float64Array | null = null;
  private skipped: readonly number[];

  /** A scaler; `options.skip` lists columns to leave unscaled. */
  constructor(options: StandardScalerOptions = {}) {
    this.skipped = normaliseSkip(options.skip);
  }

  /** Columns passed through unscaled, ascending. */
  get skip(): readonly number[] {
    return this.skipped;
  }

  /** Feature count; `undefined` before the first update. */
  get nFeatures(): number | undefined {
    return this.d;
  }

  /** Rows seen. */
  get count(): number {
    return this.n;
  }

  /** Learns the column statistics of a batch of rows. */
  update(X: FeatureInput): void {
    const f = readFeatures(X, this.d);
    this.updateDense(f.X, f.cols);
  }

  /**
   * {@link update} for already-checked row-major data. All-or-nothing: a
   * batch that would make a statistic non-finite (a NaN or ±Infinity, or
   * finite values so large their squares overflow) throws `non_finite` naming
   * the column and leaves the scaler unchanged.
   */
  updateDense(X: Float64Array, cols: number): void {
    const last = this.skipped.length > 0 ? this.skipped[this.skipped.length - 1]! : -1;
    if (this.d === undefined && last >= cols) {
      throw new FreshmlError("invalid_params", `skip lists column ${last} but the batch has ${cols} columns`, {
        param: "skip",
        observed: last,
        expected: `< ${cols}`,
      });
    }
    const bm = new Float64Array(cols);
    const bm2 = new Float64Array(cols);
    const nb = batchMoments(X, cols, bm, bm2);
    for (const j of this.skipped) {
      bm[j] = 0;
      bm2[j] = 0;
    }
    const mean = this.d === undefined ? new Float64Array(cols) : this.mean.slice();
    const m2 = this.d === undefined ? new Float64Array(cols) : this.m2.slice();
    const n = mergeMoments(this.n, mean, m2, nb, bm, bm2);
    for (let j = 0; j < cols; j++) {
      if (!Number.isFinite(mean[j]!) || !Number.isFinite(m2[j]!)) {
        throw new FreshmlError(
          "non_finite",
          `standardising column ${j} overflows: its mean or sum of squared deviations is not a finite number (values too large to square); the scaler is unchanged`,
          { column: j, observed: String(Number.isFinite(mean[j]!) ? m2[j] : mean[j]), expected: "statistics within the double range" },
        );
      }
    }
    this.d = cols;
    this.mean = mean;
    this.m2 = m2;
    this.n = n;
    this.scale = null;
  }

  /** Removes the statistics of a batch learned earlier. */
  forgetDense(X: Float64Array, cols: number): void {
    const bm = new Float64Array(cols);
    const bm2 = new Float64Array(cols);
    const nb = batchMoments(X, cols, bm, bm2);
    for (const j of this.skipped) {
      bm[j] = 0;
      bm2[j] = 0;
    }
    this.n = removeMoments(this.n, this.mean, this.m2, nb, bm, bm2);
    this.scale = null;
  }

  /** Adds another scaler's statistics (same `skip`); all-or-nothing, as {@link updateDense}. */
  merge(other: OnlineStandardScaler): void {
    if (other.d === undefined) return;
    if (this.d !== undefined && this.d !== other.d) {
      throw new FreshmlError("incompatible_merge", `cannot merge scalers of ${other.d} and ${this.d} columns`);
    }
    if (this.skipped.join() !== other.skipped.join()) {
      throw new FreshmlError("incompatible_merge", "cannot merge scalers that leave different columns unscaled", {
        observed: other.skipped,
        expected: this.skipped,
      });
    }
    const mean = this.d === undefined ? new Float64Array(other.d) : this.mean.slice();
    const m2 = this.d === undefined ? new Float64Array(other.d) : this.m2.slice();
    const n = mergeMoments(this.n, mean, m2, other.n, other.mean, other.m2);
    for (let j = 0; j < mean.length; j++) {
      if (!Number.isFinite(mean[j]!) || !Number.isFinite(m2[j]!)) {
        throw new FreshmlError("non_finite", `merging overflows column ${j}'s statistics; the scaler is unchanged`, { column: j });
      }
    }
    this.d = other.d;
    this.mean = mean;
    this.m2 = m2;
    this.n = n;
    this.scale = null;
  }

  /** Column means. */
  means(): Float64Array {
    return this.mean.slice();
  }

  /** Population variances (m2 / n). */
  variances(): Float64Array {
    const v = new Float64Array(this.mean.length);
    for (let j = 0; j < v.length; j++) v[j] = this.n > 0 ? this.m2[j]! / this.n : 0;
    return v;
  }

  /** Standardises rows into a new row-major array. */
  transform(X: FeatureInput): Float64Array {
    if (this.d === undefined) throw new FreshmlError("not_fitted", "OnlineStandardScaler has seen no rows yet");
    const f = readFeatures(X, this.d);
    const out = new Float64Array(f.X.length);
    this.transformInto(f.X, out);
    return out;
  }

  /** Standardises checked row-major data into `out` (may equal `X`'s length only). */
  transformInto(X: Float64Array, out: Float64Array): void {
    const d = this.d!;
    const scale = this.scales();
    const mean = this.mean;
    for (let o = 0; o < X.length; o += d) {
      for (let j = 0; j < d; j++) out[o + j] = (X[o + j]! - mean[j]!) * scale[j]!;
    }
  }

  /**
   * The means and the factors 1/σ that {@link transformInto} applies
   * ((x − mean)·scale; 1 for skipped and constant columns), for kernels that
   * standardise in their own memory. Read-only views of the current state.
   * @internal
   */
  standardization(): { readonly mean: Float64Array; readonly scale: Float64Array } {
    return { mean: this.mean, scale: this.scales() };
  }

  private scales(): Float64Array {
    if (this.scale) return this.scale;
    const s = new Float64Array(this.mean.length);
    for (let j = 0; j < s.length; j++) {
      const sd = this.n > 0 ? Math.sqrt(this.m2[j]! / this.n) : 0;
      // A (near-)constant column keeps its centred value, as scikit-learn does.
      s[j] = sd > 1e-12 * (Math.abs(this.mean[j]!) + 1) ? 1 / sd : 1;
    }
    this.scale = s;
    return s;
  }

  /** A deep copy. */
  copy(): OnlineStandardScaler {
    const c = new OnlineStandardScaler({ skip: this.skipped });
    c.d = this.d;
    c.n = this.n;
    c.mean = this.mean.slice();
    c.m2 = this.m2.slice();
    c.scale = this.scale;
    return c;
  }

  /** JSON-safe state (null before the first update). */
  toJSON(): StandardScalerJSON | null {
    if (this.d === undefined) return null;
    const out: StandardScalerJSON = { d: this.d, n: this.n, mean: Array.from(this.mean), m2: Array.from(this.m2) };
    if (this.skipped.length > 0) out.skip = [...this.skipped];
    return out;
  }

  /**
   * Restores from {@link OnlineStandardScaler.toJSON}. Malformed or
   * inconsistent state (lengths other than `d`, a negative sum of squares,
   * statistics for a skipped column, skipped columns out of range) is
   * `invalid_state` naming the field. `null` restores an empty scaler (with
   * `options`).
   */
  static fromJSON(json: unknown, options: StandardScalerOptions = {}): OnlineStandardScaler {
    if (json === null || json === undefined) return new OnlineStandardScaler(options);
    const st = readChecked(scalerStateCheck, json, "invalid OnlineStandardScaler state", "state");
    const bad = (field: string, why: string): never => {
      throw new FreshmlError("invalid_state", `invalid OnlineStandardScaler state: ${field} ${why}`, { field });
    };
    if (st.mean.length !== st.d) bad("mean", `has length ${st.mean.length}, expected ${st.d}`);
    if (st.m2.length !== st.d) bad("m2", `has length ${st.m2.length}, expected ${st.d}`);
    st.m2.forEach((v, j) => {
      if (v < 0) bad(`m2[${j}]`, "is negative");
    });
    if (st.n === 0 && st.m2.some((v) => v !== 0)) bad("m2", "is non-zero with no rows seen");
    const skip = st.skip ?? [];
    skip.forEach((j, i) => {
      if (j >= st.d) bad(`skip[${i}]`, `is ${j}, beyond the ${st.d} columns`);
      if (i > 0 && j <= skip[i - 1]!) bad(`skip[${i}]`, "is not ascending");
      if (st.mean[j] !== 0 || st.m2[j] !== 0) bad(`mean[${j}]`, "holds statistics for a skipped column");
    });
    const s = new OnlineStandardScaler({ skip });
    s.d = st.d;
    s.n = st.n;
    s.mean = Float64Array.from(st.mean);
    s.m2 = Float64Array.from(st.m2);
    return s;
  }
}

/** Checks and sorts a skip list (integers ≥ 0, no duplicates). */
function normaliseSkip(skip: readonly number[] | undefined): readonly number[] {
  if (skip === undefined) return Object.freeze([]);
  if (!Array.isArray(skip) || !skip.every((j) => Number.isInteger(j) && j >= 0)) {
    throw new FreshmlError("invalid_params", "skip must be an array of column indices (integers ≥ 0)", {
      param: "skip",
      observed: describeValue(skip),
    });
  }
  return Object.freeze([...new Set(skip)].sort((a, b) => a - b));
}

/**
 * Column means and centred sums of squares of a batch, in one pass of sums
 * shifted by the batch's first row (z = x − x₀: Σz and Σz², then
 * m2 = Σz² − (Σz)²/n, clamped at 0), as GaussianNB summarises its classes: the
 * shift keeps the squares from cancelling (rounding below 0 is clamped), and the WebAssembly SIMD kernel
 * (moments.wat) does it two columns per instruction, bit-identically to the
 * JS loop. Writes into `mean` and `m2`; returns the row count.
 */
function batchMoments(X: Float64Array, cols: number, mean: Float64Array, m2: Float64Array): number {
  const rows = X.length / cols;
  mean.fill(0);
  m2.fill(0);
  if (rows === 0) return 0;
  const shift = X.slice(0, cols);
  const counts = new Float64Array(1);
  if (!classMomentsSimd(X, new Int32Array(rows), rows, cols, 1, shift, mean, m2, counts)) {
    for (let o = 0; o < X.length; o += cols) {
      for (let j = 0; j < cols; j++) {
        const z = X[o + j]! - shift[j]!;
        mean[j]! += z;
        m2[j]! += z * z;
      }
    }
  }
  for (let j = 0; j < cols; j++) {
    const mz = mean[j]! / rows;
    const ss = m2[j]! - mz * mean[j]!;
    m2[j] = ss < 0 ? 0 : ss; // a NaN (overflow) stays, for updateDense to refuse
    mean[j] = shift[j]! + mz;
  }
  return rows;
}
