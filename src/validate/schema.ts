import * as z from "zod";
import { requireZod4Object } from "../core/zod-requirement.js";
import { FreshmlError, checkParam, describeValue } from "../core/errors.js";
import type { CategoricalColumn, Column, Table } from "./table.js";
import { issue, type Range, type SchemaIssue, type ValidationResult } from "./validator.js";

/** One schema field as the compiled checker sees it. */
export interface FieldSpec {
  /** The field name. */
  readonly name: string;
  /** What it holds. Numbers and booleans (as 0/1) become numeric columns; enums and strings categorical. */
  readonly kind: "number" | "boolean" | "enum" | "string";
  /** Whether it may be missing (undefined becomes NaN or a missing level). */
  readonly optional: boolean;
  /** Bounds of a number field (from `.min`, `.max`, `.gt`, `.lt`, `.int`). */
  readonly min: number;
  /** Upper bound of a number field. */
  readonly max: number;
  /** Whether `min` itself is allowed (`.min`) or not (`.gt`). */
  readonly minInclusive: boolean;
  /** Whether `max` itself is allowed (`.max`) or not (`.lt`). */
  readonly maxInclusive: boolean;
  /** Whether `.int()` requires a safe integer. */
  readonly integer: boolean;
  /** The values of an enum field. */
  readonly levels: readonly string[];
  /** The value zod fills in when the field is missing (`.default(v)` with a number, boolean or string). */
  readonly default?: number | boolean | string;
}

/** Result of {@link SchemaValidator.check}: the usual result, plus the batch as a table when it passed. */
export interface SchemaCheckResult extends ValidationResult {
  /** The rows laid out by column (only when `ok`). */
  readonly table?: Table;
}

/** Options of {@link schemaValidator}. */
export interface SchemaValidatorOptions {
  /** Issues kept in full; the rest are counted in `issuesOmitted`. Default 20. */
  maxIssues?: number;
  /** Use the compiled checker where the schema allows (default true); false runs zod on every row. */
  compile?: boolean;
  /**
   * Longest batch accepted, in rows (array length, holes included). Default
   * 10,000,000. A longer one throws `batch_too_large` at once, before any row
   * is read or any column allocated (a sparse array can claim 2³²−1 rows).
   */
  maxRows?: number;
}

/** A zod object schema turned into a fast batch checker. */
export interface SchemaValidator {
  /** The fields, when the schema could be compiled; null when every row goes through zod. */
  readonly fields: readonly FieldSpec[] | null;
  /** The columns a valid batch is laid out in (numbers, booleans, enums, strings; other fields are left out). */
  readonly layout: readonly FieldSpec[];
  /** Bounds of the number fields, for {@link qualityChecks}' `ranges`. */
  readonly ranges: Readonly<Record<string, Range>>;
  /** Checks a batch of rows (untrusted input is fine) and lays out the valid batch as a table. */
  check(rows: readonly unknown[]): SchemaCheckResult;
}

/**
 * Validates batches of row objects against a zod object schema. Where the
 * schema is made of plain fields — numbers with bounds or `.int()`, booleans,
 * enums, strings, optional ones of these — a checker compiled from it tests
 * each row directly (about 10× zod's `safeParse` here), and only a row it
 * rejects goes through zod, so every issue reported is zod's own. Anything
 * else (refinements, transforms, unions, nested objects…) runs zod on every
 * row. Rows are read, never written: hostile keys such as `__proto__` cannot
 * pollute a prototype.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { schemaValidator } from "freshml";
 * const rows = schemaValidator(z.object({ temp: z.number(), hour: z.number().int().min(0).max(23) }));
 * const r = rows.check([{ temp: 20.5, hour: 3 }, { temp: "hot", hour: 25 }]);
 * // r.ok === false; r.issues[0]: { code: "schema", row: 1, path: ["temp"], zodCode: "invalid_type", … }
 * ```
 */
export function schemaValidator(schema: z.ZodObject, options: SchemaValidatorOptions = {}): SchemaValidator {
  // Names the requirement: a zod 3 schema, zod/mini or another copy of zod is told so.
  requireZod4Object(schema, "schemaValidator");
  const { maxIssues = 20, compile = true, maxRows = 10_000_000 } = options;
  checkParam(Number.isSafeInteger(maxRows) && maxRows >= 0, "maxRows", "an integer ≥ 0", maxRows);
  const fields = compile ? compileFields(schema) : null;
  const layout = layoutFields(schema);
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const f of fields ?? []) if (f.kind === "number" && (Number.isFinite(f.min) || Number.isFinite(f.max))) ranges[f.name] = { min: f.min, max: f.max };

  return {
    fields,
    layout,
    ranges,
    check(rows: readonly unknown[]): SchemaCheckResult {
      if (!Array.isArray(rows)) {
        throw new FreshmlError("non_numeric", `a batch of rows must be an array, got ${describeValue(rows)}`, { observed: describeValue(rows) });
      }
      const n = rows.length;
      if (n > maxRows) {
        throw new FreshmlError("batch_too_large", `a batch of ${n} rows is longer than maxRows (${maxRows})`, { observed: n, expected: maxRows });
      }
      const issues: SchemaIssue[] = [];
      let omitted = 0;
      // Reports zod's issues for a row; true when zod accepts it after all (a transform, coercion or default the compiled check does not model).
      const report = (row: number, value: unknown): boolean => {
        // Issues full and a row that is not an object (a hole of a sparse array, null, a number…): zod gives it one issue; count it without zod.
        if (issues.length >= maxIssues && (value === null || typeof value !== "object")) {
          omitted++;
          return false;
        }
        const parsed = schema.safeParse(value);
        if (parsed.success) return true;
        for (const zi of parsed.error.issues) {
          if (issues.length >= maxIssues) {
            omitted++;
            continue;
          }
          const { message, ...rest } = zi as unknown as { message: string } & Record<string, unknown>;
          issues.push(
            issue(
              { code: "schema", severity: "error", row, path: (zi.path as Array<string | number>).slice(), zodCode: String(zi.code), zodIssue: rest, ...(zi.path.length ? { column: String(zi.path[0]) } : {}) },
              () => `row ${row}${zi.path.length ? `, ${zi.path.join(".")}` : ""}: ${message}`,
            ),
          );
        }
        return false;
      };
      const viaZod = (): SchemaCheckResult => {
        // zod on every row; a passing batch is laid out from zod's output (after its transforms).
        const parsed: unknown[] = new Array(n);
        let bad = false;
        for (let i = 0; i < n; i++) {
          const row = rows[i];
          if (issues.length >= maxIssues && (row === null || typeof row !== "object")) {
            bad = true;
            omitted++;
            continue;
          }
          const r = schema.safeParse(row);
          if (r.success) parsed[i] = r.data;
          else {
            bad = true;
            report(i, rows[i]);
          }
        }
        if (bad) return { ok: false, issues, ...(omitted ? { issuesOmitted: omitted } : {}) };
        return { ok: true, issues, table: layoutRows(parsed as Array<Record<string, unknown>>, layout) };
      };
      if (!fields) return viaZod();
      const numeric = fields.map((f) => (f.kind === "number" || f.kind === "boolean" ? new Float64Array(n) : null));
      const codes = fields.map((f) => (f.kind === "enum" || f.kind === "string" ? new Int32Array(n) : null));
      const levelMaps = fields.map((f) => new Map<string, number>(f.levels.map((l, i) => [l, i])));
      const levelLists = fields.map((f) => f.levels.slice());
      let failed = false;
      let zodAccepts = false;
      for (let i = 0; i < n; i++) {
        const row = rows[i];
        let good = row !== null && typeof row === "object" && !Array.isArray(row);
        for (let k = 0; good && k < fields.length; k++) {
          const f = fields[k]!;
          let v = (row as Record<string, unknown>)[f.name];
          // zod's .default(v): a missing value is the default.
          if (v === undefined && f.default !== undefined) v = f.default;
          if (v === undefined && f.optional) {
            if (numeric[k]) numeric[k]![i] = NaN;
            else codes[k]![i] = -1;
            continue;
          }
          switch (f.kind) {
            case "number":
              if (typeof v !== "number" || v - v !== 0 || (f.integer && !Number.isSafeInteger(v)) ||
                (f.minInclusive ? v < f.min : v <= f.min) || (f.maxInclusive ? v > f.max : v >= f.max)) good = false;
              else numeric[k]![i] = v;
              break;
            case "boolean":
              if (typeof v !== "boolean") good = false;
              else numeric[k]![i] = v ? 1 : 0;
              break;
            case "enum": {
              const c = typeof v === "string" ? levelMaps[k]!.get(v) : undefined;
              if (c === undefined) good = false;
              else codes[k]![i] = c;
              break;
            }
            case "string": {
              if (typeof v !== "string") {
                good = false;
                break;
              }
              let c = levelMaps[k]!.get(v);
              if (c === undefined) {
                c = levelLists[k]!.length;
                levelMaps[k]!.set(v, c);
                levelLists[k]!.push(v);
              }
              codes[k]![i] = c;
              break;
            }
          }
        }
        if (!good) {
          if (report(i, row)) zodAccepts = true;
          else failed = true;
        }
      }
      if (failed) return { ok: false, issues, ...(omitted ? { issuesOmitted: omitted } : {}) };
      // A row the compiled check refused but zod accepts: the batch goes through zod, which decides.
      if (zodAccepts) return viaZod();
      const columns = new Map<string, Column>();
      fields.forEach((f, k) => {
        const col: Column = numeric[k]
          ? { kind: "numeric", values: numeric[k]! }
          : ({ kind: "categorical", codes: codes[k]!, levels: levelLists[k]! } satisfies CategoricalColumn);
        columns.set(f.name, col);
      });
      return { ok: true, issues, table: { rows: n, columns } };
    },
  };
}

/** The table layout of a schema's fields (kinds only, whatever their checks); fields of other types are left out. */
function layoutFields(schema: z.ZodObject): FieldSpec[] {
  const out: FieldSpec[] = [];
  for (const [name, raw] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    let field: z.ZodType = raw;
    let optional = false;
    let fallback: number | boolean | string | undefined;
    while (field instanceof z.ZodOptional || field instanceof z.ZodNullable || field instanceof z.ZodDefault) {
      if (field instanceof z.ZodDefault) {
        const v: unknown = (field._zod.def as { defaultValue?: unknown }).defaultValue;
        if (fallback === undefined && (typeof v === "number" || typeof v === "boolean" || typeof v === "string")) fallback = v;
      } else optional = true;
      field = (field as unknown as { unwrap(): z.ZodType }).unwrap();
    }
    // A default fills a missing value, so the field is not missing for the model.
    if (fallback !== undefined) optional = false;
    const base = { name, optional, min: -Infinity, max: Infinity, minInclusive: true, maxInclusive: true, integer: false, levels: [] as string[], ...(fallback !== undefined ? { default: fallback } : {}) };
    if (field instanceof z.ZodNumber) out.push({ ...base, kind: "number" });
    else if (field instanceof z.ZodBoolean) out.push({ ...base, kind: "boolean" });
    else if (field instanceof z.ZodEnum && field.options.every((o) => typeof o === "string")) out.push({ ...base, kind: "enum", levels: field.options as string[] });
    else if (field instanceof z.ZodString) out.push({ ...base, kind: "string" });
  }
  return out;
}

/** Lays out rows already known to be valid (zod's output) as a table. */
function layoutRows(rows: ReadonlyArray<Record<string, unknown>>, fields: readonly FieldSpec[]): Table {
  const n = rows.length;
  const columns = new Map<string, Column>();
  for (const f of fields) {
    if (f.kind === "number" || f.kind === "boolean") {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = rows[i]![f.name];
        v[i] = typeof x === "number" ? x : typeof x === "boolean" ? (x ? 1 : 0) : NaN;
      }
      columns.set(f.name, { kind: "numeric", values: v });
    } else {
      const levels = f.levels.slice();
      const index = new Map(levels.map((l, i) => [l, i]));
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const x = rows[i]![f.name];
        if (typeof x !== "string") {
          codes[i] = -1;
          continue;
        }
        let c = index.get(x);
        if (c === undefined) {
          c = levels.length;
          index.set(x, c);
          levels.push(x);
        }
        codes[i] = c;
      }
      columns.set(f.name, { kind: "categorical", codes, levels });
    }
  }
  return { rows: n, columns };
}

/** Compiles the plain fields of an object schema, or returns null if any field needs zod itself. */
function compileFields(schema: z.ZodObject): FieldSpec[] | null {
  // A strict or catch-all object treats extra keys specially: leave that to zod.
  if ((schema._zod.def as { catchall?: unknown }).catchall !== undefined) return null;
  const out: FieldSpec[] = [];
  for (const [name, raw] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    let field: z.ZodType = raw;
    let optional = false;
    let fallback: number | boolean | string | undefined;
    if (field instanceof z.ZodDefault) {
      // A plain default (not a function): a missing value takes it; zod still checks it against the inner type.
      const v: unknown = (field._zod.def as { defaultValue?: unknown }).defaultValue;
      if (typeof v !== "number" && typeof v !== "boolean" && typeof v !== "string") return null;
      fallback = v;
      field = field.unwrap() as z.ZodType;
    } else if (field instanceof z.ZodOptional) {
      optional = true;
      field = field.unwrap() as z.ZodType;
    }
    const base = { name, optional, min: -Infinity, max: Infinity, minInclusive: true, maxInclusive: true, integer: false, levels: [] as string[], ...(fallback !== undefined ? { default: fallback } : {}) };
    if (field instanceof z.ZodNumber) {
      const spec = { ...base, kind: "number" as const };
      for (const c of (field._zod.def.checks ?? []) as unknown as Array<{ _zod: { def: Record<string, unknown> } }>) {
        const d = c._zod.def;
        if (d.check === "greater_than" && typeof d.value === "number") {
          spec.min = d.value;
          spec.minInclusive = d.inclusive === true;
        } else if (d.check === "less_than" && typeof d.value === "number") {
          spec.max = d.value;
          spec.maxInclusive = d.inclusive === true;
        } else if (d.check === "number_format" && d.format === "safeint") spec.integer = true;
        else return null; // any other check: zod decides
      }
      out.push(spec);
    } else if (field instanceof z.ZodBoolean && !(field._zod.def.checks?.length)) out.push({ ...base, kind: "boolean" });
    else if (field instanceof z.ZodEnum && !(field._zod.def.checks?.length) && field.options.every((o) => typeof o === "string")) {
      out.push({ ...base, kind: "enum", levels: field.options as string[] });
    } else if (field instanceof z.ZodString && !(field._zod.def.checks?.length)) out.push({ ...base, kind: "string" });
    else return null;
  }
  return out;
}
