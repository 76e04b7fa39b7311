import { FreshmlError, checkParam } from "../core/errors.js";
import type { Column, Table } from "./table.js";
import { issue, type Range, type Severity, type ValidationIssue, type ValidationResult, type Validator, type ValidatorState } from "./validator.js";

/** How {@link qualityChecks} learns ranges from accepted batches. */
export interface LearnRangesOptions {
  /**
   * Allowed overshoot beyond the learned range, as a share of its width (a
   * zero width counts as max(|value|, 1)). Default 0.5.
   */
  margin?: number;
  /** Columns to learn (default: every numeric column). */
  columns?: readonly string[];
  /** Accepted rows a column needs before its learned range is enforced. Default 100. */
  warmupRows?: number;
  /**
   * Largest share of a batch's values beyond the learned range (and margin)
   * that is only a warning; above it the batch is quarantined. Default 0.05:
   * one wild value in a month of daily rows is reported, not quarantined.
   */
  maxOutOfRangeRate?: number;
}

/** The label-balance rule of {@link qualityChecks}. */
export interface LabelBalanceOptions {
  /** The label column: categorical, boolean (0/1) or numeric class labels. */
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
   * Learn each numeric column's range from accepted batches (widened by every
   * accepted batch's values within the margin) and flag values beyond it by
   * more than `margin` × its width. Columns holding only 0 and 1 learn no range.
   * Off by default.
   */
  learnRanges?: LearnRangesOptions;
  /** Largest share of values out of the given `ranges` per column. Default 0. */
  maxOutOfRangeRate?: number;
  /**
   * Report a column that becomes constant when the accepted batches made that
   * unlikely: its one value held under 10 % of the accepted values, and a
   * batch of this size all equal to it had a chance under 0.1 %. Sparse 0/1
   * flags that are all 0 in a batch are not reported. Default "warn".
   */
  constantColumns?: Severity | "off";
  /** Largest share of rows repeating an earlier row of the batch. Default 0.5. */
  maxDuplicateRate?: number;
  /** Label balance: the rarest label's share must reach `minShare` (default 0.01). */
  label?: LabelBalanceOptions;
  /** Severity per rule; defaults: missing_rate, out_of_range, too_few_rows, non_finite → error; the rest → warn. */
  severity?: Partial<Record<"missing_rate" | "out_of_range" | "too_few_rows" | "duplicate_rows" | "label_imbalance" | "non_finite", Severity>>;
}

/** A learned range as saved by {@link qualityChecks}' `toJSON`. */
export interface LearnedRangeState {
  /** The column. */
  readonly column: string;
  /** Smallest accepted value learned. */
  readonly min: number;
  /** Largest accepted value learned. */
  readonly max: number;
  /** Accepted values learned. */
  readonly rows: number;
  /** Whether every value learned was 0 or 1 (no range is enforced then). */
  readonly binary: boolean;
}

/** The frequent values of a column (a Misra–Gries sketch over a sample of accepted values). */
export interface ValueSketchState {
  /** The column. */
  readonly column: string;
  /** Values sampled so far. */
  readonly total: number;
  /** The values tracked (numbers, or level names for categorical columns). */
  readonly keys: ReadonlyArray<number | string>;
  /** Their counts (lower bounds). */
  readonly counts: readonly number[];
}

/** The saved state of a {@link qualityChecks}: learned ranges and value sketches. */
export interface QualityState {
  /** Discriminant: "quality". */
  readonly kind: "quality";
  /** State format version (1). */
  readonly version: 1;
  /** Learned ranges per column. */
  readonly ranges: readonly LearnedRangeState[];
  /** Frequent values per column. */
  readonly sketches: readonly ValueSketchState[];
}

const DEFAULT_SEVERITY = {
  missing_rate: "error",
  out_of_range: "error",
  too_few_rows: "error",
  non_finite: "error",
  duplicate_rows: "warn",
  label_imbalance: "warn",
} as const;

// Counters of the frequent-value sketch; values sampled per accepted batch column.
const SKETCH_K = 16;
const SKETCH_SAMPLE = 64;
const CONSTANT_SHARE = 0.1;
const CONSTANT_CHANCE = 1e-3;

/** Misra–Gries frequent values: counts are lower bounds, off by at most (total − Σ counts)/(K + 1). */
class ValueSketch {
  keys: Array<number | string> = [];
  counts: number[] = [];
  total = 0;

  add(key: number | string): void {
    this.total++;
    const i = this.keys.indexOf(key);
    if (i >= 0) {
      this.counts[i]!++;
      return;
    }
    if (this.keys.length < SKETCH_K) {
      this.keys.push(key);
      this.counts.push(1);
      return;
    }
    for (let j = this.counts.length - 1; j >= 0; j--) {
      if (--this.counts[j]! === 0) {
        this.counts.splice(j, 1);
        this.keys.splice(j, 1);
      }
    }
  }

  /** An upper bound on the share of `key` among the values sampled. */
  shareAtMost(key: number | string): number {
    if (this.total === 0) return 1;
    const i = this.keys.indexOf(key);
    const tracked = this.counts.reduce((a, b) => a + b, 0);
    return Math.min(1, ((i >= 0 ? this.counts[i]! : 0) + (this.total - tracked) / (SKETCH_K + 1)) / this.total);
  }
}

interface Learned {
  min: number;
  max: number;
  rows: number;
  binary: boolean;
}

function badState(why: string): never {
  throw new FreshmlError("invalid_state", `quality check state: ${why}`);
}

/** Checks a saved quality state; returns it typed. */
function checkQualityState(state: unknown): QualityState {
  const s = state as QualityState;
  if (typeof s !== "object" || s === null || s.kind !== "quality") badState("not a quality check state (kind must be \"quality\")");
  if (s.version !== 1) badState(`unknown version ${String(s.version)}`);
  if (!Array.isArray(s.ranges) || !Array.isArray(s.sketches)) badState("ranges and sketches must be arrays");
  for (const r of s.ranges) {
    if (typeof r !== "object" || r === null || typeof r.column !== "string") badState("a range needs a column name");
    if (!Number.isFinite(r.min) || !Number.isFinite(r.max) || r.min > r.max) badState(`range of ${r.column}: min and max must be finite with min ≤ max`);
    if (!Number.isSafeInteger(r.rows) || r.rows < 0 || typeof r.binary !== "boolean") badState(`range of ${r.column}: rows must be a count and binary a boolean`);
  }
  for (const k of s.sketches) {
    if (typeof k !== "object" || k === null || typeof k.column !== "string") badState("a sketch needs a column name");
    if (!Array.isArray(k.keys) || !Array.isArray(k.counts) || k.keys.length !== k.counts.length || k.keys.length > SKETCH_K) badState(`sketch of ${k.column}: keys and counts must be arrays of one length ≤ ${SKETCH_K}`);
    if (!Number.isSafeInteger(k.total) || k.total < 0) badState(`sketch of ${k.column}: total must be a count`);
    let sum = 0;
    for (let i = 0; i < k.keys.length; i++) {
      const key = k.keys[i];
      if (!(typeof key === "string" || (typeof key === "number" && Number.isFinite(key)))) badState(`sketch of ${k.column}: keys must be finite numbers or strings`);
      if (!Number.isSafeInteger(k.counts[i]) || k.counts[i]! < 1) badState(`sketch of ${k.column}: counts must be positive integers`);
      sum += k.counts[i]!;
    }
    if (sum > k.total) badState(`sketch of ${k.column}: counts exceed the total`);
  }
  return s;
}

/**
 * Data-quality rules on a batch: row count, missing rate per column, infinite
 * values, ranges (given, or learned from accepted batches), columns that
 * became constant, duplicated rows and label balance. One pass per column plus
 * one hash per row: O(b·d). What it learns (ranges, frequent values) can be
 * saved (`toJSON`) and restored (`restore`).
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
  const warmupRows = learnRanges?.warmupRows ?? 100;
  const learnedRate = learnRanges?.maxOutOfRangeRate ?? 0.05;
  checkParam(margin >= 0 && Number.isFinite(margin), "learnRanges.margin", "a finite number ≥ 0", margin);
  checkParam(Number.isInteger(warmupRows) && warmupRows >= 0, "learnRanges.warmupRows", "an integer ≥ 0", warmupRows);
  checkParam(learnedRate >= 0 && learnedRate <= 1, "learnRanges.maxOutOfRangeRate", "in [0, 1]", learnedRate);
  let learned = new Map<string, Learned>();
  let sketches = new Map<string, ValueSketch>();
  const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

  /** The enforced learned range of a column (with its margin), or null while it warms up or holds only 0/1. */
  const learnedBounds = (name: string): Range | null => {
    const r = learned.get(name);
    if (!r || r.binary || r.rows < warmupRows) return null;
    const w = r.max > r.min ? r.max - r.min : Math.max(Math.abs(r.max), 1);
    return { min: r.min - margin * w, max: r.max + margin * w };
  };
  /** Whether a batch all equal to `key` (n values) is surprising given the accepted values. */
  const surprising = (name: string, key: number | string, n: number): boolean => {
    const sk = sketches.get(name);
    if (!sk || sk.total === 0) return false;
    const p = sk.shareAtMost(key);
    return p < CONSTANT_SHARE && p ** n < CONSTANT_CHANCE;
  };

  return {
    name: "quality",
    validate(table: Table): ValidationResult {
      const issues: ValidationIssue[] = [];
      const n = table.rows;
      if (n < minRows) issues.push(issue({ code: "too_few_rows", severity: severity.too_few_rows, observed: n, expected: minRows }));
      for (const [name, col] of table.columns) {
        const limit = typeof maxMissingRate === "number" ? maxMissingRate : own(maxMissingRate, name) ? maxMissingRate[name]! : 0.05;
        if (col.kind === "numeric") {
          const v = col.values;
          const given = own(ranges, name) ? ranges[name] : undefined;
          const lo = given?.min ?? -Infinity;
          const hi = given?.max ?? Infinity;
          const lb = learnedBounds(name);
          const llo = lb ? lb.min : -Infinity;
          const lhi = lb ? lb.max : Infinity;
          let missing = 0;
          let out = 0;
          let learnedOut = 0;
          let infinite = 0;
          let min = Infinity;
          let max = -Infinity;
          for (let i = 0; i < v.length; i++) {
            const x = v[i]!;
            if (x !== x) {
              missing++;
              continue;
            }
            if (x - x !== 0) infinite++;
            if (x < min) min = x;
            if (x > max) max = x;
            if (x < lo || x > hi) out++;
            if (x < llo || x > lhi) learnedOut++;
          }
          if (n > 0 && missing / n > limit) {
            issues.push(issue({ code: "missing_rate", severity: severity.missing_rate, column: name, observed: missing / n, expected: limit }));
          }
          if (infinite > 0) issues.push(issue({ code: "non_finite", severity: severity.non_finite, column: name, observed: infinite, expected: 0 }));
          if (n > 0 && out / n > maxOutOfRangeRate) {
            issues.push(issue({ code: "out_of_range", severity: severity.out_of_range, column: name, observed: { count: out, min, max }, expected: { min: lo, max: hi } }));
          }
          if (lb && learnedOut > 0) {
            // Beyond the learned range: a warning for a few values, an error when more than the tolerated share.
            const sev: Severity = learnedOut / n > learnedRate ? severity.out_of_range : "warn";
            issues.push(
              issue(
                { code: "out_of_range", severity: sev, column: name, observed: { count: learnedOut, min, max }, expected: lb },
                () => `column ${name}: ${learnedOut} values outside the learned range [${lb.min.toPrecision(4)}, ${lb.max.toPrecision(4)}] (seen ${min.toPrecision(4)} to ${max.toPrecision(4)})`,
              ),
            );
          }
          const present = n - missing;
          if (constantColumns !== "off" && present > 1 && min === max && Number.isFinite(min) && surprising(name, min, present)) {
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
          const present = n - missing;
          if (constantColumns !== "off" && present > 1 && constant && first >= 0 && name !== label?.column && surprising(name, col.levels[first]!, present)) {
            issues.push(issue({ code: "constant_column", severity: constantColumns, column: name, observed: col.levels[first]! }));
          }
        }
      }
      const dup = duplicateShare(table);
      if (dup > maxDuplicateRate) issues.push(issue({ code: "duplicate_rows", severity: severity.duplicate_rows, observed: dup, expected: maxDuplicateRate }));
      if (label) {
        const col = table.columns.get(label.column);
        const minShare = label.minShare ?? 0.01;
        if (!col) issues.push(issue({ code: "missing_column", severity: "error", column: label.column }));
        else if (n > 0) {
          const counts = labelCounts(col);
          const values = Object.values(counts);
          const present = values.reduce((a, b) => a + b, 0);
          const share = values.length > 0 && present > 0 ? Math.min(...values) / present : 0;
          if (present > 0 && share < minShare) {
            issues.push(issue({ code: "label_imbalance", severity: severity.label_imbalance, column: label.column, observed: { minShare: share, counts }, expected: minShare }));
          }
        }
      }
      return { ok: !issues.some((i) => i.severity === "error"), issues };
    },
    accept(table: Table): void {
      for (const [name, col] of table.columns) {
        // Frequent values, from a sample of at most SKETCH_SAMPLE values per batch.
        if (constantColumns !== "off") {
          let sk = sketches.get(name);
          if (!sk) sketches.set(name, (sk = new ValueSketch()));
          const step = Math.max(1, Math.ceil(table.rows / SKETCH_SAMPLE));
          for (let i = 0; i < table.rows; i += step) {
            if (col.kind === "numeric") {
              const x = col.values[i]!;
              if (x - x === 0) sk.add(x === 0 ? 0 : x);
            } else if (col.codes[i]! >= 0) sk.add(col.levels[col.codes[i]!]!);
          }
        }
        if (!learnRanges || col.kind !== "numeric" || (learnRanges.columns && !learnRanges.columns.includes(name))) continue;
        // Values within the enforced range (and margin) widen it; the wild ones beyond do not.
        const lb = learnedBounds(name);
        const lo = lb ? lb.min : -Infinity;
        const hi = lb ? lb.max : Infinity;
        let r = learned.get(name);
        for (const x of col.values) {
          if (x - x !== 0 || x < lo || x > hi) continue;
          if (!r) learned.set(name, (r = { min: x, max: x, rows: 0, binary: true }));
          if (x < r.min) r.min = x;
          if (x > r.max) r.max = x;
          r.rows++;
          if (x !== 0 && x !== 1) r.binary = false;
        }
      }
    },
    toJSON(): ValidatorState {
      return {
        kind: "quality",
        version: 1,
        ranges: [...learned].map(([column, r]) => ({ column, min: r.min, max: r.max, rows: r.rows, binary: r.binary })),
        sketches: [...sketches].map(([column, s]) => ({ column, total: s.total, keys: s.keys.slice(), counts: s.counts.slice() })),
      };
    },
    restore(state: unknown): void {
      const s = checkQualityState(state);
      const nextLearned = new Map<string, Learned>();
      for (const r of s.ranges) nextLearned.set(r.column, { min: r.min, max: r.max, rows: r.rows, binary: r.binary });
      const nextSketches = new Map<string, ValueSketch>();
      for (const k of s.sketches) {
        const sk = new ValueSketch();
        sk.keys = k.keys.slice();
        sk.counts = k.counts.slice();
        sk.total = k.total;
        nextSketches.set(k.column, sk);
      }
      learned = nextLearned;
      sketches = nextSketches;
    },
  };
}

/** Rows per label (null-prototype record, so a level named `__proto__` counts like any other). */
function labelCounts(col: Column): Record<string, number> {
  const counts = Object.create(null) as Record<string, number>;
  if (col.kind === "categorical") {
    for (const l of col.levels) counts[l] = 0;
    for (const c of col.codes) if (c >= 0) counts[col.levels[c]!]!++;
  } else {
    // Boolean (0/1) and numeric class labels: each distinct value is a label.
    for (const x of col.values) {
      if (x !== x) continue;
      const k = String(x === 0 ? 0 : x);
      counts[k] = (counts[k] ?? 0) + 1;
    }
  }
  return counts;
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
