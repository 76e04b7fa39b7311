import { finiteNumber, nonNegativeNumber, countCheck, openMetricJSON } from "./json.js";
import { checkPair, checkSameMetric, type Metric, type MetricJSON } from "./metric.js";

const stateShape = { n: countCheck, mean: finiteNumber, m2: nonNegativeNumber, sse: finiteNumber };

/**
 * Coefficient of determination, 1 − SSres / SStot, with the target's
 * variance kept by Chan's update so it is exact whatever the batch split.
 *
 * @example
 * ```ts
 * import { R2 } from "freshml";
 * const m = new R2();
 * m.update([1, 2, 3], [1, 2, 4]);
 * m.get(); // 0.5
 * ```
 */
export class R2 implements Metric {
  readonly name = "r2";
  readonly biggerIsBetter = true;
  readonly input = "value" as const;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private sse = 0;

  get count(): number {
    return this.n;
  }

  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
    checkPair(yTrue, yPred);
    const b = R2.summary(yTrue, yPred);
    this.add(b.n, b.mean, b.m2, b.sse);
  }

  revert(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
    checkPair(yTrue, yPred);
    const b = R2.summary(yTrue, yPred);
    const rest = this.n - b.n;
    if (rest <= 0) {
      this.n = this.mean = this.m2 = this.sse = 0;
      return;
    }
    const restMean = (this.n * this.mean - b.n * b.mean) / rest;
    const dlt = b.mean - restMean;
    this.m2 = Math.max(0, this.m2 - b.m2 - (dlt * dlt * rest * b.n) / this.n);
    this.mean = restMean;
    this.sse -= b.sse;
    this.n = rest;
  }

  merge(other: Metric): void {
    checkSameMetric(this, other);
    const o = other as R2;
    this.add(o.n, o.mean, o.m2, o.sse);
  }

  get(): number {
    if (this.n === 0) return NaN;
    // scikit-learn's convention for a constant target: 1 if perfect, else 0.
    if (this.m2 === 0) return this.sse === 0 ? 1 : 0;
    return 1 - this.sse / this.m2;
  }

  clone(): R2 {
    return new R2();
  }

  toJSON(): MetricJSON {
    return { metric: this.name, params: {}, state: { n: this.n, mean: this.mean, m2: this.m2, sse: this.sse } };
  }

  /**
   * Restores from {@link R2.toJSON} output; malformed JSON is `invalid_state`.
   *
   * @example
   * ```ts
   * import { R2 } from "freshml";
   * const m = new R2();
   * m.update([1, 2, 3], [1, 2, 4]);
   * const back = R2.fromJSON(JSON.parse(JSON.stringify(m)));
   * back.get(); // 0.5
   * ```
   */
  static fromJSON(json: unknown): R2 {
    const { state } = openMetricJSON(json, "r2", {}, stateShape);
    const m = new R2();
    m.n = state.n;
    m.mean = state.mean;
    m.m2 = state.m2;
    m.sse = state.sse;
    return m;
  }

  private add(n: number, mean: number, m2: number, sse: number): void {
    if (n === 0) return;
    const total = this.n + n;
    const dlt = mean - this.mean;
    this.m2 += m2 + (dlt * dlt * this.n * n) / total;
    this.mean += (dlt * n) / total;
    this.sse += sse;
    this.n = total;
  }

  private static summary(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): { n: number; mean: number; m2: number; sse: number } {
    const n = yTrue.length;
    let s = 0;
    for (let i = 0; i < n; i++) s += yTrue[i]!;
    const mean = n > 0 ? s / n : 0;
    let m2 = 0;
    let sse = 0;
    for (let i = 0; i < n; i++) {
      const dv = yTrue[i]! - mean;
      const e = yTrue[i]! - yPred[i]!;
      m2 += dv * dv;
      sse += e * e;
    }
    return { n, mean, m2, sse };
  }
}
