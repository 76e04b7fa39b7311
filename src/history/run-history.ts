import { FreshmlError, checkParam } from "../core/errors.js";
import { checkName } from "../store/model-store.js";
import { array, count, finite, nullable, object, readChecked, record, str } from "../core/json-checks.js";
import type { MemoryChoice } from "../pipeline/auto.js";
import type { GateMetric } from "../pipeline/gate.js";
import type { AcceptedBatchRecord, BatchCounts, BatchRecord, Checkpoint, PrequentialScore, Promotion, RestorePoint, RowCounts, RunMetric, RunReport, StageTimes } from "../pipeline/report.js";

/** Format tag of a {@link RunSummary}. */
export const RUN_SUMMARY_FORMAT = "freshml.run";

/** One tracked metric over a run, batch by batch, downsampled (extremes and event batches kept). */
export interface SummarySeries {
  /** Stream positions, ascending. */
  batch: number[];
  /** The champion's value on each kept batch (null: no champion). */
  champion: Array<number | null>;
  /** The challenger's (null: not fitted yet). */
  challenger: Array<number | null>;
  /** Batches the run's series held before downsampling. */
  points: number;
}

/**
 * Policy "auto": which candidate memory served and every candidate's score,
 * batch by batch, downsampled like {@link SummarySeries} (each bucket keeps
 * the batches of the lowest and highest score of any candidate) and keeping
 * every batch where the served candidate changed (the newest `maxEvents`), so
 * between two kept batches the first one's candidate served.
 *
 * @example
 * ```ts
 * import { LinearRegression, Pipeline, summarizeRun, type MemorySeries } from "freshml";
 * const batches = Array.from({ length: 30 }, (_, k) => ({ X: [[k], [k + 1], [k + 2]], y: [k, k + 1, k + 2.5] }));
 * const report = await new Pipeline({ trainer: new LinearRegression(), policy: { auto: { windows: [3, 12], horizon: 4, minRows: 6 } } }).runBatches(batches);
 * const memory: MemorySeries = summarizeRun(report).memory!;
 * console.log(Object.keys(memory.scores)); // [ 'window 3', 'window 12', 'everything' ]
 * console.log(memory.served.length === memory.batch.length, memory.points); // true 30
 * ```
 */
export interface MemorySeries {
  /** Stream positions, ascending. */
  batch: number[];
  /** The candidate serving after each kept batch ("window 12", "everything"). */
  served: string[];
  /** Each candidate's discounted mean out-of-time loss per row on each kept batch (null: not enough scored yet), by candidate in the policy's order. */
  scores: Record<string, Array<number | null>>;
  /** Batches with a memory choice before downsampling. */
  points: number;
  /** Times the served candidate changed over the run (every one counted, however many were kept). */
  switches: number;
  /** For each candidate, the number of batches after which it served, over the run. */
  servedBatches: Record<string, number>;
}

/** A gate decision as the summary keeps it. */
export interface DecisionPoint {
  /** The batch at whose gate it was made. */
  batch: number;
  /** How the evidence was gathered. */
  mode: "prequential" | "holdout" | "first";
  /** Whether the challenger was promoted. */
  promoted: boolean;
  /** The challenger's gate metric (null: no evidence). */
  challenger: number | null;
  /** The champion's, on the same rows. */
  champion: number | null;
  /** The baseline's, when one is configured. */
  baseline: number | null;
  /** The paired statistic, or null. */
  statistic: number | null;
  /** Rows the decision rests on. */
  rows: number;
  /** The first reason it was not promoted ("" when it was). */
  reason: string;
}

/**
 * Drift scores, column × batch: `scores[c][b]` is column `columns[c]`'s
 * score on batch `batch[b]` (the largest in its bucket after downsampling; null: not checked).
 */
export interface DriftMatrix {
  /** Checked columns. */
  columns: string[];
  /** The test per column. */
  tests: string[];
  /** Batches (or the first batch of each bucket), ascending. */
  batch: number[];
  /** Scores per column, per batch. */
  scores: Array<Array<number | null>>;
  /** Whether the column drifted on that batch (in that bucket). */
  drifted: boolean[][];
}

/** One quarantined batch, with its reasons. */
export interface QuarantineEvent {
  /** The batch. */
  batch: number;
  /** Its rows (none learned). */
  rows: number;
  /** Issue codes (distinct). */
  reasons: string[];
  /** The first issue's message: an example. */
  example: string;
}

/** Quarantines of a run: totals per reason and the events (the newest `maxEvents`). */
export interface QuarantineSummary {
  /** Quarantined batches by issue code (over every batch the summary saw). */
  byReason: Record<string, number>;
  /** The events, in order. */
  events: QuarantineEvent[];
}

/**
 * A compact, JSON-safe digest of a {@link RunReport}: what the report and the
 * run history keep. Long series are downsampled to a bound that keeps each
 * bucket's extremes and every event batch (promotions, alarms; with policy
 * "auto", the switches of the served memory: {@link MemorySeries}).
 *
 * @example
 * ```ts
 * import { summarizeRun, type RunSummary } from "freshml";
 * import { sampleReport } from "freshml/testing";
 * const summary: RunSummary = summarizeRun(sampleReport("load", 2000));
 * const { batch, champion } = summary.series.rmse!; // ≤ ~600 points, extremes and promotions kept
 * console.log(summary.promotionsTotal, summary.quarantines.byReason); // 79 { missing_rate: 200 }
 * ```
 */
export interface RunSummary {
  /** `"freshml.run"`. */
  format: typeof RUN_SUMMARY_FORMAT;
  /** 1. */
  formatVersion: 1;
  /** Assigned by a {@link RunHistory} on `put` (`"<name>:<sequence>"`); "" before. */
  id: string;
  /** The model name. */
  name: string;
  /** completed or aborted. */
  status: RunReport["status"];
  /** ISO start time. */
  startedAt: string;
  /** Wall time. */
  durationMs: number;
  /** Why the run happened, when known. */
  trigger?: string;
  /** Batch counts. */
  batches: BatchCounts;
  /** Row counts. */
  rows: RowCounts;
  /** Time per stage (ms). */
  stageMs: StageTimes;
  /** The gate metric over the run. */
  prequential: PrequentialScore;
  /** Every tracked metric over the run. */
  metrics: Record<string, RunMetric>;
  /** Every tracked metric, batch by batch (downsampled). */
  series: Record<string, SummarySeries>;
  /** Promotions (as many as the report kept). */
  promotions: Promotion[];
  /** Promotions in the run. */
  promotionsTotal: number;
  /** Detector alarms by batch (as many as the report kept). */
  driftAlarms: number[];
  /** Alarms in the run. */
  driftAlarmsTotal: number;
  /** Gate decisions: the promotions (the newest `maxEvents`), and the others thinned evenly. */
  decisions: DecisionPoint[];
  /** Drift scores per column and batch. */
  drift: DriftMatrix;
  /** Quarantines with their reasons. */
  quarantines: QuarantineSummary;
  /** Versions and checkpoints written. */
  checkpoints: Checkpoint[];
  /** The champion version serving at the end. */
  championVersion: number | null;
  /** First and last batch the summary saw (null: none). */
  span: BatchSpan | null;
  /** Per-batch records the summary did not see: those the report had dropped before {@link summarizeRun} ran (0 when built as the run went, by {@link RunSummaryBuilder}). */
  recordsDropped: number;
  /** Where the run's state came from, when it was restored (`from: "champion"`: the alias had moved — a rollback). */
  restoredFrom?: RestorePoint;
  /** Policy "auto": the memory that served and the candidates' scores, batch by batch (absent for other policies). */
  memory?: MemorySeries;
}

/** First and last batch a summary covers. */
export interface BatchSpan {
  /** The first batch. */
  first: number;
  /** The last batch. */
  last: number;
}

/** Options of {@link summarizeRun}. */
export interface SummarizeOptions {
  /** Points per series and batches per drift row before downsampling starts. Default 600. */
  maxPoints?: number;
  /** Quarantine events and non-promoting decisions kept. Default 500. */
  maxEvents?: number;
}

/**
 * Indices to keep of `n` points: first and last, each bucket's min and max of
 * every value array, and every index in `events`. At most about `maxPoints`
 * plus the events.
 */
export function downsampleIndices(n: number, values: ReadonlyArray<ReadonlyArray<number | null>>, maxPoints: number, events: ReadonlySet<number> = new Set()): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const keep = new Set<number>([0, n - 1]);
  for (const e of events) if (e >= 0 && e < n) keep.add(e);
  const perBucket = Math.max(2, 2 * values.length);
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / perBucket));
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    if (hi <= lo) continue;
    let any = false;
    for (const arr of values) {
      let mi = -1;
      let ma = -1;
      for (let i = lo; i < hi; i++) {
        const v = arr[i];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        if (mi < 0 || v < arr[mi]!) mi = i;
        if (ma < 0 || v > arr[ma]!) ma = i;
      }
      if (mi >= 0) {
        keep.add(mi);
        keep.add(ma);
        any = true;
      }
    }
    if (!any) keep.add(lo);
  }
  return [...keep].sort((a, b) => a - b);
}

const finiteOrNull = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

/** One point of a metric series. */
interface SeriesPoint {
  batch: number;
  champion: number | null;
  challenger: number | null;
}

const VALUE_KEYS = ["champion", "challenger"] as const;

/** The points to keep of a bucket: each value's min and max (the first of equals), or the first point when none is finite. */
function extremesOf(points: readonly SeriesPoint[], first: SeriesPoint): SeriesPoint[] {
  const keep = new Set<SeriesPoint>();
  for (const k of VALUE_KEYS) {
    let mi: SeriesPoint | null = null;
    let ma: SeriesPoint | null = null;
    for (const p of points) {
      const v = p[k];
      if (v === null) continue;
      if (mi === null || v < mi[k]! || (v === mi[k] && p.batch < mi.batch)) mi = p;
      if (ma === null || v > ma[k]! || (v === ma[k] && p.batch < ma.batch)) ma = p;
    }
    if (mi) keep.add(mi);
    if (ma) keep.add(ma);
  }
  if (keep.size === 0) keep.add(first);
  return [...keep];
}

/** A point of a downsampled series: its batch, and whatever values it carries. */
interface BatchPoint {
  batch: number;
}

/** A bucket of consecutive points: the points it keeps (its extremes), or its first point when it has no finite value. */
interface Bucket<P extends BatchPoint> {
  count: number;
  first: P;
  kept: P[];
}

/**
 * A series downsampled as it grows, in bounded memory: every point while
 * there are at most `maxPoints`; then buckets of equal width that keep what
 * `extremes` picks of each (halved, by merging neighbours, whenever they grow
 * too many), plus the first and last points and the newest `maxEvents` event
 * points (promotions, alarms, switches).
 */
class BucketSampler<P extends BatchPoint> {
  private raw: P[] | null = [];
  private buckets: Array<Bucket<P>> = [];
  private current: Bucket<P> | null = null;
  private width = 1;
  private first: P | null = null;
  private last: P | null = null;
  private readonly events: P[] = [];
  points = 0;
  private readonly maxBuckets: number;

  /**
   * @param keptPerBucket The most points `extremes` keeps of a bucket.
   * @param extremes The points to keep of a bucket (its first one when none is finite).
   */
  constructor(
    private readonly maxPoints: number,
    private readonly maxEvents: number,
    keptPerBucket: number,
    private readonly extremes: (points: readonly P[], first: P) => P[],
  ) {
    // First and last besides the buckets' points. Even, so buckets merge in pairs.
    this.maxBuckets = Math.max(2, 2 * Math.floor((maxPoints - 2) / (2 * keptPerBucket)));
  }

  add(p: P, event: boolean): void {
    this.points++;
    this.first ??= p;
    this.last = p;
    if (event && this.maxEvents > 0) {
      this.events.push(p);
      if (this.events.length > this.maxEvents) this.events.shift();
    }
    if (this.raw) {
      this.raw.push(p);
      if (this.raw.length <= this.maxPoints) return;
      // Too many to keep whole: from now on, buckets.
      const all = this.raw;
      this.raw = null;
      this.width = Math.max(1, Math.ceil(all.length / (this.maxBuckets / 2)));
      for (const q of all) this.fold(q);
      return;
    }
    this.fold(p);
  }

  private fold(p: P): void {
    const c = (this.current ??= { count: 0, first: p, kept: [] });
    c.count++;
    c.kept = this.extremes([...c.kept, p], c.first);
    if (c.count < this.width) return;
    this.buckets.push(c);
    this.current = null;
    if (this.buckets.length < this.maxBuckets) return;
    const merged: Array<Bucket<P>> = [];
    for (let i = 0; i + 1 < this.buckets.length; i += 2) {
      const a = this.buckets[i]!;
      const b = this.buckets[i + 1]!;
      merged.push({ count: a.count + b.count, first: a.first, kept: this.extremes([...a.kept, ...b.kept], a.first) });
    }
    this.buckets = merged;
    this.width *= 2;
  }

  /** The kept points, ascending by batch. */
  kept(): P[] {
    if (this.raw) return this.raw;
    const keep = new Set<P>(this.events);
    if (this.first) keep.add(this.first);
    if (this.last) keep.add(this.last);
    for (const b of this.buckets) for (const p of b.kept) keep.add(p);
    if (this.current) for (const p of this.current.kept) keep.add(p);
    return [...keep].sort((a, b) => a.batch - b.batch);
  }
}

/** One metric's series, downsampled as it grows: each bucket keeps the min and max of champion and challenger. */
class SeriesSampler {
  private readonly sampler: BucketSampler<SeriesPoint>;

  constructor(maxPoints: number, maxEvents: number) {
    this.sampler = new BucketSampler(maxPoints, maxEvents, 4, extremesOf);
  }

  add(p: SeriesPoint, event: boolean): void {
    this.sampler.add(p, event);
  }

  result(): SummarySeries {
    const pts = this.sampler.kept();
    return { batch: pts.map((p) => p.batch), champion: pts.map((p) => p.champion), challenger: pts.map((p) => p.challenger), points: this.sampler.points };
  }
}

/** One batch's memory choice (policy "auto"). */
interface MemoryPoint {
  batch: number;
  served: string;
  scores: Record<string, number | null>;
}

/** The points to keep of a bucket of memory choices: the lowest and highest score of any candidate (the first of equals), or the first point when none is finite. */
function memoryExtremes(points: readonly MemoryPoint[], first: MemoryPoint): MemoryPoint[] {
  let mi: MemoryPoint | null = null;
  let ma: MemoryPoint | null = null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    for (const v of Object.values(p.scores)) {
      if (v === null) continue;
      if (v < lo || (v === lo && p.batch < mi!.batch)) [mi, lo] = [p, v];
      if (v > hi || (v === hi && p.batch < ma!.batch)) [ma, hi] = [p, v];
    }
  }
  if (!mi || !ma) return [first];
  return mi === ma ? [mi] : [mi, ma];
}

/**
 * The memory choices of a run (policy "auto"), downsampled like the metric
 * series, every switch of the served candidate kept as an event point (the
 * newest `maxEvents`), with exact counts of switches and of batches served.
 */
class MemorySampler {
  private readonly sampler: BucketSampler<MemoryPoint>;
  private readonly candidates: string[] = [];
  private readonly servedBatches: Record<string, number> = {};
  private previous: string | null = null;
  private switches = 0;

  constructor(maxPoints: number, maxEvents: number) {
    this.sampler = new BucketSampler(maxPoints, maxEvents, 2, memoryExtremes);
  }

  add(batch: number, choice: MemoryChoice): void {
    const scores: Record<string, number | null> = {};
    for (const [label, v] of Object.entries(choice.scores)) {
      if (!this.candidates.includes(label)) this.candidates.push(label);
      scores[label] = finiteOrNull(v);
    }
    const switched = this.previous !== null && choice.served !== this.previous;
    if (switched) this.switches++;
    this.previous = choice.served;
    this.servedBatches[choice.served] = (this.servedBatches[choice.served] ?? 0) + 1;
    this.sampler.add({ batch, served: choice.served, scores }, switched);
  }

  /** The series, or undefined when no batch had a memory choice. */
  result(): MemorySeries | undefined {
    if (this.sampler.points === 0) return undefined;
    const pts = this.sampler.kept();
    const scores: Record<string, Array<number | null>> = {};
    for (const c of this.candidates) scores[c] = pts.map((p) => p.scores[c] ?? null);
    return { batch: pts.map((p) => p.batch), served: pts.map((p) => p.served), scores, points: this.sampler.points, switches: this.switches, servedBatches: { ...this.servedBatches } };
  }
}

/** One bucket of the drift matrix: the largest score per column, and whether any batch in it drifted. */
interface DriftBucket {
  batch: number;
  count: number;
  scores: Array<number | null>;
  drifted: boolean[];
}

/** Drift scores column × batch, bucketed by the largest score once there are more than `maxPoints` batches (buckets merge in pairs as they grow). */
class DriftSampler {
  readonly columns: string[] = [];
  readonly tests: string[] = [];
  private readonly colIndex = new Map<string, number>();
  private buckets: DriftBucket[] = [];
  private width = 1;

  constructor(private readonly maxPoints: number) {}

  add(batch: number, drift: readonly { column: string; test: string; score: number | null; drifted: boolean }[]): void {
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.count >= this.width) {
      last = { batch, count: 0, scores: [], drifted: [] };
      this.buckets.push(last);
    }
    last.count++;
    for (const c of drift) {
      let ci = this.colIndex.get(c.column);
      if (ci === undefined) {
        ci = this.columns.length;
        this.colIndex.set(c.column, ci);
        this.columns.push(c.column);
        this.tests.push(c.test);
      }
      const v = finiteOrNull(c.score);
      const cur = last.scores[ci] ?? null;
      if (v !== null && (cur === null || v > cur)) last.scores[ci] = v;
      if (c.drifted) last.drifted[ci] = true;
    }
    if (this.buckets.length > this.maxPoints && last.count >= this.width) {
      // Too many buckets: merge neighbours (largest score, any drift), twice as wide from now on.
      const merged: DriftBucket[] = [];
      for (let i = 0; i < this.buckets.length; i += 2) {
        const a = this.buckets[i]!;
        const b = this.buckets[i + 1];
        if (!b) {
          merged.push(a);
          continue;
        }
        const scores: Array<number | null> = [];
        const drifted: boolean[] = [];
        for (let ci = 0; ci < this.columns.length; ci++) {
          const x = a.scores[ci] ?? null;
          const y = b.scores[ci] ?? null;
          scores[ci] = x === null ? y : y === null ? x : Math.max(x, y);
          drifted[ci] = (a.drifted[ci] ?? false) || (b.drifted[ci] ?? false);
        }
        merged.push({ batch: a.batch, count: a.count + b.count, scores, drifted });
      }
      this.buckets = merged;
      this.width *= 2;
    }
  }

  result(): DriftMatrix {
    return {
      columns: [...this.columns],
      tests: [...this.tests],
      batch: this.buckets.map((b) => b.batch),
      scores: this.columns.map((_, ci) => this.buckets.map((b) => b.scores[ci] ?? null)),
      drifted: this.columns.map((_, ci) => this.buckets.map((b) => b.drifted[ci] ?? false)),
    };
  }
}

/** Gate decisions: the newest `maxEvents` promotions, and the others thinned evenly (every k-th, k doubling) to at most `maxEvents`. */
class DecisionSampler {
  private readonly promoted: DecisionPoint[] = [];
  private others: DecisionPoint[] = [];
  private stride = 1;
  private seen = 0;

  constructor(private readonly maxEvents: number) {}

  add(d: DecisionPoint): void {
    if (d.promoted) {
      this.promoted.push(d);
      if (this.promoted.length > Math.max(this.maxEvents, 1)) this.promoted.shift();
      return;
    }
    if (this.maxEvents === 0) return;
    if (this.seen++ % this.stride !== 0) return;
    this.others.push(d);
    if (this.others.length > this.maxEvents) {
      this.others = this.others.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
      this.seen = this.others.length * this.stride;
    }
  }

  result(): DecisionPoint[] {
    return [...this.promoted, ...this.others].sort((a, b) => a.batch - b.batch);
  }
}

function decisionPoint(r: AcceptedBatchRecord): DecisionPoint | null {
  const d = r.decision;
  if (!d) return null;
  return {
    batch: r.batch,
    mode: d.mode,
    promoted: d.promoted,
    challenger: finiteOrNull(d.challenger),
    champion: finiteOrNull(d.champion),
    baseline: finiteOrNull(d.baseline),
    statistic: finiteOrNull(d.statistic),
    rows: d.rows,
    reason: d.reasons[0] ?? "",
  };
}

function checkSummarizeOptions(options: SummarizeOptions): { maxPoints: number; maxEvents: number } {
  const { maxPoints = 600, maxEvents = 500 } = options;
  checkParam(Number.isInteger(maxPoints) && maxPoints >= 10, "maxPoints", "an integer ≥ 10", maxPoints);
  checkParam(Number.isInteger(maxEvents) && maxEvents >= 0, "maxEvents", "an integer ≥ 0", maxEvents);
  return { maxPoints, maxEvents };
}

/**
 * Builds a run's {@link RunSummary} as the run goes, in bounded memory: fed
 * each batch record, it keeps every tracked metric's series (downsampled as
 * it grows, keeping each bucket's extremes and the promotion and alarm
 * batches), the drift matrix, the gate decisions, the quarantines and (policy
 * "auto") the memory choices of the whole run, however many batches, where {@link summarizeRun} sees only the
 * records a report kept (its newest `maxBatchRecords`). A pipeline with a
 * run history uses one.
 *
 * @example
 * ```ts
 * import { RunSummaryBuilder } from "freshml";
 * import { sampleReport } from "freshml/testing";
 * const report = sampleReport("load", 10_000);
 * const builder = new RunSummaryBuilder(["rmse"], { maxPoints: 300 });
 * for (const record of report.records) builder.add(record);
 * const summary = builder.finish(report);
 * console.log(summary.series.rmse!.points, summary.quarantines.byReason); // 9000 { missing_rate: 1000 }
 * ```
 */
export class RunSummaryBuilder {
  private readonly maxPoints: number;
  private readonly maxEvents: number;
  private readonly series = new Map<string, SeriesSampler>();
  private readonly drift: DriftSampler;
  private readonly decisions: DecisionSampler;
  private readonly memory: MemorySampler;
  private readonly byReason: Record<string, number> = {};
  private readonly quarantineEvents: QuarantineEvent[] = [];
  private first: number | null = null;
  private last: number | null = null;

  /**
   * @param metrics The tracked metrics (a series each, the gate's first).
   * @param options Bounds of the series, drift matrix and event lists.
   */
  constructor(metrics: readonly string[], options: SummarizeOptions = {}) {
    const { maxPoints, maxEvents } = checkSummarizeOptions(options);
    this.maxPoints = maxPoints;
    this.maxEvents = maxEvents;
    for (const m of metrics) this.series.set(m, new SeriesSampler(maxPoints, maxEvents));
    this.drift = new DriftSampler(maxPoints);
    this.decisions = new DecisionSampler(maxEvents);
    this.memory = new MemorySampler(maxPoints, maxEvents);
  }

  /** Folds one batch's record in: its scores (accepted), decision, drift scores, or its quarantine. */
  add(record: BatchRecord): void {
    this.fold(record);
    if (record.status !== "accepted") return;
    const event = record.decision?.promoted === true || record.detectorDrift === true;
    for (const [m, s] of this.series) {
      s.add({ batch: record.batch, champion: finiteOrNull(record.scores?.champion?.[m]), challenger: finiteOrNull(record.scores?.challenger?.[m]) }, event);
    }
  }

  /** @internal The record's parts other than its scores (summarizeRun feeds the series from the report's). */
  fold(record: BatchRecord): void {
    this.first ??= record.batch;
    this.last = record.batch;
    if (record.status === "quarantined") {
      const reasons = [...new Set(record.issues.map((i) => i.code))];
      for (const c of reasons) this.byReason[c] = (this.byReason[c] ?? 0) + 1;
      if (this.maxEvents > 0) {
        this.quarantineEvents.push({ batch: record.batch, rows: record.rows, reasons, example: (record.issues[0]?.message ?? "").slice(0, 300) });
        if (this.quarantineEvents.length > this.maxEvents) this.quarantineEvents.shift();
      }
      return;
    }
    const d = decisionPoint(record);
    if (d) this.decisions.add(d);
    if (record.drift && record.drift.length > 0) this.drift.add(record.batch, record.drift);
    if (record.memory) this.memory.add(record.batch, record.memory);
  }

  /** @internal One series point, for summarizeRun. */
  point(metric: string, p: { batch: number; champion: number | null; challenger: number | null }, event: boolean): void {
    let s = this.series.get(metric);
    if (!s) this.series.set(metric, (s = new SeriesSampler(this.maxPoints, this.maxEvents)));
    s.add({ batch: p.batch, champion: finiteOrNull(p.champion), challenger: finiteOrNull(p.challenger) }, event);
  }

  /**
   * The summary: run-level figures (counts, totals, stage times, promotions,
   * checkpoints) from `report`, the per-batch parts from what was added.
   */
  finish(report: RunReport, recordsDropped = 0): RunSummary {
    const series: Record<string, SummarySeries> = {};
    for (const [m, s] of this.series) series[m] = s.result();
    const memory = this.memory.result();
    const metrics: Record<string, RunMetric> = {};
    for (const [k, m] of Object.entries(report.metrics)) metrics[k] = { champion: finiteOrNull(m.champion), challenger: finiteOrNull(m.challenger) };
    return {
      format: RUN_SUMMARY_FORMAT,
      formatVersion: 1,
      id: "",
      name: report.name,
      status: report.status,
      startedAt: report.startedAt,
      durationMs: report.durationMs,
      ...(report.trigger !== undefined ? { trigger: report.trigger } : {}),
      batches: { ...report.batches },
      rows: { ...report.rows },
      stageMs: { ...report.stageMs },
      prequential: { metric: report.prequential.metric, value: finiteOrNull(report.prequential.value) },
      metrics,
      series,
      promotions: report.promotions.map((p) => ({ ...p, score: finiteOrNull(p.score) })),
      promotionsTotal: report.promotionsTotal,
      driftAlarms: [...report.driftAlarms],
      driftAlarmsTotal: report.driftAlarmsTotal,
      decisions: this.decisions.result(),
      drift: this.drift.result(),
      quarantines: { byReason: { ...this.byReason }, events: [...this.quarantineEvents] },
      checkpoints: report.checkpoints.map((c) => ({ ...c })),
      championVersion: report.championVersion,
      span: this.first === null || this.last === null ? null : { first: this.first, last: this.last },
      recordsDropped,
      ...(report.restoredFrom ? { restoredFrom: { ...report.restoredFrom } } : {}),
      ...(memory ? { memory } : {}),
    };
  }
}

/**
 * Makes the compact {@link RunSummary} of a run's report: every tracked metric
 * batch by batch (downsampled, keeping extremes, promotions and alarms), drift scores per column, gate decisions, quarantines with
 * their reasons, and stage times. JSON-safe (non-finite numbers become null).
 * It sees the records the report kept (its newest `maxBatchRecords`); a
 * pipeline with a run history builds the summary as the run goes instead
 * ({@link RunSummaryBuilder}), so long runs keep their early batches.
 *
 * @example
 * ```ts
 * import { Pipeline, LinearRegression, summarizeRun } from "freshml";
 * const pipeline = new Pipeline({ trainer: new LinearRegression() });
 * const report = await pipeline.runBatches([{ X: [[0], [1], [2]], y: [1, 3, 5] }, { X: [[3], [4]], y: [7, 9] }]);
 * const summary = summarizeRun(report);
 * console.log(summary.batches.total, Object.keys(summary.series)); // 2 [ 'rmse' ]
 * ```
 */
export function summarizeRun(report: RunReport, options: SummarizeOptions = {}): RunSummary {
  const builder = new RunSummaryBuilder(Object.keys(report.series), options);
  const eventBatches = new Set<number>([...report.promotions.map((p) => p.batch), ...report.driftAlarms]);
  for (const [metric, s] of Object.entries(report.series)) {
    s.batch.forEach((batch, i) => builder.point(metric, { batch, champion: s.champion[i] ?? null, challenger: s.challenger[i] ?? null }, eventBatches.has(batch)));
  }
  for (const r of report.records) builder.fold(r);
  return builder.finish(report, report.recordsDropped);
}

/** What {@link RunHistory.list} returns per run: the head of a summary. */
export interface RunHead {
  /** The run's id. */
  id: string;
  /** The model name. */
  name: string;
  /** ISO start time. */
  startedAt: string;
  /** completed or aborted. */
  status: RunReport["status"];
  /** Batch counts. */
  batches: BatchCounts;
  /** The gate metric over the run. */
  prequential: PrequentialScore;
  /** Promotions in the run. */
  promotionsTotal: number;
  /** Alarms in the run. */
  driftAlarmsTotal: number;
  /** The champion at the end. */
  championVersion: number | null;
}

/** Options of {@link RunHistory.list}. */
export interface RunListOptions {
  /** At most this many runs (default 100). */
  limit?: number;
  /** Only runs older than this id (the last id of the previous page). */
  before?: string;
}

/** Options of a run history: how many runs per model name it keeps. */
export interface RunRetention {
  /** Runs kept per model name, the newest; older ones are deleted on `put`. Default 100. */
  keepRuns?: number;
}

/**
 * Where run summaries are kept, per model name, newest first, bounded by a
 * retention setting. Each built-in store keeps one beside its versions
 * (`store.runHistory()`): {@link MemoryRunHistory}, `FileRunHistory` from
 * `freshml/node` and `PostgresRunHistory` from `freshml/postgres`; a new one
 * passes `runHistoryChecks` from `freshml/testing`. Failures are {@link FreshmlError}s (`invalid_name`,
 * `not_found`, `checksum_mismatch`, `invalid_state`).
 *
 * @example
 * ```ts
 * import { MemoryModelStore, Pipeline, LinearRegression } from "freshml";
 * const store = new MemoryModelStore({ keepRuns: 10 });
 * const history = store.runHistory(); // each built-in store has one
 * const report = await new Pipeline({ trainer: new LinearRegression(), store, name: "load" }).runBatches([{ X: [[0], [1]], y: [0, 1] }]);
 * const [latest] = await history.list("load", { limit: 1 }); // latest.id === report.historyId
 * const summary = await history.get(report.historyId!);
 * ```
 */
export interface RunHistory {
  /** Stores a summary, assigns and returns its id (`"<name>:<sequence>"`), then applies retention. */
  put(summary: RunSummary): Promise<string>;
  /** Heads of the runs of `name`, newest first. */
  list(name: string, options?: RunListOptions): Promise<RunHead[]>;
  /** A run's summary by id; `not_found` if it does not exist (or was dropped by retention). */
  get(id: string): Promise<RunSummary>;
}

/**
 * Summarises a report ({@link summarizeRun}) and stores it in `history`;
 * returns the run's id: for a run recorded by hand (a pipeline records its
 * runs into its `history` option, by default its store's, by itself).
 *
 * @example
 * ```ts
 * import { MemoryRunHistory, Pipeline, LinearRegression, recordRun } from "freshml";
 * const history = new MemoryRunHistory();
 * const report = await new Pipeline({ trainer: new LinearRegression(), history: false }).runBatches([{ X: [[0], [1]], y: [0, 1] }]);
 * console.log(await recordRun(history, report)); // "model:1"
 * ```
 */
export async function recordRun(history: RunHistory, report: RunReport, options?: SummarizeOptions): Promise<string> {
  return history.put(summarizeRun(report, options));
}

/** Head of a summary. */
export function headOf(s: RunSummary): RunHead {
  return {
    id: s.id,
    name: s.name,
    startedAt: s.startedAt,
    status: s.status,
    batches: s.batches,
    prequential: s.prequential,
    promotionsTotal: s.promotionsTotal,
    driftAlarmsTotal: s.driftAlarmsTotal,
    championVersion: s.championVersion,
  };
}

/** Splits a run id into name and sequence; `not_found` for one no history could have made. */
export function parseRunId(id: unknown): { name: string; sequence: number } {
  const m = typeof id === "string" ? /^(.+):(\d{1,15})$/.exec(id) : null;
  if (!m || Number(m[2]) < 1) throw new FreshmlError("not_found", `no run ${JSON.stringify(id)}: a run id is "<name>:<sequence>"`, { observed: String(id) });
  return { name: checkName(m[1]), sequence: Number(m[2]) };
}

/** Checks a summary's shape before it is stored (`invalid_state` naming the field). */
export function checkSummary(s: unknown): RunSummary {
  const fail = (field: string): never => {
    throw new FreshmlError("invalid_state", `not a run summary: ${field} is missing or wrong (make one with summarizeRun)`, { field });
  };
  if (s === null || typeof s !== "object") fail("summary");
  const o = s as Record<string, unknown>;
  if (o.format !== RUN_SUMMARY_FORMAT) fail("format");
  if (o.formatVersion !== 1) fail("formatVersion");
  checkName(o.name);
  if (typeof o.startedAt !== "string") fail("startedAt");
  for (const f of ["batches", "rows", "stageMs", "prequential", "metrics", "series", "drift", "quarantines"]) if (o[f] === null || typeof o[f] !== "object") fail(f);
  for (const f of ["promotions", "driftAlarms", "decisions", "checkpoints"]) if (!Array.isArray(o[f])) fail(f);
  if (o.memory !== undefined) checkMemorySeries(o.memory);
  return s as RunSummary;
}

const memorySeriesCheck = /* @__PURE__ */ object({
  batch: array(count),
  served: array(str(1)),
  scores: record(array(nullable(finite))),
  points: count,
  switches: count,
  servedBatches: record(count),
});

/** Checks a summary's `memory` (`invalid_state` naming the field): the renderer indexes its arrays in step, so they must be. */
function checkMemorySeries(value: unknown): void {
  const m = readChecked(object({ memory: memorySeriesCheck }), { memory: value }, "not a run summary", "memory").memory;
  const fail = (field: string, why: string): never => {
    throw new FreshmlError("invalid_state", `not a run summary: memory.${field} ${why}`, { field: `memory.${field}` });
  };
  const n = m.batch.length;
  for (let i = 1; i < n; i++) if (m.batch[i]! <= m.batch[i - 1]!) fail(`batch[${i}]`, "must be ascending");
  if (m.served.length !== n) fail("served", `must hold one candidate per batch (${n}), holds ${m.served.length}`);
  for (const [label, values] of Object.entries(m.scores)) if (values.length !== n) fail(`scores[${JSON.stringify(label)}]`, `must hold one score per batch (${n}), holds ${values.length}`);
  m.served.forEach((label, i) => {
    if (!Object.hasOwn(m.scores, label)) fail(`served[${i}]`, `names ${JSON.stringify(label)}, not a candidate of scores`);
  });
  if (m.points < n) fail("points", `must count at least the ${n} kept batches`);
}

/** Reads `limit` and `before` of {@link RunListOptions}. */
export function listBounds(name: string, options: RunListOptions = {}): { limit: number; before: number } {
  const { limit = 100, before } = options;
  checkParam(Number.isInteger(limit) && limit >= 1, "limit", "an integer ≥ 1", limit);
  let b = Infinity;
  if (before !== undefined) {
    const p = parseRunId(before);
    if (p.name !== name) throw new FreshmlError("invalid_params", `before ${JSON.stringify(before)} is a run of another model than ${JSON.stringify(name)}`, { observed: before });
    b = p.sequence;
  }
  return { limit, before: b };
}

/** Reads `keepRuns`. */
export function keepRunsOf(retention: RunRetention = {}): number {
  const { keepRuns = 100 } = retention;
  checkParam(Number.isInteger(keepRuns) && keepRuns >= 1, "keepRuns", "an integer ≥ 1", keepRuns);
  return keepRuns;
}

/**
 * A {@link RunHistory} in memory (tests, browsers): summaries are stored as
 * JSON text, so a caller's later mutation changes nothing.
 *
 * @example
 * ```ts
 * import { MemoryRunHistory, Pipeline, LinearRegression, recordRun } from "freshml";
 * const history = new MemoryRunHistory({ keepRuns: 2 });
 * const pipeline = new Pipeline({ trainer: new LinearRegression() });
 * for (let k = 0; k < 3; k++) await recordRun(history, await pipeline.runBatches([{ X: [[k], [k + 1]], y: [k, k + 1] }]));
 * console.log((await history.list("model")).map((r) => r.id)); // [ 'model:3', 'model:2' ]
 * ```
 */
export class MemoryRunHistory implements RunHistory {
  private readonly runs: Map<string, Map<number, string>>;
  private readonly highest: Map<string, number>;
  private readonly keepRuns: number;

  /**
   * @param retention How many runs per model name to keep (default 100).
   * @param sharing Another history whose runs this one reads and writes (with its own retention), as a `MemoryModelStore`'s `runHistory(retention)` does.
   */
  constructor(retention: RunRetention = {}, sharing?: MemoryRunHistory) {
    this.keepRuns = keepRunsOf(retention);
    this.runs = sharing ? sharing.runs : new Map();
    this.highest = sharing ? sharing.highest : new Map();
  }

  /** {@inheritDoc RunHistory.put} */
  async put(summary: RunSummary): Promise<string> {
    const s = checkSummary(summary);
    const seq = (this.highest.get(s.name) ?? 0) + 1;
    this.highest.set(s.name, seq);
    const id = `${s.name}:${seq}`;
    let m = this.runs.get(s.name);
    if (!m) this.runs.set(s.name, (m = new Map()));
    m.set(seq, JSON.stringify({ ...s, id }));
    for (const k of m.keys()) {
      if (m.size <= this.keepRuns) break;
      m.delete(k);
    }
    return id;
  }

  /** {@inheritDoc RunHistory.list} */
  async list(name: string, options?: RunListOptions): Promise<RunHead[]> {
    checkName(name);
    const { limit, before } = listBounds(name, options);
    const m = this.runs.get(name);
    if (!m) return [];
    const seqs = [...m.keys()].filter((k) => k < before).sort((a, b) => b - a).slice(0, limit);
    return seqs.map((k) => headOf(JSON.parse(m.get(k)!) as RunSummary));
  }

  /** {@inheritDoc RunHistory.get} */
  async get(id: string): Promise<RunSummary> {
    const { name, sequence } = parseRunId(id);
    const text = this.runs.get(name)?.get(sequence);
    if (text === undefined) throw new FreshmlError("not_found", `no run ${id}${sequence <= (this.highest.get(name) ?? 0) ? " (dropped by retention)" : ""}`, { observed: id });
    return JSON.parse(text) as RunSummary;
  }

  /** Runs held, over every name (for tests of retention). */
  get size(): number {
    let n = 0;
    for (const m of this.runs.values()) n += m.size;
    return n;
  }
}
