import { FreshmlError, checkParam } from "../core/errors.js";
import { checkClasses, ClassIndex } from "../learners/classes.js";
import { checkLength } from "../learners/envelope.js";
import { finiteNumber, checkRestored, classesCheck, constructRestored, countCheck, countsCheck, openMetricJSON, total } from "./json.js";
import { checkPair, checkSameMetric, type Metric, type MetricJSON } from "./metric.js";

const paramsShape = { classes: classesCheck, bins: finiteNumber };
const stateShape = { n: countCheck, pos: countsCheck, neg: countsCheck };

/**
 * Area under the ROC curve for two classes, streamed as two histograms of the
 * positive-class probability (`bins` equal bins on [0, 1]). Pairs in the same
 * bin count as ties (½), so the value differs from the exact AUC by at most
 * half the fraction of positive–negative pairs that share a bin; with the
 * default 10,000 bins that is usually below 1e-3. O(bins) memory, mergeable.
 *
 * `yPred` is row-major `rows × 2` probabilities, as classifiers' `predictProba` gives.
 *
 * @example
 * ```ts
 * import { RocAuc } from "freshml";
 * const m = new RocAuc({ classes: [0, 1] });
 * m.update([0, 0, 1, 1], [0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8]);
 * m.get(); // 0.75
 * ```
 */
export class RocAuc implements Metric {
  readonly name = "roc_auc";
  readonly biggerIsBetter = true;
  readonly input = "proba" as const;
  /** The class labels, in the column order of the probabilities. */
  readonly classes: readonly number[];
  /** Histogram bins on [0, 1]. */
  readonly bins: number;
  private readonly index: ClassIndex;
  private n = 0;
  private pos: Float64Array;
  private neg: Float64Array;

  constructor(params: { classes: readonly number[]; bins?: number }) {
    this.classes = checkClasses(params?.classes);
    if (this.classes.length !== 2) {
      throw new FreshmlError("unsupported", `RocAuc scores two classes; got ${this.classes.length}`);
    }
    const { bins = 10_000 } = params;
    checkParam(Number.isInteger(bins) && bins >= 2 && bins <= 1e7, "bins", "an integer in [2, 1e7]", bins);
    this.bins = bins;
    this.index = new ClassIndex(this.classes);
    this.pos = new Float64Array(bins);
    this.neg = new Float64Array(bins);
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
    const o = other as RocAuc;
    this.n += o.n;
    for (let b = 0; b < this.bins; b++) {
      this.pos[b]! += o.pos[b]!;
      this.neg[b]! += o.neg[b]!;
    }
  }

  get(): number {
    let P = 0;
    let N = 0;
    for (let b = 0; b < this.bins; b++) {
      P += this.pos[b]!;
      N += this.neg[b]!;
    }
    if (P === 0 || N === 0) return NaN;
    let negBelow = 0;
    let area = 0;
    for (let b = 0; b < this.bins; b++) {
      area += this.pos[b]! * (negBelow + 0.5 * this.neg[b]!);
      negBelow += this.neg[b]!;
    }
    return area / (P * N);
  }

  clone(): RocAuc {
    return new RocAuc({ classes: this.classes, bins: this.bins });
  }

  toJSON(): MetricJSON {
    return {
      metric: this.name,
      params: { classes: this.classes.slice(), bins: this.bins },
      state: { n: this.n, pos: Array.from(this.pos), neg: Array.from(this.neg) },
    };
  }

  /**
   * Restores from {@link RocAuc.toJSON} output; malformed JSON is `invalid_state`.
   *
   * @example
   * ```ts
   * import { RocAuc } from "freshml";
   * const m = new RocAuc({ classes: [0, 1] });
   * m.update([0, 0, 1, 1], [0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8]);
   * const back = RocAuc.fromJSON(JSON.parse(JSON.stringify(m)));
   * back.get(); // 0.75
   * ```
   */
  static fromJSON(json: unknown): RocAuc {
    const { params, state } = openMetricJSON(json, "roc_auc", paramsShape, stateShape);
    const m = constructRestored("roc_auc", () => new RocAuc(params));
    checkLength("pos", state.pos, m.bins);
    checkLength("neg", state.neg, m.bins);
    checkRestored(total(state.pos) + total(state.neg) === state.n, "roc_auc", "pos + neg must sum to n");
    m.n = state.n;
    m.pos = Float64Array.from(state.pos);
    m.neg = Float64Array.from(state.neg);
    return m;
  }

  private fold(yTrue: ArrayLike<number>, proba: ArrayLike<number>, sign: 1 | -1): void {
    checkPair(yTrue, proba, 2);
    const yi = this.index.indexAll(yTrue);
    const B = this.bins;
    for (let i = 0; i < yTrue.length; i++) {
      const p = proba[2 * i + 1]!;
      const b = p <= 0 ? 0 : p >= 1 ? B - 1 : Math.min(B - 1, Math.floor(p * B));
      if (yi[i] === 1) this.pos[b]! += sign;
      else this.neg[b]! += sign;
    }
    this.n += sign * yTrue.length;
  }
}
