import { z } from "zod";
import { FreshmlError, describeValue } from "../core/errors.js";
import type { CategoricalColumn, Column, Table } from "../validate/table.js";
import { QuantileSketch, type QuantileSketchJSON } from "./quantile-sketch.js";

/** A schema field as a stored model keeps it: enough to read and check a raw row without zod. */
export interface FieldJSON {
  /** The field name. */
  readonly name: string;
  /** Numbers stay numbers, booleans become 0/1, enums are one-hot over `levels`. */
  readonly kind: "number" | "boolean" | "enum";
  /** Whether a row may leave it out (the value is then imputed per the field's {@link MissingStrategy}). */
  readonly optional: boolean;
  /** An enum's levels, in the schema's declared order (the one-hot column order). */
  readonly levels?: readonly string[];
  /** The value a missing field takes (zod's `.default(v)`), as the pipeline saw it. */
  readonly default?: number | boolean | string;
}

/**
 * What replaces a missing value of an optional feature:
 * - `"mean"` — the running mean of the field's observed values (numbers; the default for numbers);
 * - `"median"` — the median of a deterministic streaming {@link QuantileSketch} (numbers);
 * - `"constant"` — the field's `value` (a number, a boolean, or one of an enum's levels);
 * - `"most-frequent"` — the level (or boolean) seen most often so far, the first declared on ties (enums and booleans; their default);
 * - `"none"` — enums only: no level column is set (with `"drop-first"` that reads as the reference level).
 *
 * Before any value has been observed, `"mean"` and `"median"` impute 0, `"most-frequent"` imputes no level (false for a boolean).
 */
export type MissingStrategy = "mean" | "median" | "constant" | "most-frequent" | "none";

/**
 * What an enum feature does with a level it does not declare:
 * - `"ignore"` (default) — the row is kept with no level column set (with `"drop-first"`, the same columns as the reference level), and counted;
 * - `"other"` — the row sets an extra `name=(other)` column, and is counted;
 * - `"error"` — the batch fails (`unseen_level`; in the pipeline the schema rejects it first).
 */
export type UnseenPolicy = "error" | "ignore" | "other";

/**
 * How enums become columns:
 * - `"drop-first"` (default) — one column per level but the first declared (the reference level, all zeros), as scikit-learn's
 *   `OneHotEncoder(drop="first")`: beside an intercept the columns stay linearly independent, so `LinearRegression()` (l2 = 0) is not singular;
 * - `"full"` — one column per level (what formatVersion 1 models use); beside an intercept the columns sum to it: use a ridge (l2 > 0).
 */
export type OneHotEncoding = "drop-first" | "full";

// What an output column holds ("binary": booleans, one-hot, missing indicators), as trainers' describeColumns reads it.
import type { ColumnKind } from "../learners/trainer.js";

/** Preprocessing of one feature field (every member optional). */
export interface FieldPreprocessing {
  /** What replaces a missing value (see {@link MissingStrategy}). Default "mean" for numbers, "most-frequent" for booleans and enums. */
  readonly missing?: MissingStrategy;
  /** The value of `missing: "constant"`: a number, a boolean, or one of the enum's levels. */
  readonly value?: number | boolean | string;
  /** Adds a 0/1 column `name_missing` right after the field's columns: 1 where the value was missing (before imputation). Default false. */
  readonly indicator?: boolean;
  /** Enums: a level outside the declared ones (see {@link UnseenPolicy}). Default "ignore". */
  readonly unseen?: UnseenPolicy;
  /**
   * The levels of a free-string field (`z.string()`) the pipeline should one-hot encode as an enum; any other
   * string is an unseen level. Only the pipeline reads this (a {@link Featurizer} takes its levels from the fields).
   */
  readonly levels?: readonly string[];
}

/** Options of a {@link Featurizer} (and the pipeline's `preprocessing`). */
export interface FeaturizerOptions {
  /** How enums become columns (see {@link OneHotEncoding}). Default "drop-first". */
  readonly oneHot?: OneHotEncoding;
  /** Per feature field, by name. A name that is not a feature is `invalid_params`. */
  readonly fields?: Readonly<Record<string, FieldPreprocessing>>;
}

/** Running mean of one optional numeric feature's observed values: what replaces a missing value (formatVersion 1). */
export interface ImputeJSON {
  /** The field. */
  readonly field: string;
  /** Values observed so far. */
  readonly count: number;
  /** Their mean (0 before any). */
  readonly mean: number;
}

/** One feature field's preprocessing and learned statistics, as saved (formatVersion 2). */
export interface FieldStateJSON {
  /** The field. */
  readonly field: string;
  /** Its missing-value strategy. */
  readonly missing: MissingStrategy;
  /** The constant of `missing: "constant"`. */
  readonly value?: number | boolean | string;
  /** Whether it has a `name_missing` column. */
  readonly indicator: boolean;
  /** Enums: what an undeclared level does. */
  readonly unseen?: UnseenPolicy;
  /** Values observed so far. */
  readonly count: number;
  /** `"mean"`: their mean. */
  readonly mean?: number;
  /** `"median"`: the quantile sketch of the observed values. */
  readonly sketch?: QuantileSketchJSON;
  /** `"most-frequent"`: how often each level (enum) or false/true (boolean) was observed. */
  readonly counts?: readonly number[];
}

/** JSON form of a {@link Featurizer} (formatVersion 1: full one-hot and running means), the `preprocessing` a stored version carries. */
export interface FeaturizerJSONv1 {
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

/** JSON form of a {@link Featurizer}: the `preprocessing` a stored version carries. */
export interface FeaturizerJSON {
  /** Always "freshml.featurizer". */
  readonly format: "freshml.featurizer";
  /** Format version (2; version 1 is still read, see {@link FeaturizerJSONv1}). */
  readonly formatVersion: 2;
  /** The feature fields, in order, then the target field. */
  readonly fields: readonly FieldJSON[];
  /** The target field's name. */
  readonly target: string;
  /** How enums become columns. */
  readonly oneHot: OneHotEncoding;
  /** Per feature field, in order: preprocessing and statistics. */
  readonly preprocess: readonly FieldStateJSON[];
}

/** How a table's columns become a feature matrix and a target. */
export interface FeatureLayout {
  /**
   * Output column names: a number or boolean keeps its field's name; an enum gives `name=level` per level
   * (but the first with `"drop-first"`), then `name=(other)` with `unseen: "other"`; an indicator is `name_missing`.
   */
  readonly names: readonly string[];
  /** Per output column, what it holds (for scalers: standardise `"numeric"` columns only). */
  readonly kinds: readonly ColumnKind[];
  /** Per output column, the schema field it comes from (to name a field in an error about column j). */
  readonly fields: readonly string[];
  /** The target's labels when it is categorical (the class of code i is i). */
  readonly targetLevels: readonly string[] | null;
}

/** Missing values and unseen levels of one feature field in a batch (only fields with any are listed). */
export interface FieldCount {
  /** The field. */
  readonly field: string;
  /** Rows where it was missing (imputed per its strategy). */
  readonly missing: number;
  /** Rows with a level it does not declare (kept per its {@link UnseenPolicy}). */
  readonly unseen: number;
  /** The first few distinct unseen levels (at most 5). */
  readonly unseenLevels: readonly string[];
}

/**
 * What each row of a batch held in one feature field: `codes[i]` is the
 * declared level (≥ 0) of an enum, 0 for a number or boolean that was
 * present, −1 for a missing value, and −2 − k for the k-th distinct
 * undeclared level of the batch (`unseenLevels[k]`).
 */
export interface FieldRows {
  /** The field. */
  readonly field: string;
  /** Per row, as above. */
  readonly codes: Int32Array;
  /** The batch's undeclared levels of this field, in order of first appearance (empty but for enums). */
  readonly unseenLevels: readonly string[];
}

/** A featurised batch, before imputation: NaN where an optional value was missing and must be imputed. */
export interface Featurized {
  /** Row-major features. */
  X: Float64Array;
  /** Feature count. */
  cols: number;
  /** Targets (empty when featurising features only). */
  y: Float64Array;
  /** NaN cells in `X`, each to impute (0: nothing to impute, `X` is final). */
  missing: number;
  /** Per field with missing values or unseen levels, their counts (empty when there are none). */
  counts: FieldCount[];
  /** Per feature field, in order: what each row held (the statistics learn enum levels from it). */
  fields: FieldRows[];
}

const fieldSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(["number", "boolean", "enum"]),
  optional: z.boolean(),
  levels: z.array(z.string()).optional(),
  default: z.union([z.number(), z.boolean(), z.string()]).optional(),
});
const v1Schema = z.object({
  format: z.literal("freshml.featurizer"),
  formatVersion: z.literal(1),
  fields: z.array(fieldSchema).min(2),
  target: z.string().min(1),
  impute: z.array(z.object({ field: z.string(), count: z.number().int().nonnegative(), mean: z.number() })),
});
const v2Schema = z.object({
  format: z.literal("freshml.featurizer"),
  formatVersion: z.literal(2),
  fields: z.array(fieldSchema).min(2),
  target: z.string().min(1),
  oneHot: z.enum(["drop-first", "full"]),
  preprocess: z.array(
    z.object({
      field: z.string(),
      missing: z.enum(["mean", "median", "constant", "most-frequent", "none"]),
      value: z.union([z.number(), z.boolean(), z.string()]).optional(),
      indicator: z.boolean(),
      unseen: z.enum(["error", "ignore", "other"]).optional(),
      count: z.number().int().nonnegative(),
      mean: z.number().optional(),
      sketch: z.unknown().optional(),
      counts: z.array(z.number().int().nonnegative()).optional(),
    }),
  ),
});

/** The suffix of an indicator column. */
const MISSING_SUFFIX = "_missing";
/** The level name of an enum's "other" column. */
const OTHER_LEVEL = "(other)";

/** A feature's place in the output row, and its preprocessing state. */
interface Part {
  readonly field: FieldJSON;
  /** First output column. */
  readonly offset: number;
  /** Value columns (before the indicator): 1 for numbers and booleans; the one-hot block of an enum. */
  readonly width: number;
  /** Enums: the declared level of the block's first column (1 with drop-first, else 0). */
  readonly first: number;
  /** Enums with unseen "other": the column of the other bucket, else −1. */
  readonly other: number;
  /** The indicator column, else −1. */
  readonly indicator: number;
  readonly missing: MissingStrategy;
  readonly value: number | boolean | string | undefined;
  readonly unseen: UnseenPolicy;
  /** Observed values. */
  count: number;
  mean: number;
  sketch: QuantileSketch | null;
  /** Level counts (enums), or [false, true] counts (booleans), for most-frequent. */
  counts: Float64Array | null;
}

/**
 * Turns rows into what a trainer learns from, and keeps what that needs:
 * numbers as they are, booleans as 0/1, enums one-hot over their declared
 * levels (the first level dropped by default, so the layout never changes
 * between batches and an intercept is not collinear with the one-hot block),
 * the target as a number (an enum target as its level index).
 *
 * Missing values are a first-class case: each optional feature has a
 * {@link MissingStrategy} (running mean, streaming median, constant, most
 * frequent) whose statistics are learned batch by batch and saved with the
 * model, and may have a 0/1 missing-indicator column. An enum level the schema
 * does not declare is, by default, kept as "no level" and counted
 * ({@link UnseenPolicy}). Every error names the field and the row.
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
 *   { fields: { temp: { missing: "median", indicator: true } } },
 * );
 * f.layout.names; // ["temp", "temp_missing", "day=we"] ("wk" is the reference level)
 * const table = f.readRows([{ temp: 20, day: "we", load: 3 }, { day: "wk", load: 1 }], true);
 * const raw = f.transform(table); // temp of row 1 is NaN: raw.missing === 1
 * f.learn(raw);                   // the median of temp is now 20
 * f.impute(raw.X, raw.missing);   // [20, 0, 1, 20, 1, 0]
 * ```
 */
export class Featurizer {
  /** Output columns, their kinds and fields, and target levels. */
  readonly layout: FeatureLayout;
  /** The feature fields, in order. */
  readonly features: readonly FieldJSON[];
  /** The target field. */
  readonly target: FieldJSON;
  /** How enums become columns. */
  readonly oneHot: OneHotEncoding;
  private readonly parts: Part[];

  /**
   * @param features - the feature fields, in order
   * @param target - the target field (not optional)
   * @param options - one-hot encoding and per-field preprocessing (defaults: drop-first; mean / most-frequent; unseen "ignore")
   */
  constructor(features: readonly FieldJSON[], target: FieldJSON, options: FeaturizerOptions = {}) {
    if (!Array.isArray(features) || features.length === 0) throw new FreshmlError("invalid_params", "a featurizer needs at least one feature field", { param: "features" });
    if (target.optional) throw new FreshmlError("invalid_params", `the target ${target.name} must not be optional: a row without a target cannot be learned`, { param: "target" });
    const oneHot = options.oneHot ?? "drop-first";
    if (oneHot !== "drop-first" && oneHot !== "full") throw new FreshmlError("invalid_params", `oneHot must be "drop-first" or "full", got ${describeValue(oneHot)}`, { param: "oneHot" });
    const perField = options.fields ?? {};
    if (typeof perField !== "object" || perField === null) throw new FreshmlError("invalid_params", "preprocessing fields must be an object keyed by field name", { param: "fields" });
    for (const name of Object.keys(perField)) {
      if (!features.some((f) => f.name === name)) {
        throw new FreshmlError("invalid_params", `preprocessing names ${JSON.stringify(name)}, which is not a feature (features: ${features.map((f) => f.name).join(", ")})`, { param: "fields", field: name });
      }
    }
    const names: string[] = [];
    const kinds: ColumnKind[] = [];
    const sources: string[] = [];
    const parts: Part[] = [];
    const add = (name: string, kind: ColumnKind, field: string): void => {
      names.push(name);
      kinds.push(kind);
      sources.push(field);
    };
    for (const f of features) {
      if (f.name === target.name) throw new FreshmlError("invalid_params", `field ${f.name} is both a feature and the target`, { param: "features" });
      if (f.kind === "enum" && !(f.levels && f.levels.length > 0)) throw new FreshmlError("invalid_params", `enum field ${f.name} has no levels`, { param: "features", field: f.name });
      const o = Object.prototype.hasOwnProperty.call(perField, f.name) ? perField[f.name]! : {};
      if (typeof o !== "object" || o === null) throw new FreshmlError("invalid_params", `preprocessing of ${f.name} must be an object, got ${describeValue(o)}`, { param: "fields", field: f.name });
      const missing = checkMissing(f, o);
      const unseen = o.unseen ?? "ignore";
      if (!["error", "ignore", "other"].includes(unseen)) throw new FreshmlError("invalid_params", `${f.name}: unseen must be "error", "ignore" or "other", got ${describeValue(unseen)}`, { param: "fields", field: f.name });
      if (o.unseen !== undefined && f.kind !== "enum") throw new FreshmlError("invalid_params", `${f.name}: unseen applies to enum fields; ${f.name} is a ${f.kind}`, { param: "fields", field: f.name });
      const offset = names.length;
      let width = 1;
      let first = 0;
      let other = -1;
      if (f.kind === "enum") {
        if (unseen === "other" && f.levels!.includes(OTHER_LEVEL)) throw new FreshmlError("invalid_params", `${f.name} declares the level ${OTHER_LEVEL}, which names its unseen-level column`, { param: "fields", field: f.name });
        first = oneHot === "drop-first" ? 1 : 0;
        for (let l = first; l < f.levels!.length; l++) add(`${f.name}=${f.levels![l]}`, "binary", f.name);
        width = f.levels!.length - first;
        if (unseen === "other") {
          other = names.length;
          add(`${f.name}=${OTHER_LEVEL}`, "binary", f.name);
        }
      } else add(f.name, f.kind === "boolean" ? "binary" : "numeric", f.name);
      let indicator = -1;
      if (o.indicator !== undefined && typeof o.indicator !== "boolean") throw new FreshmlError("invalid_params", `${f.name}: indicator must be a boolean`, { param: "fields", field: f.name });
      if (o.indicator) {
        indicator = names.length;
        add(`${f.name}${MISSING_SUFFIX}`, "binary", f.name);
      }
      parts.push({
        field: f,
        offset,
        width,
        first,
        other,
        indicator,
        missing,
        value: missing === "constant" ? o.value : undefined,
        unseen: f.kind === "enum" ? unseen : "error",
        count: 0,
        mean: 0,
        sketch: missing === "median" ? new QuantileSketch() : null,
        counts: missing === "most-frequent" ? new Float64Array(f.kind === "enum" ? f.levels!.length : 2) : null,
      });
    }
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) throw new FreshmlError("invalid_params", `two output columns are named ${JSON.stringify(n)}: rename a field`, { param: "features", field: n });
      seen.add(n);
    }
    this.features = features.map(copyField);
    this.target = copyField(target);
    this.oneHot = oneHot;
    this.parts = parts;
    this.layout = { names, kinds, fields: sources, targetLevels: target.kind === "enum" ? target.levels!.slice() : null };
  }

  /** Output column count. */
  get cols(): number {
    return this.layout.names.length;
  }

  /** The preprocessing of each feature field, in order, as resolved with the defaults. */
  get preprocessing(): Readonly<Record<string, FieldPreprocessing>> {
    const out: Record<string, FieldPreprocessing> = {};
    for (const p of this.parts) {
      out[p.field.name] = {
        missing: p.missing,
        ...(p.value !== undefined ? { value: p.value } : {}),
        indicator: p.indicator >= 0,
        ...(p.field.kind === "enum" ? { unseen: p.unseen } : {}),
      };
    }
    return out;
  }

  /**
   * Lays out raw row objects as a table, checking each value against its field
   * (what serving does instead of the zod schema). A wrong type, a non-finite
   * number, an undeclared enum level when the field's `unseen` is "error" or a
   * missing required field is `invalid_row` naming the row and field. Extra
   * keys are ignored.
   */
  readRows(rows: readonly unknown[], withTarget = false): Table {
    if (!Array.isArray(rows)) throw new FreshmlError("invalid_row", `rows must be an array of objects, got ${describeValue(rows)}`);
    if (rows.length === 0) throw new FreshmlError("empty_batch", "no rows to read");
    const n = rows.length;
    const fields = withTarget ? [...this.features, this.target] : this.features;
    const unseenOk = new Map(this.parts.map((p) => [p.field.name, p.unseen !== "error"]));
    const columns = new Map<string, Column>();
    for (const f of fields) {
      if (f.kind === "enum") {
        const codes = new Int32Array(n);
        const levels = f.levels!.slice();
        const index = new Map(levels.map((l, i) => [l, i]));
        const open = unseenOk.get(f.name) === true && f !== this.target;
        for (let i = 0; i < n; i++) {
          const v = fieldOf(rows, i, f);
          if (v === undefined) {
            codes[i] = -1;
            continue;
          }
          let c = typeof v === "string" ? index.get(v) : undefined;
          if (c === undefined && open && typeof v === "string") {
            // Kept as a level of this table; the featurizer applies the field's unseen policy.
            c = levels.length;
            index.set(v, c);
            levels.push(v);
          }
          if (c === undefined) throw badRow(i, f, v, open ? "a string" : `one of ${f.levels!.join(", ")}`);
          codes[i] = c;
        }
        columns.set(f.name, { kind: "categorical", codes, levels } satisfies CategoricalColumn);
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

  /** Feature matrix (NaN where a value must be imputed) and target of a table. */
  transform(table: Table): Featurized {
    const f = this.transformFeatures(table);
    const t = table.columns.get(this.target.name);
    if (!t) throw new FreshmlError("target_missing", `target ${this.target.name} is not in the batch`, { field: this.target.name });
    const n = table.rows;
    let y: Float64Array;
    if (t.kind === "numeric") {
      y = t.values;
      for (let i = 0; i < n; i++) {
        const v = y[i]!;
        if (v - v !== 0) throw new FreshmlError("non_finite", `target ${this.target.name} is ${v} at row ${i}`, { row: i, field: this.target.name, observed: String(v) });
      }
    } else {
      const levels = this.layout.targetLevels ?? t.levels;
      const map = t.levels.map((l) => levels.indexOf(l));
      y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const c = t.codes[i]!;
        const k = c >= 0 ? map[c]! : -1;
        if (k < 0) {
          const what = c >= 0 ? `the undeclared label ${JSON.stringify(t.levels[c])}` : "no label";
          throw new FreshmlError("unknown_class", `target ${this.target.name} has ${what} at row ${i}`, { row: i, field: this.target.name });
        }
        y[i] = k;
      }
    }
    return { ...f, y };
  }

  /** The feature matrix alone (serving). */
  transformFeatures(table: Table): Featurized {
    const n = table.rows;
    const d = this.cols;
    const X = new Float64Array(n * d);
    const fields: FieldRows[] = [];
    let missing = 0;
    for (const p of this.parts) {
      const name = p.field.name;
      const col = table.columns.get(name);
      if (!col) throw new FreshmlError("column_mismatch", `feature ${name} is not in the batch`, { field: name });
      const codes = new Int32Array(n);
      const unseenLevels: string[] = [];
      if (p.field.kind === "enum") {
        if (col.kind !== "categorical") throw new FreshmlError("column_mismatch", `feature ${name} should be categorical`, { field: name });
        const levels = p.field.levels!;
        // The batch's codes index its own level list; map them onto the declared order.
        const map = col.levels.map((l) => levels.indexOf(l));
        // Per batch level outside the declared ones: its index among this batch's unseen levels.
        const unseenIndex = new Int32Array(col.levels.length).fill(-1);
        for (let i = 0; i < n; i++) {
          const c = col.codes[i]!;
          const row = i * d;
          if (c < 0) {
            codes[i] = -1;
            if (!p.field.optional) throw missingRequired(i, name);
            if (p.indicator >= 0) X[row + p.indicator] = 1;
            if (p.missing !== "none" && p.width > 0) {
              for (let j = 0; j < p.width; j++) X[row + p.offset + j] = NaN;
              missing += p.width;
            }
            continue;
          }
          const k = map[c]!;
          if (k >= 0) {
            codes[i] = k;
            if (k >= p.first) X[row + p.offset + k - p.first] = 1;
            continue;
          }
          const level = col.levels[c]!;
          if (p.unseen === "error") {
            throw new FreshmlError("unseen_level", `feature ${name} has the undeclared level ${JSON.stringify(level)} at row ${i} (declared: ${levels.join(", ")})`, { row: i, field: name, observed: level, expected: levels.slice() });
          }
          if (unseenIndex[c]! < 0) unseenIndex[c] = unseenLevels.push(level) - 1;
          codes[i] = -2 - unseenIndex[c]!;
          if (p.other >= 0) X[row + p.other] = 1;
        }
      } else {
        if (col.kind !== "numeric") throw new FreshmlError("column_mismatch", `feature ${name} should be numeric`, { field: name });
        const v = col.values;
        for (let i = 0, o = p.offset; i < n; i++, o += d) {
          const x = v[i]!;
          if (x !== x) {
            if (!p.field.optional) throw missingRequired(i, name);
            X[o] = NaN;
            codes[i] = -1;
            missing++;
            if (p.indicator >= 0) X[i * d + p.indicator] = 1;
          } else if (x - x !== 0) {
            throw new FreshmlError("non_finite", `feature ${name} is ${x} at row ${i}; values must be finite`, { row: i, field: name, observed: String(x) });
          } else if (p.field.kind === "boolean" && x !== 0 && x !== 1) {
            throw new FreshmlError("invalid_row", `feature ${name} is ${x} at row ${i}, not a boolean (0/1)`, { row: i, field: name, observed: x, expected: "a boolean" });
          } else X[o] = x;
        }
      }
      fields.push({ field: name, codes, unseenLevels });
    }
    return { X, cols: d, y: new Float64Array(0), missing, counts: countsOf(fields), fields };
  }

  /**
   * Folds a batch's observed values into the statistics of the fields that
   * impute (running means, median sketches, level counts), in row order: the
   * statistics after several batches are those of one pass over their rows.
   */
  learn(batch: Featurized): void {
    const d = this.cols;
    const rows = batch.X.length / d;
    this.parts.forEach((p, k) => {
      if (!p.field.optional || p.missing === "constant" || p.missing === "none") return;
      if (p.field.kind === "enum") {
        const codes = batch.fields?.[k]?.codes;
        if (!codes || batch.fields[k]!.field !== p.field.name) throw new FreshmlError("invalid_params", `learn needs the rows of ${p.field.name}: pass what transform returned`, { field: p.field.name });
        for (let i = 0; i < rows; i++) {
          const c = codes[i]!;
          if (c >= 0) {
            p.counts![c]!++;
            p.count++;
          }
        }
        return;
      }
      const X = batch.X;
      let n = 0;
      let m = 0;
      if (p.sketch) {
        for (let i = 0, o = p.offset; i < rows; i++, o += d) {
          const x = X[o]!;
          if (x === x) {
            n++;
            p.sketch.add(x);
          }
        }
      } else if (p.counts) {
        for (let i = 0, o = p.offset; i < rows; i++, o += d) {
          const x = X[o]!;
          if (x === x) {
            n++;
            p.counts[x === 1 ? 1 : 0]!++;
          }
        }
      } else {
        let sum = 0;
        for (let i = 0, o = p.offset; i < rows; i++, o += d) {
          const x = X[o]!;
          if (x === x) {
            n++;
            sum += x;
          }
        }
        m = sum / n;
        // A sum that overflowed (values near the float limit): the batch mean one value at a time instead.
        if (n > 0 && m - m !== 0) {
          m = 0;
          for (let i = 0, o = p.offset, k = 0; i < rows; i++, o += d) {
            const x = X[o]!;
            if (x === x) m += (x - m) / ++k;
          }
        }
      }
      if (n === 0) return;
      const total = p.count + n;
      // Chan's merge of two means, as a weighted average: exact whatever the batch split, to rounding, and never overflows.
      if (p.missing === "mean") p.mean = p.count === 0 ? m : p.mean * (p.count / total) + m * (n / total);
      p.count = total;
    });
  }

  /** `X` with every missing value imputed per its field's strategy (the same array when nothing is missing). */
  impute(X: Float64Array, missing: number): Float64Array {
    if (missing === 0) return X;
    const out = X.slice();
    const d = this.cols;
    const rows = X.length / d;
    for (const p of this.parts) {
      if (!p.field.optional || p.width === 0 || p.missing === "none") continue;
      const fill = this.fillValue(p);
      for (let i = 0, o = p.offset; i < rows; i++, o += d) {
        if (out[o] === out[o]) continue;
        if (p.field.kind === "enum") {
          for (let j = 0; j < p.width; j++) out[o + j] = 0;
          if (fill >= p.first) out[o + fill - p.first] = 1;
        } else out[o] = fill;
      }
    }
    return out;
  }

  /** The value a missing entry of `p` takes: a number, a 0/1, or (enums) a declared level index (−1: none). */
  private fillValue(p: Part): number {
    switch (p.missing) {
      case "mean":
        return p.mean;
      case "median":
        return p.sketch!.n === 0 ? 0 : p.sketch!.median();
      case "constant":
        return p.field.kind === "enum" ? p.field.levels!.indexOf(p.value as string) : p.field.kind === "boolean" ? (p.value ? 1 : 0) : (p.value as number);
      case "most-frequent": {
        const c = p.counts!;
        let best = -1;
        for (let i = 0; i < c.length; i++) if (c[i]! > 0 && (best < 0 || c[i]! > c[best]!)) best = i;
        return p.field.kind === "boolean" ? Math.max(best, 0) : best;
      }
      default:
        return -1;
    }
  }

  /** The values missing entries take now, per optional field (enums: the level, or null for none). */
  get fills(): Readonly<Record<string, number | boolean | string | null>> {
    const out: Record<string, number | boolean | string | null> = {};
    for (const p of this.parts) {
      if (!p.field.optional) continue;
      const v = this.fillValue(p);
      out[p.field.name] = p.field.kind === "enum" ? (v >= 0 ? p.field.levels![v]! : null) : p.field.kind === "boolean" ? v === 1 : v;
    }
    return out;
  }

  /** An independent copy (layout, preprocessing and statistics). */
  copy(): Featurizer {
    const f = new Featurizer(this.features, this.target, { oneHot: this.oneHot, fields: this.preprocessing });
    this.parts.forEach((p, k) => {
      const q = f.parts[k]!;
      q.count = p.count;
      q.mean = p.mean;
      if (p.sketch) q.sketch = p.sketch.copy();
      if (p.counts) q.counts!.set(p.counts);
    });
    return f;
  }

  /** JSON-safe form (formatVersion 2). */
  toJSON(): FeaturizerJSON {
    const preprocess: FieldStateJSON[] = this.parts.map((p) => ({
      field: p.field.name,
      missing: p.missing,
      ...(p.value !== undefined ? { value: p.value } : {}),
      indicator: p.indicator >= 0,
      ...(p.field.kind === "enum" ? { unseen: p.unseen } : {}),
      count: p.count,
      ...(p.missing === "mean" ? { mean: p.mean } : {}),
      ...(p.sketch ? { sketch: p.sketch.toJSON() } : {}),
      ...(p.counts ? { counts: Array.from(p.counts) } : {}),
    }));
    return { format: "freshml.featurizer", formatVersion: 2, fields: [...this.features.map(copyField), copyField(this.target)], target: this.target.name, oneHot: this.oneHot, preprocess };
  }

  /**
   * Restores a featurizer from {@link Featurizer.toJSON}, formatVersion 2 or 1
   * (a version-1 featurizer keeps full one-hot, running means, no level for a
   * missing enum and rejects undeclared levels, so it predicts as it did);
   * anything malformed is `invalid_state`.
   */
  static fromJSON(json: unknown): Featurizer {
    const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
    if (version === 1) return fromV1(json);
    const parsed = v2Schema.safeParse(json);
    if (!parsed.success) throw new FreshmlError("invalid_state", `not a freshml featurizer: ${z.prettifyError(parsed.error)}`, { issues: parsed.error.issues });
    const j = parsed.data;
    const { features, target } = splitFields(j.fields, j.target);
    if (j.preprocess.length !== features.length) throw new FreshmlError("invalid_state", "featurizer preprocessing does not match its fields");
    const fields: Record<string, FieldPreprocessing> = {};
    j.preprocess.forEach((s, k) => {
      if (s.field !== features[k]!.name) throw new FreshmlError("invalid_state", `preprocessing for ${s.field} where ${features[k]!.name} was expected`);
      fields[s.field] = { missing: s.missing, ...(s.value !== undefined ? { value: s.value } : {}), indicator: s.indicator, ...(s.unseen !== undefined ? { unseen: s.unseen } : {}) };
    });
    const f = build(features, target, { oneHot: j.oneHot, fields });
    j.preprocess.forEach((s, k) => {
      const p = f.parts[k]!;
      p.count = s.count;
      if (s.mean !== undefined) p.mean = s.mean;
      if (p.sketch) {
        if (s.sketch === undefined) throw new FreshmlError("invalid_state", `${s.field} imputes a median but has no sketch`);
        p.sketch = QuantileSketch.fromJSON(s.sketch);
      }
      if (p.counts) {
        if (!s.counts || s.counts.length !== p.counts.length) throw new FreshmlError("invalid_state", `${s.field}: its level counts do not match its levels`);
        p.counts.set(s.counts);
      }
    });
    return f;
  }
}

/** A version-1 featurizer: full one-hot, means for optional numbers, no level for a missing enum, undeclared levels rejected. */
function fromV1(json: unknown): Featurizer {
  const parsed = v1Schema.safeParse(json);
  if (!parsed.success) throw new FreshmlError("invalid_state", `not a freshml featurizer: ${z.prettifyError(parsed.error)}`, { issues: parsed.error.issues });
  const j = parsed.data;
  const { features, target } = splitFields(j.fields, j.target);
  const fields: Record<string, FieldPreprocessing> = {};
  for (const f of features) fields[f.name] = f.kind === "enum" ? { missing: "none", unseen: "error" } : f.kind === "boolean" ? { missing: "most-frequent" } : { missing: "mean" };
  const f = build(features, target, { oneHot: "full", fields });
  const parts = f["parts"].filter((p) => p.field.kind === "number" && p.field.optional);
  if (parts.length !== j.impute.length) throw new FreshmlError("invalid_state", "featurizer imputation statistics do not match its fields");
  parts.forEach((p, k) => {
    const s = j.impute[k]!;
    if (s.field !== p.field.name) throw new FreshmlError("invalid_state", `imputation statistics for ${s.field} where ${p.field.name} was expected`);
    p.count = s.count;
    p.mean = s.mean;
  });
  return f;
}

function splitFields(all: readonly FieldJSON[], targetName: string): { features: FieldJSON[]; target: FieldJSON } {
  const target = all[all.length - 1]!;
  if (target.name !== targetName) throw new FreshmlError("invalid_state", "the featurizer's last field is not its target");
  return { features: all.slice(0, -1) as FieldJSON[], target: target as FieldJSON };
}

function build(features: FieldJSON[], target: FieldJSON, options: FeaturizerOptions): Featurizer {
  try {
    return new Featurizer(features, target, options);
  } catch (err) {
    throw new FreshmlError("invalid_state", `invalid featurizer: ${(err as Error).message}`);
  }
}

/** The field's missing strategy, with the defaults, checked against its kind. */
function checkMissing(f: FieldJSON, o: FieldPreprocessing): MissingStrategy {
  const missing = o.missing ?? (f.kind === "number" ? "mean" : "most-frequent");
  const allowed: readonly MissingStrategy[] = f.kind === "number" ? ["mean", "median", "constant"] : f.kind === "boolean" ? ["most-frequent", "constant"] : ["most-frequent", "constant", "none"];
  if (!allowed.includes(missing)) {
    throw new FreshmlError("invalid_params", `${f.name}: missing ${describeValue(missing)} does not fit a ${f.kind} field (one of ${allowed.join(", ")})`, { param: "fields", field: f.name });
  }
  if (missing === "constant") {
    const v = o.value;
    const ok = f.kind === "number" ? typeof v === "number" && v - v === 0 : f.kind === "boolean" ? typeof v === "boolean" : typeof v === "string" && f.levels!.includes(v);
    if (!ok) {
      const expected = f.kind === "number" ? "a finite number" : f.kind === "boolean" ? "a boolean" : `one of ${f.levels!.join(", ")}`;
      throw new FreshmlError("invalid_params", `${f.name}: missing "constant" needs a value that is ${expected}, got ${describeValue(v)}`, { param: "fields", field: f.name });
    }
  } else if (o.value !== undefined) {
    throw new FreshmlError("invalid_params", `${f.name}: value is only read with missing "constant"`, { param: "fields", field: f.name });
  }
  return missing;
}

/** Missing values and unseen levels per field, from what each row held. */
function countsOf(fields: readonly FieldRows[]): FieldCount[] {
  const out: FieldCount[] = [];
  for (const f of fields) {
    let missing = 0;
    let unseen = 0;
    const shown: string[] = [];
    const codes = f.codes;
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c >= 0) continue;
      if (c === -1) missing++;
      else {
        unseen++;
        const level = f.unseenLevels[-2 - c]!;
        if (shown.length < 5 && !shown.includes(level)) shown.push(level);
      }
    }
    if (missing > 0 || unseen > 0) out.push({ field: f.field, missing, unseen, unseenLevels: shown });
  }
  return out;
}

/**
 * The rows `keep` (indices, in the order given) of a featurised batch:
 * features, targets, what each row held, and the counts recomputed for
 * those rows — what a pipeline learns and reports when it drops rows at
 * fault from a batch.
 */
export function selectFeaturized(raw: Featurized, keep: readonly number[]): Featurized {
  const d = raw.cols;
  const X = new Float64Array(keep.length * d);
  const y = raw.y.length ? new Float64Array(keep.length) : raw.y;
  keep.forEach((r, i) => {
    X.set(raw.X.subarray(r * d, (r + 1) * d), i * d);
    if (raw.y.length) y[i] = raw.y[r]!;
  });
  const fields = raw.fields.map((f) => ({ field: f.field, codes: Int32Array.from(keep, (r) => f.codes[r]!), unseenLevels: f.unseenLevels }));
  let missing = 0;
  for (let i = 0; i < X.length; i++) if (X[i] !== X[i]) missing++;
  return { X, cols: d, y, missing, counts: countsOf(fields), fields };
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

function missingRequired(i: number, name: string): FreshmlError {
  return new FreshmlError("non_finite", `feature ${name} is missing at row ${i} and the field is not optional`, { row: i, field: name });
}

function badRow(i: number, f: FieldJSON, v: unknown, expected: string): FreshmlError {
  return new FreshmlError("invalid_row", `row ${i}, ${f.name}: ${describeValue(v)} is not ${expected}`, { row: i, field: f.name, observed: describeValue(v), expected });
}
