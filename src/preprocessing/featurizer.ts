import { z } from "zod";
import { FreshmlError, describeValue } from "../core/errors.js";
import type { CategoricalColumn, Column, Table } from "../validate/table.js";

/** A schema field as a stored model keeps it: enough to read and check a raw row without zod. */
export interface FieldJSON {
  /** The field name. */
  readonly name: string;
  /** Numbers stay numbers, booleans become 0/1, enums are one-hot over `levels`. */
  readonly kind: "number" | "boolean" | "enum";
  /** Whether a row may leave it out (a number is then imputed; an enum gets no level). */
  readonly optional: boolean;
  /** An enum's levels, in the schema's declared order (the one-hot column order). */
  readonly levels?: readonly string[];
  /** The value a missing field takes (zod's `.default(v)`), as the pipeline saw it. */
  readonly default?: number | boolean | string;
}

/** Running mean of one optional numeric feature's observed values: what replaces a missing value. */
export interface ImputeJSON {
  /** The field. */
  readonly field: string;
  /** Values observed so far. */
  readonly count: number;
  /** Their mean (0 before any). */
  readonly mean: number;
}

/** JSON form of a {@link Featurizer}: the `preprocessing` a stored version carries. */
export interface FeaturizerJSON {
  /** Always "freshml.featurizer". */
  readonly format: "freshml.featurizer";
  /** Format version. */
  readonly formatVersion: 1;
  /** The feature fields, in order, then the target field. */
  readonly fields: readonly FieldJSON[];
  /** The target field's name. */
  readonly target: string;
  /** Imputation statistics of the optional numeric features. */
  readonly impute: readonly ImputeJSON[];
}

/** How a table's columns become a feature matrix and a target. */
export interface FeatureLayout {
  /** Output column names: a numeric column keeps its name; an enum becomes `name=level` per level (one-hot). */
  readonly names: readonly string[];
  /** The target's labels when it is categorical (the class of code i is i). */
  readonly targetLevels: readonly string[] | null;
}

/** A featurised batch, before imputation: NaN where an optional number was missing. */
export interface Featurized {
  /** Row-major features. */
  X: Float64Array;
  /** Feature count. */
  cols: number;
  /** Targets (empty when featurising features only). */
  y: Float64Array;
  /** Missing cells in `X` (0: nothing to impute). */
  missing: number;
}

const fieldSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(["number", "boolean", "enum"]),
  optional: z.boolean(),
  levels: z.array(z.string()).optional(),
  default: z.union([z.number(), z.boolean(), z.string()]).optional(),
});
const featurizerSchema = z.object({
  format: z.literal("freshml.featurizer"),
  formatVersion: z.literal(1),
  fields: z.array(fieldSchema).min(2),
  target: z.string().min(1),
  impute: z.array(z.object({ field: z.string(), count: z.number().int().nonnegative(), mean: z.number() })),
});

/** A feature's place in the output row. */
interface Part {
  readonly field: FieldJSON;
  /** First output column. */
  readonly offset: number;
  /** Index into the imputation arrays (optional numbers only), else −1. */
  readonly impute: number;
}

/**
 * Turns rows into what a trainer learns from, and keeps what that needs:
 * numbers and booleans as they are, enums one-hot over their declared levels
 * (so the layout never changes between batches), the target as a number (an
 * enum target as its level index). A missing optional number is replaced by
 * the running mean of that field's observed values (learned with the model,
 * saved with it); a missing optional enum sets none of its columns.
 *
 * It is part of a stored model: a version's `preprocessing` is this
 * featurizer's JSON, so a served model reads raw rows exactly as the
 * pipeline did ({@link Featurizer.readRows}).
 *
 * @example
 * ```ts
 * import { Featurizer } from "freshml";
 * const f = new Featurizer(
 *   [{ name: "temp", kind: "number", optional: true }, { name: "day", kind: "enum", optional: false, levels: ["wk", "we"] }],
 *   { name: "load", kind: "number", optional: false },
 * );
 * f.layout.names; // ["temp", "day=wk", "day=we"]
 * const table = f.readRows([{ temp: 20, day: "we", load: 3 }, { day: "wk", load: 1 }], true);
 * const raw = f.transform(table); // temp of row 1 is NaN: raw.missing === 1
 * f.learn(raw);                   // the mean of temp is now 20
 * f.impute(raw.X, raw.missing);   // [20, 0, 1, 20, 1, 0]
 * ```
 */
export class Featurizer {
  /** Output columns and target levels. */
  readonly layout: FeatureLayout;
  /** The feature fields, in order. */
  readonly features: readonly FieldJSON[];
  /** The target field. */
  readonly target: FieldJSON;
  private readonly parts: Part[];
  private readonly count: Float64Array;
  private readonly mean: Float64Array;

  /**
   * @param features - the feature fields, in order
   * @param target - the target field (not optional)
   */
  constructor(features: readonly FieldJSON[], target: FieldJSON) {
    if (!Array.isArray(features) || features.length === 0) throw new FreshmlError("invalid_params", "a featurizer needs at least one feature field", { param: "features" });
    if (target.optional) throw new FreshmlError("invalid_params", `the target ${target.name} must not be optional: a row without a target cannot be learned`, { param: "target" });
    const names: string[] = [];
    const parts: Part[] = [];
    let imputed = 0;
    for (const f of features) {
      if (f.name === target.name) throw new FreshmlError("invalid_params", `field ${f.name} is both a feature and the target`, { param: "features" });
      if (f.kind === "enum" && !(f.levels && f.levels.length > 0)) throw new FreshmlError("invalid_params", `enum field ${f.name} has no levels`);
      parts.push({ field: f, offset: names.length, impute: f.kind === "number" && f.optional ? imputed++ : -1 });
      if (f.kind === "enum") for (const l of f.levels!) names.push(`${f.name}=${l}`);
      else names.push(f.name);
    }
    this.features = features.map(copyField);
    this.target = copyField(target);
    this.parts = parts;
    this.layout = { names, targetLevels: target.kind === "enum" ? target.levels!.slice() : null };
    this.count = new Float64Array(imputed);
    this.mean = new Float64Array(imputed);
  }

  /** Output column count. */
  get cols(): number {
    return this.layout.names.length;
  }

  /**
   * Lays out raw row objects as a table, checking each value against its field
   * (what serving does instead of the zod schema). A wrong type, a non-finite
   * number, an unknown enum level or a missing required field is
   * `invalid_row` naming the row and field. Extra keys are ignored.
   */
  readRows(rows: readonly unknown[], withTarget = false): Table {
    if (!Array.isArray(rows)) throw new FreshmlError("invalid_row", `rows must be an array of objects, got ${describeValue(rows)}`);
    if (rows.length === 0) throw new FreshmlError("empty_batch", "no rows to read");
    const n = rows.length;
    const fields = withTarget ? [...this.features, this.target] : this.features;
    const columns = new Map<string, Column>();
    for (const f of fields) {
      if (f.kind === "enum") {
        const codes = new Int32Array(n);
        const index = new Map(f.levels!.map((l, i) => [l, i]));
        for (let i = 0; i < n; i++) {
          const v = fieldOf(rows, i, f);
          if (v === undefined) {
            codes[i] = -1;
            continue;
          }
          const c = typeof v === "string" ? index.get(v) : undefined;
          if (c === undefined) throw badRow(i, f, v, `one of ${f.levels!.join(", ")}`);
          codes[i] = c;
        }
        columns.set(f.name, { kind: "categorical", codes, levels: f.levels! } satisfies CategoricalColumn);
      } else {
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const v = fieldOf(rows, i, f);
          if (v === undefined) values[i] = NaN;
          else if (f.kind === "boolean") {
            if (typeof v !== "boolean") throw badRow(i, f, v, "a boolean");
            values[i] = v ? 1 : 0;
          } else {
            if (typeof v !== "number" || v - v !== 0) throw badRow(i, f, v, "a finite number");
            values[i] = v;
          }
        }
        columns.set(f.name, { kind: "numeric", values });
      }
    }
    return { rows: n, columns };
  }

  /** Feature matrix (NaN where an optional number is missing) and target of a table. */
  transform(table: Table): Featurized {
    const f = this.transformFeatures(table);
    const t = table.columns.get(this.target.name);
    if (!t) throw new FreshmlError("target_missing", `target ${this.target.name} is not in the batch`, { field: this.target.name });
    const n = table.rows;
    let y: Float64Array;
    if (t.kind === "numeric") y = t.values;
    else {
      const levels = this.layout.targetLevels ?? t.levels;
      const map = t.levels.map((l) => levels.indexOf(l));
      y = new Float64Array(n);
      for (let i = 0; i < n; i++) y[i] = t.codes[i]! >= 0 ? map[t.codes[i]!]! : NaN;
    }
    return { ...f, y };
  }

  /** The feature matrix alone (serving). */
  transformFeatures(table: Table): Featurized {
    const n = table.rows;
    const d = this.cols;
    const X = new Float64Array(n * d);
    let missing = 0;
    for (const p of this.parts) {
      const name = p.field.name;
      const col = table.columns.get(name);
      if (!col) throw new FreshmlError("column_mismatch", `feature ${name} is not in the batch`, { field: name });
      if (p.field.kind === "enum") {
        if (col.kind !== "categorical") throw new FreshmlError("column_mismatch", `feature ${name} should be categorical`, { field: name });
        const levels = p.field.levels!;
        // The batch's codes index its own level list; map them onto the declared order.
        const map = col.levels.map((l) => levels.indexOf(l));
        for (let i = 0; i < n; i++) {
          const c = col.codes[i]!;
          const k = c >= 0 ? map[c]! : -1;
          if (k >= 0) X[i * d + p.offset + k] = 1;
          else if (c >= 0) throw new FreshmlError("unknown_class", `feature ${name} has the unknown level ${JSON.stringify(col.levels[c])} at row ${i}`, { row: i, field: name });
        }
      } else {
        if (col.kind !== "numeric") throw new FreshmlError("column_mismatch", `feature ${name} should be numeric`, { field: name });
        const v = col.values;
        for (let i = 0, o = p.offset; i < n; i++, o += d) {
          const x = v[i]!;
          X[o] = x;
          if (x !== x) {
            if (p.impute < 0) throw new FreshmlError("non_finite", `feature ${name} is missing at row ${i} and the field is not optional`, { row: i, field: name });
            missing++;
          }
        }
      }
    }
    return { X, cols: d, y: new Float64Array(0), missing };
  }

  /** Folds a batch's observed values of the optional numbers into their means. */
  learn(batch: Featurized): void {
    if (this.count.length === 0) return;
    const d = this.cols;
    const rows = batch.X.length / d;
    for (const p of this.parts) {
      if (p.impute < 0) continue;
      let n = 0;
      let s = 0;
      for (let i = 0, o = p.offset; i < rows; i++, o += d) {
        const x = batch.X[o]!;
        if (x === x) {
          n++;
          s += x;
        }
      }
      if (n === 0) continue;
      const total = this.count[p.impute]! + n;
      // Chan's update of a mean: exact whatever the batch split, to rounding.
      this.mean[p.impute] = this.mean[p.impute]! + (s / n - this.mean[p.impute]!) * (n / total);
      this.count[p.impute] = total;
    }
  }

  /** `X` with every missing value replaced by its field's mean (the same array when nothing is missing). */
  impute(X: Float64Array, missing: number): Float64Array {
    if (missing === 0) return X;
    const out = X.slice();
    const d = this.cols;
    const rows = X.length / d;
    for (const p of this.parts) {
      if (p.impute < 0) continue;
      const m = this.mean[p.impute]!;
      for (let i = 0, o = p.offset; i < rows; i++, o += d) if (out[o] !== out[o]) out[o] = m;
    }
    return out;
  }

  /** An independent copy (layout and statistics). */
  copy(): Featurizer {
    const f = new Featurizer(this.features, this.target);
    f.count.set(this.count);
    f.mean.set(this.mean);
    return f;
  }

  /** JSON-safe form. */
  toJSON(): FeaturizerJSON {
    const impute: ImputeJSON[] = [];
    for (const p of this.parts) if (p.impute >= 0) impute.push({ field: p.field.name, count: this.count[p.impute]!, mean: this.mean[p.impute]! });
    return { format: "freshml.featurizer", formatVersion: 1, fields: [...this.features.map(copyField), copyField(this.target)], target: this.target.name, impute };
  }

  /** Restores a featurizer from {@link Featurizer.toJSON}; anything malformed is `invalid_state`. */
  static fromJSON(json: unknown): Featurizer {
    const parsed = featurizerSchema.safeParse(json);
    if (!parsed.success) throw new FreshmlError("invalid_state", `not a freshml featurizer: ${z.prettifyError(parsed.error)}`, { issues: parsed.error.issues });
    const j = parsed.data;
    const target = j.fields[j.fields.length - 1]!;
    if (target.name !== j.target) throw new FreshmlError("invalid_state", "the featurizer's last field is not its target");
    let f: Featurizer;
    try {
      f = new Featurizer(j.fields.slice(0, -1) as FieldJSON[], target as FieldJSON);
    } catch (err) {
      throw new FreshmlError("invalid_state", `invalid featurizer: ${(err as Error).message}`);
    }
    const parts = f.parts.filter((p) => p.impute >= 0);
    if (parts.length !== j.impute.length) throw new FreshmlError("invalid_state", "featurizer imputation statistics do not match its fields");
    parts.forEach((p, k) => {
      const s = j.impute[k]!;
      if (s.field !== p.field.name) throw new FreshmlError("invalid_state", `imputation statistics for ${s.field} where ${p.field.name} was expected`);
      f.count[p.impute] = s.count;
      f.mean[p.impute] = s.mean;
    });
    return f;
  }
}

function copyField(f: FieldJSON): FieldJSON {
  return { name: f.name, kind: f.kind, optional: f.optional, ...(f.kind === "enum" ? { levels: f.levels!.slice() } : {}), ...(f.default !== undefined ? { default: f.default } : {}) };
}

function fieldOf(rows: readonly unknown[], i: number, f: FieldJSON): unknown {
  const row = rows[i];
  if (row === null || typeof row !== "object" || Array.isArray(row)) throw new FreshmlError("invalid_row", `row ${i} is ${describeValue(row)}, not an object`, { row: i });
  // Own properties only: a hostile `__proto__` or inherited key is never read as a field.
  const own = Object.prototype.hasOwnProperty.call(row, f.name) ? (row as Record<string, unknown>)[f.name] : undefined;
  // A missing field takes its default, as zod did for the pipeline; null is "missing" too, as .nullable() lets it through.
  const v = own === undefined && f.default !== undefined ? f.default : own === null ? undefined : own;
  if (v === undefined && !f.optional) throw new FreshmlError("invalid_row", `row ${i} has no ${f.name}`, { row: i, field: f.name, expected: f.kind });
  return v;
}

function badRow(i: number, f: FieldJSON, v: unknown, expected: string): FreshmlError {
  return new FreshmlError("invalid_row", `row ${i}, ${f.name}: ${describeValue(v)} is not ${expected}`, { row: i, field: f.name, observed: describeValue(v), expected });
}
