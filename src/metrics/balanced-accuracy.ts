import { checkClasses, ClassIndex } from "../learners/classes.js";
import { checkLength } from "../learners/envelope.js";
import { checkRestored, classesCheck, constructRestored, countCheck, countsCheck, openMetricJSON, total } from "./json.js";
import { checkPair, checkSameMetric, type Metric, type MetricJSON } from "./metric.js";

const paramsShape = { classes: classesCheck };
const stateShape = { n: countCheck, support: countsCheck, correct: countsCheck };

/**
 * Balanced accuracy: the unweighted mean of per-class recall (correct / rows
 * of that class) over the declared classes that occur in the truth, as
 * scikit-learn's `balanced_accuracy_score` with `adjusted=False`. A class
 * never seen in the truth has no recall and is left out of the mean
 * (scikit-learn does the same, warning when it is predicted); it is not
 * scored 0. A label outside `classes`, in truth or prediction, is an
 * `unknown_class` error and nothing of the batch is folded in.
 *
 * @example
 * ```ts
 * import { BalancedAccuracy } from "freshml";
 * const m = new BalancedAccuracy({ classes: [0, 1] });
 * m.update([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1]);
 * m.get(); // (3/4 + 1/2) / 2 = 0.625
 * ```
 */
export class BalancedAccuracy implements Metric {
  readonly name = "balancedaccuracy";
  readonly biggerIsBetter = true;
  readonly input = "label" as const;
  /** The class labels. */
  readonly classes: readonly number[];
  private readonly index: ClassIndex;
  private n = 0;
  // Per class: rows whose true label it is, and of those the correctly predicted.
  private support: Float64Array;
  private correct: Float64Array;

  constructor(params: { classes: readonly number[] }) {
    this.classes = checkClasses(params?.classes);
    this.index = new ClassIndex(this.classes);
    this.support = new Float64Array(this.classes.length);
    this.correct = new Float64Array(this.classes.length);
  }

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
    const o = other as BalancedAccuracy;
    this.n += o.n;
    for (let c = 0; c < this.support.length; c++) {
      this.support[c]! += o.support[c]!;
      this.correct[c]! += o.correct[c]!;
    }
  }

  get(): number {
    let sum = 0;
    let present = 0;
    for (let c = 0; c < this.support.length; c++) {
      if (this.support[c]! <= 0) continue;
      sum += this.correct[c]! / this.support[c]!;
      present++;
    }
    return present > 0 ? sum / present : NaN;
  }

  clone(): BalancedAccuracy {
    return new BalancedAccuracy({ classes: this.classes });
  }

  toJSON(): MetricJSON {
    return {
      metric: this.name,
      params: { classes: this.classes.slice() },
      state: { n: this.n, support: Array.from(this.support), correct: Array.from(this.correct) },
    };
  }

  /**
   * Restores from {@link BalancedAccuracy.toJSON} output; malformed JSON is `invalid_state`.
   *
   * @example
   * ```ts
   * import { BalancedAccuracy } from "freshml";
   * const m = new BalancedAccuracy({ classes: [0, 1] });
   * m.update([0, 1, 0, 0], [0, 1, 0, 0]);
   * const back = BalancedAccuracy.fromJSON(JSON.parse(JSON.stringify(m)));
   * back.update([1, 0], [0, 1]);
   * back.get(); // (3/4 + 1/2) / 2 = 0.625
   * ```
   */
  static fromJSON(json: unknown): BalancedAccuracy {
    const { params, state } = openMetricJSON(json, "balancedaccuracy", paramsShape, stateShape);
    const m = constructRestored("balancedaccuracy", () => new BalancedAccuracy(params));
    const k = m.classes.length;
    checkLength("support", state.support, k);
    checkLength("correct", state.correct, k);
    checkRestored(total(state.support) === state.n, "balancedaccuracy", "support must sum to n");
    checkRestored(state.correct.every((c, i) => c <= state.support[i]!), "balancedaccuracy", "a class has more correct rows than rows");
    m.n = state.n;
    m.support = Float64Array.from(state.support);
    m.correct = Float64Array.from(state.correct);
    return m;
  }

  private fold(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, sign: 1 | -1): void {
    checkPair(yTrue, yPred);
    // indexAll reuses one buffer, so copy the truth's indices before indexing the predictions;
    // both are checked before any count moves.
    const t = this.index.indexAll(yTrue).slice(0, yTrue.length);
    const p = this.index.indexAll(yPred);
    for (let i = 0; i < yTrue.length; i++) {
      const a = t[i]!;
      this.support[a]! += sign;
      if (a === p[i]) this.correct[a]! += sign;
    }
    this.n += sign * yTrue.length;
  }
}
