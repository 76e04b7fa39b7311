import { allFiniteFast } from "./kernels.js";
import { FreshmlError, describeValue } from "./errors.js";

/** Feature rows as plain arrays: one inner array per row, all the same length. */
export type Rows = ReadonlyArray<ReadonlyArray<number>>;

/**
 * Features given either as rows (`number[][]`) or as a row-major `Float64Array`
 * with its column count. Row-major means row `i`, column `j` is at `X[i * cols + j]`.
 */
export type FeatureInput = Rows | FlatFeatures;

/** Row-major features with their column count. */
export interface FlatFeatures {
  /** Row-major values: row i, column j at `X[i * cols + j]`. */
  readonly X: Float64Array;
  /** Column count. */
  readonly cols: number;
}

/**
 * A batch of labelled rows, the unit every learner learns from.
 *
 * `X` is `number[][]` or a row-major `Float64Array` (then `cols` is required);
 * `y` holds one target per row (a class label for classifiers).
 *
 * @example
 * ```ts
 * import type { Batch } from "freshml";
 * const a: Batch = { X: [[1, 2], [3, 4]], y: [5, 6] };
 * const b: Batch = { X: new Float64Array([1, 2, 3, 4]), cols: 2, y: new Float64Array([5, 6]) };
 * ```
 */
export interface Batch {
  /** Features: rows, or row-major values with `cols`. */
  readonly X: Rows | Float64Array;
  /** Column count; required when `X` is a `Float64Array`, checked when given with rows. */
  readonly cols?: number;
  /** One target (or class label) per row. */
  readonly y: ArrayLike<number>;
}

/** Features checked and laid out row-major. `X` may alias the caller's array: never write to it. */
export interface DenseFeatures {
  /** Row-major values. */
  readonly X: Float64Array;
  /** Row count. */
  readonly rows: number;
  /** Column count. */
  readonly cols: number;
}

/** A checked batch: dense, finite features and finite targets of matching length. */
export interface DenseBatch extends DenseFeatures {
  /** One finite target per row. */
  readonly y: ArrayLike<number>;
}

function nonFinite(row: number, column: number | undefined, value: number, where: string): FreshmlError {
  const at = column === undefined ? `row ${row}` : `row ${row}, column ${column}`;
  return new FreshmlError("non_finite", `${where} at ${at} is ${value}; every value must be a finite number`, {
    row,
    ...(column === undefined ? {} : { column }),
    observed: String(value),
    expected: "finite number",
  });
}

function checkCols(cols: number, expectedCols: number | undefined): void {
  if (expectedCols !== undefined && cols !== expectedCols) {
    throw new FreshmlError(
      "column_mismatch",
      `expected ${expectedCols} feature columns, got ${cols}`,
      { observed: cols, expected: expectedCols },
    );
  }
}

/**
 * Checks features and returns them row-major. A `Float64Array` is used in place
 * (no copy); rows are copied. Throws a {@link FreshmlError} naming the row and
 * column at fault for an empty input, ragged rows, a wrong column count,
 * non-numeric or non-finite values.
 *
 * @example
 * ```ts
 * import { readFeatures } from "freshml";
 * const { X, rows, cols } = readFeatures([[1, 2], [3, 4]]);
 * // X = Float64Array [1, 2, 3, 4], rows = 2, cols = 2
 * ```
 */
export function readFeatures(input: FeatureInput | Float64Array, expectedCols?: number, colsHint?: number, deferFiniteCheck = false): DenseFeatures {
  if (isCheckedBatch(input)) {
    checkCols(input.cols, expectedCols);
    return input;
  }
  if (input instanceof Float64Array) return readFlat(input, colsHint, expectedCols, deferFiniteCheck);
  if (Array.isArray(input)) return readRows(input as Rows, expectedCols);
  if (input !== null && typeof input === "object" && (input as { X?: unknown }).X instanceof Float64Array) {
    const flat = input as { X: Float64Array; cols: number };
    return readFlat(flat.X, flat.cols, expectedCols, deferFiniteCheck);
  }
  throw new FreshmlError(
    "non_numeric",
    `features must be number[][] or { X: Float64Array, cols }, got ${describeValue(input)}`,
    { observed: describeValue(input) },
  );
}

function readFlat(X: Float64Array, cols: number | undefined, expectedCols: number | undefined, deferFiniteCheck = false): DenseFeatures {
  if (cols === undefined || !Number.isInteger(cols) || cols <= 0) {
    throw new FreshmlError("column_mismatch", `a Float64Array batch needs a positive integer 'cols', got ${describeValue(cols)}`, {
      observed: describeValue(cols),
      expected: "positive integer",
    });
  }
  if (X.length === 0) throw new FreshmlError("empty_batch", "the batch has no rows");
  if (X.length % cols !== 0) {
    throw new FreshmlError(
      "ragged_rows",
      `a Float64Array of length ${X.length} does not hold whole rows of ${cols} columns`,
      { observed: X.length, expected: `a multiple of ${cols}` },
    );
  }
  checkCols(cols, expectedCols);
  if (!deferFiniteCheck) assertFiniteFeatures(X, cols);
  return { X, rows: X.length / cols, cols };
}

/**
 * Throws `non_finite` naming the first NaN or ±Infinity in row-major features;
 * returns quietly when all are finite.
 */
export function assertFiniteFeatures(X: Float64Array, cols: number): void {
  if (allFiniteFast(X)) return;
  // Rare path: find the first offender to name it.
  for (let k = 0; k < X.length; k++) {
    const v = X[k]!;
    if (v - v !== 0) throw nonFinite(Math.floor(k / cols), k % cols, v, "feature");
  }
}

/**
 * The most values (rows × columns) one batch or feature input may hold:
 * 2³⁰, 8 GiB of doubles. A larger one is `batch_too_large`, found from the
 * lengths before anything is allocated or iterated, so an array that merely
 * claims billions of rows (`X.length = 2 ** 32 - 1`) is refused at once.
 */
export const MAX_BATCH_VALUES = 2 ** 30;

function tooLarge(rows: number, cols: number): FreshmlError {
  return new FreshmlError("batch_too_large", `the batch claims ${rows} rows of ${cols} columns, more than the ${MAX_BATCH_VALUES} values a batch may hold; split it`, {
    observed: rows * cols,
    expected: `≤ ${MAX_BATCH_VALUES} values`,
  });
}

function notARow(i: number, row: unknown, rowsIn: Rows): FreshmlError {
  // A hole in a sparse array reads as undefined; say so.
  const hole = !(i in rowsIn);
  return new FreshmlError("non_numeric", hole ? `row ${i} is missing (a hole in a sparse array)` : `row ${i} must be an array of numbers, got ${describeValue(row)}`, {
    row: i,
    observed: hole ? "hole" : describeValue(row),
  });
}

function readRows(rowsIn: Rows, expectedCols: number | undefined): DenseFeatures {
  const rows = rowsIn.length;
  if (rows === 0) throw new FreshmlError("empty_batch", "the batch has no rows");
  const first = rowsIn[0];
  if (!Array.isArray(first)) throw notARow(0, first, rowsIn);
  const cols = first.length;
  if (cols === 0) throw new FreshmlError("column_mismatch", "row 0 has no columns", { row: 0, observed: 0 });
  checkCols(cols, expectedCols);
  if (rows * cols > MAX_BATCH_VALUES) throw tooLarge(rows, cols);
  // The rows' shapes first (a hole or a ragged row is found before a large allocation), then the values.
  for (let i = 1; i < rows; i++) {
    const row = rowsIn[i];
    if (!Array.isArray(row)) throw notARow(i, row, rowsIn);
    if (row.length !== cols) {
      throw new FreshmlError("ragged_rows", `row ${i} has ${row.length} columns, row 0 has ${cols}`, {
        row: i,
        observed: row.length,
        expected: cols,
      });
    }
  }
  let X: Float64Array;
  try {
    X = new Float64Array(rows * cols);
  } catch {
    throw tooLarge(rows, cols);
  }
  for (let i = 0; i < rows; i++) {
    const row = rowsIn[i];
    // Checked again: a getter or proxy may answer differently the second time.
    if (!Array.isArray(row) || row.length !== cols) throw notARow(i, row, rowsIn);
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      const v: unknown = row[j];
      if (typeof v !== "number") {
        throw new FreshmlError("non_numeric", `feature at row ${i}, column ${j} is ${describeValue(v)}, not a number`, {
          row: i,
          column: j,
          observed: describeValue(v),
          expected: "number",
        });
      }
      if (v - v !== 0) throw nonFinite(i, j, v, "feature");
      X[base + j] = v;
    }
  }
  return { X, rows, cols };
}

/** Options of {@link readBatch}. */
export interface ReadBatchOptions {
  /**
   * Skip the NaN/±Infinity scan of a `Float64Array`'s features: for a learner
   * whose own pass over the rows detects non-finite values (a NaN feature makes
   * its dot product NaN) and then calls {@link assertFiniteFeatures} before any
   * state changes. Saves one pass over memory. Rows (`number[][]`) are always
   * checked, since they are copied anyway.
   */
  deferFiniteCheck?: boolean;
}

/**
 * Checks a labelled batch: the features as {@link readFeatures} does, then one
 * finite numeric target per row. Nothing is copied that need not be.
 *
 * @example
 * ```ts
 * import { readBatch } from "freshml";
 * const b = readBatch({ X: [[1], [2]], y: [3, 4] });
 * // b.rows = 2, b.cols = 1, b.y = [3, 4]
 * ```
 */
export function readBatch(batch: Batch, expectedCols?: number, options: ReadBatchOptions = {}): DenseBatch {
  if (isCheckedBatch(batch)) {
    checkCols(batch.cols, expectedCols);
    return batch;
  }
  if (batch === null || typeof batch !== "object") {
    throw new FreshmlError("non_numeric", `a batch must be an object { X, y }, got ${describeValue(batch)}`, {
      observed: describeValue(batch),
    });
  }
  const features = readFeatures(batch.X as FeatureInput | Float64Array, expectedCols, batch.cols, options.deferFiniteCheck === true);
  if (Array.isArray(batch.X) && batch.cols !== undefined && batch.cols !== features.cols) {
    throw new FreshmlError("column_mismatch", `cols is ${batch.cols} but the rows have ${features.cols} columns`, {
      observed: features.cols,
      expected: batch.cols,
    });
  }
  const y = batch.y;
  if (y === undefined || y === null || typeof y !== "object" || typeof (y as ArrayLike<number>).length !== "number") {
    throw new FreshmlError("target_missing", "the batch has no target array 'y'", { observed: describeValue(y) });
  }
  if (y.length !== features.rows) {
    throw new FreshmlError("target_length_mismatch", `the batch has ${features.rows} rows but ${y.length} targets`, {
      observed: y.length,
      expected: features.rows,
    });
  }
  if (y instanceof Float64Array && allFiniteFast(y)) return { X: features.X, rows: features.rows, cols: features.cols, y };
  for (let i = 0; i < y.length; i++) {
    const v: unknown = y[i];
    if (typeof v !== "number") {
      if (Array.isArray(y) && !(i in y)) {
        throw new FreshmlError("non_numeric", `target at row ${i} is missing (a hole in a sparse array)`, { row: i, observed: "hole", expected: "number" });
      }
      throw new FreshmlError("non_numeric", `target at row ${i} is ${describeValue(v)}, not a number`, {
        row: i,
        observed: describeValue(v),
        expected: "number",
      });
    }
    if (v - v !== 0) throw nonFinite(i, undefined, v, "target");
  }
  return { X: features.X, rows: features.rows, cols: features.cols, y };
}

// Batches this module has checked. A WeakSet, not a property: a user's object cannot claim to be checked.
const checkedBatches = new WeakSet<object>();
declare const checkedBrand: unique symbol;

/**
 * A batch checked once at a boundary (the pipeline's featurize stage) and
 * carried inward as this type: dense row-major features, finite values, one
 * finite target per row, all in `Float64Array`s that nobody writes to after.
 * `readBatch` and `readFeatures` return it as it is, without scanning it
 * again, so a trainer called inside the loop does not re-check what the
 * boundary checked. Only {@link checkBatch} and {@link sliceCheckedBatch}
 * make one; trainers called directly by users still check their input.
 */
export interface CheckedBatch extends DenseBatch {
  /** Row-major finite features. */
  readonly X: Float64Array;
  /** One finite target per row. */
  readonly y: Float64Array;
  /** Marks the type; there is no such property at run time. */
  readonly [checkedBrand]: true;
}

/** True when `value` was made by {@link checkBatch} or {@link sliceCheckedBatch}. */
export function isCheckedBatch(value: unknown): value is CheckedBatch {
  return typeof value === "object" && value !== null && checkedBatches.has(value);
}

/**
 * Checks a batch once (as {@link readBatch}) and returns it as a
 * {@link CheckedBatch}: features and targets as `Float64Array`s (the input's
 * own arrays when they already are). The caller must not write to them after.
 *
 * @example
 * ```ts
 * import { checkBatch, LinearRegression } from "freshml";
 * const batch = checkBatch({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * new LinearRegression().update(batch); // no second scan of the values
 * ```
 */
export function checkBatch(batch: Batch, expectedCols?: number): CheckedBatch {
  if (isCheckedBatch(batch)) {
    checkCols(batch.cols, expectedCols);
    return batch;
  }
  const b = readBatch(batch, expectedCols);
  const y = b.y instanceof Float64Array ? b.y : Float64Array.from(b.y);
  return brand({ X: b.X, rows: b.rows, cols: b.cols, y });
}

/** Rows `from` (inclusive) to `to` (exclusive) of a checked batch, as a checked batch sharing its memory. */
export function sliceCheckedBatch(batch: CheckedBatch, from: number, to: number): CheckedBatch {
  return brand({ X: batch.X.subarray(from * batch.cols, to * batch.cols), rows: to - from, cols: batch.cols, y: batch.y.subarray(from, to) });
}

function brand(b: { X: Float64Array; rows: number; cols: number; y: Float64Array }): CheckedBatch {
  checkedBatches.add(b);
  return b as CheckedBatch;
}
