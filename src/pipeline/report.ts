import type { FieldCount } from "../preprocessing/featurizer.js";
import type { ColumnDriftScore, IssueGroup, Severity } from "../validate/validator.js";
import type { GateDecision, GateMetric } from "./gate.js";
import type { MemoryChoice } from "./auto.js";
import type { DroppedRows } from "./rows.js";

/** Where a run spends its time, in milliseconds. */
export interface StageTimes {
  /** Schema, quality and drift checks. */
  validate: number;
  /** Rows to a feature matrix (imputation included). */
  featurize: number;
  /** Champion, challenger and baseline predicting the batch before anything learns it; metrics; the stream detector. */
  test: number;
  /** The gate's decision (in holdout mode: the candidate learning the batch's head, too). */
  gate: number;
  /** The learning state learning the batch, per the policy. */
  learn: number;
  /** Writing versions, aliases and checkpoints to the store. */
  save: number;
}

/** A validation issue as the report keeps it (JSON-safe). */
export interface IssueSummary {
  /** The issue code (or a FreshmlError code for malformed numeric batches). */
  code: string;
  /** error or warn. */
  severity: Severity;
  /** The column, when there is one. */
  column?: string;
  /** The readable message. */
  message: string;
  /** The row at fault, when the issue is about one row. */
  row?: number;
  /** What was found (the validator's observation, JSON-safe). */
  observed?: unknown;
  /** What was expected instead. */
  expected?: unknown;
}

/** Metric values of the models on one batch, before they learned it. */
export interface BatchScores {
  /** The champion's, by metric (absent when there was no champion). */
  champion?: Record<string, number>;
  /** The challenger's (the learning state's), by metric (absent before it learned anything). */
  challenger?: Record<string, number>;
}

/** What happened to one batch: learned ({@link AcceptedBatchRecord}) or not ({@link QuarantinedBatchRecord}); `status` tells which. */
export type BatchRecord = AcceptedBatchRecord | QuarantinedBatchRecord;

/** A batch that was never learned: it failed validation, or no model could predict or learn it. */
export interface QuarantinedBatchRecord {
  /** The batch's position in the stream (counting across runs). */
  batch: number;
  /** The batch's id, when the source gave one. */
  id?: string;
  /** Discriminant. */
  status: "quarantined";
  /** Rows in the batch (none learned). */
  rows: number;
  /** The reasons (the first 20 one by one, then a count). */
  issues: IssueSummary[];
  /** The validators' and schema's issues grouped by code and column, with counts, first rows and examples. */
  issueGroups?: IssueGroup[];
}

/** A batch that was learned (all its rows, but those the row policy left out). */
export interface AcceptedBatchRecord {
  /** The batch's position in the stream (counting across runs). */
  batch: number;
  /** The batch's id, when the source gave one. */
  id?: string;
  /** Discriminant. */
  status: "accepted";
  /** Rows in the batch as the source gave it. */
  rows: number;
  /** Rows learned: `rows` less those dropped. */
  learned: number;
  /** Rows the row policy left out (and clipped), when any. */
  dropped?: DroppedRows;
  /** The champion's prequential score on the gate metric, before anything learned the batch (null without a champion). */
  prequential: number | null;
  /** Every tracked metric of champion and challenger on this batch, out of time. */
  scores?: BatchScores;
  /** The gate's decision (absent when there was nothing to decide: no fitted challenger, or it is the champion). */
  decision?: GateDecision;
  /** Whether the stream detector fired on this batch's errors. */
  detectorDrift?: boolean;
  /** Policy "auto": which memory serves after this batch, and the candidates' recent out-of-time losses. */
  memory?: MemoryChoice;
  /** Per-column distribution drift scores, when a drift validator ran. */
  drift?: readonly ColumnDriftScore[];
  /** Warnings the validators reported (the first 20 one by one, then a count). */
  issues: IssueSummary[];
  /** The warnings grouped by code and column, with counts and examples. */
  issueGroups?: IssueGroup[];
  /** Fields with missing values or unseen levels in this batch, with their counts (imputed or kept per the preprocessing). */
  fields?: FieldCount[];
  /** Store version saved after this batch, if any. */
  savedVersion?: number;
}

/** A batch passed over without being processed. */
export interface SkippedBatch {
  /** Its place in the source of this run (0 = the first item). */
  item: number;
  /** Its id, when it has one. */
  id?: string;
  /** `replayed`: before `resume.from`; `redelivered`: its id was learned already. */
  reason: "replayed" | "redelivered";
}

/** A promotion: the version it became (null when the checkpoint cadence did not save it). */
export interface Promotion {
  /** The batch at whose gate it was promoted. */
  batch: number;
  /** The stored version, or null if not saved at promotion time. */
  version: number | null;
  /** The challenger's gate score. */
  score: number | null;
}

/** A tracked metric over a whole run, prequential. */
export interface RunMetric {
  /** The served champion's (null: it scored nothing). */
  champion: number | null;
  /** The learning state's. */
  challenger: number | null;
}

/** One tracked metric over the run, batch by batch (the newest `maxBatchRecords`). */
export interface MetricSeries {
  /** Stream positions. */
  batch: number[];
  /** The champion's value on each batch (null: no champion). */
  champion: Array<number | null>;
  /** The challenger's (null: not fitted yet). */
  challenger: Array<number | null>;
}

/**
 * Everything a run did, JSON-serialisable. Every batch is accounted for:
 * `accepted + quarantined = total`; skipped items (replayed or re-delivered)
 * are counted apart.
 */
export interface RunReport {
  /** The model name in the store. */
  name: string;
  /** completed, or aborted through the AbortSignal (see `stoppedAt`). */
  status: "completed" | "aborted";
  /** ISO time the run started. */
  startedAt: string;
  /** Wall time of the run. */
  durationMs: number;
  /** Batch counts. */
  batches: BatchCounts;
  /** Row counts. */
  rows: RowCounts;
  /** Time per stage. */
  stageMs: StageTimes;
  /** The champion's prequential score on the gate metric over the run (test-then-train). */
  prequential: PrequentialScore;
  /** Every tracked metric over the run: champion and challenger, prequential. */
  metrics: Record<string, RunMetric>;
  /** Every tracked metric batch by batch. */
  series: Record<string, MetricSeries>;
  /** Promotions, in order (the newest `maxBatchRecords`; `promotionsTotal` counts all). */
  promotions: Promotion[];
  /** Promotions in the run. */
  promotionsTotal: number;
  /** Stream-detector alarms, by batch (the newest `maxBatchRecords`). */
  driftAlarms: number[];
  /** Detector alarms in the run. */
  driftAlarmsTotal: number;
  /** Versions and checkpoints written (the newest `maxBatchRecords`). */
  checkpoints: Checkpoint[];
  /** Items of the source passed over, with why (the newest `maxBatchRecords`). */
  skipped: SkippedBatch[];
  /** The champion version serving at the end (null if none was saved). */
  championVersion: number | null;
  /** Per-batch records (the newest `maxBatchRecords`; older ones are counted in `recordsDropped`). */
  records: BatchRecord[];
  /** Records dropped to bound memory. */
  recordsDropped: number;
  /** Set when the run restored its state from the store. */
  restoredFrom?: RestorePoint;
  /** Why the run happened, when a scheduler (or the host) said. */
  trigger?: string;
  /** Where an aborted run stopped. */
  stoppedAt?: StopPoint;
  /** The run's entry in the pipeline's run history, when it has one. */
  historyId?: string;
}

/** Batch counts of a run: `accepted + quarantined = total`. */
export interface BatchCounts {
  /** Batches processed. */
  total: number;
  /** Learned. */
  accepted: number;
  /** Failed validation (or could not be learned), never learned. */
  quarantined: number;
  /** Passed over: replayed before `resume.from`, or re-delivered ids already learned. */
  skipped: number;
}

/** Row counts of a run: `seen = learned + dropped`. */
export interface RowCounts {
  /** Rows in accepted batches. */
  seen: number;
  /** Rows learned (every row of every accepted batch, but those dropped). */
  learned: number;
  /** Rows the row policy left out of accepted batches (handed to the dead-letter sink). */
  dropped: number;
  /** Rows in quarantined batches. */
  quarantined: number;
}

/** A metric and its value (null when nothing was scored). */
export interface PrequentialScore {
  /** The metric. */
  metric: GateMetric;
  /** Its value over the run. */
  value: number | null;
}

/** A version or checkpoint the run wrote. */
export interface Checkpoint {
  /** The last batch it includes. */
  batch: number;
  /** The stored version (`champion`), or the champion version a checkpoint continues from. */
  version: number | null;
  /** `champion`: a new version with the alias moved to it; `checkpoint`: the learning state's slot. */
  kind: "champion" | "checkpoint";
}

/** Where a run's state came from. */
export interface RestorePoint {
  /** The champion version restored (null: none yet). */
  version: number | null;
  /** The checkpoint's sequence number, when the learning state came from the checkpoint. */
  checkpoint: number | null;
  /** Batches of the stream the state had consumed. */
  position: number;
  /**
   * `checkpoint`: the learning state continues from the checkpoint;
   * `champion`: the champion alias had moved (a rollback, or another writer), so
   * learning continues from that version's own learning state.
   */
  from: "checkpoint" | "champion";
  /** The validators' state (references, learned ranges): restored from the checkpoint, or fresh (none saved, or validators configured otherwise). */
  validators?: "restored" | "fresh";
  /** With a `gate.baseline`: the stored baseline continues (`restored`), or the configured one starts afresh (`fresh`: it was added or changed since). */
  baseline?: "restored" | "fresh";
}

/** Where an aborted run stopped. */
export interface StopPoint {
  /** The next batch it would have processed. */
  batch: number;
  /** The stage it stopped before. */
  stage: keyof StageTimes | "between batches";
}
