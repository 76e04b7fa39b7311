import { finiteNumber, countCheck, openMetricJSON } from "./json.js";
import { checkPair, checkSameMetric, type Metric, type MetricJSON } from "./metric.js";

const stateShape = { n: countCheck, sumSq: finiteNumber };

/**
 * Root mean squared error.
 *
 * @example
 * ```ts
 * import { RMSE } from "freshml";
 * const m = new RMSE();
 * m.update([0, 0], [3, 4]);
 * m.get(); // √12.5 ≈ 3.536
 * ```
 */
export class RMSE implements Metric {
  readonly name = "rmse";
  readonly biggerIsBetter = false;
  readonly input = "value" as const;
  private n = 0;
  private sumSq = 0;

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
    const o = other as RMSE;
    this.n += o.n;
    this.sumSq += o.sumSq;
  }

  get(): number {
    return this.n > 0 ? Math.sqrt(Math.max(0, this.sumSq) / this.n) : NaN;
  }

  clone(): RMSE {
    return new RMSE();
  }

  toJSON(): MetricJSON {
    return { metric: this.name, params: {}, state: { n: this.n, sumSq: this.sumSq } };
  }

  /**
   * Restores from {@link RMSE.toJSON} output; malformed JSON is `invalid_state`.
   *
   * @example
   * ```ts
   * import { RMSE } from "freshml";
   * const m = new RMSE();
   * m.update([0, 0], [3, 4]);
   * const back = RMSE.fromJSON(JSON.parse(JSON.stringify(m)));
   * back.get(); // √12.5 ≈ 3.536, as m.get()
   * ```
   */
  static fromJSON(json: unknown): RMSE {
    const { state } = openMetricJSON(json, "rmse", {}, stateShape);
    const m = new RMSE();
    m.n = state.n;
    m.sumSq = state.sumSq;
    return m;
  }

  private fold(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, sign: 1 | -1): void {
    checkPair(yTrue, yPred);
    let s = 0;
    for (let i = 0; i < yTrue.length; i++) {
      const e = yTrue[i]! - yPred[i]!;
      s += e * e;
    }
    this.sumSq += sign * s;
    this.n += sign * yTrue.length;
  }
}
