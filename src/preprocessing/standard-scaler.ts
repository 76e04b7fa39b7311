import { z } from "zod";
import { readFeatures, type FeatureInput } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { columnMoments, mergeMoments, removeMoments } from "../core/moments.js";

const scalerStateSchema = z.object({
  d: z.number().int().positive(),
  n: z.number().int().nonnegative(),
  mean: z.array(z.number()),
  m2: z.array(z.number()),
});

/** JSON form of an {@link OnlineStandardScaler}. */
export interface StandardScalerJSON {
  /** Column count. */
  d: number;
  /** Rows seen. */
  n: number;
  /** Column means. */
  mean: number[];
  /** Column sums of squared deviations from the mean. */
  m2: number[];
}

/**
 * Online standardisation: running per-column mean and variance (Welford's
 * statistics, merged batch-wise with Chan's formula), exact whatever the batch
 * split, mergeable, and small enough to live inside a learner's state.
 *
 * `transform` maps x to (x − mean) / std with the population std, as
 * scikit-learn's `StandardScaler` does; a constant column is divided by 1.
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

  /** {@link update} for already-checked row-major data. */
  updateDense(X: Float64Array, cols: number): void {
    if (this.d === undefined) {
      this.d = cols;
      this.mean = new Float64Array(cols);
      this.m2 = new Float64Array(cols);
    }
    const bm = new Float64Array(cols);
    const bm2 = new Float64Array(cols);
    const nb = columnMoments(X, cols, bm, bm2);
    this.n = mergeMoments(this.n, this.mean, this.m2, nb, bm, bm2);
    this.scale = null;
  }

  /** Removes the statistics of a batch learned earlier. */
  forgetDense(X: Float64Array, cols: number): void {
    const bm = new Float64Array(cols);
    const bm2 = new Float64Array(cols);
    const nb = columnMoments(X, cols, bm, bm2);
    this.n = removeMoments(this.n, this.mean, this.m2, nb, bm, bm2);
    this.scale = null;
  }

  /** Adds another scaler's statistics. */
  merge(other: OnlineStandardScaler): void {
    if (other.d === undefined) return;
    if (this.d !== undefined && this.d !== other.d) {
      throw new FreshmlError("incompatible_merge", `cannot merge scalers of ${other.d} and ${this.d} columns`);
    }
    if (this.d === undefined) {
      this.d = other.d;
      this.mean = new Float64Array(other.d);
      this.m2 = new Float64Array(other.d);
    }
    this.n = mergeMoments(this.n, this.mean, this.m2, other.n, other.mean, other.m2);
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
    const c = new OnlineStandardScaler();
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
    return { d: this.d, n: this.n, mean: Array.from(this.mean), m2: Array.from(this.m2) };
  }

  /** Restores from {@link OnlineStandardScaler.toJSON}. */
  static fromJSON(json: unknown): OnlineStandardScaler {
    const s = new OnlineStandardScaler();
    if (json === null || json === undefined) return s;
    const parsed = scalerStateSchema.safeParse(json);
    if (!parsed.success || parsed.data.mean.length !== parsed.data.d || parsed.data.m2.length !== parsed.data.d) {
      throw new FreshmlError("invalid_state", "invalid OnlineStandardScaler state");
    }
    s.d = parsed.data.d;
    s.n = parsed.data.n;
    s.mean = Float64Array.from(parsed.data.mean);
    s.m2 = Float64Array.from(parsed.data.m2);
    return s;
  }
}
