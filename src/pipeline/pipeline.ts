import type { z } from "zod";
import { readBatch, type Batch } from "../core/batch.js";
import { FreshmlError, checkParam, isFreshmlError } from "../core/errors.js";
import { fingerprint } from "../core/fingerprint.js";
import { ADWIN } from "../drift/adwin.js";
import type { DriftDetector } from "../drift/detector.js";
import { restoreDetector } from "../drift/registry.js";
import { builtinTrainers, restoreTrainer, type TrainerRegistry } from "../learners/registry.js";
import { isClassifier, type Trainer } from "../learners/trainer.js";
import { MemoryModelStore } from "../store/memory-model-store.js";
import type { ModelStore } from "../store/model-store.js";
import { schemaValidator, type SchemaValidator } from "../validate/schema.js";
import { tableFromMatrix, type Table } from "../validate/table.js";
import { runValidators, type ValidationIssue, type Validator } from "../validate/validator.js";
import { Featurizer } from "./featurize.js";
import { decide, gateSettings, makeMetric, score, type GateDecision, type GateOptions } from "./gate.js";
import type { BatchRecord, IssueSummary, RunReport, StageTimes } from "./report.js";

/**
 * How the learning state follows the stream:
 * - `"incremental"`: learn each batch on top of the last: O(batch) per batch;
 * - `{ window: W }`: the model reflects only the last W accepted batches —
 *   exact `forget` where the trainer has it, otherwise rebuilt from the window;
 * - `"full"`: refit from scratch on every accepted batch so far: O(n) per batch,
 *   O(n²) per run; the honest baseline, and the way for trainers that cannot learn incrementally.
 */
export type RetrainPolicy = "incremental" | "full" | WindowPolicy;

/** The sliding-window policy. */
export interface WindowPolicy {
  /** Accepted batches the model reflects. */
  window: number;
}

/** What to do when the stream detector fires: report only, start learning afresh, or shrink the window to k batches. */
export type DriftReaction = "report" | "reset" | ShrinkWindow;

/** Shrink the window to the newest batches when the detector fires (with `incremental` or `full`, the same as "reset"). */
export interface ShrinkWindow {
  /** Batches kept. */
  shrinkWindowTo: number;
}

/** When to write to the store: on every promotion (default), after every batch or every k batches, or only at the end. A final checkpoint is always written. */
export type CheckpointCadence = "promotion" | "every-batch" | EveryKBatches | "end";

/** Save after every k-th batch of the stream. */
export interface EveryKBatches {
  /** k. */
  every: number;
}

/** An already numeric batch. */
export type NumericBatch = Batch;

/** A batch from the source: row objects (checked by the schema) or `{ X, y }`. */
export type SourceBatch = readonly unknown[] | NumericBatch;

/** Options of {@link Pipeline}. */
export interface PipelineOptions {
  /** The trainer whose parameters the pipeline learns with (it is cloned, never mutated). */
  trainer: Trainer;
  /** The model's name in the store. Default "model". */
  name?: string;
  /** zod object schema of a row; needed for batches of row objects. */
  schema?: z.ZodObject;
  /** Feature fields, in order (default: every schema field but the target). For numeric batches, the column names. */
  features?: readonly string[];
  /** The target field. Default "target". */
  target?: string;
  /** Quality and drift validators run on every batch after the schema. */
  validators?: readonly Validator[];
  /** Where versions go. Default a new MemoryModelStore. */
  store?: ModelStore;
  /** Promotion rules. */
  gate?: GateOptions;
  /** Retraining policy. Default "incremental". */
  policy?: RetrainPolicy;
  /** A quarantined batch lets the run continue (default) or throws `batch_quarantined` after it is recorded. */
  onQuarantine?: "continue" | "throw";
  /** A rejected challenger's batch: keep learning from it (default — it passed validation) or discard it. */
  onRejected?: "keep-learning" | "discard";
  /** Detector on the champion's per-row error (absolute error, or 0/1 for classifiers). Default ADWIN; null for none. */
  detector?: DriftDetector | null;
  /** Reaction to the detector. Default "report". */
  onDrift?: DriftReaction;
  /** Store write cadence. Default "promotion". */
  checkpoint?: CheckpointCadence;
  /** Restore trainers of these kinds from the store (default: the built-in ones). */
  registry?: TrainerRegistry;
  /**
   * Per-batch records (and promotions, alarms, checkpoints) kept in the report:
   * the newest this many, so memory stays bounded. Default 1,000. For an
   * unbounded stream, a small number (or 0) lets records die young, which keeps
   * the heap — and peak RSS — flat; `onEvent` sees every batch anyway.
   */
  maxBatchRecords?: number;
  /** Clock for stage timings, in ms. Default `performance.now`. */
  now?: () => number;
}

/** Progress after each batch. */
export interface Progress {
  /** Batches processed in this run. */
  batches: number;
  /** Rows processed in this run. */
  rows: number;
  /** Rows per second so far. */
  rowsPerSec: number;
  /** Batches in the source, when known (an array). */
  total?: number;
  /** Estimated time left, in ms, when the total is known. */
  etaMs?: number;
}

/** What the pipeline tells while it runs. */
export type PipelineEvent =
  | BatchValidatedEvent
  | BatchQuarantinedEvent
  | ModelPromotedEvent
  | ModelRejectedEvent
  | DriftDetectedEvent
  | CheckpointSavedEvent
  | RunFinishedEvent;

/** A batch passed validation (it may carry warnings). */
export interface BatchValidatedEvent {
  /** Discriminant. */
  type: "batch_validated";
  /** Position in the stream. */
  batch: number;
  /** Rows in it. */
  rows: number;
  /** Warnings reported. */
  warnings: number;
}

/** A batch failed validation and was not learned from. */
export interface BatchQuarantinedEvent {
  /** Discriminant. */
  type: "batch_quarantined";
  /** Position in the stream. */
  batch: number;
  /** Every reason. */
  issues: IssueSummary[];
}

/** A challenger became the champion. */
export interface ModelPromotedEvent {
  /** Discriminant. */
  type: "model_promoted";
  /** Position in the stream. */
  batch: number;
  /** Its gate score. */
  score: number;
}

/** A challenger was not promoted. */
export interface ModelRejectedEvent {
  /** Discriminant. */
  type: "model_rejected";
  /** Position in the stream. */
  batch: number;
  /** Why. */
  reasons: string[];
}

/** The stream detector fired on the champion's errors. */
export interface DriftDetectedEvent {
  /** Discriminant. */
  type: "drift_detected";
  /** Position in the stream. */
  batch: number;
  /** What the pipeline did about it. */
  reaction: string;
}

/** A version was written and aliases moved to it. */
export interface CheckpointSavedEvent {
  /** Discriminant. */
  type: "checkpoint_saved";
  /** The last batch it includes. */
  batch: number;
  /** The stored version. */
  version: number;
  /** Aliases moved to it ("champion", "checkpoint"). */
  aliases: string[];
}

/** The run ended (completed or aborted). */
export interface RunFinishedEvent {
  /** Discriminant. */
  type: "run_finished";
  /** Its report. */
  report: RunReport;
}

/** Options of {@link Pipeline.runBatches}. */
export interface RunOptions {
  /** Stops between stages; the report says where. */
  signal?: AbortSignal;
  /** Called after each batch. */
  onProgress?: (progress: Progress) => void;
  /** Called for every event. */
  onEvent?: (event: PipelineEvent) => void;
  /** Why this run happens (a scheduler's tick or trigger reason); recorded in the report. */
  trigger?: string;
}

type Part = { X: Float64Array; cols: number; y: Float64Array };

const TAG_POSITION = "freshml.position";
const TAG_DETECTOR = "freshml.detector";
const TAG_FINGERPRINT = "freshml.fingerprint";
const TAG_ROLE = "freshml.role";

/**
 * The retraining loop. For each batch of a stream: validate (schema, quality,
 * drift; a failing batch is quarantined with every reason and never learned
 * from) → featurise → the champion predicts the batch before learning from it
 * (prequential score; its errors feed a drift detector) → a challenger learns
 * the batch per the policy → the gate scores challenger, champion (and a
 * baseline) on the batch's held-out rows → a promoted challenger becomes the
 * champion and is saved as a new version with its lineage.
 *
 * One run at a time; a second concurrent `runBatches` gets `run_in_progress`.
 * A new Pipeline on a store that holds a checkpoint resumes from it, skipping
 * the batches it had already consumed. Memory is O(model + batch + window),
 * whatever the stream's length (the report keeps at most `maxBatchRecords`).
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { Pipeline, LinearRegression, qualityChecks, driftCheck } from "freshml";
 * const Row = z.object({ temp: z.number(), hour: z.number().int().min(0).max(23), load: z.number() });
 * const pipeline = new Pipeline({
 *   schema: Row, features: ["temp", "hour"], target: "load",
 *   validators: [qualityChecks({ maxMissingRate: 0 }), driftCheck()],
 *   trainer: new LinearRegression({ l2: 1e-3 }),
 *   gate: { metric: "rmse", tolerance: 0 },
 * });
 * const batches = [0, 1, 2].map((k) => Array.from({ length: 50 }, (_, i) => ({ temp: i % 30, hour: i % 24, load: 2 * (i % 30) + k })));
 * const report = await pipeline.runBatches(batches);
 * // report.batches: { total: 3, accepted: 3, quarantined: 0, skipped: 0 }
 * ```
 */
export class Pipeline {
  /** The model name in the store. */
  readonly name: string;
  private readonly o: Required<Pick<PipelineOptions, "policy" | "onQuarantine" | "onRejected" | "onDrift" | "checkpoint" | "maxBatchRecords">> &
    PipelineOptions;
  private readonly store: ModelStore;
  private readonly gate: ReturnType<typeof gateSettings>;
  private readonly rows: SchemaValidator | null;
  private readonly featurizer: Featurizer | null;
  private readonly now: () => number;
  private running = false;
  private started = false;
  // Learning state.
  private learner: Trainer;
  private champion: Trainer | null = null;
  private championVersion: number | null = null;
  private championDirty = false;
  private learnerSaved = true;
  private baseline: Trainer | null;
  private detector: DriftDetector | null;
  private window: Part[] = [];
  private position = 0;
  private savedPosition = 0;
  private batchesSinceSave = 0;
  private rowsSinceSave = 0;
  private fp = "0000000000000000";
  private resume: { version: number; position: number } | null = null;

  constructor(options: PipelineOptions) {
    if (!options || typeof options.trainer?.update !== "function") throw new FreshmlError("invalid_params", "Pipeline needs a trainer");
    const {
      policy = "incremental",
      onQuarantine = "continue",
      onRejected = "keep-learning",
      onDrift = "report",
      checkpoint = "promotion",
      maxBatchRecords = 1000,
    } = options;
    if (typeof policy === "object") checkParam(Number.isInteger(policy.window) && policy.window >= 1, "policy.window", "a positive integer", policy.window);
    else checkParam(policy === "incremental" || policy === "full", "policy", "incremental, full or { window }", policy);
    if (typeof checkpoint === "object") checkParam(Number.isInteger(checkpoint.every) && checkpoint.every >= 1, "checkpoint.every", "a positive integer", checkpoint.every);
    checkParam(Number.isInteger(maxBatchRecords) && maxBatchRecords >= 0, "maxBatchRecords", "an integer ≥ 0", maxBatchRecords);
    if (typeof onDrift === "object") checkParam(Number.isInteger(onDrift.shrinkWindowTo) && onDrift.shrinkWindowTo >= 1, "onDrift.shrinkWindowTo", "a positive integer", onDrift.shrinkWindowTo);
    this.o = { ...options, policy, onQuarantine, onRejected, onDrift, checkpoint, maxBatchRecords };
    this.name = options.name ?? "model";
    this.store = options.store ?? new MemoryModelStore();
    this.gate = gateSettings(options.gate ?? {}, options.trainer);
    this.now = options.now ?? (() => performance.now());
    this.learner = options.trainer.clone();
    this.baseline = this.gate.baseline ? this.gate.baseline.clone() : null;
    this.detector = options.detector === undefined ? new ADWIN() : options.detector;
    const target = options.target ?? "target";
    if (options.schema) {
      this.rows = schemaValidator(options.schema);
      const layout = this.rows.layout;
      const byName = new Map(layout.map((f) => [f.name, f]));
      const features = options.features ?? layout.map((f) => f.name).filter((n) => n !== target);
      for (const f of [...features, target]) {
        const spec = byName.get(f);
        if (!spec) throw new FreshmlError("invalid_params", `field ${f} is not a number, boolean, enum or string field of the schema`, { param: "features" });
        if (spec.kind === "string") throw new FreshmlError("invalid_params", `field ${f} is a free string; use z.enum([...]) so it can be one-hot encoded`);
      }
      this.featurizer = new Featurizer(features, target, (c) => {
        const s = byName.get(c)!;
        return s.kind === "enum" ? s.levels : null;
      });
    } else {
      this.rows = null;
      this.featurizer = null;
    }
  }

  /** The serving model (null before the first promotion). */
  get championModel(): Trainer | null {
    return this.champion;
  }

  /** The version of the serving model in the store (null if not saved yet). */
  get championStoreVersion(): number | null {
    return this.championVersion;
  }

  /**
   * Runs the loop over a stream of batches (an array, an Iterable or an
   * AsyncIterable; consumed one batch at a time, never collected).
   */
  async runBatches(source: Iterable<SourceBatch> | AsyncIterable<SourceBatch>, options: RunOptions = {}): Promise<RunReport> {
    if (this.running) throw new FreshmlError("run_in_progress", `pipeline ${this.name} is already running; one run at a time`);
    this.running = true;
    try {
      if (!this.started) {
        await this.restore();
        this.started = true;
      }
      return await this.run(source, options);
    } finally {
      this.running = false;
    }
  }

  private async restore(): Promise<void> {
    const registry = this.o.registry ?? builtinTrainers;
    const champion = await this.store.resolveAlias(this.name, "champion");
    if (champion === null) return;
    const rec = await this.store.get(this.name, champion);
    this.champion = restoreTrainer(rec.trainer, registry);
    this.championVersion = champion;
    const cp = await this.store.resolveAlias(this.name, "checkpoint");
    const state = cp !== null ? await this.store.get(this.name, cp) : rec;
    this.learner = cp !== null && cp !== champion ? restoreTrainer(state.trainer, registry) : this.champion.copy();
    this.position = Number(state.tags[TAG_POSITION] ?? 0);
    this.savedPosition = this.position;
    this.fp = state.tags[TAG_FINGERPRINT] ?? this.fp;
    if (this.detector && state.tags[TAG_DETECTOR]) this.detector = restoreDetector(JSON.parse(state.tags[TAG_DETECTOR]));
    this.resume = { version: cp ?? champion, position: this.position };
  }

  private async run(source: Iterable<SourceBatch> | AsyncIterable<SourceBatch>, options: RunOptions): Promise<RunReport> {
    const { signal, onProgress, onEvent, trigger } = options;
    const started = this.now();
    const stageMs: StageTimes = { validate: 0, featurize: 0, predict: 0, update: 0, gate: 0, save: 0 };
    const report: RunReport = {
      name: this.name,
      status: "completed",
      startedAt: new Date().toISOString(),
      durationMs: 0,
      batches: { total: 0, accepted: 0, quarantined: 0, skipped: 0 },
      rows: { seen: 0, learned: 0, heldOut: 0 },
      stageMs,
      prequential: { metric: this.gate.metric, value: null },
      promotions: [],
      promotionsTotal: 0,
      driftAlarms: [],
      driftAlarmsTotal: 0,
      checkpoints: [],
      championVersion: this.championVersion,
      records: [],
      recordsDropped: 0,
      ...(this.resume ? { resumedFrom: this.resume } : {}),
      ...(trigger !== undefined ? { trigger } : {}),
    };
    const emit = (e: PipelineEvent): void => onEvent?.(e);
    const total = Array.isArray(source) ? source.length : undefined;
    const prequential = makeMetric(this.gate.metric);
    let skip = this.resume?.position ?? 0;
    this.resume = null;
    let rowsThisRun = 0;
    let processed = 0;
    const bounded = <T>(list: T[], item: T): boolean => pushBounded(list, item, this.o.maxBatchRecords);
    const record = (r: BatchRecord): void => {
      if (bounded(report.records, r)) report.recordsDropped++;
    };
    // A batch that fails validation: recorded with every reason, never learned from.
    const quarantine = async (index: number, rows: number, issues: IssueSummary[]): Promise<void> => {
      this.position++;
      report.batches.quarantined++;
      record({ batch: index, status: "quarantined", rows, prequential: null, issues });
      emit({ type: "batch_quarantined", batch: index, issues });
      if (this.o.onQuarantine !== "throw") return;
      // Save what was learned before stopping, so a restart resumes after this batch.
      await this.save(index, report, emit);
      report.championVersion = this.championVersion;
      report.durationMs = this.now() - started;
      throw new FreshmlError("batch_quarantined", `batch ${index} failed validation: ${issues.map((i) => i.message).join("; ")}`, {
        batch: index,
        report,
      });
    };
    const stopped = (stage: keyof StageTimes | "between batches"): boolean => {
      if (!signal?.aborted) return false;
      report.status = "aborted";
      report.stoppedAt = { batch: this.position, stage };
      return true;
    };

    for await (const batch of source as AsyncIterable<SourceBatch>) {
      if (skip > 0) {
        skip--;
        report.batches.skipped++;
        continue;
      }
      if (stopped("between batches")) break;
      const index = this.position;
      report.batches.total++;
      // 1. validate
      let t = this.now();
      const checked = this.check(batch, index);
      stageMs.validate += this.now() - t;
      if (!checked.ok) {
        await quarantine(index, checked.rows, checked.issues);
        continue;
      }
      if (stopped("featurize")) break;
      // 2. featurise
      t = this.now();
      let part: Part;
      try {
        part = checked.features ?? this.featurize(checked.table!);
      } catch (err) {
        stageMs.featurize += this.now() - t;
        if (!isFreshmlError(err)) throw err;
        await quarantine(index, checked.rows, [{ code: err.code, severity: "error", message: err.message }]);
        continue;
      }
      stageMs.featurize += this.now() - t;
      emit({ type: "batch_validated", batch: index, rows: checked.rows, warnings: checked.issues.length });
      const n = part.y.length;
      if (stopped("predict")) break;
      // 3. test, then train: the champion predicts the batch before anyone learns it.
      t = this.now();
      let preq: number | null = null;
      let detectorDrift = false;
      // Kept for the gate: the champion's held-out score is read from these, not predicted again.
      let championPred: Float64Array | null = null;
      if (this.champion && this.champion.nSeen > 0) {
        const pred = this.champion.predict({ X: part.X, cols: part.cols });
        championPred = pred;
        const m = makeMetric(this.gate.metric);
        m.update(part.y, pred);
        prequential.merge(m);
        preq = m.get();
        if (this.detector) {
          const cls = isClassifier(this.champion);
          for (let i = 0; i < n; i++) {
            this.detector.update(cls ? (pred[i] === part.y[i] ? 0 : 1) : Math.abs(pred[i]! - part.y[i]!));
            if (this.detector.driftDetected) detectorDrift = true;
          }
        }
      }
      stageMs.predict += this.now() - t;
      if (detectorDrift) {
        bounded(report.driftAlarms, index);
        report.driftAlarmsTotal++;
        const reaction = this.react();
        emit({ type: "drift_detected", batch: index, reaction });
      }
      if (stopped("update")) break;
      // 4. a challenger learns the batch's training rows (the last holdoutFraction are held out for the gate).
      t = this.now();
      const hold = n >= 2 ? Math.max(1, Math.floor(n * this.gate.holdoutFraction)) : 0;
      const train = slice(part, 0, n - hold);
      const holdout = slice(part, n - hold, n);
      // A trainer that cannot learn or predict this batch (singular, diverged) yields a rejected challenger, not a crash.
      let challenger: Trainer | null = null;
      let failure: string | null = null;
      try {
        challenger = this.challengerFor(train);
        this.baseline?.update({ X: train.X, cols: train.cols, y: train.y });
      } catch (err) {
        if (!isFreshmlError(err)) throw err;
        failure = `the challenger could not learn the batch: ${err.message}`;
      }
      stageMs.update += this.now() - t;
      // 5. gate
      t = this.now();
      const s = this.gate.metric;
      let decision: GateDecision;
      try {
        if (failure !== null || !challenger) throw new FreshmlError("diverged", failure ?? "no challenger");
        decision = decide(
          this.gate,
          hold > 0 ? score(s, challenger, holdout.X, holdout.cols, holdout.y) : NaN,
          this.champion && hold > 0 ? championScore(s, this.champion, championPred, holdout, n - hold) : null,
          this.baseline && hold > 0 ? score(s, this.baseline, holdout.X, holdout.cols, holdout.y) : null,
          hold,
        );
      } catch (err) {
        if (!isFreshmlError(err)) throw err;
        decision = { metric: s, promoted: false, challenger: NaN, champion: null, baseline: null, reasons: [failure ?? `scoring failed: ${err.message}`], holdoutRows: hold };
        if (failure !== null) challenger = null;
      }
      stageMs.gate += this.now() - t;
      if (decision.promoted && challenger) {
        this.champion = challenger;
        this.championDirty = true;
        this.learner = challenger;
        this.commitWindow();
        bounded(report.promotions, { batch: index, version: null, score: decision.challenger });
        report.promotionsTotal++;
        emit({ type: "model_promoted", batch: index, score: decision.challenger });
      } else {
        if (this.o.onRejected === "keep-learning" && challenger) {
          this.learner = challenger;
          this.commitWindow();
        } else this.pendingWindow = null;
        emit({ type: "model_rejected", batch: index, reasons: decision.reasons });
      }
      this.learnerSaved = false;
      if (checked.table) for (const v of this.o.validators ?? []) v.accept?.(checked.table);
      this.fp = fingerprint(part.y, fingerprint(part.X, this.fp));
      this.position++;
      this.batchesSinceSave++;
      this.rowsSinceSave += n;
      report.batches.accepted++;
      report.rows.seen += n;
      report.rows.learned += n - hold;
      report.rows.heldOut += hold;
      const rec: BatchRecord = {
        batch: index,
        status: "accepted",
        rows: n,
        prequential: preq,
        decision,
        detectorDrift,
        issues: checked.issues,
        ...(checked.drift ? { drift: checked.drift } : {}),
      };
      // 6. save, at the configured cadence
      const c = this.o.checkpoint;
      const due = (c === "promotion" && decision.promoted) || c === "every-batch" || (typeof c === "object" && (index + 1) % c.every === 0);
      if (due) {
        t = this.now();
        const saved = await this.save(index, report, emit);
        if (saved !== null) rec.savedVersion = saved;
        if (decision.promoted) report.promotions[report.promotions.length - 1]!.version = this.championVersion;
        stageMs.save += this.now() - t;
      }
      record(rec);
      processed++;
      rowsThisRun += n;
      if (onProgress) {
        const elapsed = this.now() - started;
        const p = { batches: processed + report.batches.quarantined, rows: rowsThisRun, rowsPerSec: elapsed > 0 ? (rowsThisRun / elapsed) * 1000 : 0 };
        onProgress(total === undefined ? p : { ...p, total, etaMs: (elapsed / report.batches.total) * Math.max(0, total - report.batches.total - report.batches.skipped) });
      }
    }
    // A final checkpoint, so a new Pipeline on this store resumes exactly here.
    const t = this.now();
    await this.save(this.position - 1, report, emit);
    stageMs.save += this.now() - t;
    report.prequential.value = prequential.count > 0 ? prequential.get() : null;
    report.championVersion = this.championVersion;
    report.durationMs = this.now() - started;
    emit({ type: "run_finished", report });
    return report;
  }

  /** Validates one batch: schema (row objects) or shape (numeric), then the validators. */
  private check(batch: SourceBatch, index: number): {
    ok: boolean;
    rows: number;
    issues: IssueSummary[];
    table?: Table;
    features?: Part;
    drift?: BatchRecord["drift"];
  } {
    let table: Table;
    let features: Part | undefined;
    if (Array.isArray(batch)) {
      if (!this.rows) {
        return { ok: false, rows: batch.length, issues: [{ code: "schema", severity: "error", message: "a batch of row objects needs the pipeline's schema" }] };
      }
      const r = this.rows.check(batch);
      if (!r.ok) {
        const issues = r.issues.map(summarize);
        if (r.issuesOmitted) issues.push({ code: "schema", severity: "error", message: `${r.issuesOmitted} more schema issues` });
        return { ok: false, rows: batch.length, issues };
      }
      table = r.table!;
    } else {
      let b;
      try {
        b = readBatch(batch as Batch, this.learner.nFeatures ?? this.champion?.nFeatures);
      } catch (err) {
        if (!isFreshmlError(err)) throw err;
        const rows = Array.isArray((batch as Batch)?.X) ? ((batch as Batch).X as unknown[]).length : 0;
        return { ok: false, rows, issues: [{ code: err.code, severity: "error", message: err.message }] };
      }
      const y = b.y instanceof Float64Array ? b.y : Float64Array.from(b.y);
      features = { X: b.X, cols: b.cols, y };
      // Without validators there is nothing to read a table: skip laying it out.
      if (!this.o.validators?.length) return { ok: true, rows: b.rows, issues: [], features };
      const names = this.o.features && this.o.features.length === b.cols ? this.o.features : Array.from({ length: b.cols }, (_, j) => `x${j}`);
      table = tableFromMatrix(b.X, names, { values: y, name: this.o.target ?? "target", categorical: isClassifier(this.o.trainer) });
    }
    const result = runValidators(this.o.validators ?? [], table, { batchIndex: index });
    const issues = result.issues.map(summarize);
    return {
      ok: result.ok,
      rows: table.rows,
      issues,
      table,
      ...(features ? { features } : {}),
      ...(result.drift ? { drift: result.drift.columns } : {}),
    };
  }

  private featurize(table: Table): Part {
    const f = this.featurizer!.transform(table);
    // The learner would reject NaN too; checking here quarantines the batch instead.
    readBatch({ X: f.X, cols: f.cols, y: f.y });
    return f;
  }

  /** The challenger: a copy of the learning state that has learned `train`, per the policy. */
  private challengerFor(train: Part): Trainer {
    const policy = this.o.policy;
    const batch = { X: train.X, cols: train.cols, y: train.y };
    if (policy === "incremental") {
      const c = this.learner.copy();
      if (train.y.length > 0) c.update(batch);
      return c;
    }
    // Own copies: the caller may reuse its batch buffers.
    const window = [...this.window, { X: train.X.slice(), cols: train.cols, y: train.y.slice() }];
    const limit = policy === "full" ? Infinity : policy.window;
    while (window.length > limit) window.shift();
    let c: Trainer;
    if (policy !== "full" && typeof this.learner.forget === "function" && this.window.length > 0) {
      c = this.learner.copy();
      c.update(batch);
      // Exactly forget what slid out of the window.
      for (const old of this.window.slice(0, this.window.length + 1 - window.length)) c.forget!({ X: old.X, cols: old.cols, y: old.y });
    } else {
      c = this.o.trainer.clone();
      for (const p of window) if (p.y.length > 0) c.update({ X: p.X, cols: p.cols, y: p.y });
    }
    this.pendingWindow = window;
    return c;
  }

  // The window the challenger learned; it becomes the window if the learner moves on to the challenger.
  private pendingWindow: Part[] | null = null;

  private commitWindow(): void {
    if (this.pendingWindow) this.window = this.pendingWindow;
    this.pendingWindow = null;
  }

  /** Reaction to the stream detector. Returns a label for the event. */
  private react(): string {
    const r = this.o.onDrift;
    if (r === "report") return "report";
    if (r === "reset" || this.o.policy === "incremental" || this.o.policy === "full") {
      this.learner = this.o.trainer.clone();
      this.window = [];
      return "reset";
    }
    const keep = this.window.slice(-r.shrinkWindowTo);
    const c = this.o.trainer.clone();
    for (const p of keep) if (p.y.length > 0) c.update({ X: p.X, cols: p.cols, y: p.y });
    this.learner = c;
    this.window = keep;
    return `shrink window to ${r.shrinkWindowTo}`;
  }

  /** Writes what changed: the champion (moving "champion"), and the learning state (moving "checkpoint"). */
  private async save(index: number, report: RunReport, emit: (e: PipelineEvent) => void): Promise<number | null> {
    let last: number | null = null;
    const tags = (role: string): Record<string, string> => ({
      [TAG_POSITION]: String(this.position),
      [TAG_FINGERPRINT]: this.fp,
      [TAG_ROLE]: role,
      ...(this.detector ? { [TAG_DETECTOR]: JSON.stringify(this.detector.toJSON()) } : {}),
    });
    const data = { batches: this.batchesSinceSave, rows: this.rowsSinceSave, fingerprint: this.fp };
    let championSavedNow = false;
    if (this.champion && this.championDirty) {
      const version = await this.store.put({
        name: this.name,
        parent: this.championVersion,
        trainer: this.champion.toJSON(),
        metrics: lastDecisionMetrics(report, this.gate.metric),
        data,
        tags: tags("champion"),
      });
      await this.store.setAlias(this.name, "champion", version);
      this.championVersion = version;
      this.championDirty = false;
      championSavedNow = true;
      last = version;
      pushBounded(report.checkpoints, { batch: index, version, aliases: ["champion"] }, this.o.maxBatchRecords);
      emit({ type: "checkpoint_saved", batch: index, version, aliases: ["champion"] });
    }
    // The checkpoint records the learning state and the stream position; a new one is
    // needed when either moved (a quarantined batch moves only the position).
    if (this.championVersion !== null && (!this.learnerSaved || this.position !== this.savedPosition)) {
      let version = this.championVersion;
      if (this.learner !== this.champion || !championSavedNow) {
        version = await this.store.put({ name: this.name, parent: this.championVersion, trainer: this.learner.toJSON(), data, tags: tags("checkpoint") });
        pushBounded(report.checkpoints, { batch: index, version, aliases: ["checkpoint"] }, this.o.maxBatchRecords);
        emit({ type: "checkpoint_saved", batch: index, version, aliases: ["checkpoint"] });
        last = version;
      }
      await this.store.setAlias(this.name, "checkpoint", version);
      this.learnerSaved = true;
      this.savedPosition = this.position;
    }
    if (last !== null) {
      this.batchesSinceSave = 0;
      this.rowsSinceSave = 0;
    }
    return last;
  }
}

/** The champion's score on the held-out rows, from its prequential predictions when it made them (rows predict independently). */
function championScore(metric: GateDecision["metric"], champion: Trainer, pred: Float64Array | null, holdout: Part, from: number): number {
  if (!pred) return score(metric, champion, holdout.X, holdout.cols, holdout.y);
  const m = makeMetric(metric);
  m.update(holdout.y, pred.subarray(from, from + holdout.y.length));
  return m.get();
}

/** Appends, keeping the newest `limit` items; true when one was dropped. */
function pushBounded<T>(list: T[], item: T, limit: number): boolean {
  list.push(item);
  if (list.length <= limit) return false;
  list.shift();
  return true;
}

function slice(p: Part, from: number, to: number): Part {
  return { X: p.X.subarray(from * p.cols, to * p.cols), cols: p.cols, y: p.y.subarray(from, to) };
}

function summarize(i: ValidationIssue): IssueSummary {
  return { code: i.code, severity: i.severity, ...(i.column !== undefined ? { column: i.column } : {}), message: i.message };
}

function lastDecisionMetrics(report: RunReport, metric: string): Record<string, number> {
  const last = report.promotions[report.promotions.length - 1];
  return last && Number.isFinite(last.score) ? { [metric]: last.score } : {};
}
