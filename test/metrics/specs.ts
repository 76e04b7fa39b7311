import fc from "fast-check";
import { Accuracy, BalancedAccuracy, LogLoss, MacroF1, MAE, R2, RMSE, RocAuc, type Metric } from "../../src/index.js";

/** A batch: truths and predictions (row-major probabilities for "proba" metrics). */
export type Batch = { yTrue: number[]; yPred: number[] };

/** One metric under test: how to build it, restore it, and draw batches for it. */
export interface Spec {
  label: string;
  make: () => Metric;
  fromJSON: (json: unknown) => Metric;
  cls: abstract new (...args: never[]) => Metric;
  batch: fc.Arbitrary<Batch>;
  /** Whether its state is counts only, so merge and revert are exact. */
  exact: boolean;
}

const value = fc.double({ min: -1e3, max: 1e3, noNaN: true });
const labels = [3, 7, 11];
const label = fc.constantFrom(...labels);

const regression: fc.Arbitrary<Batch> = fc
  .array(fc.tuple(value, value), { maxLength: 40 })
  .map((rows) => ({ yTrue: rows.map((r) => r[0]), yPred: rows.map((r) => r[1]) }));
const labelled: fc.Arbitrary<Batch> = fc
  .array(fc.tuple(label, label), { maxLength: 40 })
  .map((rows) => ({ yTrue: rows.map((r) => r[0]), yPred: rows.map((r) => r[1]) }));
const proba3: fc.Arbitrary<Batch> = fc
  .array(fc.tuple(label, fc.tuple(fc.double({ min: 1e-3, max: 1, noNaN: true }), fc.double({ min: 1e-3, max: 1, noNaN: true }), fc.double({ min: 1e-3, max: 1, noNaN: true }))), { maxLength: 40 })
  .map((rows) => ({
    yTrue: rows.map((r) => r[0]),
    yPred: rows.flatMap(([, p]) => {
      const s = p[0] + p[1] + p[2];
      return [p[0] / s, p[1] / s, p[2] / s];
    }),
  }));
const proba2: fc.Arbitrary<Batch> = fc
  .array(fc.tuple(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 40 })
  .map((rows) => ({ yTrue: rows.map((r) => r[0]), yPred: rows.flatMap(([, p]) => [1 - p, p]) }));

export const specs: Spec[] = [
  { label: "rmse", make: () => new RMSE(), fromJSON: RMSE.fromJSON, cls: RMSE, batch: regression, exact: false },
  { label: "mae", make: () => new MAE(), fromJSON: MAE.fromJSON, cls: MAE, batch: regression, exact: false },
  { label: "r2", make: () => new R2(), fromJSON: R2.fromJSON, cls: R2, batch: regression, exact: false },
  { label: "accuracy", make: () => new Accuracy(), fromJSON: Accuracy.fromJSON, cls: Accuracy, batch: labelled, exact: true },
  { label: "logloss", make: () => new LogLoss({ classes: labels }), fromJSON: LogLoss.fromJSON, cls: LogLoss, batch: proba3, exact: false },
  { label: "macrof1", make: () => new MacroF1({ classes: labels }), fromJSON: MacroF1.fromJSON, cls: MacroF1, batch: labelled, exact: true },
  // Few bins so rows share bins (ties) often.
  { label: "rocauc (20 bins)", make: () => new RocAuc({ classes: [0, 1], bins: 20 }), fromJSON: RocAuc.fromJSON, cls: RocAuc, batch: proba2, exact: true },
  { label: "rocauc", make: () => new RocAuc({ classes: [0, 1] }), fromJSON: RocAuc.fromJSON, cls: RocAuc, batch: proba2, exact: true },
  { label: "balancedaccuracy", make: () => new BalancedAccuracy({ classes: labels }), fromJSON: BalancedAccuracy.fromJSON, cls: BalancedAccuracy, batch: labelled, exact: true },
];

/** Concatenation of two batches. */
export function concat(a: Batch, b: Batch): Batch {
  return { yTrue: [...a.yTrue, ...b.yTrue], yPred: [...a.yPred, ...b.yPred] };
}

/**
 * Whether two metric states agree: exactly, or for sums within `tol` of the
 * larger of 1, the expected value and the same field of `scale` (a state the
 * sums passed through, since a revert's rounding is relative to that).
 */
export function statesClose(actual: Metric, expected: Metric, tol: number, scale?: Metric): boolean {
  const a = actual.toJSON().state;
  const e = expected.toJSON().state;
  const s = (scale ?? expected).toJSON().state;
  const close = (x: unknown, y: unknown, z: unknown): boolean => {
    if (Array.isArray(y)) return Array.isArray(x) && x.length === y.length && y.every((v, i) => close(x[i], v, (z as unknown[])[i]));
    if (typeof y !== "number" || typeof x !== "number") return false;
    if (tol === 0) return x === y;
    return Math.abs(x - y) <= tol * Math.max(1, Math.abs(y), Math.abs(z as number));
  };
  return Object.keys(e).length === Object.keys(a).length && Object.keys(e).every((k) => close(a[k], e[k], s[k]));
}
