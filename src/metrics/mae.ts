import { finiteNumber, countCheck, openMetricJSON } from "./json.js";
import { checkPair, checkSameMetric, type Metric, type MetricJSON } from "./metric.js";

const stateShape = { n: countCheck, sum: finiteNumber };

/**
 * Mean absolute error.
 *
 * @example
 * ```ts
 * import { MAE } from "freshml";
 * const m = new MAE();
 * m.update([1, 2, 3], [2, 2, 5]);
 * m.get(); // 1
 * ```
 */
export class MAE implements Metric {
  readonly name = "mae";
  readonly biggerIsBetter = false;
  readonly input = "value" as const;
  private n = 0;
  private sum = 0;

  get count(): number {
    return this.n;
  }

  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
    this.fold(yTrue, yPred, 1);
  }

  revert(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
    this.fold(yTrue, yPred, -1);
  }

  merge(other: Metric): void {
    checkSameMetric(this, other);
    const o = other as MAE;
    this.n += o.n;
    this.sum += o.sum;
  }

  get(): number {
    return this.n > 0 ? this.sum / this.n : NaN;
  }

  clone(): MAE {
    return new MAE();
  }

  toJSON(): MetricJSON {
    return { metric: this.name, params: {}, state: { n: this.n, sum: this.sum } };
  }

  /**
   * Restores from {@link MAE.toJSON} output; malformed JSON is `invalid_state`.
   *
   * @example
   * ```ts
   * import { MAE } from "freshml";
   * const m = new MAE();
   * m.update([1, 2, 3], [2, 2, 5]);
   * const back = MAE.fromJSON(JSON.parse(JSON.stringify(m)));
   * back.update([0], [4]);
   * back.get(); // (1 + 0 + 2 + 4) / 4 = 1.75
   * ```
   */
  static fromJSON(json: unknown): MAE {
    const { state } = openMetricJSON(json, "mae", {}, stateShape);
    const m = new MAE();
    m.n = state.n;
    m.sum = state.sum;
    return m;
  }

  private fold(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, sign: 1 | -1): void {
    checkPair(yTrue, yPred);
    let s = 0;
    for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!);
    this.sum += sign * s;
    this.n += sign * yTrue.length;
  }
}
