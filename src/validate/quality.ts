import { checkParam } from "../core/errors.js";
import type { Column, Table } from "./table.js";
import { issue, type Range, type Severity, type ValidationIssue, type ValidationResult, type Validator } from "./validator.js";

/** How {@link qualityChecks} learns ranges from accepted batches. */
export interface LearnRangesOptions {
  /** Allowed overshoot beyond the learned range, as a share of its width. Default 0.5. */
  margin?: number;
  /** Columns to learn (default: every numeric column). */
  columns?: readonly string[];
}

/** The label-balance rule of {@link qualityChecks}. */
export interface LabelBalanceOptions {
  /** The label column (categorical). */
  column: string;
  /** Smallest share the rarest label may have. Default 0.01. */
  minShare?: number;
}

/** Options of {@link qualityChecks}. Every threshold has a default; every rule's severity can be changed. */
export interface QualityOptions {
  /** Fewest rows a batch may have. Default 1. */
  minRows?: number;
  /** Largest share of missing (NaN) values per column: one number for all, or per column. Default 0.05. */
  maxMissingRate?: number | Readonly<Record<string, number>>;
  /** Allowed ranges per column (a schema validator's `ranges` fits here). */
  ranges?: Readonly<Record<string, Partial<Range>>>;
  /**
   * Learn each numeric column's range from accepted batches and flag values
   * beyond it by more than `margin` × its width. Off by default.
   */
  learnRanges?: LearnRangesOptions;
  /** Largest share of values out of range per column. Default 0. */
  maxOutOfRangeRate?: number;
  /** Report columns with one value. Default "warn". */
  constantColumns?: Severity | "off";
  /** Largest share of rows repeating an earlier row of the batch. Default 0.5. */
  maxDuplicateRate?: number;
  /** Label balance: the rarest label's share must reach `minShare` (default 0.01). */
  label?: LabelBalanceOptions;
  /** Severity per rule; defaults: missing_rate, out_of_range, too_few_rows → error; the rest → warn. */
  severity?: Partial<Record<"missing_rate" | "out_of_range" | "too_few_rows" | "duplicate_rows" | "label_imbalance", Severity>>;
}

const DEFAULT_SEVERITY = {
  missing_rate: "error",
  out_of_range: "error",
  too_few_rows: "error",
  duplicate_rows: "warn",
  label_imbalance: "warn",
} as const;

/**
 * Data-quality rules on a batch: row count, missing rate per column, ranges
 * (given, or learned from accepted batches), constant columns, duplicated
 * rows and label balance. One pass per column plus one hash per row: O(b·d).
 *
 * @example
 * ```ts
 * import { qualityChecks, tableFromMatrix } from "freshml";
 * const check = qualityChecks({ maxMissingRate: 0, ranges: { hour: { min: 0, max: 23 } } });
 * const r = check.validate(tableFromMatrix(new Float64Array([1, 5, NaN, 30]), ["temp", "hour"]), { batchIndex: 0 });
 * // r.ok === false; issues: missing_rate (temp), out_of_range (hour)
 * ```
 */
export function qualityChecks(options: QualityOptions = {}): Validator {
  const {
    minRows = 1,
    maxMissingRate = 0.05,
    ranges = {},
    learnRanges,
    maxOutOfRangeRate = 0,
    constantColumns = "warn",
    maxDuplicateRate = 0.5,
    label,
  } = options;
  checkParam(Number.isInteger(minRows) && minRows >= 0, "minRows", "an integer ≥ 0", minRows);
  checkParam(maxOutOfRangeRate >= 0 && maxOutOfRangeRate <= 1, "maxOutOfRangeRate", "in [0, 1]", maxOutOfRangeRate);
  checkParam(maxDuplicateRate >= 0 && maxDuplicateRate <= 1, "maxDuplicateRate", "in [0, 1]", maxDuplicateRate);
  const severity = { ...DEFAULT_SEVERITY, ...options.severity };
  const margin = learnRanges?.margin ?? 0.5;
  const learned = new Map<string, { min: number; max: number }>();

  return {
    name: "quality",
    validate(table: Table): ValidationResult {
      const issues: ValidationIssue[] = [];
      const n = table.rows;
      if (n < minRows) issues.push(issue({ code: "too_few_rows", severity: severity.too_few_rows, observed: n, expected: minRows }));
      for (const [name, col] of table.columns) {
        const limit = typeof maxMissingRate === "number" ? maxMissingRate : (maxMissingRate[name] ?? 0.05);
        if (col.kind === "numeric") {
          const v = col.values;
          const given = ranges[name];
          const learnedRange = learned.get(name);
          let lo = given?.min ?? -Infinity;
          let hi = given?.max ?? Infinity;
          if (learnedRange) {
            const w = learnedRange.max - learnedRange.min;
            lo = Math.max(lo, learnedRange.min - margin * w);
            hi = Math.min(hi, learnedRange.max + margin * w);
          }
          let missing = 0;
          let out = 0;
          let min = Infinity;
          let max = -Infinity;
          for (let i = 0; i < v.length; i++) {
            const x = v[i]!;
            if (x !== x) {
              missing++;
              continue;
            }
            if (x < min) min = x;
            if (x > max) max = x;
            if (x < lo || x > hi) out++;
          }
          if (n > 0 && missing / n > limit) {
            issues.push(issue({ code: "missing_rate", severity: severity.missing_rate, column: name, observed: missing / n, expected: limit }));
          }
          if (n > 0 && out / n > maxOutOfRangeRate) {
            issues.push(issue({ code: "out_of_range", severity: severity.out_of_range, column: name, observed: { count: out, min, max }, expected: { min: lo, max: hi } }));
          }
          if (constantColumns !== "off" && n > 1 && min === max) {
            issues.push(issue({ code: "constant_column", severity: constantColumns, column: name, observed: min }));
          }
        } else {
          const codes = col.codes;
          let missing = 0;
          let first = -2;
          let constant = true;
          for (let i = 0; i < codes.length; i++) {
            const c = codes[i]!;
            if (c < 0) missing++;
            else if (first === -2) first = c;
            else if (c !== first) constant = false;
          }
          if (n > 0 && missing / n > limit) {
            issues.push(issue({ code: "missing_rate", severity: severity.missing_rate, column: name, observed: missing / n, expected: limit }));
          }
          if (constantColumns !== "off" && n > 1 && constant && first >= 0 && name !== label?.column) {
            issues.push(issue({ code: "constant_column", severity: constantColumns, column: name, observed: col.levels[first]! }));
          }
        }
      }
      const dup = duplicateShare(table);
      if (dup > maxDuplicateRate) issues.push(issue({ code: "duplicate_rows", severity: severity.duplicate_rows, observed: dup, expected: maxDuplicateRate }));
      if (label) {
        const col = table.columns.get(label.column);
        const minShare = label.minShare ?? 0.01;
        if (col?.kind === "categorical" && n > 0) {
          const counts: Record<string, number> = {};
          for (const l of col.levels) counts[l] = 0;
          for (const c of col.codes) if (c >= 0) counts[col.levels[c]!]!++;
          const share = Math.min(...Object.values(counts)) / n;
          if (share < minShare) {
            issues.push(issue({ code: "label_imbalance", severity: severity.label_imbalance, column: label.column, observed: { minShare: share, counts }, expected: minShare }));
          }
        } else if (!col) {
          issues.push(issue({ code: "missing_column", severity: "error", column: label.column }));
        }
      }
      return { ok: !issues.some((i) => i.severity === "error"), issues };
    },
    accept(table: Table): void {
      if (!learnRanges) return;
      for (const [name, col] of table.columns) {
        if (col.kind !== "numeric" || (learnRanges.columns && !learnRanges.columns.includes(name))) continue;
        let min = Infinity;
        let max = -Infinity;
        for (const x of col.values) {
          if (x < min) min = x;
          if (x > max) max = x;
        }
        const r = learned.get(name);
        if (min <= max) learned.set(name, { min: Math.min(min, r?.min ?? min), max: Math.max(max, r?.max ?? max) });
      }
    },
  };
}

/** Share of rows equal to an earlier row of the batch (open-addressing hash of the value bits, then an exact comparison). */
function duplicateShare(table: Table): number {
  const n = table.rows;
  if (n < 2) return 0;
  const cols = [...table.columns.values()];
  // Monomorphic loops: numeric columns by their bits, categorical ones by their codes.
  const numeric = cols.filter((c) => c.kind === "numeric").map((c) => canonical(c.values));
  const codes = cols.filter((c) => c.kind === "categorical").map((c) => c.codes);
  const hashes = new Int32Array(n).fill(0x811c9dc5 | 0);
  for (const v of numeric) {
    const words = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
    for (let i = 0; i < n; i++) {
      let h = hashes[i]!;
      h = Math.imul(h ^ words[2 * i]!, 16777619);
      hashes[i] = Math.imul(h ^ words[2 * i + 1]!, 16777619);
    }
  }
  for (const c of codes) for (let i = 0; i < n; i++) hashes[i] = Math.imul(hashes[i]! ^ c[i]!, 16777619);
  let size = 16;
  while (size < 2 * n) size *= 2;
  const slots = new Int32Array(size).fill(-1);
  let dups = 0;
  for (let i = 0; i < n; i++) {
    const h = hashes[i]!;
    let slot = h & (size - 1);
    for (;;) {
      const r = slots[slot]!;
      if (r < 0) {
        slots[slot] = i;
        break;
      }
      if (hashes[r] === h && sameRow(cols, r, i)) {
        dups++;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  return dups / n;
}

/** A copy with one NaN and one zero, so equal values have equal bits. */
function canonical(v: Float64Array): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    out[i] = x !== x ? NaN : x === 0 ? 0 : x;
  }
  return out;
}

function sameRow(cols: Column[], a: number, b: number): boolean {
  for (const c of cols) {
    const x = c.kind === "numeric" ? c.values[a]! : c.codes[a]!;
    const y = c.kind === "numeric" ? c.values[b]! : c.codes[b]!;
    if (!(x === y || (x !== x && y !== y))) return false;
  }
  return true;
}
