import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { count, finite, object, positiveInt } from "../core/json-checks.js";
import { checkMergeable, makeEnvelope, notFitted, openEnvelope } from "./envelope.js";
import type { Trainer, TrainerJSON } from "./trainer.js";

const stateCheck = object({ d: positiveInt, n: count, mean: finite });

/**
 * Baseline: predicts the mean target of every row seen. A model that cannot
 * beat it has learned nothing; a gate can require beating it. Exact,
 * mergeable and forgettable.
 *
 * @example
 * ```ts
 * import { MeanRegressor } from "freshml";
 * const m = new MeanRegressor();
 * m.update({ X: [[0], [0]], y: [1, 3] });
 * m.predict([[5]]); // Float64Array [2]
 * ```
 */
export class MeanRegressor implements Trainer {
  readonly kind = "MeanRegressor";
  readonly task = "regression" as const;
  readonly params = Object.freeze({});
  private d: number | undefined;
  private n = 0;
  private mean = 0;

  get nFeatures(): number | undefined {
    return this.d;
  }

  get nSeen(): number {
    return this.n;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.d);
    let s = 0;
    for (let i = 0; i < b.rows; i++) s += b.y[i]!;
    let m = s / b.rows;
    // A sum of huge targets can overflow where their mean cannot: then average the scaled values.
    if (!Number.isFinite(m)) {
      m = 0;
      for (let i = 0; i < b.rows; i++) m += b.y[i]! / b.rows;
    }
    this.add(b.rows, m);
    this.d = b.cols;
  }

  forget(batch: Batch): void {
    if (this.d === undefined) throw notFitted(this.kind);
    const b = readBatch(batch, this.d);
    if (b.rows > this.n) {
      throw new FreshmlError("forget_mismatch", `cannot forget ${b.rows} rows from ${this.n}`, { observed: b.rows, expected: `≤ ${this.n}` });
    }
    let s = 0;
    for (let i = 0; i < b.rows; i++) s += b.y[i]!;
    const rest = this.n - b.rows;
    const mean = rest === 0 ? 0 : (this.n * this.mean - s) / rest;
    if (!Number.isFinite(mean)) throw new FreshmlError("non_finite", "forgetting this batch overflows the mean; the model is unchanged");
    this.mean = mean;
    this.n = rest;
  }

  merge(other: Trainer): void {
    checkMergeable(this, other);
    const o = other as MeanRegressor;
    if (o.d === undefined) return;
    this.d = o.d;
    this.add(o.n, o.mean);
  }

  predict(X: FeatureInput): Float64Array {
    if (this.d === undefined) throw notFitted(this.kind);
    const f = readFeatures(X, this.d);
    return new Float64Array(f.rows).fill(this.mean);
  }

  toJSON(): TrainerJSON {
    return makeEnvelope(this.kind, {}, this.d === undefined ? null : { d: this.d, n: this.n, mean: this.mean });
  }

  /** Restores from {@link MeanRegressor.toJSON} output. */
  static fromJSON(json: unknown): MeanRegressor {
    const { state } = openEnvelope(json, "MeanRegressor", object({}), stateCheck);
    const m = new MeanRegressor();
    if (state) Object.assign(m, { d: state.d, n: state.n, mean: state.mean });
    return m;
  }

  clone(): MeanRegressor {
    return new MeanRegressor();
  }

  copy(): MeanRegressor {
    const c = new MeanRegressor();
    c.d = this.d;
    c.n = this.n;
    c.mean = this.mean;
    return c;
  }

  /** Adds n values of the given mean; all-or-nothing (an overflow throws `non_finite`, nothing changed). */
  private add(n: number, mean: number): void {
    const total = this.n + n;
    if (total === 0) return;
    let next = this.mean + ((mean - this.mean) * n) / total;
    // (mean − this.mean) can overflow for means of opposite sign near the largest double.
    if (!Number.isFinite(next)) next = this.mean * (this.n / total) + mean * (n / total);
    if (!Number.isFinite(next)) throw new FreshmlError("non_finite", "the targets overflow the running mean; the model is unchanged");
    this.mean = next;
    this.n = total;
  }
}
