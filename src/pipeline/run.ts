import { RunSummaryBuilder } from "../history/run-history.js";
import type { Metric } from "../metrics/metric.js";
import type { IssueGroup } from "../validate/validator.js";
import type { GateDecision, GateMetric } from "./gate.js";
import type { PipelineEvent, Progress, RunOptions } from "./pipeline.js";
import type { BatchRecord, BatchScores, IssueSummary, RunReport, StageTimes } from "./report.js";

/** Per-run bookkeeping: the report, events, stage times, progress. */
export class Run {
  readonly report: RunReport;
  lastDecision: GateDecision | null = null;
  private readonly started: number;
  private readonly totals: Record<string, { champion: Metric | null; challenger: Metric | null }> = {};
  private rowsThisRun = 0;
  private processed = 0;

  private readonly now: () => number;
  private readonly limit: number;
  private readonly gateMetric: GateMetric;
  private readonly tracked: readonly GateMetric[];
  private pendingSeries: BatchScores = {};
  /** The run's summary, built batch by batch (when the pipeline keeps a run history): it sees every batch, not only the report's newest records. */
  readonly summary: RunSummaryBuilder | null;

  constructor(
    setup: { name: string; now: () => number; metric: GateMetric; tracked: readonly GateMetric[]; maxRecords: number; championVersion: number | null; summarize?: boolean },
    private readonly options: RunOptions,
    private readonly total: number | undefined,
  ) {
    this.now = setup.now;
    this.limit = setup.maxRecords;
    this.gateMetric = setup.metric;
    this.tracked = setup.tracked;
    this.started = this.now();
    this.summary = setup.summarize ? new RunSummaryBuilder(setup.tracked) : null;
    this.report = {
      name: setup.name,
      status: "completed",
      startedAt: new Date().toISOString(),
      durationMs: 0,
      batches: { total: 0, accepted: 0, quarantined: 0, skipped: 0 },
      rows: { seen: 0, learned: 0, dropped: 0, quarantined: 0 },
      stageMs: { validate: 0, featurize: 0, test: 0, gate: 0, learn: 0, save: 0 },
      prequential: { metric: setup.metric, value: null },
      metrics: {},
      series: {},
      promotions: [],
      promotionsTotal: 0,
      driftAlarms: [],
      driftAlarmsTotal: 0,
      checkpoints: [],
      skipped: [],
      championVersion: setup.championVersion,
      records: [],
      recordsDropped: 0,
      ...(options.trigger !== undefined ? { trigger: options.trigger } : {}),
    };
    for (const m of setup.tracked) this.report.series[m] = { batch: [], champion: [], challenger: [] };
  }

  emit(e: PipelineEvent): void {
    this.options.onEvent?.(e);
  }

  time<T>(stage: keyof StageTimes, f: () => T): T {
    const t = this.now();
    try {
      return f();
    } finally {
      this.report.stageMs[stage] += this.now() - t;
    }
  }

  async timed<T>(stage: keyof StageTimes, f: () => Promise<T>): Promise<T> {
    const t = this.now();
    try {
      return await f();
    } finally {
      this.report.stageMs[stage] += this.now() - t;
    }
  }

  stopped(stage: keyof StageTimes | "between batches", batch: number): boolean {
    if (!this.options.signal?.aborted) return false;
    if (this.report.status !== "aborted") {
      this.report.status = "aborted";
      this.report.stoppedAt = { batch, stage };
    }
    return true;
  }

  /** Records a model's tracked metrics on a batch and folds them into the run's totals (the instances are not changed). */
  scored(role: "champion" | "challenger", metrics: readonly Metric[]): Record<string, number> {
    const out: Record<string, number> = {};
    metrics.forEach((m, k) => {
      const name = this.tracked[k]!;
      out[name] = m.get();
      const t = (this.totals[name] ??= { champion: null, challenger: null });
      t[role] ??= m.clone();
      t[role]!.merge(m);
    });
    this.pendingSeries[role] = out;
    return out;
  }

  skip(item: number, id: string | undefined, reason: "replayed" | "redelivered"): void {
    this.report.batches.skipped++;
    this.bounded(this.report.skipped, { item, ...(id !== undefined ? { id } : {}), reason });
    this.emit({ type: "batch_skipped", item, ...(id !== undefined ? { id } : {}), reason });
  }

  alarm(batch: number): void {
    this.bounded(this.report.driftAlarms, batch);
    this.report.driftAlarmsTotal++;
  }

  promoted(batch: number, decision: GateDecision): void {
    this.lastDecision = decision;
    this.bounded(this.report.promotions, { batch, version: null, score: decision.challenger });
    this.report.promotionsTotal++;
    this.emit({ type: "model_promoted", batch, decision });
  }

  saved(batch: number, version: number | null, kind: "champion" | "checkpoint"): void {
    this.bounded(this.report.checkpoints, { batch, version, kind });
    if (kind === "champion") {
      const last = this.report.promotions[this.report.promotions.length - 1];
      if (last && last.version === null) last.version = version;
    }
    this.emit({ type: "checkpoint_saved", batch, version, kind });
  }

  accepted(rows: number, learned: number): void {
    this.report.batches.total++;
    this.report.batches.accepted++;
    this.report.rows.seen += rows;
    this.report.rows.learned += learned;
    this.report.rows.dropped += rows - learned;
  }

  quarantined(batch: number, id: string | undefined, rows: number, issues: IssueSummary[], groups?: IssueGroup[]): void {
    this.report.batches.total++;
    this.report.batches.quarantined++;
    this.report.rows.quarantined += rows;
    this.pendingSeries = {};
    this.record({ batch, ...(id !== undefined ? { id } : {}), status: "quarantined", rows, issues, ...(groups ? { issueGroups: groups } : {}) });
    this.emit({ type: "batch_quarantined", batch, issues });
    this.progress(rows);
  }

  record(r: BatchRecord): void {
    if (this.bounded(this.report.records, r)) this.report.recordsDropped++;
    this.summary?.add(r);
    if (r.status === "accepted") {
      for (const m of this.tracked) {
        const s = this.report.series[m]!;
        s.batch.push(r.batch);
        s.champion.push(this.pendingSeries.champion?.[m] ?? null);
        s.challenger.push(this.pendingSeries.challenger?.[m] ?? null);
        if (s.batch.length > this.limit) {
          s.batch.shift();
          s.champion.shift();
          s.challenger.shift();
        }
      }
    }
    this.pendingSeries = {};
  }

  progress(rows: number): void {
    this.processed++;
    this.rowsThisRun += rows;
    const onProgress = this.options.onProgress;
    if (!onProgress) return;
    const elapsed = this.now() - this.started;
    const p: Progress = { batches: this.processed, rows: this.rowsThisRun, rowsPerSec: elapsed > 0 ? (this.rowsThisRun / elapsed) * 1000 : 0 };
    if (this.total === undefined) onProgress(p);
    else {
      const done = this.processed + this.report.batches.skipped;
      onProgress({ ...p, total: this.total, etaMs: (elapsed / done) * Math.max(0, this.total - done) });
    }
  }

  finish(championVersion: number | null, emit = true): RunReport {
    for (const [name, t] of Object.entries(this.totals)) {
      this.report.metrics[name] = { champion: valueOf(t.champion), challenger: valueOf(t.challenger) };
    }
    this.report.prequential.value = this.report.metrics[this.gateMetric]?.champion ?? null;
    this.report.championVersion = championVersion;
    this.report.durationMs = this.now() - this.started;
    if (emit) this.emit({ type: "run_finished", report: this.report });
    return this.report;
  }

  /** Appends, keeping the newest `limit` items; true when one was dropped. */
  private bounded<T>(list: T[], item: T): boolean {
    list.push(item);
    if (list.length <= this.limit) return false;
    list.shift();
    return true;
  }
}

function valueOf(m: Metric | null): number | null {
  if (!m || m.count === 0) return null;
  const v = m.get();
  return Number.isFinite(v) ? v : null;
}

