import { FreshmlError, checkParam } from "../core/errors.js";
import type { Column, Table } from "./table.js";
import { chiSquaredHomogeneity } from "./tests/chi-squared.js";
import { fisherExact } from "./tests/fisher.js";
import { jensenShannonDistance } from "./tests/jensen-shannon.js";
import { KsReferenceIndex, ksExactPValueOfH, ksResult, ksStatistic } from "./tests/ks.js";
import { binShares, psiBins, psiOfShares } from "./tests/psi.js";
import { wassersteinDistance } from "./tests/wasserstein.js";
import {
  issue,
  type ColumnDriftScore,
  type DriftStatus,
  type DriftTest,
  type Severity,
  type ValidationIssue,
  type ValidationResult,
  type Validator,
  type ValidatorState,
} from "./validator.js";

/** Options of {@link driftCheck}. */
export interface DriftCheckOptions {
  /** Columns to check (default: every column of the batch). */
  columns?: readonly string[];
  /**
   * The test: `"auto"` (default) picks by column kind and sample size —
   * numeric: Kolmogorov–Smirnov while the smaller of batch and reference has
   * at most `smallSample` values, robust normed Wasserstein beyond;
   * categorical (and numeric with at most 5 distinct reference values):
   * chi-squared homogeneity, then Jensen–Shannon. Or one test for all
   * columns, or one per column.
   */
  test?: "auto" | DriftTest | Readonly<Record<string, DriftTest>>;
  /**
   * Thresholds per test. KS and chi-squared drift when the p-value is below
   * theirs (default 0.05); PSI (0.2), Jensen–Shannon (0.1) and normed
   * Wasserstein (0.1) when the score reaches theirs.
   */
  thresholds?: Partial<Record<DriftTest, number>>;
  /** A fixed reference; by default the first accepted batches form one. */
  reference?: Table;
  /** Rows the reference holds. Default 5,000. */
  referenceRows?: number;
  /** Keep the newest `referenceRows` accepted rows instead of the first. Default false. */
  rolling?: boolean;
  /** Severity of a drift finding. Default "warn": drift is a reason to retrain, not to reject. */
  severity?: Severity;
  /** Share of assessed columns that makes the dataset drifted. Default 0.5 (Evidently's). */
  datasetDriftShare?: number;
  /**
   * Sample size up to which "auto" uses the p-value tests: while the batch's
   * or the reference's column has at most this many values. Default 1,000.
   */
  smallSample?: number;
  /**
   * Fewest values a batch's column and its reference must hold to be judged;
   * below, the column is "not_assessed". Default 20.
   */
  minRows?: number;
  /** PSI (and numeric Jensen–Shannon) bins, from the reference's quantiles. Default 10. */
  bins?: number;
  /**
   * Which drifted columns become `distribution_drift` issues. "batch"
   * (default): those whose p-value is below threshold / k for k assessed
   * columns (Bonferroni; distance tests at their threshold), so a clean batch
   * gets a drift warning with probability at most α, however many columns it
   * has. "column": every column drifted at its own threshold (Evidently's
   * per-column verdict, `drifted` in the report), so with k columns about
   * 1 − (1 − α)^k of clean batches get one.
   */
  issues?: "batch" | "column";
  /**
   * A categorical column (usually the label) to condition on: each numeric
   * column is also compared within each level of it ("temp | weather=rain"
   * against the reference's rows of that level), which catches a changed
   * relation — labels shuffled, swapped, mis-joined — that leaves every
   * column's own distribution as it was. At most 32 levels. Off by default.
   */
  by?: string;
  /** Fewest values a level's slice must hold in the batch and reference to be judged (with `by`). Default 10. */
  byMinRows?: number;
}

/** One column's reference as saved by {@link driftCheck}'s `toJSON`. */
export interface DriftColumnState {
  /** The column. */
  readonly name: string;
  /** Its kind. */
  readonly kind: "numeric" | "categorical";
  /** Reference values, oldest first (numeric: finite values; categorical: indices into `levels`). */
  readonly values: readonly number[];
  /** Level names (categorical). */
  readonly levels: readonly string[];
}

/** The saved state of a {@link driftCheck}: its reference. */
export interface DriftCheckState {
  /** Discriminant: "drift". */
  readonly kind: "drift";
  /** State format version (1). */
  readonly version: 1;
  /** Whether the reference is fixed (given in the options). */
  readonly frozen: boolean;
  /** Each column's reference. */
  readonly columns: readonly DriftColumnState[];
}

const DEFAULT_THRESHOLDS: Record<DriftTest, number> = { ks: 0.05, chi_squared: 0.05, fisher_exact: 0.05, psi: 0.2, jensen_shannon: 0.1, wasserstein: 0.1 };
// Exact KS p-values cost O(n·m): beyond this many cells, Smirnov's limit.
const KS_EXACT_CELLS = 1e5;
// Exact p-values kept per validator; they depend only on (n, m, round(d·n·m)).
const KS_EXACT_CACHE = 4096;
// Normed Wasserstein compares both samples winsorised at these reference quantiles.
const WINSOR = 0.005;
// Levels of `by` a drift check conditions on.
const MAX_BY_LEVELS = 32;

function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const a = sorted[lo]!;
  const b = sorted[Math.min(n - 1, lo + 1)]!;
  return a === b ? a : a + (pos - lo) * (b - a);
}

/** The robust parts of normed Wasserstein: winsorising bounds and a scale. @internal */
export interface RobustScale {
  /** Lower winsorising bound (the reference's 0.5 % quantile). */
  readonly lo: number;
  /** Upper winsorising bound (the 99.5 % quantile). */
  readonly hi: number;
  /** IQR / 1.349; else 1.4826 · MAD; else the winsorised standard deviation; else 1. */
  readonly scale: number;
}

/** Winsorising bounds and robust scale of a sorted, finite sample. @internal */
export function robustScale(sorted: Float64Array): RobustScale {
  const lo = quantileSorted(sorted, WINSOR);
  const hi = quantileSorted(sorted, 1 - WINSOR);
  let scale = (quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25)) / 1.3489795003921634;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    const med = quantileSorted(sorted, 0.5);
    const dev = Float64Array.from(sorted, (v) => Math.abs(v - med)).sort();
    scale = 1.4826 * quantileSorted(dev, 0.5);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) {
    let mean = 0;
    for (const v of sorted) mean += Math.min(hi, Math.max(lo, v)) / sorted.length;
    let ss = 0;
    for (const v of sorted) ss += (Math.min(hi, Math.max(lo, v)) - mean) ** 2 / sorted.length;
    scale = Math.sqrt(ss);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  return { lo, hi, scale };
}

/**
 * Robust normed Wasserstein distance of two sorted samples: both winsorised
 * at the reference's 0.5 % and 99.5 % quantiles, W₁ between them, divided by
 * the reference's IQR / 1.349 (Evidently divides by the standard deviation,
 * which one huge value inflates until every score is 0). Always finite for a
 * finite reference, whatever the batch holds (±Infinity included).
 * Equals `wasserstein_distance(clip(a), clip(b)) / (iqr(a) / 1.349)` in SciPy.
 *
 * @example
 * ```ts
 * import { robustNormedWasserstein } from "freshml";
 * const ref = Float64Array.from({ length: 1000 }, (_, i) => i / 1000);
 * robustNormedWasserstein(ref, ref.map((v) => v + 0.1)); // ≈ 0.2 (IQR 0.5 → scale 0.37)
 * ```
 */
export function robustNormedWasserstein(referenceSorted: Float64Array, currentSorted: Float64Array): number {
  const finite = referenceSorted.filter((v) => Number.isFinite(v));
  if (finite.length === 0 || currentSorted.length === 0) throw new FreshmlError("empty_batch", "robustNormedWasserstein needs a finite reference value and a current value");
  const r = robustScale(finite);
  const clip = (a: Float64Array): Float64Array => a.map((v) => (v < r.lo ? r.lo : v > r.hi ? r.hi : v));
  return wassersteinDistance(clip(finite), clip(currentSorted)) / r.scale;
}

/** Reference values of one column, in arrival order (a ring when rolling). */
class ColumnReference {
  values: Float64Array;
  levels: string[] = [];
  private levelIndex = new Map<string, number>();
  count = 0;
  next = 0;
  private sortedCache: Float64Array | null = null;
  private indexCache: KsReferenceIndex | null = null;
  private usesSinceChange = 0;
  private fewCache: number[] | null = null;
  private robustCache: (RobustScale & { clipped: Float64Array }) | null = null;
  private binCache: { bins: number; edges: Float64Array; shares: Float64Array } | null = null;
  private countsCache: Float64Array | null = null;

  constructor(readonly kind: "numeric" | "categorical", capacity: number) {
    this.values = new Float64Array(capacity);
  }

  /** Adds a value (numeric: finite ones only; categorical: a level name). */
  add(v: number, level?: string): void {
    let x = v;
    if (this.kind === "categorical") {
      if (level === undefined) return;
      let id = this.levelIndex.get(level);
      if (id === undefined) {
        id = this.levels.length;
        this.levelIndex.set(level, id);
        this.levels.push(level);
      }
      x = id;
    } else if (v - v !== 0) return; // NaN and ±Infinity never enter a reference
    this.values[this.next] = x;
    this.next = (this.next + 1) % this.values.length;
    this.count = Math.min(this.count + 1, this.values.length);
    this.changed();
  }

  changed(): void {
    this.sortedCache = null;
    this.indexCache = null;
    this.usesSinceChange = 0;
    this.fewCache = null;
    this.robustCache = null;
    this.binCache = null;
    this.countsCache = null;
  }

  /** Values oldest first. */
  inOrder(): number[] {
    const out: number[] = [];
    const start = this.count < this.values.length ? 0 : this.next;
    for (let k = 0; k < this.count; k++) out.push(this.values[(start + k) % this.values.length]!);
    return out;
  }

  /** Quantile bin edges of the reference and its share per bin (cached until it changes). */
  binned(bins: number): { edges: Float64Array; shares: Float64Array } {
    if (this.binCache?.bins !== bins) {
      const edges = psiBins(this.sorted(), bins);
      this.binCache = { bins, edges, shares: binShares(edges, this.sorted()) };
    }
    return this.binCache;
  }

  /** Up to 6 distinct values (cached until it changes): "auto" asks on every batch. */
  few(): number[] {
    this.fewCache ??= this.distinct(5);
    return this.fewCache;
  }

  /**
   * The sorted reference indexed for KS and Wasserstein against unsorted
   * batches (cached until it changes), or null on its first use after a
   * change: a rolling reference changes every batch, and building an index
   * for one use costs more than sorting the batch.
   */
  index(): KsReferenceIndex | null {
    if (!this.indexCache && this.usesSinceChange++ > 0) this.indexCache = new KsReferenceIndex(this.sorted());
    return this.indexCache;
  }

  /** Distinct values in the reference, up to `cap` + 1 (numeric columns). */
  distinct(cap: number): number[] {
    const r = this.sorted();
    const out: number[] = [];
    for (let i = 0; i < r.length && out.length <= cap; i++) if (i === 0 || r[i] !== r[i - 1]) out.push(r[i]!);
    return out;
  }

  /** Winsorising bounds, robust scale and the winsorised sorted reference (cached until it changes). */
  robust(): RobustScale & { clipped: Float64Array } {
    if (!this.robustCache) {
      const r = robustScale(this.sorted());
      this.robustCache = { ...r, clipped: this.sorted().map((v) => (v < r.lo ? r.lo : v > r.hi ? r.hi : v)) };
    }
    return this.robustCache;
  }

  sorted(): Float64Array {
    this.sortedCache ??= this.values.slice(0, this.count).sort();
    return this.sortedCache;
  }

  /** Reference counts per level id (categorical; cached until it changes). */
  levelCounts(): Float64Array {
    if (!this.countsCache) {
      const c = new Float64Array(this.levels.length);
      for (let i = 0; i < this.count; i++) c[this.values[i]!]!++;
      this.countsCache = c;
    }
    return this.countsCache;
  }

  /** The level id of a name, or undefined. */
  levelId(name: string): number | undefined {
    return this.levelIndex.get(name);
  }

  toState(name: string): DriftColumnState {
    return { name, kind: this.kind, values: this.inOrder(), levels: this.kind === "categorical" ? this.levels.slice() : [] };
  }

  static fromState(s: DriftColumnState, capacity: number): ColumnReference {
    const ref = new ColumnReference(s.kind, capacity);
    // The saved level list, in its order (a rolling reference may keep levels no longer in its window).
    for (const l of s.levels) ref.add(0, l);
    ref.count = 0;
    ref.next = 0;
    for (const v of s.values.slice(-capacity)) {
      ref.values[ref.next] = v;
      ref.next = (ref.next + 1) % ref.values.length;
      ref.count = Math.min(ref.count + 1, ref.values.length);
    }
    ref.changed();
    return ref;
  }
}

function badState(why: string): never {
  throw new FreshmlError("invalid_state", `drift check state: ${why}`);
}

function checkDriftState(state: unknown): DriftCheckState {
  const s = state as DriftCheckState;
  if (typeof s !== "object" || s === null || s.kind !== "drift") badState("not a drift check state (kind must be \"drift\")");
  if (s.version !== 1) badState(`unknown version ${String(s.version)}`);
  if (typeof s.frozen !== "boolean" || !Array.isArray(s.columns)) badState("frozen must be a boolean and columns an array");
  const names = new Set<string>();
  for (const c of s.columns) {
    if (typeof c !== "object" || c === null || typeof c.name !== "string" || names.has(c.name)) badState("each column needs a unique string name");
    names.add(c.name);
    if (c.kind !== "numeric" && c.kind !== "categorical") badState(`column ${c.name}: kind must be numeric or categorical`);
    if (!Array.isArray(c.values) || !Array.isArray(c.levels) || !c.levels.every((l: unknown) => typeof l === "string")) badState(`column ${c.name}: values and levels must be arrays`);
    if (new Set(c.levels).size !== c.levels.length) badState(`column ${c.name}: repeated level names`);
    for (const v of c.values) {
      const ok = c.kind === "numeric" ? typeof v === "number" && Number.isFinite(v) : Number.isInteger(v) && v >= 0 && v < c.levels.length;
      if (!ok) badState(`column ${c.name}: value ${String(v)} is not ${c.kind === "numeric" ? "a finite number" : "a level index"}`);
    }
  }
  return s;
}

/** What a test found on one column (and the test, when it is not the one planned). */
interface Scored {
  score: number;
  pValue?: number;
  test?: DriftTest;
}

/**
 * Distribution drift of each column against a reference, with decisions
 * that account for sample size, as Evidently does: p-value tests
 * (Kolmogorov–Smirnov, chi-squared homogeneity) while either sample is small,
 * distance thresholds (robust normed Wasserstein, Jensen–Shannon) only when
 * both hold more than `smallSample` values, and no verdict at all
 * (`not_assessed`) below `minRows`. Every checked column's outcome is reported
 * on every batch (`result.drift`); a drifted column is a `distribution_drift`
 * issue, a warning by default. The dataset drifts when the share of columns
 * drifted at the level `datasetAlpha` reaches `datasetDriftShare`, which
 * bounds the chance of a false dataset alarm on a clean batch by the tests' α
 * (see {@link DriftReport}).
 *
 * The reference is the first `referenceRows` rows of accepted batches (or the
 * newest, with `rolling`), or a table you give; only finite values enter it.
 * Its state can be saved (`toJSON`) and restored (`restore`) with the model.
 * Cost per batch and numeric column: KS places the b values among the
 * reference's, indexed once (on its second use), in O(b) and no sort;
 * Wasserstein sorts them through the same index, then walks both samples.
 *
 * @example
 * ```ts
 * import { driftCheck, tableFromMatrix } from "freshml";
 * const drift = driftCheck({ test: "psi" });
 * const before = tableFromMatrix(Float64Array.from({ length: 500 }, (_, i) => i % 50), ["x"]);
 * drift.accept!(before); // becomes the reference
 * const after = tableFromMatrix(Float64Array.from({ length: 500 }, (_, i) => 40 + (i % 50)), ["x"]);
 * drift.validate(after, { batchIndex: 1 }).drift!.columns[0]!.drifted; // true
 * ```
 */
export function driftCheck(options: DriftCheckOptions = {}): Validator {
  const {
    columns,
    test = "auto",
    referenceRows = 5000,
    rolling = false,
    severity = "warn",
    datasetDriftShare = 0.5,
    smallSample = 1000,
    minRows = 20,
    bins = 10,
    issues: issueLevel = "batch",
    by,
    byMinRows = 10,
  } = options;
  checkParam(Number.isInteger(byMinRows) && byMinRows >= 1, "byMinRows", "a positive integer", byMinRows);
  checkParam(issueLevel === "batch" || issueLevel === "column", "issues", "\"batch\" or \"column\"", issueLevel);
  checkParam(Number.isInteger(referenceRows) && referenceRows > 0, "referenceRows", "a positive integer", referenceRows);
  checkParam(datasetDriftShare > 0 && datasetDriftShare <= 1, "datasetDriftShare", "in (0, 1]", datasetDriftShare);
  checkParam(Number.isInteger(minRows) && minRows >= 1, "minRows", "a positive integer", minRows);
  checkParam(smallSample >= 0, "smallSample", "≥ 0", smallSample);
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  for (const [k, v] of Object.entries(thresholds)) checkParam(typeof v === "number" && v > 0 && Number.isFinite(v), `thresholds.${k}`, "a positive number", v);
  let refs = new Map<string, ColumnReference>();
  let frozen = false;
  const exactCache = new Map<number, number>();
  const exactPValue = (n: number, m: number, d: number): number => {
    // The same h as ksExactPValue; n, m and h are at most KS_EXACT_CELLS, so the key is exact.
    const h = Math.round(d * n * m);
    const key = (n * (KS_EXACT_CELLS + 1) + m) * (KS_EXACT_CELLS + 1) + h;
    let p = exactCache.get(key);
    if (p === undefined) {
      if (exactCache.size >= KS_EXACT_CACHE) exactCache.clear();
      exactCache.set(key, (p = ksExactPValueOfH(n, m, h)));
    }
    return p;
  };

  /**
   * The columns to compare: the table's (those selected), then, with `by`,
   * each numeric column's values within each level of `by` (at most
   * MAX_BY_LEVELS levels), named "column | by=level", with their own minimum.
   */
  const expand = (table: Table): Array<[string, Column, number]> => {
    const out: Array<[string, Column, number]> = [];
    for (const [name, col] of table.columns) if (!columns || columns.includes(name)) out.push([name, col, minRows]);
    const byCol = by === undefined ? undefined : table.columns.get(by);
    if (byCol?.kind !== "categorical") return out;
    const levels = byCol.levels.slice(0, MAX_BY_LEVELS);
    for (const [name, col] of table.columns) {
      if (name === by || col.kind !== "numeric" || (columns && !columns.includes(name))) continue;
      const parts = levels.map(() => [] as number[]);
      for (let i = 0; i < table.rows; i++) {
        const c = byCol.codes[i]!;
        if (c >= 0 && c < parts.length) parts[c]!.push(col.values[i]!);
      }
      levels.forEach((l, c) => {
        if (parts[c]!.length > 0) out.push([`${name} | ${by}=${l}`, { kind: "numeric", values: Float64Array.from(parts[c]!) }, byMinRows]);
      });
    }
    return out;
  };

  const feed = (table: Table): void => {
    if (frozen) return;
    for (const [name, col] of expand(table)) {
      let ref = refs.get(name);
      if (!ref) refs.set(name, (ref = new ColumnReference(col.kind, referenceRows)));
      if (ref.kind !== col.kind) continue;
      const rows = col.kind === "numeric" ? col.values.length : col.codes.length;
      for (let i = 0; i < rows; i++) {
        if (!rolling && ref.count >= referenceRows) break;
        if (col.kind === "numeric") ref.add(col.values[i]!);
        else if (col.codes[i]! >= 0) ref.add(0, col.levels[col.codes[i]!]!);
      }
    }
  };
  if (options.reference) {
    feed(options.reference);
    frozen = true;
  }

  const auto = (name: string): boolean => test === "auto" || (typeof test === "object" && !Object.prototype.hasOwnProperty.call(test, name));
  /** The test for a column, and whether a numeric column is compared as levels (auto, at most 5 distinct reference values, as Evidently). */
  const planned = (name: string, kind: "numeric" | "categorical", ref: ColumnReference | undefined, m: number): [DriftTest, boolean] => {
    if (typeof test === "string" && test !== "auto") return [test, false];
    if (typeof test === "object" && Object.prototype.hasOwnProperty.call(test, name)) return [test[name]!, false];
    const small = Math.min(ref?.count ?? 0, m) <= smallSample;
    const few = kind === "numeric" && ref !== undefined && ref.kind === "numeric" && ref.count > 0 && ref.few().length <= 5;
    return [kind === "categorical" || few ? (small ? "chi_squared" : "jensen_shannon") : small ? "ks" : "wasserstein", few];
  };

  return {
    name: "drift",
    validate(table: Table): ValidationResult {
      const scores: ColumnDriftScore[] = [];
      const issues: ValidationIssue[] = [];
      let referenceRowsSeen = 0;
      for (const [name, col, least] of expand(table)) {
        const ref = refs.get(name);
        // Values present in the batch, and the infinite ones among them.
        let m = 0;
        let nonFinite = 0;
        if (col.kind === "numeric") {
          const v = col.values;
          for (let i = 0; i < v.length; i++) {
            const x = v[i]!;
            if (x - x === 0) m++;
            else if (x === x) {
              m++;
              nonFinite++;
            }
          }
        } else for (const c of col.codes) if (c >= 0) m++;
        const [t, asLevels] = planned(name, col.kind, ref, m);
        const threshold = thresholds[t];
        const refCount = ref && ref.kind === col.kind ? ref.count : 0;
        referenceRowsSeen = Math.max(referenceRowsSeen, refCount);
        const notAssessed = (reason: string): void => {
          scores.push({ column: name, test: t, status: "not_assessed", score: null, threshold, drifted: false, rows: m, referenceRows: refCount, nonFinite, reason });
        };
        if (!ref || ref.count === 0) {
          notAssessed("no reference yet");
          continue;
        }
        if (ref.kind !== col.kind) {
          notAssessed(`the reference is ${ref.kind}, the batch's column ${col.kind}`);
          continue;
        }
        if (m < least || ref.count < least) {
          notAssessed(`${m < least ? `the batch has ${m}` : `the reference has ${ref.count}`} values, fewer than ${least === minRows ? "minRows" : "byMinRows"} ${least}`);
          continue;
        }
        let s: Scored | null;
        if (col.kind === "numeric") {
          s = asLevels ? scoreNumericLevels(t, ref, col.values, auto(name)) : scoreNumeric(t, ref, col.values, m, bins, exactPValue);
        } else s = scoreCategorical(t, ref, col.codes, col.levels, auto(name));
        if (!s) {
          notAssessed(`${t} does not apply to ${name} (${col.kind === "categorical" ? "categories have no order" : "more than two levels"})`);
          continue;
        }
        if (!Number.isFinite(s.score) || (s.pValue !== undefined && !(s.pValue >= 0))) {
          // Never read a broken score as "no drift".
          s = { score: Number.isFinite(s.score) ? s.score : Number.MAX_VALUE, ...(s.pValue !== undefined ? { pValue: 0 } : {}) };
        }
        const ran = s.test ?? t;
        const threshold2 = thresholds[ran];
        const drifted = s.pValue !== undefined ? s.pValue < threshold2 : s.score >= threshold2;
        const status: DriftStatus = drifted ? "drifted" : "stable";
        scores.push({ column: name, test: ran, status, score: s.score, threshold: threshold2, drifted, rows: m, referenceRows: refCount, nonFinite, ...(s.pValue !== undefined ? { pValue: s.pValue } : {}) });
      }
      const assessed = scores.filter((s) => s.status !== "not_assessed");
      const k = assessed.length;
      for (const s of assessed) {
        if (!s.drifted) continue;
        const level = issueLevel === "batch" && s.pValue !== undefined ? s.threshold / k : s.threshold;
        if (s.pValue !== undefined && !(s.pValue < level)) continue;
        issues.push(
          issue({
            code: "distribution_drift",
            severity,
            column: s.column,
            observed: { test: s.test, score: s.score!, ...(s.pValue !== undefined ? { pValue: s.pValue } : {}) },
            expected: level,
          }),
        );
      }
      const needed = Math.max(1, Math.ceil(datasetDriftShare * k - 1e-12));
      const factor = k > 0 ? needed / k : 1;
      let atDataset = 0;
      for (const s of assessed) if (s.pValue !== undefined ? s.pValue < s.threshold * factor : s.drifted) atDataset++;
      const datasetDrift = k > 0 ? atDataset >= needed : null;
      const driftShare = k > 0 ? assessed.filter((s) => s.drifted).length / k : 0;
      return {
        ok: !issues.some((i) => i.severity === "error"),
        issues,
        drift: {
          columns: scores,
          status: datasetDrift === null ? "not_assessed" : datasetDrift ? "drifted" : "stable",
          driftShare,
          datasetDrift,
          datasetDriftShare: k > 0 ? atDataset / k : 0,
          datasetAlpha: thresholds.ks * factor,
          referenceRows: referenceRowsSeen,
        },
      };
    },
    accept(table: Table): void {
      feed(table);
    },
    toJSON(): ValidatorState {
      return { kind: "drift", version: 1, frozen, columns: [...refs].map(([name, ref]) => ref.toState(name)) };
    },
    restore(state: unknown): void {
      const s = checkDriftState(state);
      const next = new Map<string, ColumnReference>();
      for (const c of s.columns) next.set(c.name, ColumnReference.fromState(c, referenceRows));
      refs = next;
      frozen = s.frozen;
    },
  };
}

function scoreNumeric(
  t: DriftTest,
  ref: ColumnReference,
  values: Float64Array,
  m: number,
  bins: number,
  exactPValue: (n: number, m: number, d: number) => number,
): Scored | null {
  if (t === "ks" || t === "wasserstein") {
    const index = ref.index();
    if (t === "ks") {
      // With an index, no sort of the batch: its values are placed among the reference's.
      const d = index ? index.statistic(values).d : ksStatistic(ref.sorted(), sortPresent(values));
      const res = ksResult(ref.count, m, d, KS_EXACT_CELLS, exactPValue);
      return { score: res.statistic, pValue: res.pValue };
    }
    // The batch sorted (by the index: a counting sort; the array is the index's scratch), winsorised, then the merge walk.
    const sortedCur = index ? index.sorted(values) : sortPresent(values);
    const r = ref.robust();
    for (let i = 0; i < sortedCur.length; i++) {
      const v = sortedCur[i]!;
      if (v < r.lo) sortedCur[i] = r.lo;
      else if (v > r.hi) sortedCur[i] = r.hi;
    }
    return { score: wassersteinDistance(r.clipped, sortedCur) / r.scale };
  }
  // The batch's values without missing ones (a copy only when some are missing).
  let present = values;
  if (m < values.length) {
    present = new Float64Array(m);
    for (let i = 0, k = 0; i < values.length; i++) if (values[i] === values[i]) present[k++] = values[i]!;
  }
  // Binned tests: no sort, the reference's bins are cached.
  const { edges, shares } = ref.binned(bins);
  const curShares = binShares(edges, present);
  if (t === "jensen_shannon") return { score: jensenShannonDistance(shares, curShares) };
  if (t === "chi_squared") {
    const refCounts = shares.map((x) => Math.round(x * ref.count));
    const r = chiSquaredHomogeneity(refCounts, curShares.map((x) => Math.round(x * m)));
    return { score: r.statistic, pValue: r.pValue };
  }
  return { score: psiOfShares(shares, curShares) };
}

/** The values without missing ones, sorted (a new array). */
function sortPresent(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  if (n === values.length) return values.slice().sort();
  const present = new Float64Array(n);
  for (let i = 0, k = 0; i < values.length; i++) if (values[i] === values[i]) present[k++] = values[i]!;
  return present.sort();
}

/** A numeric column with few distinct values, compared as categories of those values. */
function scoreNumericLevels(t: DriftTest, ref: ColumnReference, values: Float64Array, auto: boolean): Scored | null {
  const levels = new Map<number, number>();
  for (const v of ref.distinct(Infinity)) levels.set(v, levels.size);
  const refCounts: number[] = new Array<number>(levels.size).fill(0);
  for (const v of ref.sorted()) refCounts[levels.get(v)!]!++;
  const counts: number[] = new Array<number>(levels.size).fill(0);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    let c = levels.get(v);
    if (c === undefined) {
      levels.set(v, (c = levels.size));
      counts.push(0);
      refCounts.push(0);
    }
    counts[c]!++;
    n++;
  }
  if (n === 0) return null;
  return compareCounts(t, refCounts, counts, auto);
}

/**
 * Compares category counts. Chosen by "auto", chi-squared on two levels is
 * Fisher's exact test instead: its p-value holds at any count, where
 * chi-squared's is too small for a sparse flag in a small batch.
 */
function compareCounts(t: DriftTest, refCounts: readonly number[], counts: readonly number[], auto: boolean): Scored | null {
  const used: number[] = [];
  for (let i = 0; i < refCounts.length; i++) if (refCounts[i]! + counts[i]! > 0) used.push(i);
  if ((t === "chi_squared" && auto && used.length === 2) || t === "fisher_exact") {
    if (used.length > 2) return null;
    const [i, j] = used.length === 2 ? (used as [number, number]) : [used[0] ?? 0, -1];
    const a = refCounts[i] ?? 0;
    const b = j >= 0 ? refCounts[j]! : 0;
    const c = counts[i] ?? 0;
    const d = j >= 0 ? counts[j]! : 0;
    const r = fisherExact(a, b, c, d);
    // Score: the difference in the share of the first level.
    return { score: Math.abs(a / (a + b || 1) - c / (c + d || 1)), pValue: r.pValue, test: "fisher_exact" };
  }
  if (t === "chi_squared") {
    const r = chiSquaredHomogeneity(refCounts, counts);
    return { score: r.statistic, pValue: r.pValue };
  }
  const sum = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0);
  const rn = sum(refCounts) || 1;
  const cn = sum(counts) || 1;
  const refShares = refCounts.map((c) => c / rn);
  const curShares = counts.map((c) => c / cn);
  if (t === "jensen_shannon") return { score: jensenShannonDistance(refShares, curShares) };
  if (t === "psi") return { score: psiOfShares(refShares, curShares) };
  // KS and Wasserstein need an order; categories have none.
  return null;
}

function scoreCategorical(t: DriftTest, ref: ColumnReference, codes: Int32Array, batchLevels: readonly string[], auto: boolean): Scored | null {
  const base = ref.levelCounts();
  const refCounts = Array.from(base);
  const counts: number[] = new Array<number>(refCounts.length).fill(0);
  // Batch level code → position in the combined list.
  const pos = new Int32Array(batchLevels.length);
  for (let c = 0; c < batchLevels.length; c++) {
    const id = ref.levelId(batchLevels[c]!);
    if (id !== undefined) pos[c] = id;
    else {
      pos[c] = refCounts.length;
      refCounts.push(0);
      counts.push(0);
    }
  }
  for (const c of codes) if (c >= 0) counts[pos[c]!]!++;
  return compareCounts(t, refCounts, counts, auto);
}
