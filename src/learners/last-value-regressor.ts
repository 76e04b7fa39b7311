import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { count, finite, object, positiveInt } from "../core/json-checks.js";
import { checkMergeable, makeEnvelope, notFitted, openEnvelope } from "./envelope.js";
import type { Trainer, TrainerJSON } from "./trainer.js";

const stateCheck = object({ d: positiveInt, n: count, last: finite });

/**
 * Baseline: predicts the last target seen (persistence). On autocorrelated
 * streams it is hard to beat, so a gate should be able to compare against it.
 * `merge(b)` takes b's last value, exactly as learning b's data afterwards would.
 *
 * @example
 * ```ts
 * import { LastValueRegressor } from "freshml";
 * const m = new LastValueRegressor();
 * m.update({ X: [[0], [0]], y: [1, 3] });
 * m.predict([[5]]); // Float64Array [3]
 * ```
 */
export class LastValueRegressor implements Trainer {
  readonly kind = "LastValueRegressor";
  readonly task = "regression" as const;
  readonly params = Object.freeze({});
  private d: number | undefined;
  private n = 0;
  private last = 0;

  get nFeatures(): number | undefined {
    return this.d;
  }

  get nSeen(): number {
    return this.n;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.d);
    this.d = b.cols;
    this.n += b.rows;
    this.last = b.y[b.rows - 1]!;
  }

  merge(other: Trainer): void {
    checkMergeable(this, other);
    const o = other as LastValueRegressor;
    if (o.d === undefined) return;
    this.d = o.d;
    this.n += o.n;
    this.last = o.last;
  }

  predict(X: FeatureInput): Float64Array {
    if (this.d === undefined) throw notFitted(this.kind);
    return new Float64Array(readFeatures(X, this.d).rows).fill(this.last);
  }

  toJSON(): TrainerJSON {
    return makeEnvelope(this.kind, {}, this.d === undefined ? null : { d: this.d, n: this.n, last: this.last });
  }

  /** Restores from {@link LastValueRegressor.toJSON} output. */
  static fromJSON(json: unknown): LastValueRegressor {
    const { state } = openEnvelope(json, "LastValueRegressor", object({}), stateCheck);
    const m = new LastValueRegressor();
    if (state) Object.assign(m, { d: state.d, n: state.n, last: state.last });
    return m;
  }

  clone(): LastValueRegressor {
    return new LastValueRegressor();
  }

  copy(): LastValueRegressor {
    const c = new LastValueRegressor();
    Object.assign(c, { d: this.d, n: this.n, last: this.last });
    return c;
  }
}
