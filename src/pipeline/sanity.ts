import * as z from "zod";
import type { CheckedBatch } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";

/**
 * The pipeline's default bound on absurd magnitudes. Finite values can still
 * be nonsense — a unit slip of ×1e100, a sensor writing 1e308 — and a learner
 * that takes them in is ruined (its sums overflow, its weights follow the
 * outlier). A batch is quarantined with the code `implausible_value` when a
 * feature or (regression) target value
 * - exceeds `maxAbs` in magnitude (default 1e30: beyond the mass of the Sun
 *   in kilograms, yet squares and sums of squares stay far from overflow), or
 * - exceeds `maxScaleChange` (default 1e6) times the largest magnitude the
 *   model has learned in that column (with a floor of 1, so columns of small
 *   numbers are judged against 1).
 *
 * The learned magnitudes come only from learned batches; they are saved
 * with the learning state and roll back with it. Pass `sanity: false` to
 * turn the bound off, or other numbers to move it.
 *
 * @example
 * ```ts
 * import { Pipeline, LinearRegression } from "freshml";
 * // Values up to 1e12, and no more than 1,000× what was learned so far.
 * const pipeline = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), sanity: { maxAbs: 1e12, maxScaleChange: 1e3 } });
 * ```
 */
export interface SanityOptions {
  /** Largest magnitude accepted in any feature or regression target. Default 1e30. */
  maxAbs?: number;
  /** Largest ratio of a value's magnitude to the largest learned in its column (floor 1). Default 1e6. */
  maxScaleChange?: number;
}

/** The default {@link SanityOptions}. */
export const DEFAULT_SANITY: Required<SanityOptions> = { maxAbs: 1e30, maxScaleChange: 1e6 };

/** JSON form of a {@link MagnitudeGuard}'s learned magnitudes. */
export interface MagnitudesJSON {
  /** Largest |value| learned per feature column (empty before the first batch). */
  features: number[];
  /** Largest |target| learned (regression; 0 for classifiers). */
  target: number;
}

/** A batch's magnitudes, measured by {@link MagnitudeGuard.check}, to fold in once the batch is learned. */
export interface BatchMagnitudes {
  /** Largest |value| per feature column. */
  readonly features: Float64Array;
  /** Largest |target| (0 for classifiers). */
  readonly target: number;
}

/** One implausible value: where it is and the bound it broke. */
export interface ImplausibleValue {
  /** The column's name (or "target"). */
  readonly column: string;
  /** Zero-based row in the batch. */
  readonly row: number;
  /** The value. */
  readonly value: number;
  /** The bound it exceeded. */
  readonly bound: number;
  /** Why the bound is what it is. */
  readonly reason: string;
}

const magnitudesSchema = z.object({ features: z.array(z.number().nonnegative()), target: z.number().nonnegative() });

/** Checks batches against {@link SanityOptions} and learns the magnitudes of learned batches. */
export class MagnitudeGuard {
  private features: Float64Array = new Float64Array(0);
  private target = 0;

  constructor(
    /** The bound. */
    readonly options: Required<SanityOptions>,
    /** Whether targets are regression values (checked) or class codes (not). */
    readonly regression: boolean,
  ) {}

  /**
   * The batch's magnitudes, or the first implausible value in it. `names`
   * names the columns for the report. Changes nothing.
   */
  check(batch: CheckedBatch, names: (column: number) => string, targetName: string): BatchMagnitudes | ImplausibleValue {
    const { X, cols, rows, y } = batch;
    const { maxAbs, maxScaleChange } = this.options;
    const seen = this.features.length === cols ? this.features : null;
    const colMax = new Float64Array(cols);
    for (let i = 0, k = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++, k++) {
        const a = Math.abs(X[k]!);
        if (a > colMax[j]!) colMax[j] = a;
      }
    }
    for (let j = 0; j < cols; j++) {
      const a = colMax[j]!;
      const learned = seen ? Math.max(seen[j]!, 1) * maxScaleChange : Infinity;
      if (a > maxAbs || a > learned) return this.locate(batch, j, Math.min(maxAbs, learned), names(j), seen ? seen[j]! : null);
    }
    let target = 0;
    if (this.regression) {
      for (let i = 0; i < rows; i++) {
        const a = Math.abs(y[i]!);
        if (a > target) target = a;
      }
      const learned = seen ? Math.max(this.target, 1) * maxScaleChange : Infinity;
      if (target > maxAbs || target > learned) {
        const bound = Math.min(maxAbs, learned);
        const row = y.findIndex((v) => Math.abs(v) > bound);
        return { column: targetName, row, value: y[row]!, bound, reason: this.reason(bound, seen ? this.target : null) };
      }
    }
    return { features: colMax, target };
  }

  /** Every row with a value beyond the bound: one finding per row (its first column at fault), rows ascending. */
  beyond(batch: CheckedBatch, names: (column: number) => string, targetName: string): ImplausibleValue[] {
    const { X, cols, rows, y } = batch;
    const { maxAbs, maxScaleChange } = this.options;
    const seen = this.features.length === cols ? this.features : null;
    const bounds = Array.from({ length: cols }, (_, j) => Math.min(maxAbs, seen ? Math.max(seen[j]!, 1) * maxScaleChange : Infinity));
    const targetBound = Math.min(maxAbs, seen ? Math.max(this.target, 1) * maxScaleChange : Infinity);
    const out: ImplausibleValue[] = [];
    for (let i = 0; i < rows; i++) {
      let found: ImplausibleValue | null = null;
      for (let j = 0; j < cols && !found; j++) {
        const v = X[i * cols + j]!;
        if (Math.abs(v) > bounds[j]!) found = { column: names(j), row: i, value: v, bound: bounds[j]!, reason: this.reason(bounds[j]!, seen ? seen[j]! : null) };
      }
      if (!found && this.regression && Math.abs(y[i]!) > targetBound) {
        found = { column: targetName, row: i, value: y[i]!, bound: targetBound, reason: this.reason(targetBound, seen ? this.target : null) };
      }
      if (found) out.push(found);
    }
    return out;
  }

  /** Folds a learned batch's magnitudes in. */
  learn(m: BatchMagnitudes): void {
    if (this.features.length !== m.features.length) this.features = new Float64Array(m.features.length);
    for (let j = 0; j < m.features.length; j++) if (m.features[j]! > this.features[j]!) this.features[j] = m.features[j]!;
    if (m.target > this.target) this.target = m.target;
  }

  /** An independent copy. */
  copy(): MagnitudeGuard {
    const g = new MagnitudeGuard(this.options, this.regression);
    g.features = this.features.slice();
    g.target = this.target;
    return g;
  }

  /** The learned magnitudes. */
  toJSON(): MagnitudesJSON {
    return { features: Array.from(this.features), target: this.target };
  }

  /** Restores learned magnitudes saved by {@link MagnitudeGuard.toJSON}; malformed input is `invalid_state`. */
  static restore(json: unknown, options: Required<SanityOptions>, regression: boolean): MagnitudeGuard {
    const parsed = magnitudesSchema.safeParse(json);
    if (!parsed.success) throw new FreshmlError("invalid_state", `not the learned magnitudes of a learning state: ${z.prettifyError(parsed.error)}`);
    const g = new MagnitudeGuard(options, regression);
    g.features = Float64Array.from(parsed.data.features);
    g.target = parsed.data.target;
    return g;
  }

  private locate(batch: CheckedBatch, j: number, bound: number, column: string, learned: number | null): ImplausibleValue {
    for (let i = 0; i < batch.rows; i++) {
      const v = batch.X[i * batch.cols + j]!;
      if (Math.abs(v) > bound) return { column, row: i, value: v, bound, reason: this.reason(bound, learned) };
    }
    /* c8 ignore next */
    throw new FreshmlError("invalid_state", "magnitude check found no value beyond the bound");
  }

  private reason(bound: number, learned: number | null): string {
    if (bound === this.options.maxAbs) return `sanity.maxAbs is ${this.options.maxAbs}`;
    return `${this.options.maxScaleChange}× the largest magnitude learned in this column (${learned})`;
  }
}

/** Resolves the pipeline's `sanity` option; throws `invalid_params` on a bad one. */
export function sanitySettings(option: SanityOptions | false | undefined): Required<SanityOptions> | null {
  if (option === false) return null;
  if (option !== undefined && (option === null || typeof option !== "object" || Array.isArray(option))) {
    throw new FreshmlError("invalid_params", "sanity must be false or { maxAbs?, maxScaleChange? }", { param: "sanity", observed: option });
  }
  const s = { ...DEFAULT_SANITY, ...(option ?? {}) };
  if (!(typeof s.maxAbs === "number" && s.maxAbs > 0)) throw new FreshmlError("invalid_params", "sanity.maxAbs must be a positive number", { param: "sanity.maxAbs", observed: s.maxAbs });
  if (!(typeof s.maxScaleChange === "number" && s.maxScaleChange >= 1)) {
    throw new FreshmlError("invalid_params", "sanity.maxScaleChange must be a number ≥ 1 (Infinity: no bound relative to the learned scale)", { param: "sanity.maxScaleChange", observed: s.maxScaleChange });
  }
  return s;
}
