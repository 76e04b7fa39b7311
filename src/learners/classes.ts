import { FreshmlError, checkParam, describeValue } from "../core/errors.js";

/** Parameters of a learner that only needs its class labels. */
export interface ClassesParams {
  /** The labels, declared up front; a label outside them is an `unknown_class` error. */
  readonly classes: readonly number[];
}

/** Checks a declared class list: at least two distinct finite numbers. */
export function checkClasses(classes: unknown): readonly number[] {
  checkParam(
    Array.isArray(classes) && classes.length >= 2 && classes.every((c) => typeof c === "number" && Number.isFinite(c)),
    "classes",
    "an array of at least two finite numbers",
    classes,
  );
  const list = classes as number[];
  checkParam(new Set(list).size === list.length, "classes", "distinct labels", classes);
  return Object.freeze(list.slice());
}

/**
 * Maps labels to class indices. Built once per learner; `indexAll` checks a
 * whole batch before anything learns from it.
 */
export class ClassIndex {
  private readonly map = new Map<number, number>();
  private idx = new Int32Array(0);

  // Labels that are all small non-negative integers get a lookup table (−1 = not declared), which is
  // several times faster per row than a Map keyed by doubles.
  private readonly table: Int32Array | null;

  constructor(readonly classes: readonly number[]) {
    classes.forEach((c, i) => this.map.set(c, i));
    const small = classes.every((c) => Number.isInteger(c) && c >= 0 && c < 1024);
    this.table = small ? new Int32Array(Math.max(...classes) + 1).fill(-1) : null;
    if (this.table) classes.forEach((c, i) => (this.table![c] = i));
  }

  /** Class indices of every label, or an `unknown_class` error naming the first bad row. */
  indexAll(y: ArrayLike<number>): Int32Array {
    if (this.idx.length < y.length) this.idx = new Int32Array(y.length);
    const out = this.idx;
    const table = this.table;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      if (table !== null && v >= 0 && v < table.length && (v | 0) === v) {
        const t = table[v]!;
        if (t >= 0) {
          out[i] = t;
          continue;
        }
      }
      const k = this.map.get(v);
      if (k === undefined) {
        throw new FreshmlError(
          "unknown_class",
          `label ${describeValue(y[i])} at row ${i} is not one of the declared classes [${this.classes.join(", ")}]`,
          { row: i, observed: y[i], expected: this.classes },
        );
      }
      out[i] = k;
    }
    return out;
  }
}

/** Labels of the largest score per row of a row-major `rows × k` matrix. */
export function argmaxLabels(scores: Float64Array, rows: number, k: number, classes: readonly number[]): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestV = scores[i * k]!;
    for (let c = 1; c < k; c++) {
      const v = scores[i * k + c]!;
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    out[i] = classes[best]!;
  }
  return out;
}
