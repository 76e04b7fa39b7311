import { FreshmlError } from "../core/errors.js";

/** A numeric column: one value per row, NaN where missing. */
export interface NumericColumn {
  /** Always "numeric". */
  readonly kind: "numeric";
  /** One value per row; NaN where missing. */
  readonly values: Float64Array;
}

/** A categorical column: level codes per row (−1 where missing) and the level names. */
export interface CategoricalColumn {
  /** Always "categorical". */
  readonly kind: "categorical";
  /** Index into `levels` per row; −1 where missing. */
  readonly codes: Int32Array;
  /** The level names. */
  readonly levels: readonly string[];
}

/** One column of a {@link Table}. */
export type Column = NumericColumn | CategoricalColumn;

/**
 * A batch laid out by column, what quality and drift validators read. Build
 * one from a row-major matrix ({@link tableFromMatrix}) or from row objects
 * checked by a schema validator.
 */
export interface Table {
  /** Row count. */
  readonly rows: number;
  /** Columns by name, in a stable order. */
  readonly columns: ReadonlyMap<string, Column>;
}

/**
 * A table over a row-major numeric matrix (the fast path: no per-row objects).
 * `target`, when given, becomes a column named `targetName`.
 *
 * @example
 * ```ts
 * import { tableFromMatrix } from "freshml";
 * const t = tableFromMatrix(new Float64Array([1, 2, 3, 4]), ["a", "b"]);
 * // t.rows = 2; t.columns.get("b").values = [2, 4]
 * ```
 */
export function tableFromMatrix(
  X: Float64Array,
  names: readonly string[],
  target?: { values: ArrayLike<number>; name?: string; categorical?: boolean },
): Table {
  const cols = names.length;
  if (cols === 0 || X.length % cols !== 0) {
    throw new FreshmlError("column_mismatch", `a matrix of ${X.length} values does not hold whole rows of ${cols} named columns`);
  }
  const rows = X.length / cols;
  const columns = new Map<string, Column>();
  const out = names.map(() => new Float64Array(rows));
  for (let i = 0, o = 0; i < rows; i++, o += cols) for (let j = 0; j < cols; j++) out[j]![i] = X[o + j]!;
  names.forEach((n, j) => columns.set(n, { kind: "numeric", values: out[j]! }));
  if (target) {
    if (target.values.length !== rows) throw new FreshmlError("target_length_mismatch", `${rows} rows but ${target.values.length} targets`);
    const name = target.name ?? "target";
    columns.set(name, target.categorical ? categoricalFromNumbers(target.values) : { kind: "numeric", values: Float64Array.from(target.values) });
  }
  return { rows, columns };
}

/** A categorical column from numeric labels (each distinct value a level, named by its number). */
export function categoricalFromNumbers(values: ArrayLike<number>): CategoricalColumn {
  const index = new Map<number, number>();
  const levels: string[] = [];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) {
      codes[i] = -1;
      continue;
    }
    let c = index.get(v);
    if (c === undefined) {
      c = levels.length;
      index.set(v, c);
      levels.push(String(v));
    }
    codes[i] = c;
  }
  return { kind: "categorical", codes, levels };
}
