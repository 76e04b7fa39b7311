import type * as z from "zod";
import { checkBatch, sliceCheckedBatch, type Batch, type CheckedBatch } from "../core/batch.js";
import { FreshmlError, checkParam, isFreshmlError } from "../core/errors.js";
import { ADWIN } from "../drift/adwin.js";
import type { DriftDetector } from "../drift/detector.js";
import { restoreDetector } from "../drift/registry.js";
import type { HostAbortSignal } from "../core/abort.js";
import { DETECTOR_VALUE_LIMIT } from "../drift/common.js";
import { ownTrainers, type TrainerRegistry } from "../learners/restore.js";
import { isClassifier, type Trainer } from "../learners/trainer.js";
import type { Metric } from "../metrics/metric.js";
import { metricNames, metricTask } from "../metrics/registry.js";
import { Featurizer, type Featurized, type FeaturizerOptions, type FieldJSON } from "../preprocessing/featurizer.js";
import { acceptUnseenLevels, featureField } from "../preprocessing/schema-features.js";
import { autoSettings, isAutoPolicy } from "./auto.js";
import { summarizeRun, type RunHistory } from "../history/run-history.js";
import { MagnitudeGuard, sanitySettings, type BatchMagnitudes, type ImplausibleValue, type SanityOptions } from "./sanity.js";
import {
  RowDrops,
  rowSettings,
  selectCheckedRows,
  selectFeaturizedRows,
  selectTableRows,
  type DeadLetterSink,
  type RowFault,
  type RowPolicy,
  type RowSettings,
} from "./rows.js";
import { MemoryModelStore } from "../store/memory-model-store.js";
import { checkName, type ModelStore } from "../store/model-store.js";
import { schemaValidator, type FieldSpec, type SchemaValidator } from "../validate/schema.js";
import { tableFromMatrix, type Table } from "../validate/table.js";
import { groupIssues, restoreValidators, runValidators, saveValidators, type IssueExample, type IssueGroup, type ValidationIssue, type Validator } from "../validate/validator.js";
import {
  Evidence,
  checkEvaluation,
  decide,
  gateSettings,
  newMetric,
  predictWith,
  pairedLossSums,
  scoreInto,
  type EvidenceEntry,
  type EvaluationScores,
  type EvidenceEntryJSON,
  type GateDecision,
  type GateMetric,
  type GateOptions,
  type GateSettings,
  type Predictions,
} from "./gate.js";
import { LearningState, type LearningStateJSON, type RetrainPolicy } from "./learning.js";
import type { AcceptedBatchRecord, BatchScores, IssueSummary, RestorePoint, RunReport } from "./report.js";
import { Run } from "./run.js";
import { supportsFencing, type FenceOptions, type FencingModelStore, type LeaseGrant } from "../store/lease.js";
import type { ServingModel } from "./serving.js";
import { ServingModelBase, servingModelParts } from "./serving-model.js";

export type { RetrainPolicy, WindowPolicy } from "./learning.js";

/** What to do when the stream detector fires: report only, start learning afresh, or shrink the window to k batches. */
export type DriftReaction = "report" | "reset" | ShrinkWindow;

/** Shrink the window to the newest batches when the detector fires (with `incremental` or `full`, the same as "reset"). */
export interface ShrinkWindow {
  /** Batches kept. */
  shrinkWindowTo: number;
}

/** When to write the learning state to the store: after every batch (default), every k batches, or only at the end of a run. Promotions are always saved when they happen. */
export type CheckpointCadence = "every-batch" | EveryKBatches | "end";

/** Save after every k-th batch of the stream. */
export interface EveryKBatches {
  /** k. */
  every: number;
}

/** An already numeric batch, optionally with an id (see {@link SourceBatch}). */
export interface NumericBatch extends Batch {
  /** The batch's identity: a re-delivered id is recognised and not learned twice. */
  readonly id?: string;
}

/** Row objects with an id. */
export interface IdentifiedRows {
  /** The batch's identity: a re-delivered id is recognised and not learned twice. */
  readonly id: string;
  /** The rows, checked by the pipeline's schema. */
  readonly rows: readonly unknown[];
}

/**
 * A batch from the source: row objects (checked by the schema), row objects
 * with an id (`{ id, rows }`), or numeric `{ X, y }` with an optional `id`.
 */
export type SourceBatch = readonly unknown[] | IdentifiedRows | NumericBatch;

/** The field names of a zod object schema. */
export type FieldName<S> = S extends z.ZodObject<infer Shape> ? Extract<keyof Shape, string> : string;

/** Options of {@link Pipeline}. */
export interface PipelineOptions<S extends z.ZodObject = z.ZodObject> {
  /** The trainer whose parameters the pipeline learns with (it is cloned, never mutated). */
  trainer: Trainer;
  /** The model's name in the store. Default "model". */
  name?: string;
  /** zod object schema of a row; needed for batches of row objects. */
  schema?: S;
  /** Feature fields, in order (default: every schema field but the target). For numeric batches, the column names. */
  features?: ReadonlyArray<FieldName<S>>;
  /** The target field. Default "target". */
  target?: FieldName<S>;
  /**
   * How schema fields become features (needs `schema`): one-hot encoding (default "drop-first") and, per field,
   * missing values (strategy, indicator), unseen enum levels (default "ignore") and a free string's levels.
   * See docs/preprocessing.md.
   */
  preprocessing?: FeaturizerOptions;
  /** Quality and drift validators run on every batch after the schema. */
  validators?: readonly Validator[];
  /** Where versions and checkpoints go. Default a new MemoryModelStore. */
  store?: ModelStore;
  /** Promotion rules (default: the prequential challenge; see {@link GateOptions}). */
  gate?: GateOptions;
  /** Metrics tracked prequentially for champion and challenger, batch by batch (the gate's is always tracked). */
  metrics?: readonly GateMetric[];
  /** Retraining policy. Default "incremental". */
  policy?: RetrainPolicy;
  /** A quarantined batch lets the run continue (default) or throws `batch_quarantined` after it is recorded and the state saved. */
  onQuarantine?: "continue" | "throw";
  /** Detector on the champion's per-row error (absolute error, or 0/1 for classifiers). Default ADWIN; null for none. */
  detector?: DriftDetector | null;
  /** Reaction to the detector. Default "report". */
  onDrift?: DriftReaction;
  /** Checkpoint cadence. Default "every-batch". */
  checkpoint?: CheckpointCadence;
  /**
   * Restores the trainers in stored versions and checkpoints. Default: the
   * trainer's and the `gate.baseline`'s own classes (their static
   * `fromJSON`, custom trainers' too; a pipeline stores no other kind), so
   * that a bundle carries no other learner. A stored baseline other than the
   * configured `gate.baseline` is not restored: the configured one starts
   * afresh. Add your own kinds to `builtinTrainers` for a custom trainer
   * without a static `fromJSON`.
   */
  registry?: TrainerRegistry;
  /** Ids of learned batches remembered to recognise re-deliveries. Default 10,000. */
  rememberBatchIds?: number;
  /**
   * Per-batch records (and promotions, alarms, checkpoints, series) kept in the
   * report: the newest this many, so memory stays bounded. Default 1,000.
   * `onEvent` sees every batch anyway.
   */
  maxBatchRecords?: number;
  /**
   * Bound on absurd magnitudes: a batch with a feature or regression target
   * beyond it is quarantined (`implausible_value`) before anything learns it.
   * Default `{ maxAbs: 1e30, maxScaleChange: 1e6 }` ({@link SanityOptions}); false for none.
   */
  sanity?: SanityOptions | false;
  /** What rows at fault do to their batch: quarantine it (default) or be dropped from it ({@link RowPolicy}). */
  rowPolicy?: RowPolicy;
  /** Receives quarantined batches and dropped rows, so nothing is discarded in silence ({@link DeadLetterSink}). */
  deadLetter?: DeadLetterSink;
  /**
   * Hands the event loop back (a macrotask: timers and I/O run) whenever this
   * many ms have passed since it last did, checked between batches and
   * between a batch's stages, so a run never freezes its host for longer than
   * one stage of one batch. Default 10; 0 yields at every check; `Infinity` never.
   * Measured on the wall clock, whatever `now` says.
   */
  yieldEveryMs?: number;
  /**
   * Where each run's summary goes when it ends (aborted runs too): a
   * {@link RunHistory}. Default: the store's own ({@link ModelStore.runHistory},
   * which every built-in store has), so runs are kept beside the versions
   * they made; `false` keeps none. `report.historyId` names the entry.
   */
  history?: RunHistory | false;
  /** Clock for stage timings, in ms. Default `performance.now`. */
  now?: () => number;
  /**
   * The lease grant to write under, asked before every store write (each
   * promotion, checkpoint and rollback): with `fence`, every write carries
   * `{ fence: grant }`, and the store refuses it with `lease_lost` once
   * another holder has the lease or it expired — so a paused, stale leader
   * can never move `champion` nor overwrite the checkpoint. When it returns
   * null (no lease held), the write is refused with `lease_lost` too: a
   * fenced pipeline never writes unfenced. The run then stops with
   * `lease_lost` (nothing more is saved), and the next run reads its state
   * from the store again. The store must fence (`supportsFencing`:
   * `FileModelStore`, `PostgresModelStore`, a `MemoryModelStore` with a
   * lease); `invalid_params` otherwise. With a `Scheduler`'s lease:
   * `fence: () => scheduler.heldLease`.
   */
  fence?: () => LeaseGrant | null | undefined;
}

/** Progress after each batch. */
export interface Progress {
  /** Batches processed in this run. */
  batches: number;
  /** Rows processed in this run. */
  rows: number;
  /** Rows per second so far. */
  rowsPerSec: number;
  /** Items in the source, when known (an array). */
  total?: number;
  /** Estimated time left, in ms, when the total is known. */
  etaMs?: number;
}

/** What the pipeline tells while it runs. */
export type PipelineEvent =
  | BatchSkippedEvent
  | BatchValidatedEvent
  | BatchQuarantinedEvent
  | ModelPromotedEvent
  | ModelRejectedEvent
  | DriftDetectedEvent
  | CheckpointSavedEvent
  | RunFinishedEvent;

/** A source item was passed over: replayed before `resume.from`, or an id learned already. */
export interface BatchSkippedEvent {
  /** Discriminant. */
  type: "batch_skipped";
  /** Its place in this run's source. */
  item: number;
  /** Its id, when it has one. */
  id?: string;
  /** Why. */
  reason: "replayed" | "redelivered";
}

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

/** A batch was not learned: it failed validation, or the trainer could not learn it. */
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
  /** The decision, with its numbers. */
  decision: GateDecision;
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

/** A champion version or the checkpoint was written. */
export interface CheckpointSavedEvent {
  /** Discriminant. */
  type: "checkpoint_saved";
  /** The last batch it includes. */
  batch: number;
  /** The new version (`champion`), or the champion version the checkpoint continues from. */
  version: number | null;
  /** What was written. */
  kind: "champion" | "checkpoint";
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
  signal?: HostAbortSignal;
  /** Called after each batch. */
  onProgress?: (progress: Progress) => void;
  /** Called for every event. */
  onEvent?: (event: PipelineEvent) => void;
  /** Why this run happens (a scheduler's tick or trigger reason); recorded in the report. */
  trigger?: string;
  /**
   * The source replays a stream from its start: pass over its first `from`
   * items (`"checkpoint"`: as many as the stored state has consumed). Without
   * it every item is new, unless its id was learned already.
   */
  resume?: ResumeFrom;
}

/** Where a replaying source's new items start. */
export interface ResumeFrom {
  /** Items to pass over, or `"checkpoint"`: as many as the stored state has consumed. */
  from: number | "checkpoint";
}

/** What {@link Pipeline.rollback} did. */
export interface RollbackResult {
  /** The champion version before. */
  from: number | null;
  /** The champion version now, whose learning state the pipeline continues from. */
  to: number;
  /** Rows the learning state had learned since that version, now dropped (re-send their batches to learn them again). */
  rowsDropped: number;
}

/** The serving side: a model and, for a stored one, its version. */
interface Champion {
  readonly model: ServingModel;
  /** Its stored version; null until saved. */
  version: number | null;
  /** The learning state as it was when this champion was promoted (saved with the version), and the champion it replaced. */
  readonly snapshot: { learning: LearningStateJSON; parent: number | null } | null;
}

/** A validated batch, laid out. */
interface Validated {
  readonly rows: number;
  readonly issues: IssueSummary[];
  /** The warnings grouped by code and column. */
  readonly groups?: IssueGroup[];
  readonly drift?: AcceptedBatchRecord["drift"];
  /** Row objects as a table (schema path). */
  readonly table?: Table;
  /** Numeric batches, checked. */
  readonly numeric?: CheckedBatch;
  /** Rows left out or clipped so far (row policy). */
  readonly drops: RowDrops;
}

/** A featurised batch: one checked batch per featurizer state that must read it. */
interface Features {
  readonly rows: number;
  readonly y: Float64Array;
  /** Before imputation (row objects), or null for numeric batches. */
  readonly raw: Featurized | null;
  /** The batch as the learning state sees it (imputed with its statistics). */
  readonly forLearner: CheckedBatch;
  /** Its magnitudes, for the sanity bound (null without one). */
  readonly magnitudes: BatchMagnitudes | null;
  /** Rows left out or clipped (row policy). */
  readonly drops: RowDrops;
  /** The validators' table of the rows that remain (null without validators). */
  readonly table: Table | null;
}

/** What the models said before learning the batch. */
interface Tested {
  readonly champion: Predictions | null;
  readonly challenger: Predictions | null;
  readonly baseline: Predictions | null;
  readonly champMetrics: Metric[] | null;
  readonly challMetrics: Metric[] | null;
  readonly y: Float64Array;
  readonly scores: BatchScores;
  /** The prequential evidence of this batch (not yet in the gate's memory). */
  readonly evidence: EvidenceEntry | null;
}

/** What the gate decided, before it takes effect. */
interface Verdict {
  readonly decision: GateDecision;
  /** Holdout mode's evidence entry, to keep once the batch is learned. */
  readonly entry: EvidenceEntry | null;
  /** With `promote: "as-tested"`, a copy of the state that was scored. */
  readonly asTested: LearningState | null;
}

/** A batch that will not be learned. */
class Quarantine {
  constructor(
    readonly issues: IssueSummary[],
    /** The validators' issues grouped by code and column, when they are the reason. */
    readonly groups?: IssueGroup[],
  ) {}
}

/** Issues kept one by one in a record; the rest are in its groups. */
const RECORD_ISSUES = 20;

const DEFAULT_ID_MEMORY = 10_000;

/**
 * The retraining loop. For each batch of a stream:
 * 1. **validate** — schema, quality and drift validators; a failing batch is
 *    quarantined with every reason and never learned;
 * 2. **featurize** — fields to a checked numeric batch (one-hot enums in
 *    their declared order, missing optional numbers imputed);
 * 3. **test** — the champion and the challenger (the learning state) predict
 *    the batch before anything learns it: every tracked metric gets a point,
 *    the gate gets paired scores, the champion's errors feed a drift detector;
 * 4. **gate** — decides whether the challenger's paired out-of-time scores
 *    over recent batches beat the champion's ({@link GateOptions});
 * 5. **learn** — the learning state learns every row of the batch, per the
 *    policy (nothing is held out for good); a challenger that passed is
 *    promoted now (or, with `gate.promote: "as-tested"`, was promoted as scored);
 * 6. **save** — a promoted model becomes a new version with its lineage and
 *    featurizer (alias `champion`); the learning state goes to the store's
 *    checkpoint slot, apart from versions.
 *
 * Restart: a new Pipeline on a store restores champion, learning state,
 * detector, window and gate evidence; every batch it is given is new unless
 * its `id` was learned already or the run says `resume: { from }`. Rollback
 * ({@link Pipeline.rollback}, or `store.rollback` seen at the next run)
 * moves champion and learning state together. A stored version serves by
 * itself: `loadModel(store, name, "champion").predictRows(rows)`.
 *
 * One run at a time; a second concurrent `runBatches` gets `run_in_progress`.
 * Memory is O(model + batch + window) whatever the stream's length.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { Pipeline, LinearRegression, qualityChecks, driftCheck } from "freshml";
 * const Row = z.object({ temp: z.number(), hour: z.number().int().min(0).max(23), load: z.number() });
 * const pipeline = new Pipeline({
 *   schema: Row, features: ["temp", "hour"], target: "load",
 *   validators: [qualityChecks({ maxMissingRate: 0 }), driftCheck()],
 *   trainer: new LinearRegression({ l2: 1e-3 }),
 * });
 * const batches = [0, 1, 2].map((k) => Array.from({ length: 50 }, (_, i) => ({ temp: i % 30, hour: i % 24, load: 2 * (i % 30) + k })));
 * const report = await pipeline.runBatches(batches);
 * // report.batches: { total: 3, accepted: 3, quarantined: 0, skipped: 0 }; report.rows.learned === 150
 * ```
 */
export class Pipeline<S extends z.ZodObject = z.ZodObject> {
  /** The model name in the store. */
  readonly name: string;
  private readonly trainer: Trainer;
  private readonly store: ModelStore;
  private readonly settings: GateSettings;
  private readonly tracked: readonly GateMetric[];
  private readonly policy: RetrainPolicy;
  private readonly onQuarantine: "continue" | "throw";
  private readonly onDrift: DriftReaction;
  private readonly cadence: CheckpointCadence;
  private readonly registry: TrainerRegistry;
  private readonly idLimit: number;
  private readonly maxRecords: number;
  private readonly validators: readonly Validator[];
  private readonly rows: SchemaValidator | null;
  private readonly featurizer: Featurizer | null;
  private readonly columnNames: readonly string[] | undefined;
  private readonly target: string;
  private readonly detectorTemplate: DriftDetector | null;
  private readonly evaluationSet: { raw: Featurized | null; numeric: CheckedBatch | null } | null;
  private readonly now: () => number;
  private readonly sanity: Required<SanityOptions> | null;
  private readonly rowPolicy: RowSettings;
  private readonly deadLetter: DeadLetterSink | null;
  private readonly schema: z.ZodObject | null;
  private readonly yieldEveryMs: number;
  private readonly history: RunHistory | null;
  private readonly fence: (() => LeaseGrant | null | undefined) | null;
  /** Wall-clock time the run last handed the event loop back. */
  private lastYield = 0;
  /** Whether any tracked metric reads class probabilities. */
  private readonly needProba: boolean;
  private running = false;
  private started = false;
  // State.
  private learning: LearningState;
  private champion: Champion | null = null;
  /** True while the learning state equals the champion (promoted, nothing learned since). */
  private learnerIsChampion = false;
  private detector: DriftDetector | null;
  private evidence: Evidence;
  private championDirty = false;
  private stateDirty = false;
  private batchesSinceCheckpoint = 0;
  private restored: RestorePoint | null = null;
  /** Moves of the champion alias this object knows of (its history's length). */
  private aliasEvents = 0;
  /** The checkpoint sequence this object last read or wrote. */
  private checkpointSequence = 0;

  constructor(options: PipelineOptions<S>) {
    if (!options || typeof options.trainer?.update !== "function") throw new FreshmlError("invalid_params", "Pipeline needs a trainer", { param: "trainer" });
    const {
      policy = "incremental",
      onQuarantine = "continue",
      onDrift = "report",
      checkpoint = "every-batch",
      maxBatchRecords = 1000,
      rememberBatchIds = DEFAULT_ID_MEMORY,
    } = options;
    if (isAutoPolicy(policy)) autoSettings(policy === "auto" ? undefined : policy.auto);
    else if (typeof policy === "object" && policy !== null) checkParam(Number.isInteger(policy.window) && policy.window >= 1, "policy.window", "a positive integer", policy.window);
    else checkParam(policy === "incremental" || policy === "full", "policy", "incremental, full, auto, { window } or { auto }", policy);
    if (typeof checkpoint === "object") checkParam(Number.isInteger(checkpoint.every) && checkpoint.every >= 1, "checkpoint.every", "a positive integer", checkpoint.every);
    else checkParam(checkpoint === "every-batch" || checkpoint === "end", "checkpoint", "every-batch, end or { every }", checkpoint);
    checkParam(onQuarantine === "continue" || onQuarantine === "throw", "onQuarantine", "continue or throw", onQuarantine);
    checkParam(Number.isInteger(maxBatchRecords) && maxBatchRecords >= 0, "maxBatchRecords", "an integer ≥ 0", maxBatchRecords);
    checkParam(Number.isInteger(rememberBatchIds) && rememberBatchIds >= 0, "rememberBatchIds", "an integer ≥ 0", rememberBatchIds);
    if (typeof onDrift === "object") checkParam(Number.isInteger(onDrift.shrinkWindowTo) && onDrift.shrinkWindowTo >= 1, "onDrift.shrinkWindowTo", "a positive integer", onDrift.shrinkWindowTo);
    else checkParam(onDrift === "report" || onDrift === "reset", "onDrift", "report, reset or { shrinkWindowTo }", onDrift);
    this.trainer = options.trainer;
    this.name = checkNameParam(options.name ?? "model");
    if (options.store !== undefined && !isStore(options.store)) throw new FreshmlError("invalid_params", "store must be a ModelStore (MemoryModelStore, FileModelStore from freshml/node, or your own)", { param: "store" });
    this.store = options.store ?? new MemoryModelStore();
    if (options.gate !== undefined && (options.gate === null || typeof options.gate !== "object" || Array.isArray(options.gate))) {
      throw new FreshmlError("invalid_params", "gate must be an object of GateOptions", { param: "gate" });
    }
    if (options.metrics !== undefined && !Array.isArray(options.metrics)) throw new FreshmlError("invalid_params", "metrics must be an array of metric names", { param: "metrics" });
    for (const m of options.metrics ?? []) {
      if (!metricNames.includes(m)) throw new FreshmlError("invalid_params", `metrics: ${JSON.stringify(m)} is not one of ${metricNames.join(", ")}`, { param: "metrics" });
    }
    if (options.detector !== undefined && options.detector !== null && !isDetector(options.detector)) {
      throw new FreshmlError("invalid_params", "detector must be a DriftDetector (ADWIN, PageHinkley, DDM, or your own with update, driftDetected, toJSON) or null", { param: "detector" });
    }
    this.settings = gateSettings(options.gate ?? {}, options.trainer);
    const tracked = [this.settings.metric, ...(options.metrics ?? []).filter((m) => m !== this.settings.metric)];
    for (const m of tracked) {
      if ((metricTask(m) === "classification") !== (options.trainer.task === "classification")) {
        throw new FreshmlError("invalid_params", `metric ${m} does not fit a ${options.trainer.task} trainer`, { param: "metrics" });
      }
    }
    this.tracked = tracked;
    this.needProba = this.settings.proba || tracked.some((m) => newMetric(m, this.settings.classes).input === "proba");
    this.policy = policy;
    this.onQuarantine = onQuarantine;
    this.onDrift = onDrift;
    this.cadence = checkpoint;
    this.registry = options.registry ?? ownTrainers([options.trainer, this.settings.baseline]);
    this.idLimit = rememberBatchIds;
    this.maxRecords = maxBatchRecords;
    this.validators = options.validators ?? [];
    this.now = options.now ?? ((): number => performance.now());
    this.sanity = sanitySettings(options.sanity);
    this.rowPolicy = rowSettings(options.rowPolicy);
    if (options.deadLetter !== undefined && typeof options.deadLetter !== "function") {
      throw new FreshmlError("invalid_params", "deadLetter must be a function receiving each DeadLetter", { param: "deadLetter" });
    }
    this.deadLetter = options.deadLetter ?? null;
    this.schema = options.schema ?? null;
    const { yieldEveryMs = 10 } = options;
    checkParam(typeof yieldEveryMs === "number" && yieldEveryMs >= 0, "yieldEveryMs", "a number ≥ 0 (Infinity: never)", yieldEveryMs);
    this.yieldEveryMs = yieldEveryMs;
    if (options.history !== undefined && options.history !== false && (typeof options.history !== "object" || options.history === null || typeof options.history.put !== "function")) {
      throw new FreshmlError("invalid_params", "history must be a RunHistory (MemoryRunHistory, or FileRunHistory from freshml/node) or false", { param: "history" });
    }
    this.history = options.history === false ? null : (options.history ?? this.store.runHistory?.() ?? null);
    if (options.fence !== undefined && typeof options.fence !== "function") throw new FreshmlError("invalid_params", "fence must be a function returning the current lease grant", { param: "fence" });
    if (options.fence !== undefined && !supportsFencing(this.store)) {
      throw new FreshmlError("invalid_params", "fence needs a store that checks fences (FileModelStore, PostgresModelStore, or a MemoryModelStore built with a lease)", { param: "fence" });
    }
    this.fence = options.fence ?? null;
    this.target = options.target ?? "target";
    this.detectorTemplate = options.detector === undefined ? new ADWIN() : options.detector;
    this.detector = this.detectorTemplate ? restoreDetector(this.detectorTemplate.toJSON()) : null;
    if (options.schema) {
      this.featurizer = featurizerFor(schemaValidator(options.schema).layout, options.features, this.target, options.trainer, options.preprocessing);
      // Every row's issues are counted in the record's groups; the first RECORD_ISSUES are kept whole.
      this.rows = schemaValidator(acceptUnseenLevels(options.schema, this.featurizer), { maxIssues: 1000 });
      this.columnNames = undefined;
    } else {
      this.rows = null;
      this.featurizer = null;
      if (options.preprocessing !== undefined) throw new FreshmlError("invalid_params", "preprocessing needs a schema: it says how schema fields become features", { param: "preprocessing" });
      if (options.features !== undefined) checkParam(Array.isArray(options.features) && options.features.every((f) => typeof f === "string"), "features", "column names", options.features);
      this.columnNames = options.features;
    }
    // Trainers that scale their inputs leave the featurizer's 0/1 columns (one-hot, booleans, indicators) as they are.
    if (this.featurizer && typeof options.trainer.describeColumns === "function") {
      const t = options.trainer.clone();
      t.describeColumns!(this.featurizer.layout.kinds);
      this.trainer = t;
    }
    this.learning = this.freshLearning(this.featurizer?.copy() ?? null);
    this.evidence = new Evidence(this.settings.mode === "holdout" ? 1 : this.settings.window, this.settings.minRows);
    this.evaluationSet = options.gate?.evaluationSet === undefined ? null : this.readEvaluationSet(options.gate.evaluationSet);
    const evalY = this.evaluationSet?.numeric?.y ?? this.evaluationSet?.raw?.y;
    if (evalY && this.unknownLabel(evalY)) throw new FreshmlError("invalid_params", "gate.evaluationSet has labels the classifier does not declare", { param: "gate.evaluationSet" });
    const evalCols = this.evaluationSet?.numeric?.cols;
    if (evalCols !== undefined && this.columnNames && evalCols !== this.columnNames.length) {
      throw new FreshmlError("invalid_params", `gate.evaluationSet has ${evalCols} columns; features names ${this.columnNames.length}`, { param: "gate.evaluationSet" });
    }
  }

  /** The serving model (null before the first promotion): trainer and featurizer, ready for `predictRows`. */
  get servingModel(): ServingModel | null {
    return this.champion?.model ?? null;
  }

  /** The champion's trainer (null before the first promotion). */
  get championModel(): Trainer | null {
    return this.champion?.model.trainer ?? null;
  }

  /** The version of the serving model in the store (null if not saved yet). */
  get championStoreVersion(): number | null {
    return this.champion?.version ?? null;
  }

  /** Batches of the stream consumed so far (accepted and quarantined, across runs). */
  get position(): number {
    return this.learning.position;
  }

  /**
   * Runs the loop over a stream of batches (an array, an Iterable or an
   * AsyncIterable; consumed one batch at a time, never collected).
   */
  async runBatches(source: Iterable<SourceBatch> | AsyncIterable<SourceBatch>, options: RunOptions = {}): Promise<RunReport> {
    if (this.running) throw new FreshmlError("run_in_progress", `pipeline ${this.name} is already running; one run at a time`);
    this.running = true;
    this.lastYield = performance.now();
    try {
      await this.sync();
      return await this.run(source, options);
    } finally {
      this.running = false;
    }
  }

  /**
   * Rolls the champion back one step (the store's alias history) and moves
   * the learning state with it: the pipeline continues from that version's
   * own learning state, not from what was learned after it. The rollback is
   * in the alias history; the next promoted version names it as its parent.
   */
  async rollback(): Promise<RollbackResult> {
    if (this.running) throw new FreshmlError("run_in_progress", `pipeline ${this.name} is running; roll back between runs`);
    this.running = true;
    try {
      await this.sync();
      const from = this.champion?.version ?? null;
      const rowsBefore = this.learning.rowsLearned;
      const to = await (this.store as FencingModelStore).rollback(this.name, "champion", ...this.fenced());
      this.aliasEvents++;
      await this.restoreChampion(to);
      await this.writeCheckpoint(null, this.learning.position - 1);
      return { from, to, rowsDropped: Math.max(0, rowsBefore - this.learning.rowsLearned) };
    } finally {
      this.running = false;
    }
  }

  // ——— restore ———

  /**
   * Brings the state in step with the store: on the first run, and whenever
   * the store changed under us — the champion alias moved (a rollback, even to
   * the same version), or another Pipeline object wrote the checkpoint.
   */
  private async sync(): Promise<void> {
    const history = await this.store.aliasHistory(this.name, "champion");
    const newest = history.length > 0 ? history[history.length - 1]! : null;
    const alias = newest?.version ?? null;
    // The alias's moves ever made (its history keeps only the newest; seq keeps counting).
    const events = newest ? (newest.seq ?? history.length) : 0;
    const cp = await this.store.getCheckpoint(this.name);
    if (this.started && events === this.aliasEvents && (cp?.sequence ?? 0) === this.checkpointSequence) return;
    this.started = true;
    const state = cp?.state as { learning: unknown; detector: unknown; evidence: EvidenceEntryJSON[]; learnerIsChampion: boolean; aliasEvents?: number; validators?: unknown } | undefined;
    // The checkpoint continues the current champion only if the alias has not moved since it was written.
    if (cp && state && cp.champion === alias && (state.aliasEvents === undefined || state.aliasEvents === events)) {
      this.checkSameTrainer(cp.trainer); // before the champion, which the same trainer made
      this.champion = alias === null ? null : await this.loadChampion(alias);
      this.learning = this.restoreLearning(state.learning, cp.trainer);
      this.detector = this.restoreDetectorState(state.detector);
      this.evidence = Evidence.fromJSON(state.evidence ?? [], this.evidence.window, this.evidence.minRows);
      this.learnerIsChampion = state.learnerIsChampion === true;
      this.championDirty = false;
      this.stateDirty = false;
      this.restored = { version: alias, checkpoint: cp.sequence, position: this.learning.position, from: "checkpoint", validators: this.restoreValidatorState(state.validators) };
      if (this.learning.restoredBaseline) this.restored.baseline = this.learning.restoredBaseline;
    } else if (alias !== null) {
      await this.restoreChampion(alias);
    }
    this.aliasEvents = events;
    this.checkpointSequence = cp?.sequence ?? 0;
  }

  /** Serves `version` and continues learning from its own learning state. */
  private async restoreChampion(version: number): Promise<void> {
    const rec = await this.store.get(this.name, version);
    // Before restoring: a version of another kind is refused with this error, not restored only to be refused.
    this.checkSameTrainer(rec.trainer);
    const champion = this.championFromRecord(rec);
    const snap = rec.learningState as { learning?: unknown; detector?: unknown } | undefined;
    if (snap?.learning) {
      this.learning = this.restoreLearning(snap.learning, rec.trainer);
      this.detector = this.restoreDetectorState(snap.detector);
    } else {
      // Written by something else than a pipeline: learn on from its trainer, with fresh bookkeeping.
      const s = this.freshLearning(champion.model.featurizer?.copy() ?? this.featurizer?.copy() ?? null);
      s.trainer = champion.model.trainer.copy();
      this.learning = s;
      this.detector = this.detectorTemplate ? restoreDetector(this.detectorTemplate.toJSON()) : null;
    }
    this.learning.markChampion();
    this.champion = champion;
    this.evidence.clear();
    this.learnerIsChampion = true;
    this.championDirty = false;
    this.stateDirty = true;
    this.restored = { version, checkpoint: null, position: this.learning.position, from: "champion" };
    const baseline = this.learning.restoredBaseline ?? (this.settings.baseline ? "fresh" : undefined);
    if (baseline) this.restored.baseline = baseline;
  }

  /** A learning state that has learned nothing, with this pipeline's options. */
  private freshLearning(featurizer: Featurizer | null): LearningState {
    const s = new LearningState(this.trainer, this.policy, featurizer, this.settings.baseline?.clone() ?? null, this.idLimit);
    if (this.sanity) s.magnitudes = new MagnitudeGuard(this.sanity, this.trainer.task !== "classification");
    return s;
  }

  private async loadChampion(version: number): Promise<Champion> {
    return this.championFromRecord(await this.store.get(this.name, version));
  }

  private championFromRecord(rec: Awaited<ReturnType<ModelStore["get"]>>): Champion {
    const model = new ServingModelBase(...servingModelParts(rec, this.registry));
    if ((model.featurizer === null) !== (this.featurizer === null)) {
      throw new FreshmlError("invalid_state", `version ${rec.version} of ${this.name} was trained on ${model.featurizer ? "row objects" : "numeric batches"}; this pipeline ${this.featurizer ? "has a schema" : "has none"}`);
    }
    if (model.featurizer && this.featurizer && JSON.stringify(model.featurizer.layout) !== JSON.stringify(this.featurizer.layout)) {
      throw new FreshmlError("invalid_state", `version ${rec.version} of ${this.name} has the features ${model.featurizer.layout.names.join(", ")}; this pipeline's are ${this.featurizer.layout.names.join(", ")}`);
    }
    return { model, version: rec.version, snapshot: null };
  }

  /** The learning state stored with `trainer`; the callers have checked it is this pipeline's trainer (checkSameTrainer). */
  private restoreLearning(json: unknown, trainer: Parameters<typeof LearningState.restore>[1]): LearningState {
    return LearningState.restore(json, trainer, { template: this.trainer, policy: this.policy, idLimit: this.idLimit, registry: this.registry, featurizer: this.featurizer, sanity: this.sanity, baseline: this.settings.baseline ?? null });
  }

  /** The stored learning state must have been trained by this pipeline's trainer (kind and parameters): else it would learn on with other rules. */
  private checkSameTrainer(stored: { kind: string; params: unknown }): void {
    const mine = this.trainer.toJSON();
    if (stored.kind !== mine.kind || JSON.stringify(stored.params) !== JSON.stringify(mine.params)) {
      throw new FreshmlError(
        "invalid_state",
        `the stored learning state of ${this.name} was trained by ${stored.kind} ${JSON.stringify(stored.params)}; this pipeline's trainer is ${mine.kind} ${JSON.stringify(mine.params)}. Pass the same trainer, or train the new one under another name (the Pipeline's name option)`,
        { param: "trainer", observed: mine.kind, expected: stored.kind },
      );
    }
  }

  /** Validators continue from the checkpoint's state, unless they were configured otherwise since (then they start afresh, and the report says so). */
  private restoreValidatorState(states: unknown): "restored" | "fresh" {
    if (this.validators.length === 0 || states === undefined) return "fresh";
    try {
      restoreValidators(this.validators, states);
      return "restored";
    } catch (err) {
      if (isFreshmlError(err, "invalid_state")) return "fresh";
      throw err;
    }
  }

  private restoreDetectorState(json: unknown): DriftDetector | null {
    if (!this.detectorTemplate) return null;
    return json ? restoreDetector(json) : restoreDetector(this.detectorTemplate.toJSON());
  }

  // ——— the loop ———

  private async run(source: Iterable<SourceBatch> | AsyncIterable<SourceBatch>, options: RunOptions): Promise<RunReport> {
    const run = new Run(
      { name: this.name, now: this.now, metric: this.settings.metric, tracked: this.tracked, maxRecords: this.maxRecords, championVersion: this.champion?.version ?? null, summarize: this.history !== null },
      options,
      Array.isArray(source) ? source.length : undefined,
    );
    if (this.restored) run.report.restoredFrom = this.restored;
    this.restored = null;
    let toSkip = options.resume === undefined ? 0 : options.resume.from === "checkpoint" ? this.learning.position : options.resume.from;
    checkParam(Number.isInteger(toSkip) && toSkip >= 0, "resume.from", "an integer ≥ 0 or \"checkpoint\"", toSkip);
    let item = -1;
    try {
      for await (const batch of source as AsyncIterable<SourceBatch>) {
        item++;
        await this.breathe();
        if (run.stopped("between batches", this.learning.position)) break;
        const id = batchId(batch);
        if (toSkip > 0) {
          toSkip--;
          run.skip(item, id === null ? undefined : id, "replayed");
          continue;
        }
        if (id === null) {
          const issue = { code: "invalid_id", severity: "error" as const, message: "a batch id must be a non-empty string of at most 512 characters" };
          await this.quarantine(run, this.learning.position, undefined, new Quarantine([issue]), batch, batchRows(batch));
          continue;
        }
        if (id !== undefined && this.learning.ids.has(id)) {
          run.skip(item, id, "redelivered");
          continue;
        }
        await this.step(batch, id, run);
      }
      // A source that ended because it saw the signal (one read in a worker, say) ended an aborted run.
      run.stopped("between batches", this.learning.position);
    } catch (err) {
      if (isFreshmlError(err, "lease_lost")) {
        // Another holder leads now: save nothing more, and read the store's state again at the next run.
        this.started = false;
        throw err;
      }
      // The source (or the store) failed: keep what was learned, then let the caller see the error.
      if (!isFreshmlError(err, "batch_quarantined")) await this.writeCheckpoint(run, this.learning.position - 1, true).catch(() => undefined);
      throw err;
    }
    await run.timed("save", () => this.writeCheckpoint(run, this.learning.position - 1, true)).catch((err: unknown) => {
      if (isFreshmlError(err, "lease_lost")) this.started = false;
      throw err;
    });
    const report = run.finish(this.champion?.version ?? null);
    if (this.history) {
      const history = this.history;
      const t = this.now();
      report.historyId = await history.put(run.summary ? run.summary.finish(report) : summarizeRun(report));
      report.stageMs.save += this.now() - t;
    }
    return report;
  }

  /**
   * One batch through every stage. Test and gate only look; nothing they
   * found (metrics, evidence, detector, promotion) takes effect until the
   * batch has been learned, so a batch that ends quarantined changes nothing.
   */
  private async step(batch: SourceBatch, id: string | undefined, run: Run): Promise<void> {
    const index = this.learning.position;
    const total = batchRows(batch);
    const validated = run.time("validate", () => this.validate(batch, index));
    if (validated instanceof Quarantine) return this.quarantine(run, index, id, validated, batch, total);
    await this.breathe();
    if (run.stopped("featurize", index)) return;
    const features = run.time("featurize", () => this.featurize(validated));
    if (features instanceof Quarantine) return this.quarantine(run, index, id, features, batch, total);
    run.emit({ type: "batch_validated", batch: index, rows: features.rows, warnings: validated.issues.length });
    await this.breathe();
    if (run.stopped("test", index)) return;
    const tested = run.time("test", () => this.test(features));
    if (tested instanceof Quarantine) return this.quarantine(run, index, id, tested, batch, total);
    await this.breathe();
    if (run.stopped("gate", index)) return;
    const verdict = run.time("gate", () => this.gate(features, tested));
    await this.breathe();
    if (run.stopped("learn", index)) return;
    // Rows left out go to the dead-letter sink before the batch is learned: if the sink fails, nothing was.
    const dropped = features.drops.summary();
    if (dropped && dropped.rows > 0) await this.sendDropped(batch, index, id, features.drops);
    const learned = run.time("learn", () => this.learn(features, id));
    if (learned instanceof Quarantine) return this.quarantine(run, index, id, learned, batch, total);
    this.learning.position++;
    this.stateDirty = true;
    // The batch is learned: what the test and the gate found takes effect.
    const detectorDrift = run.time("test", () => this.commitTest(tested, index, run));
    const decision = run.time("gate", () => this.commitGate(verdict, features, index, run));
    // Validators learn their references from the rows that were learned.
    if (features.table) for (const v of this.validators) v.accept?.(features.table);
    if (detectorDrift) this.reactToDrift(index, run);
    run.accepted(total, features.rows);
    const record: AcceptedBatchRecord = {
      batch: index,
      ...(id !== undefined ? { id } : {}),
      status: "accepted",
      rows: total,
      learned: features.rows,
      ...(dropped ? { dropped } : {}),
      prequential: tested.scores.champion?.[this.settings.metric] ?? null,
      scores: tested.scores,
      ...(decision ? { decision } : {}),
      detectorDrift,
      ...(this.learning.auto ? { memory: this.learning.auto.choice() } : {}),
      issues: validated.issues,
      ...(validated.groups ? { issueGroups: validated.groups } : {}),
      ...(features.raw?.counts?.length ? { fields: features.raw.counts.map((c) => ({ ...c, unseenLevels: c.unseenLevels.slice() })) } : {}),
      ...(validated.drift ? { drift: validated.drift } : {}),
    };
    const saved = await run.timed("save", () => this.save(run, index));
    if (saved !== null) record.savedVersion = saved;
    run.record(record);
    run.progress(features.rows);
  }

  /** Hands the event loop back if the run has held it for `yieldEveryMs`. */
  private async breathe(): Promise<void> {
    if (this.yieldEveryMs === Infinity) return;
    const t = performance.now();
    if (t - this.lastYield < this.yieldEveryMs) return;
    await yieldToEventLoop();
    this.lastYield = performance.now();
  }

  /** 1. validate: schema (row objects) or shape and finiteness (numeric), then the validators. */
  private validate(batch: SourceBatch, index: number): Validated | Quarantine {
    const rows = rowsOf(batch);
    let table: Table;
    let numeric: CheckedBatch | undefined;
    let drops: RowDrops;
    if (rows) {
      if (!this.rows) throw new FreshmlError("invalid_params", "a batch of row objects needs the pipeline's schema: pass `schema` (a zod object) to new Pipeline()", { param: "schema" });
      drops = new RowDrops(rows.length);
      let r;
      try {
        r = this.rows.check(rows);
      } catch (err) {
        if (!isFreshmlError(err)) throw err;
        return new Quarantine([{ code: err.code, severity: "error", message: err.message }]);
      }
      if (!r.ok) {
        const issues = summarizeAll(r.issues, r.issuesOmitted ?? 0);
        const groups = groupsOf(r.issues, r.issuesOmitted ?? 0);
        const repaired = this.rowPolicy.schema === "quarantine" ? null : this.repairRows(rows, drops);
        if (!repaired) return new Quarantine(issues, groups);
        if (drops.tooMany(this.rowPolicy.maxDropRate)) return new Quarantine([...issues, this.tooManyRows(drops)], groups);
        r = this.rows.check(repaired);
        if (!r.ok || repaired.length === 0) return new Quarantine(issues, groups);
      }
      table = r.table!;
    } else {
      if (this.featurizer) throw new FreshmlError("invalid_params", "this pipeline has a schema: give it batches of row objects, not { X, y }", { param: "schema" });
      try {
        numeric = checkBatch(batch as Batch, this.learning.trainer.nFeatures ?? this.champion?.model.trainer.nFeatures ?? this.columnNames?.length);
      } catch (err) {
        if (!isFreshmlError(err)) throw err;
        return new Quarantine([{ code: err.code, severity: "error", message: err.message }]);
      }
      const evalCols = this.evaluationSet?.numeric?.cols;
      if (evalCols !== undefined && evalCols !== numeric.cols) {
        throw new FreshmlError("invalid_params", `gate.evaluationSet has ${evalCols} columns; the batches have ${numeric.cols}`, { param: "gate.evaluationSet" });
      }
      drops = new RowDrops(numeric.rows);
      // Without validators there is nothing to read a table: skip laying it out.
      if (this.validators.length === 0) return { rows: numeric.rows, issues: [], numeric, drops };
      const names = this.columnNames && this.columnNames.length === numeric.cols ? this.columnNames : Array.from({ length: numeric.cols }, (_, j) => `x${j}`);
      table = tableFromMatrix(numeric.X, names, { values: numeric.y, name: this.target, categorical: isClassifier(this.trainer) });
    }
    const result = runValidators(this.validators, table, { batchIndex: index });
    const issues = summarizeAll(result.issues, 0);
    const groups = result.issues.length ? groupsOf(result.issues, 0) : undefined;
    if (!result.ok) return new Quarantine(issues, groups);
    return { rows: table.rows, issues, ...(groups ? { groups } : {}), table, drops, ...(numeric ? { numeric } : {}), ...(result.drift ? { drift: result.drift.columns } : {}) };
  }

  /**
   * The rows of a batch that failed the schema, repaired per the row policy:
   * rows zod accepts stay, numbers beyond an inclusive bound are clipped
   * (`schema: "clip"`), the rest are dropped (recorded in `drops`).
   */
  private repairRows(rows: readonly unknown[], drops: RowDrops): unknown[] {
    const schema = this.schema!;
    const kept: unknown[] = [];
    const faults: RowFault[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const parsed = schema.safeParse(row);
      if (parsed.success) {
        kept.push(row);
        continue;
      }
      if (this.rowPolicy.schema === "clip") {
        const clipped = clipRow(row, parsed.error.issues);
        if (clipped !== null && schema.safeParse(clipped).success) {
          kept.push(clipped);
          drops.clipped++;
          continue;
        }
      }
      const zi = parsed.error.issues[0]!;
      const column = zi.path.length ? String(zi.path[0]) : undefined;
      faults.push({ row: i, issue: { code: "schema", severity: "error", ...(column !== undefined ? { column } : {}), message: `row ${i}${zi.path.length ? `, ${zi.path.join(".")}` : ""}: ${zi.message}` } });
    }
    drops.drop(faults, rows.length);
    return kept;
  }

  /** The issue that quarantines a batch with too many rows at fault. */
  private tooManyRows(drops: RowDrops): IssueSummary {
    const n = drops.dropped.length + drops.clipped;
    return {
      code: "too_many_bad_rows",
      severity: "error",
      message: `${n} of ${drops.total} rows are at fault, more than rowPolicy.maxDropRate (${this.rowPolicy.maxDropRate}): the batch is quarantined whole`,
    };
  }

  /** 2. featurize: row objects to a checked numeric batch (imputed with the learning state's statistics). */
  private featurize(v: Validated): Features | Quarantine {
    let features: Features;
    const table = v.table ?? null;
    if (v.numeric) features = { rows: v.numeric.rows, y: v.numeric.y, raw: null, forLearner: v.numeric, magnitudes: null, drops: v.drops, table };
    else {
      const f = this.learning.featurizer!;
      try {
        const raw = f.transform(v.table!);
        // The first batch has no statistics before it: it is imputed with its own (feature values only, never labels).
        let imputer = f;
        if (raw.missing > 0 && this.learning.batchesLearned === 0) {
          imputer = f.copy();
          imputer.learn(raw);
        }
        features = { rows: v.rows, y: raw.y, raw, forLearner: checkBatch({ X: imputer.impute(raw.X, raw.missing), cols: raw.cols, y: raw.y }), magnitudes: null, drops: v.drops, table };
      } catch (err) {
        if (!isFreshmlError(err)) throw err;
        return new Quarantine([{ code: err.code, severity: "error", message: err.message }]);
      }
    }
    const labels = this.unknownLabels(features.y);
    if (labels.length) {
      const next = this.leaveOut(features, labels, this.rowPolicy.unknownClass);
      if (next instanceof Quarantine) return next;
      features = next;
    }
    return this.withMagnitudes(features);
  }

  /** Rows whose label the classifier does not declare. */
  private unknownLabels(y: Float64Array): RowFault[] {
    const classes = this.settings.classes;
    const faults: RowFault[] = [];
    if (!classes) return faults;
    for (let i = 0; i < y.length; i++) {
      if (!classes.includes(y[i]!)) {
        faults.push({ row: i, issue: { code: "unknown_class", severity: "error", message: `row ${i} has the label ${y[i]}; the trainer declares the classes ${JSON.stringify(classes)}` } });
      }
    }
    return faults;
  }

  /** The featurised batch with its magnitudes, its implausible rows quarantining it or left out (row policy). */
  private withMagnitudes(features: Features): Features | Quarantine {
    const guard = this.learning.magnitudes;
    if (!guard) return features;
    const names = this.featurizer?.layout.names ?? (this.columnNames?.length === features.forLearner.cols ? this.columnNames : null);
    const name = (j: number): string => names?.[j] ?? `x${j}`;
    let m = guard.check(features.forLearner, name, this.target);
    if (!("features" in m)) {
      const issueOf = (v: ImplausibleValue, row: number): IssueSummary => ({
        code: "implausible_value",
        severity: "error",
        column: v.column,
        message: `${v.column} holds ${v.value} at row ${row}, beyond the sanity bound ${v.bound} (${v.reason}); set the pipeline's sanity option if such values are real`,
      });
      const faults = guard.beyond(features.forLearner, name, this.target).map((v) => ({ row: v.row, issue: issueOf(v, features.drops.original(v.row)) }));
      const next = this.leaveOut(features, faults, this.rowPolicy.implausible);
      if (next instanceof Quarantine) return next;
      features = next;
      m = guard.check(features.forLearner, name, this.target);
      if (!("features" in m)) return new Quarantine([issueOf(m, m.row)]);
    }
    return { ...features, magnitudes: m };
  }

  /** Quarantines the batch for `faults`, or (policy "drop") leaves those rows out, unless too many are at fault. */
  private leaveOut(features: Features, faults: readonly RowFault[], action: "quarantine" | "drop"): Features | Quarantine {
    const summarizeFaults = (): IssueSummary[] => {
      const first = faults.slice(0, 5).map((f) => f.issue);
      if (faults.length > first.length) first.push({ code: first[0]!.code, severity: "error", message: `${faults.length - first.length} more rows with ${first[0]!.code}` });
      return first;
    };
    if (action === "quarantine") return new Quarantine(summarizeFaults());
    const drops = features.drops;
    const keep = drops.drop(faults, features.rows);
    if (keep.length === 0) return new Quarantine(summarizeFaults());
    if (drops.tooMany(this.rowPolicy.maxDropRate)) return new Quarantine([...summarizeFaults(), this.tooManyRows(drops)]);
    const forLearner = selectCheckedRows(features.forLearner, keep);
    return {
      rows: keep.length,
      y: forLearner.y,
      raw: features.raw ? selectFeaturizedRows(features.raw, keep) : null,
      forLearner,
      magnitudes: null,
      drops,
      table: features.table ? selectTableRows(features.table, keep) : null,
    };
  }

  /** Whether any label is one the classifier does not declare. */
  private unknownLabel(y: Float64Array): boolean {
    return this.unknownLabels(y).length > 0;
  }

  /** The batch as a featurizer other than the learning state's sees it. */
  private inputFor(features: Features, featurizer: Featurizer | null): CheckedBatch {
    if (!features.raw || features.raw.missing === 0 || !featurizer) return features.forLearner;
    return checkBatch({ X: featurizer.impute(features.raw.X, features.raw.missing), cols: features.raw.cols, y: features.y });
  }

  /** 3. test: every model predicts the batch before anything learns it. Nothing changes here. */
  private test(features: Features): Tested | Quarantine {
    const y = features.y;
    const champion = this.champion;
    const learner = this.learning.trainer;
    const needProba = this.needProba;
    let champ: Predictions | null = null;
    let chall: Predictions | null = null;
    let base: Predictions | null = null;
    try {
      if (champion) champ = predictWith(champion.model.trainer, this.inputFor(features, champion.model.featurizer), needProba);
    } catch (err) {
      if (!isFreshmlError(err)) throw err;
      // Finite input the serving model cannot predict finitely (values near the float limit, say).
      return new Quarantine([{ code: "prediction_failed", severity: "error", message: `the champion cannot predict this batch: ${err.message}` }]);
    }
    // A challenger or baseline that cannot predict yet (a singular system, say) gives no evidence; the batch is still learned.
    if (learner.nSeen > 0) chall = this.learnerIsChampion && champ ? champ : tryPredict(learner, features.forLearner, needProba);
    const baseline = this.learning.baseline;
    if (baseline && baseline.nSeen > 0) base = tryPredict(baseline, features.forLearner, needProba);
    // Each tracked metric once per model; the gate's evidence reuses the gate metric's instances.
    const champMetrics = champ ? this.metricsOf(y, champ) : null;
    const challMetrics = chall ? this.metricsOf(y, chall) : null;
    const scores: BatchScores = {};
    if (champMetrics) scores.champion = scoreValues(this.tracked, champMetrics);
    if (challMetrics) scores.challenger = scoreValues(this.tracked, challMetrics);
    let evidence: EvidenceEntry | null = null;
    // No evidence when the challenger is the champion: their pairs would all be 0.
    if (chall && this.settings.mode === "prequential" && !(this.learnerIsChampion && champ)) {
      evidence = this.evidenceOf(y, chall, champ, base, 0, y.length, { challenger: challMetrics![0]!, champion: champMetrics?.[0] ?? null });
    }
    return { champion: champ, challenger: chall, baseline: base, champMetrics, challMetrics, y, scores, evidence };
  }

  /** The test's findings take effect: run totals, the gate's evidence, the champion's errors into the detector. True when it fired. */
  private commitTest(tested: Tested, index: number, run: Run): boolean {
    if (tested.champMetrics) run.scored("champion", tested.champMetrics);
    if (tested.challMetrics) run.scored("challenger", tested.challMetrics);
    if (tested.evidence) this.evidence.push(tested.evidence);
    const champion = this.champion;
    if (!tested.champion || !champion || !this.detector) return false;
    const fired = feedDetector(this.detector, tested.y, tested.champion.values, isClassifier(champion.model.trainer));
    if (fired) run.alarm(index);
    return fired;
  }

  /** Every tracked metric (the gate's first) on a batch's predictions. */
  private metricsOf(y: Float64Array, p: Predictions): Metric[] {
    return this.tracked.map((name) => {
      const m = newMetric(name, this.settings.classes);
      scoreInto(m, y, p);
      return m;
    });
  }

  /** Paired evidence of rows [from, to) of a batch; `scored`: the gate metric already computed on exactly those rows. */
  private evidenceOf(
    y: Float64Array,
    chall: Predictions,
    champ: Predictions | null,
    base: Predictions | null,
    from: number,
    to: number,
    scored?: { challenger: Metric; champion: Metric | null },
  ): EvidenceEntry {
    const s = this.settings;
    const k = s.classes?.length ?? 1;
    const part = (p: Predictions): Predictions => ({ values: p.values.subarray(from, to), proba: p.proba ? p.proba.subarray(from * k, to * k) : null });
    const ys = y.subarray(from, to);
    const metricOf = (p: Predictions): Metric => {
      const m = newMetric(s.metric, s.classes);
      scoreInto(m, ys, part(p));
      return m;
    };
    const entry: EvidenceEntry = {
      batch: this.learning.position,
      rows: 0,
      sumD: 0,
      sumD2: 0,
      challenger: scored?.challenger ?? metricOf(chall),
      champion: champ ? (scored?.champion ?? metricOf(champ)) : null,
      baseline: base ? metricOf(base) : null,
    };
    if (champ) {
      const sums = pairedLossSums(s, ys, part(chall), part(champ));
      entry.rows = to - from;
      entry.sumD = sums.sumD;
      entry.sumD2 = sums.sumD2;
    }
    return entry;
  }

  /**
   * 4. gate: decides on the out-of-time evidence, this batch's included. Nothing
   * changes here; a passing challenger is promoted once the batch is learned
   * ({@link Pipeline.commitGate}): the learning state after learning it (the
   * default), or the very state that was scored (`promote: "as-tested"`, copied here).
   */
  private gate(features: Features, tested: Tested): Verdict | null {
    const s = this.settings;
    let entry = tested.evidence;
    if (s.mode === "holdout") entry = this.holdoutEvidence(features, tested);
    if (!entry) return null;
    const hasChampion = this.champion !== null;
    const decision = decide(s, this.evidence.preview(entry), hasChampion, hasChampion && s.promote === "as-tested" ? this.evaluator(this.learning) : null);
    // As tested: the state that was scored, before it learns the batch.
    const asTested = decision.promoted && hasChampion && s.promote === "as-tested" ? this.learning.copy() : null;
    return { decision, entry: s.mode === "holdout" ? entry : null, asTested };
  }

  /** Holdout mode: a copy of the learning state learns the batch's head; it, the champion and the baseline are scored on the tail. */
  private holdoutEvidence(features: Features, tested: Tested): EvidenceEntry | null {
    const s = this.settings;
    const n = features.rows;
    const hold = Math.max(1, Math.floor(n * s.holdoutFraction));
    if (n < 2) return null;
    const candidate = this.learning.candidate();
    const tail = sliceCheckedBatch(features.forLearner, n - hold, n);
    let chall: Predictions;
    try {
      candidate.learn(sliceCheckedBatch(features.forLearner, 0, n - hold), undefined);
      chall = predictWith(candidate.trainer, tail, s.proba);
    } catch (err) {
      if (!isFreshmlError(err)) throw err;
      return null; // no evidence; the learn stage meets a learning failure again and says why
    }
    const k = s.classes?.length ?? 1;
    const tailOf = (p: Predictions | null): Predictions | null =>
      p ? { values: p.values.subarray(n - hold), proba: p.proba ? p.proba.subarray((n - hold) * k) : null } : null;
    return this.evidenceOf(tail.y, chall, tailOf(tested.champion), tailOf(tested.baseline), 0, hold);
  }

  /** The gate's decision takes effect, now that the batch is learned. */
  private commitGate(verdict: Verdict | null, features: Features, index: number, run: Run): GateDecision | undefined {
    if (verdict?.entry) this.evidence.push(verdict.entry);
    // The first model serves as soon as it exists, unless a rule needs evidence first.
    if (!this.champion) return this.promoteFirst(verdict?.decision, features, index, run);
    if (!verdict) return undefined;
    const { decision } = verdict;
    if (decision.promoted && verdict.asTested) this.promote(verdict.asTested, false, index, run, decision);
    else if (decision.promoted) this.promoteLearned(decision, index, run);
    else run.emit({ type: "model_rejected", batch: index, reasons: decision.reasons });
    return decision;
  }

  /** The default promotion: the learning state, once it has learned the batch whose evidence passed (the evaluation set scores it). */
  private promoteLearned(decision: GateDecision, index: number, run: Run): void {
    const evaluate = this.evaluator(this.learning);
    if (evaluate) checkEvaluation(this.settings, decision, evaluate());
    if (!decision.promoted) {
      run.emit({ type: "model_rejected", batch: index, reasons: decision.reasons });
      return;
    }
    this.promote(this.learning.copy(), true, index, run, decision);
  }

  /** `state` becomes the champion; `isLearner`: it is a copy of the learning state as it stands. */
  private promote(state: LearningState, isLearner: boolean, index: number, run: Run, decision: GateDecision): void {
    this.champion = {
      model: new ServingModelBase(state.trainer, state.featurizer, null),
      version: null,
      snapshot: { learning: state.toJSON(), parent: this.champion?.version ?? null },
    };
    this.championDirty = true;
    this.learnerIsChampion = isLearner;
    this.learning.markChampion();
    this.evidence.clear();
    // A fresh detector: the error stream it watches is the new champion's.
    if (this.detectorTemplate) this.detector = restoreDetector(this.detectorTemplate.toJSON());
    run.promoted(index, decision);
  }

  /** No champion yet, and the learning state has learned a batch: it serves unless a rule needs evidence it has not got, or it cannot predict. */
  private promoteFirst(decided: GateDecision | undefined, features: Features, index: number, run: Run): GateDecision | undefined {
    if (this.learning.trainer.nSeen === 0) return decided;
    const decision = decided ?? decide(this.settings, this.evidence.entries, false, null);
    if (decision.promoted) {
      // A model that cannot predict (a singular system, say) does not serve.
      try {
        predictWith(this.learning.trainer, sliceCheckedBatch(features.forLearner, 0, 1), this.needProba);
      } catch (err) {
        if (!isFreshmlError(err)) throw err;
        decision.promoted = false;
        decision.reasons.push(`the model cannot predict: ${err.message}`);
      }
    }
    if (!decision.promoted) {
      run.emit({ type: "model_rejected", batch: index, reasons: decision.reasons });
      return decision;
    }
    this.promoteLearned(decision, index, run);
    return decision;
  }

  /** Scores a candidate and the champion on the evaluation set, when there is one. */
  private evaluator(candidate: LearningState): (() => EvaluationScores) | null {
    const { trainer, featurizer } = candidate;
    const set = this.evaluationSet;
    if (!set) return null;
    const s = this.settings;
    const scoreOn = (t: Trainer, f: Featurizer | null): number => {
      const batch = set.numeric ?? checkBatch({ X: f!.impute(set.raw!.X, set.raw!.missing), cols: set.raw!.cols, y: set.raw!.y });
      try {
        const m = newMetric(s.metric, s.classes);
        scoreInto(m, batch.y, predictWith(t, batch, s.proba));
        return m.get();
      } catch (err) {
        if (!isFreshmlError(err)) throw err;
        return NaN;
      }
    };
    return () => ({ challenger: scoreOn(trainer, featurizer), champion: this.champion ? scoreOn(this.champion.model.trainer, this.champion.model.featurizer) : null });
  }

  /** 5. learn: the learning state learns every row of the batch. */
  private learn(features: Features, id: string | undefined): true | Quarantine {
    try {
      this.learning.learn(features.forLearner, id, features.raw ?? undefined, features.magnitudes ?? undefined);
    } catch (err) {
      if (!isFreshmlError(err)) throw err;
      return new Quarantine([{ code: "learn_failed", severity: "error", message: `the trainer could not learn this batch (${err.code}): ${err.message}` }]);
    }
    this.learnerIsChampion = false;
    return true;
  }

  /** Hands the rows left out of a batch to the dead-letter sink. */
  private async sendDropped(batch: SourceBatch, index: number, id: string | undefined, drops: RowDrops): Promise<void> {
    if (!this.deadLetter) return;
    const all = sourceRows(batch);
    await this.deadLetter({
      kind: "rows",
      batch: index,
      ...(id !== undefined ? { id } : {}),
      rows: drops.dropped.map((d) => all[d.row]),
      rowIndices: drops.dropped.map((d) => d.row),
      issues: drops.dropped.map((d) => d.issue),
    });
  }

  private reactToDrift(index: number, run: Run): void {
    const r = this.onDrift;
    let reaction = "report";
    if (r === "reset" || (typeof r === "object" && (this.policy === "incremental" || this.policy === "full" || isAutoPolicy(this.policy)))) {
      this.learning.reset();
      reaction = "reset";
    } else if (typeof r === "object") {
      this.learning.shrinkWindow(r.shrinkWindowTo);
      reaction = `shrink window to ${r.shrinkWindowTo}`;
    }
    if (reaction !== "report") this.learnerIsChampion = false;
    run.emit({ type: "drift_detected", batch: index, reaction });
  }

  private async quarantine(run: Run, index: number, id: string | undefined, q: Quarantine, batch: SourceBatch, rows: number): Promise<void> {
    // The sink first: if it fails, the batch is not consumed, and a restart meets it again.
    if (this.deadLetter) {
      const all = sourceRows(batch);
      await this.deadLetter({ kind: "batch", batch: index, ...(id !== undefined ? { id } : {}), rows: all, rowIndices: all.map((_, i) => i), issues: q.issues });
    }
    this.learning.position++;
    this.stateDirty = true;
    run.quarantined(index, id, rows, q.issues, q.groups);
    if (this.onQuarantine !== "throw") return;
    // Save what was learned before stopping, so a restart continues after this batch.
    await this.save(run, index, true);
    const report = run.finish(this.champion?.version ?? null, false);
    throw new FreshmlError("batch_quarantined", `batch ${index} was quarantined: ${q.issues.map((i) => i.message).join("; ")}`, { batch: index, report });
  }

  // ——— save ———

  /** 6. save: a promotion as a new version now; the learning state at the checkpoint cadence. Returns the version written, if any. */
  private async save(run: Run, index: number, force = false): Promise<number | null> {
    const version = await this.saveChampion(run, index);
    this.batchesSinceCheckpoint++;
    const c = this.cadence;
    const due = force || c === "every-batch" || (typeof c === "object" && this.batchesSinceCheckpoint >= c.every);
    if (due) await this.writeCheckpoint(run, index);
    return version;
  }

  private async saveChampion(run: Run | null, index: number): Promise<number | null> {
    const c = this.champion;
    if (!c || !this.championDirty || !c.snapshot) return null;
    // The champion it replaced; read from the store only if that one was never saved.
    const parent = c.snapshot.parent ?? (await this.store.resolveAlias(this.name, "champion"));
    const learning = c.snapshot.learning;
    const since = learning.sinceChampion;
    // Stored and aliased under one lock: a concurrent prune cannot take the version in between.
    const version = await (this.store as FencingModelStore).putAndAlias({
      name: this.name,
      parent,
      trainer: c.model.trainer.toJSON(),
      ...(c.model.featurizer ? { preprocessing: c.model.featurizer.toJSON() } : {}),
      // A rollback to this version starts a fresh detector: the error stream it watched was another champion's.
      learningState: { learning },
      metrics: this.lastDecisionMetrics(run),
      data: { batches: since.batches, rows: since.rows, fingerprint: learning.fingerprint },
      tags: {
        "freshml.position": String(learning.position),
        "freshml.rowsLearned": String(learning.rowsLearned),
        ...(since.ids.length ? { "freshml.batchIds": JSON.stringify(since.ids) } : {}),
        // Policy "auto": the memory this version serves.
        ...(learning.auto ? { "freshml.memory": learning.auto.candidates[learning.auto.served]!.label } : {}),
      },
    }, "champion", ...this.fenced());
    this.aliasEvents++;
    c.version = version;
    this.championDirty = false;
    this.stateDirty = true;
    run?.saved(index, version, "champion");
    return version;
  }

  private lastDecisionMetrics(run: Run | null): Record<string, number> {
    const d = run?.lastDecision;
    if (!d) return {};
    const out: Record<string, number> = {};
    if (d.challenger !== null) out[d.metric] = d.challenger;
    if (d.champion !== null) out[`${d.metric}.previousChampion`] = d.champion;
    if (d.baseline !== null) out[`${d.metric}.baseline`] = d.baseline;
    return out;
  }

  /** Writes the champion if pending, then the learning state to the checkpoint slot (when it changed). */
  private async writeCheckpoint(run: Run | null, index: number, final = false): Promise<void> {
    if (final) await this.saveChampion(run, index);
    if (!this.stateDirty) return;
    const champion = this.champion?.version ?? null;
    await (this.store as FencingModelStore).putCheckpoint({
      name: this.name,
      champion,
      trainer: this.learning.trainer.toJSON(),
      state: {
        learning: this.learning.toJSON(),
        detector: this.detector?.toJSON() ?? null,
        evidence: this.evidence.toJSON(),
        learnerIsChampion: this.learnerIsChampion,
        aliasEvents: this.aliasEvents,
        // Validators' references and learned ranges, so a restart judges batches as the run before it did.
        validators: saveValidators(this.validators),
      },
    }, ...this.fenced());
    this.checkpointSequence++;
    this.stateDirty = false;
    this.batchesSinceCheckpoint = 0;
    run?.saved(index, champion, "checkpoint");
  }

  /** The `{ fence }` argument of a store write when the pipeline is fenced; `lease_lost` when no grant is held. */
  private fenced(): [] | [FenceOptions] {
    if (!this.fence) return [];
    const grant = this.fence();
    if (!grant) throw new FreshmlError("lease_lost", `pipeline ${this.name} holds no lease: its writes are refused`, { name: this.name });
    return [{ fence: grant }];
  }

  private readEvaluationSet(set: NonNullable<GateOptions["evaluationSet"]>): { raw: Featurized | null; numeric: CheckedBatch | null } {
    try {
      if (Array.isArray(set)) {
        if (!this.rows || !this.featurizer) throw new FreshmlError("invalid_params", "gate.evaluationSet of row objects needs the pipeline's schema", { param: "gate.evaluationSet" });
        const r = this.rows.check(set);
        if (!r.ok) throw new FreshmlError("invalid_params", `gate.evaluationSet fails the schema: ${r.issues[0]?.message ?? ""}`, { param: "gate.evaluationSet" });
        return { raw: this.featurizer.transform(r.table!), numeric: null };
      }
      return { raw: null, numeric: checkBatch(set as Batch) };
    } catch (err) {
      if (isFreshmlError(err) && err.code !== "invalid_params") throw new FreshmlError("invalid_params", `gate.evaluationSet: ${err.message}`, { param: "gate.evaluationSet" });
      throw err;
    }
  }
}

function checkNameParam(name: string): string {
  try {
    return checkName(name);
  } catch (err) {
    if (isFreshmlError(err)) throw new FreshmlError("invalid_params", err.message, { param: "name" });
    throw err;
  }
}

function isStore(store: unknown): store is ModelStore {
  const s = store as Partial<Record<keyof ModelStore, unknown>> | null;
  return typeof s === "object" && s !== null && (["put", "putAndAlias", "get", "list", "setAlias", "resolveAlias", "aliasHistory", "rollback", "prune", "putCheckpoint", "getCheckpoint"] as const).every((k) => typeof s[k] === "function");
}

function isDetector(d: unknown): d is DriftDetector {
  const x = d as { update?: unknown; toJSON?: unknown } | null;
  return typeof x === "object" && x !== null && typeof x.update === "function" && typeof x.toJSON === "function" && "driftDetected" in x;
}

/** Metric values by name. */
function scoreValues(names: readonly GateMetric[], metrics: readonly Metric[]): Record<string, number> {
  const out: Record<string, number> = {};
  metrics.forEach((m, k) => (out[names[k]!] = m.get()));
  return out;
}

function tryPredict(model: Trainer, batch: CheckedBatch, proba: boolean): Predictions | null {
  try {
    return predictWith(model, batch, proba);
  } catch (err) {
    if (!isFreshmlError(err)) throw err;
    return null;
  }
}

/** Feeds the champion's per-row errors to the detector; true when it fired. */
// Scratch for the per-row errors, reused batch to batch (the detector copies what it keeps).
let errorScratch = new Float64Array(1024);

function feedDetector(detector: DriftDetector, y: Float64Array, pred: Float64Array, classifier: boolean): boolean {
  if (errorScratch.length < y.length) errorScratch = new Float64Array(y.length);
  const errors = errorScratch;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    const e = classifier ? (pred[i] === y[i] ? 0 : 1) : Math.abs(pred[i]! - y[i]!);
    // Detectors clamp huge errors themselves; an error that overflowed (two huge finite values) counts as the largest.
    errors[n++] = e <= DETECTOR_VALUE_LIMIT ? e : DETECTOR_VALUE_LIMIT;
  }
  const values = errors.subarray(0, n);
  const many = (detector as DriftDetector & { updateMany?: (v: ArrayLike<number>) => number }).updateMany;
  if (typeof many === "function") return many.call(detector, values) >= 0;
  let fired = false;
  for (let i = 0; i < n; i++) {
    detector.update(values[i]!);
    if (detector.driftDetected) fired = true;
  }
  return fired;
}

/** The featurizer a schema implies, with every configuration mistake reported here rather than as quarantined batches. */
function featurizerFor(layout: readonly FieldSpec[], features: readonly string[] | undefined, target: string, trainer: Trainer, preprocessing: FeaturizerOptions = {}): Featurizer {
  const byName = new Map(layout.map((f) => [f.name, f]));
  const known = layout.map((f) => f.name).join(", ");
  const targetSpec = byName.get(target);
  if (!targetSpec) throw new FreshmlError("invalid_params", `target ${JSON.stringify(target)} is not a field of the schema (fields: ${known})`, { param: "target" });
  if (targetSpec.kind === "string") throw new FreshmlError("invalid_params", `target ${target} is a free string; use z.enum([...]) for class labels`, { param: "target" });
  if (targetSpec.optional) throw new FreshmlError("invalid_params", `target ${target} is optional in the schema; a row without a target cannot be learned`, { param: "target" });
  if (features !== undefined && !Array.isArray(features)) throw new FreshmlError("invalid_params", "features must be an array of field names", { param: "features" });
  const names = features ?? layout.map((f) => f.name).filter((n) => n !== target);
  if (names.length === 0) throw new FreshmlError("invalid_params", "the pipeline has no feature fields", { param: "features" });
  if (new Set(names).size !== names.length) throw new FreshmlError("invalid_params", `features lists a field twice: ${names.join(", ")}`, { param: "features" });
  const fields: FieldJSON[] = [];
  for (const name of names) {
    const spec = byName.get(name);
    if (!spec) throw new FreshmlError("invalid_params", `feature ${JSON.stringify(name)} is not a number, boolean or enum field of the schema (fields: ${known})`, { param: "features" });
    if (name === target) throw new FreshmlError("invalid_params", `${name} is the target; it cannot be a feature too`, { param: "features" });
    fields.push(featureField(spec, preprocessing));
  }
  if (trainer.task === "classification") {
    const classes = isClassifier(trainer) ? trainer.classes : [];
    if (targetSpec.kind === "enum") {
      const k = targetSpec.levels.length;
      const expected = Array.from({ length: k }, (_, i) => i);
      if (classes.length !== k || classes.some((c, i) => c !== i)) {
        throw new FreshmlError(
          "invalid_params",
          `the target ${target} has ${k} levels (${targetSpec.levels.join(", ")}), learned as classes ${JSON.stringify(expected)}; the trainer declares classes ${JSON.stringify(classes)}`,
          { param: "trainer", observed: classes, expected },
        );
      }
    } else if (targetSpec.kind === "boolean") {
      if (classes.length !== 2 || classes[0] !== 0 || classes[1] !== 1) {
        throw new FreshmlError("invalid_params", `the target ${target} is a boolean (classes [0, 1]); the trainer declares ${JSON.stringify(classes)}`, { param: "trainer" });
      }
    }
  } else if (targetSpec.kind === "enum") {
    throw new FreshmlError("invalid_params", `the target ${target} is an enum (class labels) but ${trainer.kind} does regression; use a classifier`, { param: "trainer" });
  }
  return new Featurizer(fields, toField(targetSpec), preprocessing);
}

function toField(spec: FieldSpec): FieldJSON {
  if (spec.kind === "string") throw new FreshmlError("invalid_params", `field ${spec.name} is a free string`);
  return {
    name: spec.name,
    kind: spec.kind,
    optional: spec.optional,
    ...(spec.kind === "enum" ? { levels: spec.levels.slice() } : {}),
    ...(spec.default !== undefined ? { default: spec.default } : {}),
  };
}

function rowsOf(batch: SourceBatch): readonly unknown[] | null {
  if (Array.isArray(batch)) return batch;
  const rows = (batch as Partial<IdentifiedRows> | null)?.rows;
  return Array.isArray(rows) ? rows : null;
}

/** A batch's rows as the source gave them: row objects, or `{ x, y }` per row of a numeric batch (best effort for malformed ones). */
function sourceRows(batch: SourceBatch): unknown[] {
  const rows = rowsOf(batch);
  if (rows) return rows.slice();
  const b = batch as Partial<{ X: unknown; y: unknown; cols: unknown }> | null;
  const X = b?.X as ArrayLike<unknown> | undefined;
  const y = b?.y as ArrayLike<unknown> | undefined;
  if (!X || typeof X !== "object" || typeof X.length !== "number" || X.length > 1e8) return [batch];
  if (Array.isArray(X) && X.every((r) => Array.isArray(r) || ArrayBuffer.isView(r))) return X.map((x, i) => ({ x: Array.from(x as ArrayLike<number>), y: y?.[i] }));
  const cols = typeof b?.cols === "number" && b.cols > 0 ? b.cols : 0;
  if (!cols || X.length % cols !== 0) return [batch];
  return Array.from({ length: X.length / cols }, (_, i) => ({ x: Array.from({ length: cols }, (_, j) => X[i * cols + j]), y: y?.[i] }));
}

/** A copy of `row` with each number beyond an inclusive bound set to the bound; null if some issue is not of that kind. */
function clipRow(row: unknown, issues: readonly z.core.$ZodIssue[]): Record<string, unknown> | null {
  if (row === null || typeof row !== "object" || Array.isArray(row)) return null;
  const copy: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const zi of issues) {
    if (zi.path.length !== 1 || typeof zi.path[0] !== "string") return null;
    const key = zi.path[0];
    if (typeof copy[key] !== "number") return null;
    if (zi.code === "too_big" && zi.inclusive === true && typeof zi.maximum === "number") copy[key] = zi.maximum;
    else if (zi.code === "too_small" && zi.inclusive === true && typeof zi.minimum === "number") copy[key] = zi.minimum;
    else return null;
  }
  return copy;
}

/** Resolves after pending timers and I/O had their turn (a macrotask, not a microtask). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

function batchRows(batch: SourceBatch): number {
  const rows = rowsOf(batch);
  if (rows) return rows.length;
  const y = (batch as Partial<NumericBatch> | null)?.y;
  return y && typeof y === "object" && typeof y.length === "number" ? y.length : 0;
}

/** The batch's id; undefined without one; null for an id that is not a usable string. */
function batchId(batch: SourceBatch): string | undefined | null {
  if (Array.isArray(batch) || batch === null || typeof batch !== "object") return undefined;
  const id = (batch as { id?: unknown }).id;
  if (id === undefined) return undefined;
  return typeof id === "string" && id.length > 0 && id.length <= 512 ? id : null;
}

/** The first RECORD_ISSUES issues, and a line counting the rest. */
function summarizeAll(issues: readonly ValidationIssue[], omitted: number): IssueSummary[] {
  const out = issues.slice(0, RECORD_ISSUES).map(summarize);
  const more = issues.length - out.length + omitted;
  if (more > 0) out.push({ code: issues[RECORD_ISSUES]?.code ?? "schema", severity: "error", message: `${more} more issues (see the record's issueGroups)` });
  return out;
}

/** Issues grouped by code and column, JSON-safe, with a group for any the schema checker only counted. */
function groupsOf(issues: readonly ValidationIssue[], omitted: number): IssueGroup[] {
  const groups = groupIssues(issues).map((g) => ({ ...g, examples: g.examples.map((e) => jsonSafe(e) as IssueExample) }));
  if (omitted > 0) groups.push({ code: "schema", severity: "error", count: omitted, firstRows: [], examples: [], message: `${omitted} more schema issues, not examined one by one` });
  return groups;
}

function summarize(i: ValidationIssue): IssueSummary {
  const x = i as ValidationIssue & { row?: unknown; observed?: unknown; expected?: unknown };
  return {
    code: i.code,
    severity: i.severity,
    ...(i.column !== undefined ? { column: i.column } : {}),
    message: i.message,
    ...(typeof x.row === "number" ? { row: x.row } : {}),
    // What was found and what was expected, as JSON-safe values (the report is JSON).
    ...(x.observed !== undefined ? { observed: jsonSafe(x.observed) } : {}),
    ...(x.expected !== undefined ? { expected: jsonSafe(x.expected) } : {}),
  };
}

/** A JSON round trip of a small issue value (non-finite numbers become their names). */
function jsonSafe(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  try {
    return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x))) as unknown;
  } catch {
    return String(v);
  }
}
