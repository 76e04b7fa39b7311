import { FreshmlError, checkParam } from "../core/errors.js";
import { checkName } from "../store/model-store.js";
import type { GateMetric } from "../pipeline/gate.js";
import type { BatchCounts, Checkpoint, PrequentialScore, Promotion, RestorePoint, RowCounts, RunMetric, RunReport, StageTimes } from "../pipeline/report.js";

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
  /** Quarantined batches by issue code (over the kept records). */
  byReason: Record<string, number>;
  /** The events, in order. */
  events: QuarantineEvent[];
}

/**
 * A compact, JSON-safe digest of a {@link RunReport}: what the report and the
 * run history keep. Long series are downsampled to a bound that keeps each
 * bucket's extremes and every event batch (promotions, alarms).
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
  /** Gate decisions: every promotion, and the others downsampled. */
  decisions: DecisionPoint[];
  /** Drift scores per column and batch. */
  drift: DriftMatrix;
  /** Quarantines with their reasons. */
  quarantines: QuarantineSummary;
  /** Versions and checkpoints written. */
  checkpoints: Checkpoint[];
  /** The champion version serving at the end. */
  championVersion: number | null;
  /** First and last batch of the kept records (null: none). */
  span: BatchSpan | null;
  /** Per-batch records the report had already dropped to bound memory. */
  recordsDropped: number;
  /** Where the run's state came from, when it was restored (`from: "champion"`: the alias had moved — a rollback). */
  restoredFrom?: RestorePoint;
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

/**
 * Makes the compact {@link RunSummary} of a run's report: every tracked metric
 * batch by batch (downsampled, keeping extremes, promotions and alarms), drift scores per column, gate decisions, quarantines with
 * their reasons, and stage times. JSON-safe (non-finite numbers become null).
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
  const { maxPoints = 600, maxEvents = 500 } = options;
  checkParam(Number.isInteger(maxPoints) && maxPoints >= 10, "maxPoints", "an integer ≥ 10", maxPoints);
  checkParam(Number.isInteger(maxEvents) && maxEvents >= 0, "maxEvents", "an integer ≥ 0", maxEvents);
  const eventBatches = new Set<number>([...report.promotions.map((p) => p.batch), ...report.driftAlarms]);

  const series: Record<string, SummarySeries> = {};
  for (const [metric, s] of Object.entries(report.series)) {
    const champion = s.champion.map(finiteOrNull);
    const challenger = s.challenger.map(finiteOrNull);
    const events = new Set<number>();
    s.batch.forEach((b, i) => eventBatches.has(b) && events.add(i));
    const idx = downsampleIndices(s.batch.length, [champion, challenger], maxPoints, events);
    series[metric] = { batch: idx.map((i) => s.batch[i]!), champion: idx.map((i) => champion[i]!), challenger: idx.map((i) => challenger[i]!), points: s.batch.length };
  }

  // Decisions: every promotion, the rest spread evenly.
  const all: DecisionPoint[] = [];
  for (const r of report.records) {
    if (r.status !== "accepted" || !r.decision) continue;
    const d = r.decision;
    all.push({
      batch: r.batch,
      mode: d.mode,
      promoted: d.promoted,
      challenger: finiteOrNull(d.challenger),
      champion: finiteOrNull(d.champion),
      baseline: finiteOrNull(d.baseline),
      statistic: finiteOrNull(d.statistic),
      rows: d.rows,
      reason: d.reasons[0] ?? "",
    });
  }
  const rejected = all.filter((d) => !d.promoted);
  const stride = rejected.length > maxEvents ? rejected.length / Math.max(1, maxEvents) : 1;
  const keptRejected = new Set<DecisionPoint>();
  if (maxEvents > 0) for (let k = 0; k < rejected.length; k += stride) keptRejected.add(rejected[Math.floor(k)]!);
  const decisions = all.filter((d) => d.promoted || keptRejected.has(d));

  // Drift matrix: column × batch, bucketed by the largest score.
  const columns: string[] = [];
  const tests: string[] = [];
  const colIndex = new Map<string, number>();
  const driftRecords: Array<{ batch: number; drift: NonNullable<Extract<RunReport["records"][number], { status: "accepted" }>["drift"]> }> = [];
  for (const r of report.records) {
    if (r.status !== "accepted" || !r.drift || r.drift.length === 0) continue;
    driftRecords.push({ batch: r.batch, drift: r.drift });
    for (const c of r.drift) {
      if (!colIndex.has(c.column)) {
        colIndex.set(c.column, columns.length);
        columns.push(c.column);
        tests.push(c.test);
      }
    }
  }
  const buckets = Math.min(driftRecords.length, maxPoints);
  const per = driftRecords.length / Math.max(1, buckets);
  const drift: DriftMatrix = {
    columns,
    tests,
    batch: [],
    scores: columns.map(() => new Array<number | null>(buckets).fill(null)),
    drifted: columns.map(() => new Array<boolean>(buckets).fill(false)),
  };
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * per);
    const hi = Math.max(lo + 1, Math.floor((b + 1) * per));
    drift.batch.push(driftRecords[lo]!.batch);
    for (let i = lo; i < hi && i < driftRecords.length; i++) {
      for (const c of driftRecords[i]!.drift) {
        const ci = colIndex.get(c.column)!;
        const v = finiteOrNull(c.score);
        const cur = drift.scores[ci]![b]!;
        if (v !== null && (cur === null || v > cur)) drift.scores[ci]![b] = v;
        if (c.drifted) drift.drifted[ci]![b] = true;
      }
    }
  }

  const byReason: Record<string, number> = {};
  const events: QuarantineEvent[] = [];
  for (const r of report.records) {
    if (r.status !== "quarantined") continue;
    const reasons = [...new Set(r.issues.map((i) => i.code))];
    for (const c of reasons) byReason[c] = (byReason[c] ?? 0) + 1;
    events.push({ batch: r.batch, rows: r.rows, reasons, example: (r.issues[0]?.message ?? "").slice(0, 300) });
  }

  const first = report.records[0]?.batch;
  const last = report.records[report.records.length - 1]?.batch;
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
    decisions,
    drift,
    quarantines: { byReason, events: events.slice(-Math.max(0, maxEvents)) },
    checkpoints: report.checkpoints.map((c) => ({ ...c })),
    championVersion: report.championVersion,
    span: first === undefined || last === undefined ? null : { first, last },
    recordsDropped: report.recordsDropped,
    ...(report.restoredFrom ? { restoredFrom: { ...report.restoredFrom } } : {}),
  };
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
 * retention setting. Implementations: {@link MemoryRunHistory} and
 * `FileRunHistory` from `freshml/node`; a new one passes `runHistoryChecks`
 * from `freshml/testing`. Failures are {@link FreshmlError}s (`invalid_name`,
 * `not_found`, `checksum_mismatch`, `invalid_state`).
 *
 * @example
 * ```ts
 * import { MemoryRunHistory, Pipeline, LinearRegression, recordRun } from "freshml";
 * const history = new MemoryRunHistory({ keepRuns: 10 });
 * const report = await new Pipeline({ trainer: new LinearRegression(), name: "load" }).runBatches([{ X: [[0], [1]], y: [0, 1] }]);
 * const id = await recordRun(history, report);
 * const [latest] = await history.list("load", { limit: 1 }); // latest.id === id
 * const summary = await history.get(id);
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
 * returns the run's id. The pipeline will call this for you once it has a
 * `history` option.
 *
 * @example
 * ```ts
 * import { MemoryRunHistory, Pipeline, LinearRegression, recordRun } from "freshml";
 * const history = new MemoryRunHistory();
 * const report = await new Pipeline({ trainer: new LinearRegression() }).runBatches([{ X: [[0], [1]], y: [0, 1] }]);
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
  return s as RunSummary;
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
  private readonly runs = new Map<string, Map<number, string>>();
  private readonly highest = new Map<string, number>();
  private readonly keepRuns: number;

  /** @param retention How many runs per model name to keep (default 100). */
  constructor(retention: RunRetention = {}) {
    this.keepRuns = keepRunsOf(retention);
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
