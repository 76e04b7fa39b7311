import { checkParam } from "../core/errors.js";
import type { Table } from "./table.js";
import { chiSquaredGoodnessOfFit } from "./tests/chi-squared.js";
import { jensenShannonDistance } from "./tests/jensen-shannon.js";
import { KsReferenceIndex, ksExactPValueOfH, ksResult, ksStatistic } from "./tests/ks.js";
import { binShares, psiBins, psiOfShares } from "./tests/psi.js";
import { wassersteinDistance } from "./tests/wasserstein.js";
import {
  issue,
  type ColumnDriftScore,
  type DriftTest,
  type Severity,
  type ValidationIssue,
  type ValidationResult,
  type Validator,
} from "./validator.js";

/** Options of {@link driftCheck}. */
export interface DriftCheckOptions {
  /** Columns to check (default: every column of the batch). */
  columns?: readonly string[];
  /**
   * The test: `"auto"` (default) picks by column kind and reference size, as
   * Evidently does — numeric: KS up to `smallSample` reference rows, normed
   * Wasserstein beyond; categorical: chi-squared up to `smallSample`, Jensen–Shannon beyond.
   * Or one test for all columns, or one per column.
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
  /** Share of drifted columns that makes the dataset drifted. Default 0.5. */
  datasetDriftShare?: number;
  /** Reference size up to which "auto" uses the p-value tests. Default 1,000. */
  smallSample?: number;
  /** PSI (and numeric Jensen–Shannon) bins, from the reference's quantiles. Default 10. */
  bins?: number;
}

const DEFAULT_THRESHOLDS: Record<DriftTest, number> = { ks: 0.05, chi_squared: 0.05, psi: 0.2, jensen_shannon: 0.1, wasserstein: 0.1 };
// Exact KS p-values cost O(n·m): beyond this many cells, Smirnov's limit.
const KS_EXACT_CELLS = 1e5;
// Exact p-values kept per validator; they depend only on (n, m, round(d·n·m)).
const KS_EXACT_CACHE = 4096;

/** Reference values of one column, in arrival order (a ring when rolling). */
class ColumnReference {
  values: Float64Array;
  levels: string[] = [];
  private levelIndex = new Map<string, number>();
  count = 0;
  private next = 0;
  private sortedCache: Float64Array | null = null;
  private indexCache: KsReferenceIndex | null = null;
  private usesSinceChange = 0;
  private fewCache: number[] | null = null;
  private spreadCache: number | null = null;
  private binCache: { bins: number; edges: Float64Array; shares: Float64Array } | null = null;

  constructor(readonly kind: "numeric" | "categorical", capacity: number) {
    this.values = new Float64Array(capacity);
  }

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
    } else if (v !== v) return;
    this.values[this.next] = x;
    this.next = (this.next + 1) % this.values.length;
    this.count = Math.min(this.count + 1, this.values.length);
    this.sortedCache = null;
    this.indexCache = null;
    this.usesSinceChange = 0;
    this.fewCache = null;
    this.spreadCache = null;
    this.binCache = null;
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

  /** Standard deviation of the reference (cached until it changes). */
  sd(): number {
    if (this.spreadCache !== null) return this.spreadCache;
    const r = this.sorted();
    let mean = 0;
    for (const v of r) mean += v;
    mean /= r.length;
    let ss = 0;
    for (const v of r) ss += (v - mean) ** 2;
    this.spreadCache = Math.sqrt(ss / r.length);
    return this.spreadCache;
  }

  sorted(): Float64Array {
    this.sortedCache ??= this.values.slice(0, this.count).sort();
    return this.sortedCache;
  }

  levelShares(levels: readonly string[]): Float64Array {
    const counts = new Float64Array(levels.length);
    const pos = new Map(levels.map((l, i) => [l, i]));
    for (let i = 0; i < this.count; i++) counts[pos.get(this.levels[this.values[i]!]!)!]!++;
    for (let i = 0; i < counts.length; i++) counts[i]! /= this.count || 1;
    return counts;
  }
}

/**
 * Distribution drift of each column against a reference: PSI,
 * Kolmogorov–Smirnov, chi-squared, Jensen–Shannon or normed Wasserstein,
 * chosen by column kind and sample size unless set. Every checked column's
 * score is reported on every batch (`result.drift`), drifted or not; a drifted
 * column is a `distribution_drift` issue, a warning by default.
 *
 * The reference is the first `referenceRows` rows of accepted batches (or the
 * newest, with `rolling`), or a table you give. Cost per batch and numeric
 * column: KS places the b values among the reference's, indexed once (on its
 * second use), in O(b) and no sort; Wasserstein sorts them through the same
 * index, then walks both samples, O(reference + b). A reference that changes
 * every batch (`rolling`) is not indexed: each column is sorted, O(b log b).
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
    bins = 10,
  } = options;
  checkParam(Number.isInteger(referenceRows) && referenceRows > 0, "referenceRows", "a positive integer", referenceRows);
  checkParam(datasetDriftShare > 0 && datasetDriftShare <= 1, "datasetDriftShare", "in (0, 1]", datasetDriftShare);
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const refs = new Map<string, ColumnReference>();
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

  const feed = (table: Table): void => {
    if (frozen) return;
    for (const [name, col] of table.columns) {
      if (columns && !columns.includes(name)) continue;
      let ref = refs.get(name);
      if (!ref) refs.set(name, (ref = new ColumnReference(col.kind, referenceRows)));
      if (ref.kind !== col.kind) continue;
      for (let i = 0; i < table.rows; i++) {
        if (!rolling && ref.count >= referenceRows) break;
        if (col.kind === "numeric") ref.add(col.values[i]!);
        else if (col.codes[i]! >= 0) ref.add(0, col.levels[col.codes[i]!]);
      }
    }
  };
  if (options.reference) {
    feed(options.reference);
    frozen = true;
  }

  return {
    name: "drift",
    validate(table: Table): ValidationResult {
      const scores: ColumnDriftScore[] = [];
      const issues: ValidationIssue[] = [];
      let referenceRowsSeen = 0;
      for (const [name, col] of table.columns) {
        if (columns && !columns.includes(name)) continue;
        const ref = refs.get(name);
        if (!ref || ref.count === 0 || ref.kind !== col.kind) continue;
        referenceRowsSeen = Math.max(referenceRowsSeen, ref.count);
        const t: DriftTest =
          typeof test === "string" && test !== "auto"
            ? test
            : typeof test === "object" && test[name]
              ? test[name]!
              : col.kind === "numeric"
                ? ref.count <= smallSample ? "ks" : "wasserstein"
                : ref.count <= smallSample ? "chi_squared" : "jensen_shannon";
        // Evidently treats a numeric column with at most 5 distinct reference values as categorical.
        const few = col.kind === "numeric" && test === "auto" ? ref.few() : null;
        const t2: DriftTest = few && few.length <= 5 ? (ref.count <= smallSample ? "chi_squared" : "jensen_shannon") : t;
        const s =
          col.kind === "numeric"
            ? few && few.length <= 5
              ? scoreNumericLevels(t2, ref, col.values)
              : scoreNumeric(t, ref, col.values, bins, exactPValue)
            : scoreCategorical(t, ref, col.codes, col.levels);
        if (!s) continue;
        const threshold = thresholds[t2];
        const drifted = s.pValue !== undefined ? s.pValue < threshold : s.score >= threshold;
        const score: ColumnDriftScore = { column: name, test: t2, score: s.score, threshold, drifted, ...(s.pValue !== undefined ? { pValue: s.pValue } : {}) };
        scores.push(score);
        if (drifted) {
          issues.push(
            issue({
              code: "distribution_drift",
              severity,
              column: name,
              observed: { test: t2, score: s.score, ...(s.pValue !== undefined ? { pValue: s.pValue } : {}) },
              expected: threshold,
            }),
          );
        }
      }
      const driftShare = scores.length ? scores.filter((s) => s.drifted).length / scores.length : 0;
      return {
        ok: !issues.some((i) => i.severity === "error"),
        issues,
        drift: { columns: scores, driftShare, datasetDrift: scores.length > 0 && driftShare >= datasetDriftShare, referenceRows: referenceRowsSeen },
      };
    },
    accept(table: Table): void {
      feed(table);
    },
  };
}

function scoreNumeric(
  t: DriftTest,
  ref: ColumnReference,
  values: Float64Array,
  bins: number,
  exactPValue: (n: number, m: number, d: number) => number,
): { score: number; pValue?: number } | null {
  if (t === "ks" || t === "wasserstein") {
    const index = ref.index();
    if (t === "ks") {
      // With an index, no sort of the batch: its values are placed among the reference's.
      let d: number;
      let m: number;
      if (index) ({ d, m } = index.statistic(values));
      else {
        const sortedCur = sortPresent(values);
        m = sortedCur.length;
        d = m > 0 ? ksStatistic(ref.sorted(), sortedCur) : 0;
      }
      if (m === 0) return null;
      const res = ksResult(ref.count, m, d, KS_EXACT_CELLS, exactPValue);
      return { score: res.statistic, pValue: res.pValue };
    }
    // The batch sorted (by the index: a counting sort), then the merge walk.
    const sortedCur = index ? index.sorted(values) : sortPresent(values);
    if (sortedCur.length === 0) return null;
    // Normed by the reference's standard deviation (Evidently's "normed Wasserstein").
    const sd = ref.sd();
    return { score: wassersteinDistance(ref.sorted(), sortedCur) / (sd > 0 ? sd : 1) };
  }
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  if (n === 0) return null;
  // The batch's values without missing ones (a copy only when some are missing).
  let present = values;
  if (n < values.length) {
    present = new Float64Array(n);
    for (let i = 0, k = 0; i < values.length; i++) if (values[i] === values[i]) present[k++] = values[i]!;
  }
  // Binned tests: no sort, the reference's bins are cached.
  const { edges, shares } = ref.binned(bins);
  const curShares = binShares(edges, present);
  if (t === "jensen_shannon") return { score: jensenShannonDistance(shares, curShares) };
  if (t === "chi_squared") {
    const r = chiSquaredGoodnessOfFit(curShares.map((x) => x * n), shares);
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
function scoreNumericLevels(t: DriftTest, ref: ColumnReference, values: Float64Array): { score: number; pValue?: number } | null {
  const levels = new Map<number, number>();
  for (const v of ref.distinct(Infinity)) levels.set(v, levels.size);
  const codes = new Int32Array(values.length);
  const names: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) {
      codes[i] = -1;
      continue;
    }
    let c = levels.get(v);
    if (c === undefined) levels.set(v, (c = levels.size));
    codes[i] = c;
  }
  for (const [v, c] of levels) names[c] = String(v);
  // Reference counts per value, as a categorical reference.
  const r = ref.sorted();
  const refCounts = new Float64Array(names.length);
  for (const v of r) refCounts[levels.get(v)!]!++;
  const refShares = refCounts.map((c) => c / r.length);
  const counts = new Float64Array(names.length);
  let n = 0;
  for (const c of codes) if (c >= 0) {
    counts[c]!++;
    n++;
  }
  if (n === 0) return null;
  if (t === "chi_squared") {
    const res = chiSquaredGoodnessOfFit(counts, refShares);
    return { score: res.statistic, pValue: res.pValue };
  }
  return { score: jensenShannonDistance(refShares, counts.map((c) => c / n)) };
}

function scoreCategorical(t: DriftTest, ref: ColumnReference, codes: Int32Array, batchLevels: readonly string[]): { score: number; pValue?: number } | null {
  const levels = [...new Set([...ref.levels, ...batchLevels])];
  const pos = new Map(levels.map((l, i) => [l, i]));
  const counts = new Float64Array(levels.length);
  let n = 0;
  for (const c of codes) {
    if (c < 0) continue;
    counts[pos.get(batchLevels[c]!)!]!++;
    n++;
  }
  if (n === 0) return null;
  const refShares = ref.levelShares(levels);
  const curShares = counts.map((c) => c / n);
  switch (t) {
    case "chi_squared": {
      const r = chiSquaredGoodnessOfFit(counts, refShares);
      return { score: r.statistic, pValue: r.pValue };
    }
    case "jensen_shannon":
      return { score: jensenShannonDistance(refShares, curShares) };
    case "psi":
      return { score: psiOfShares(refShares, curShares) };
    default:
      // KS and Wasserstein need an order; categories have none.
      return null;
  }
}
