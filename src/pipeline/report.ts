import type { ColumnDriftScore, Severity } from "../validate/validator.js";
import type { GateDecision, GateMetric } from "./gate.js";

/** Where a run spends its time, in milliseconds. */
export interface StageTimes {
  /** Schema, quality and drift checks. */
  validate: number;
  /** Rows to a feature matrix. */
  featurize: number;
  /** The champion's prequential predictions and the stream detector. */
  predict: number;
  /** The challenger learning the batch (per the policy). */
  update: number;
  /** Scoring challenger, champion and baseline on held-out rows. */
  gate: number;
  /** Writing versions and aliases to the store. */
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
}

/** What happened to one batch. */
export interface BatchRecord {
  /** The batch's position in the stream (counting across resumed runs). */
  batch: number;
  /** accepted, or quarantined (never learned from). */
  status: "accepted" | "quarantined";
  /** Rows in the batch. */
  rows: number;
  /** The champion's prequential score on this batch before learning it (null when there was no champion). */
  prequential: number | null;
  /** The gate's decision (accepted batches). */
  decision?: GateDecision;
  /** Whether the stream detector fired on this batch's errors. */
  detectorDrift?: boolean;
  /** Per-column distribution drift scores, when a drift validator ran. */
  drift?: readonly ColumnDriftScore[];
  /** Every issue (quarantined batches) or warning (accepted ones). */
  issues: IssueSummary[];
  /** Store version saved after this batch, if any. */
  savedVersion?: number;
}

/** A promotion: the version it became (null when the checkpoint cadence did not save it). */
export interface Promotion {
  /** The batch whose challenger was promoted. */
  batch: number;
  /** The stored version, or null if not saved at promotion time. */
  version: number | null;
  /** The challenger's gate score. */
  score: number;
}

/**
 * Everything a run did, JSON-serialisable. Every batch is accounted for:
 * `accepted + quarantined = total` (plus `skipped` when a resumed run passed
 * over batches learned before).
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
  /** The champion's prequential score over the whole run (test-then-train). */
  prequential: PrequentialScore;
  /** Promotions, in order (the newest `maxBatchRecords`; `promotionsTotal` counts all). */
  promotions: Promotion[];
  /** Promotions in the run. */
  promotionsTotal: number;
  /** Stream-detector alarms, by batch (the newest `maxBatchRecords`). */
  driftAlarms: number[];
  /** Detector alarms in the run. */
  driftAlarmsTotal: number;
  /** Versions written, with the aliases moved to them (the newest `maxBatchRecords`). */
  checkpoints: Checkpoint[];
  /** The champion version serving at the end (null if none was saved). */
  championVersion: number | null;
  /** Per-batch records (the newest `maxBatchRecords`; older ones are counted in `recordsDropped`). */
  records: BatchRecord[];
  /** Records dropped to bound memory. */
  recordsDropped: number;
  /** Set when the run resumed from a stored checkpoint. */
  resumedFrom?: ResumePoint;
  /** Why the run happened, when a scheduler (or the host) said. */
  trigger?: string;
  /** Where an aborted run stopped. */
  stoppedAt?: StopPoint;
}

/** Batch counts of a run: `accepted + quarantined = total`. */
export interface BatchCounts {
  /** Batches processed. */
  total: number;
  /** Learned from. */
  accepted: number;
  /** Failed validation, never learned from. */
  quarantined: number;
  /** Passed over on resume (learned by an earlier run). */
  skipped: number;
}

/** Row counts of a run. */
export interface RowCounts {
  /** Rows in accepted batches. */
  seen: number;
  /** Rows learned from. */
  learned: number;
  /** Rows held out for the gate. */
  heldOut: number;
}

/** A metric and its value (null when nothing was scored). */
export interface PrequentialScore {
  /** The metric. */
  metric: GateMetric;
  /** Its value over the run. */
  value: number | null;
}

/** A version the run wrote. */
export interface Checkpoint {
  /** The last batch it includes. */
  batch: number;
  /** The stored version. */
  version: number;
  /** Aliases moved to it. */
  aliases: string[];
}

/** Where a resumed run picked up. */
export interface ResumePoint {
  /** The checkpoint version restored. */
  version: number;
  /** Batches of the stream it had consumed. */
  position: number;
}

/** Where an aborted run stopped. */
export interface StopPoint {
  /** The next batch it would have processed. */
  batch: number;
  /** The stage it stopped before. */
  stage: keyof StageTimes | "between batches";
}
