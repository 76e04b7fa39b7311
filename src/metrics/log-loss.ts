import { checkClasses, ClassIndex } from "../learners/classes.js";
import { finiteNumber, classesCheck, constructRestored, countCheck, openMetricJSON } from "./json.js";
import { checkPair, checkSameMetric, type Metric, type MetricJSON } from "./metric.js";

const paramsShape = { classes: classesCheck };
const stateShape = { n: countCheck, sum: finiteNumber };

/**
 * Mean negative log-likelihood of the true class (cross-entropy), from
 * row-major class probabilities in the order of `classes`. Probabilities are
 * clipped to [1e-15, 1 − 1e-15] so one confident mistake stays finite.
 *
 * @example
 * ```ts
 * import { LogLoss } from "freshml";
 * const m = new LogLoss({ classes: [0, 1] });
 * m.update([1, 0], [0.2, 0.8, 0.6, 0.4]);
 * m.get(); // −(ln 0.8 + ln 0.6) / 2 ≈ 0.367
 * ```
 */
export class LogLoss implements Metric {
  readonly name = "logloss";
  readonly biggerIsBetter = false;
  readonly input = "proba" as const;
  /** The class labels, in the column order of the probabilities. */
  readonly classes: readonly number[];
  private readonly index: ClassIndex;
  private n = 0;
  private sum = 0;

  constructor(params: { classes: readonly number[] }) {
    this.classes = checkClasses(params?.classes);
    this.index = new ClassIndex(this.classes);
  }

  get count(): number {
    return this.n;
  }

  update(yTrue: ArrayLike<number>, proba: ArrayLike<number>): void {
    this.fold(yTrue, proba, 1);
  }

  revert(yTrue: ArrayLike<number>, proba: ArrayLike<number>): void {
    this.fold(yTrue, proba, -1);
  }

  merge(other: Metric): void {
    checkSameMetric(this, other);
    const o = other as LogLoss;
    this.n += o.n;
    this.sum += o.sum;
  }

  get(): number {
    return this.n > 0 ? this.sum / this.n : NaN;
  }

  clone(): LogLoss {
    return new LogLoss({ classes: this.classes });
  }

  toJSON(): MetricJSON {
    return { metric: this.name, params: { classes: this.classes.slice() }, state: { n: this.n, sum: this.sum } };
  }

  /**
   * Restores from {@link LogLoss.toJSON} output; malformed JSON is `invalid_state`.
   *
   * @example
   * ```ts
   * import { LogLoss } from "freshml";
   * const m = new LogLoss({ classes: [0, 1] });
   * m.update([1, 0], [0.2, 0.8, 0.6, 0.4]);
   * const back = LogLoss.fromJSON(JSON.parse(JSON.stringify(m)));
   * back.get(); // ≈ 0.367, as m.get()
   * ```
   */
  static fromJSON(json: unknown): LogLoss {
    const { params, state } = openMetricJSON(json, "logloss", paramsShape, stateShape);
    const m = constructRestored("logloss", () => new LogLoss(params));
    m.n = state.n;
    m.sum = state.sum;
    return m;
  }

  private fold(yTrue: ArrayLike<number>, proba: ArrayLike<number>, sign: 1 | -1): void {
    const k = this.classes.length;
    checkPair(yTrue, proba, k);
    const yi = this.index.indexAll(yTrue);
    let s = 0;
    for (let i = 0; i < yTrue.length; i++) {
      const p = Math.min(1 - 1e-15, Math.max(1e-15, proba[i * k + yi[i]!]!));
      s -= Math.log(p);
    }
    this.sum += sign * s;
    this.n += sign * yTrue.length;
  }
}
