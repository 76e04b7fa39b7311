import { checkRestored, countCheck, openMetricJSON } from "./json.js";
import { checkPair, checkSameMetric, type Metric, type MetricJSON } from "./metric.js";

const stateShape = { n: countCheck, correct: countCheck };

/**
 * Fraction of rows whose predicted label equals the true label.
 *
 * @example
 * ```ts
 * import { Accuracy } from "freshml";
 * const m = new Accuracy();
 * m.update([0, 1, 1, 0], [0, 1, 0, 0]);
 * m.get(); // 0.75
 * ```
 */
export class Accuracy implements Metric {
  readonly name = "accuracy";
  readonly biggerIsBetter = true;
  readonly input = "label" as const;
  private n = 0;
  private correct = 0;

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
    const o = other as Accuracy;
    this.n += o.n;
    this.correct += o.correct;
  }

  get(): number {
    return this.n > 0 ? this.correct / this.n : NaN;
  }

  clone(): Accuracy {
    return new Accuracy();
  }

  toJSON(): MetricJSON {
    return { metric: this.name, params: {}, state: { n: this.n, correct: this.correct } };
  }

  /**
   * Restores from {@link Accuracy.toJSON} output; malformed JSON is `invalid_state`.
   *
   * @example
   * ```ts
   * import { Accuracy } from "freshml";
   * const m = new Accuracy();
   * m.update([0, 1, 1, 0], [0, 1, 0, 0]);
   * const back = Accuracy.fromJSON(JSON.parse(JSON.stringify(m)));
   * back.get(); // 0.75
   * ```
   */
  static fromJSON(json: unknown): Accuracy {
    const { state } = openMetricJSON(json, "accuracy", {}, stateShape);
    checkRestored(state.correct <= state.n, "accuracy", "more correct rows than rows", { observed: state.correct, expected: state.n });
    const m = new Accuracy();
    m.n = state.n;
    m.correct = state.correct;
    return m;
  }

  private fold(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, sign: 1 | -1): void {
    checkPair(yTrue, yPred);
    let c = 0;
    for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) c++;
    this.correct += sign * c;
    this.n += sign * yTrue.length;
  }
}
