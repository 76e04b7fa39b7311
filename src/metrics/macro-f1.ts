import { checkClasses, ClassIndex } from "../learners/classes.js";
import { checkLength } from "../learners/envelope.js";
import { checkRestored, classesCheck, constructRestored, countCheck, countsCheck, openMetricJSON, total } from "./json.js";
import { checkPair, checkSameMetric, type Metric, type MetricJSON } from "./metric.js";

const paramsShape = { classes: classesCheck };
const stateShape = { n: countCheck, tp: countsCheck, fp: countsCheck, fn: countsCheck };

/**
 * Macro-averaged F1: the unweighted mean of per-class F1 = 2·TP / (2·TP + FP + FN)
 * over the classes that occur in the truth or the predictions (scikit-learn's
 * `f1_score(average="macro")` without a `labels` argument).
 *
 * @example
 * ```ts
 * import { MacroF1 } from "freshml";
 * const m = new MacroF1({ classes: [0, 1] });
 * m.update([0, 0, 1, 1], [0, 1, 1, 1]);
 * m.get(); // (2/3 + 4/5) / 2 ≈ 0.733
 * ```
 */
export class MacroF1 implements Metric {
  readonly name = "macro_f1";
  readonly biggerIsBetter = true;
  readonly input = "label" as const;
  /** The class labels, in the column order of the probabilities. */
  readonly classes: readonly number[];
  private readonly index: ClassIndex;
  private n = 0;
  private tp: Float64Array;
  private fp: Float64Array;
  private fn: Float64Array;

  constructor(params: { classes: readonly number[] }) {
    this.classes = checkClasses(params?.classes);
    this.index = new ClassIndex(this.classes);
    const k = this.classes.length;
    this.tp = new Float64Array(k);
    this.fp = new Float64Array(k);
    this.fn = new Float64Array(k);
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
    const o = other as MacroF1;
    this.n += o.n;
    for (let c = 0; c < this.tp.length; c++) {
      this.tp[c]! += o.tp[c]!;
      this.fp[c]! += o.fp[c]!;
      this.fn[c]! += o.fn[c]!;
    }
  }

  get(): number {
    let sum = 0;
    let present = 0;
    for (let c = 0; c < this.tp.length; c++) {
      const denom = 2 * this.tp[c]! + this.fp[c]! + this.fn[c]!;
      if (denom === 0) continue;
      sum += (2 * this.tp[c]!) / denom;
      present++;
    }
    return present > 0 ? sum / present : NaN;
  }

  clone(): MacroF1 {
    return new MacroF1({ classes: this.classes });
  }

  toJSON(): MetricJSON {
    return {
      metric: this.name,
      params: { classes: this.classes.slice() },
      state: { n: this.n, tp: Array.from(this.tp), fp: Array.from(this.fp), fn: Array.from(this.fn) },
    };
  }

  /**
   * Restores from {@link MacroF1.toJSON} output; malformed JSON is `invalid_state`.
   *
   * @example
   * ```ts
   * import { MacroF1 } from "freshml";
   * const m = new MacroF1({ classes: [0, 1] });
   * m.update([0, 0, 1, 1], [0, 1, 1, 1]);
   * const back = MacroF1.fromJSON(JSON.parse(JSON.stringify(m)));
   * back.get(); // ≈ 0.733, as m.get()
   * ```
   */
  static fromJSON(json: unknown): MacroF1 {
    const { params, state } = openMetricJSON(json, "macro_f1", paramsShape, stateShape);
    const m = constructRestored("macro_f1", () => new MacroF1(params));
    const k = m.classes.length;
    checkLength("tp", state.tp, k);
    checkLength("fp", state.fp, k);
    checkLength("fn", state.fn, k);
    // Every row is a TP or an FN of its true class, and a TP or an FP of its predicted one.
    const tp = total(state.tp);
    checkRestored(tp + total(state.fn) === state.n && tp + total(state.fp) === state.n, "macro_f1", "tp + fn and tp + fp must both equal n");
    m.n = state.n;
    m.tp = Float64Array.from(state.tp);
    m.fp = Float64Array.from(state.fp);
    m.fn = Float64Array.from(state.fn);
    return m;
  }

  private fold(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, sign: 1 | -1): void {
    checkPair(yTrue, yPred);
    const t = this.index.indexAll(yTrue).slice(0, yTrue.length);
    const p = this.index.indexAll(yPred);
    for (let i = 0; i < yTrue.length; i++) {
      const a = t[i]!;
      const b = p[i]!;
      if (a === b) this.tp[a]! += sign;
      else {
        this.fn[a]! += sign;
        this.fp[b]! += sign;
      }
    }
    this.n += sign * yTrue.length;
  }
}
