import * as z from "zod";
import { FreshmlError } from "../core/errors.js";
import type { RunHistory, RunRetention } from "../history/run-history.js";
import type { TrainerJSON } from "../learners/trainer.js";

/** What the rows behind a version were: counts and a fingerprint of the data. */
export interface DataSummary {
  /** Batches learned since the parent version. */
  batches: number;
  /** Rows learned since the parent version. */
  rows: number;
  /** A hash of the data (see the pipeline's fingerprinting); "" when unknown. */
  fingerprint: string;
}

/** What {@link ModelStore.put} takes: everything but the version number and time, which the store assigns. */
export interface ModelRecordInput {
  /** The model's name: letters, digits, `.`, `_`, `-`; 1–128 characters; no `..`. */
  name: string;
  /** The version this one was trained from; null for a first version. */
  parent?: number | null;
  /** The trainer's envelope: kind, parameters and learned state. */
  trainer: TrainerJSON;
  /** Evaluation metrics, e.g. `{ rmse: 0.31 }`. */
  metrics?: Record<string, number>;
  /** The data behind this version. */
  data?: DataSummary;
  /** Free-form labels. */
  tags?: Record<string, string>;
  /** freshml version that wrote it; defaults to the running library's. */
  libraryVersion?: string;
  /**
   * What serving needs besides the trainer, as JSON (the pipeline writes its
   * featurizer here: schema fields, enum levels, imputation statistics).
   * Opaque to the store; `loadModel` reads it.
   */
  preprocessing?: unknown;
  /**
   * What a pipeline needs to continue learning from this version (learning
   * state beside the trainer: detector, window, gate statistics, batch ids),
   * as JSON. Opaque to the store; a rollback to this version restores it.
   */
  learningState?: unknown;
}

/** An immutable stored version. */
export interface ModelRecord {
  /** The model's name. */
  name: string;
  /** 1, 2, 3, … per name, never reused. */
  version: number;
  /** ISO-8601 time the store accepted it. */
  createdAt: string;
  /** The version this one was trained from, or null. */
  parent: number | null;
  /** The trainer's envelope: kind, parameters and learned state. */
  trainer: TrainerJSON;
  /** Evaluation metrics. */
  metrics: Record<string, number>;
  /** The data behind this version. */
  data: DataSummary;
  /** Free-form labels. */
  tags: Record<string, string>;
  /** freshml version that wrote it. */
  libraryVersion: string;
  /** Serving's preprocessing state, when the writer gave one (see {@link ModelRecordInput.preprocessing}). */
  preprocessing?: unknown;
  /** A pipeline's learning state at this version, when the writer gave one (see {@link ModelRecordInput.learningState}). */
  learningState?: unknown;
}

/**
 * What {@link ModelStore.putCheckpoint} takes: a pipeline's resumable state.
 * Checkpoints are not versions: one slot per model name, overwritten by each
 * write, never listed, numbered or pruned with the versions.
 */
export interface CheckpointInput {
  /** The model's name (same rules as a version's). */
  name: string;
  /** The champion version this state continues from (null before the first promotion). */
  champion: number | null;
  /** The learner's envelope. */
  trainer: TrainerJSON;
  /** The pipeline's other state, as JSON; opaque to the store. */
  state: unknown;
}

/** A stored checkpoint. */
export interface CheckpointRecord extends CheckpointInput {
  /** ISO-8601 time the store accepted it. */
  createdAt: string;
  /** 1, 2, 3, … per name: how many checkpoints have been written. */
  sequence: number;
  /** freshml version that wrote it. */
  libraryVersion: string;
}

/** A version without its learned state: what {@link ModelStore.list} returns. */
export type ModelVersionSummary = Omit<ModelRecord, "trainer" | "preprocessing" | "learningState"> & {
  /** The trainer's kind (its parameters and state stay in the full record). */
  trainerKind: string;
};

/** One move of an alias. */
export interface AliasEvent {
  /** The alias, e.g. "champion". */
  alias: string;
  /** The version it points to after this event. */
  version: number;
  /** The version it pointed to before, or null. */
  previous: number | null;
  /** `set` by {@link ModelStore.setAlias}, `rollback` by {@link ModelStore.rollback}. */
  action: "set" | "rollback";
  /** ISO-8601 time of the move. */
  at: string;
  /**
   * 1, 2, 3, … per alias: this event's place among every move the alias ever
   * had. It keeps counting when old events leave the retained history, so
   * `seq` of the newest event tells whether an alias moved since you last
   * looked (the history's length stops growing at the retention limit).
   */
  seq: number;
}

/** Options of {@link ModelStore.prune}. */
export interface PruneOptions {
  /** Keep the newest this many versions (and every aliased one); 0 allowed. */
  keep: number;
  /**
   * Also cut each alias's history (and how far `rollback` can walk back) to
   * its newest this many events. Default: the store's retention
   * (`aliasHistoryLimit`, 1,000 unless set).
   */
  history?: number;
}

/** What {@link ModelStore.verify} found. */
export interface VerifyReport {
  /** Versions read in full and whole (checksum, schema, name and number). */
  ok: number;
  /** Versions that cannot be read, oldest first, with why. */
  unreadable: UnreadableVersion[];
}

/** Options of {@link ModelStore.list}. */
export interface ListOptions {
  /** At most this many versions (default 100). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of {@link ModelStore.list}, newest version first. */
export interface VersionPage {
  /** Summaries, newest first. */
  versions: ModelVersionSummary[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
  /** Versions that could not be read (a corrupted or tampered file), with why. */
  unreadable: UnreadableVersion[];
}

/** A version {@link ModelStore.list} could not read. */
export interface UnreadableVersion {
  /** The version number. */
  version: number;
  /** The error code, e.g. `checksum_mismatch`. */
  code: string;
  /** The error message (names the file for the file store). */
  message: string;
}

/**
 * Where model versions live. Every promoted model becomes an immutable,
 * numbered version; aliases (such as `champion`) point at versions and keep
 * their history, so a bad promotion is undone in one step.
 *
 * Implementations: {@link MemoryModelStore} (tests, browsers; what a
 * `Pipeline` uses when given no store, so nothing outlives the process),
 * `FileModelStore` from `freshml/node` (files on local disk, kept across
 * restarts: no server to run, safe with several processes) and
 * `PostgresModelStore` from `freshml/postgres` (one registry for many
 * hosts). Each also keeps the run history ({@link ModelStore.runHistory}).
 * A store for another database implements this interface and passes
 * `storeChecks` from `freshml/testing`.
 *
 * Every method returns a promise; failures are {@link FreshmlError}s with
 * codes `invalid_name`, `invalid_params`, `not_found`, `checksum_mismatch`,
 * `nothing_to_roll_back` or `lock_timeout`, and for a store on disk
 * `store_full`, `store_read_only`, `store_corrupt`, `store_io` and
 * `too_large`.
 *
 * @example
 * ```ts
 * import { LinearRegression, MemoryModelStore } from "freshml";
 * const store = new MemoryModelStore();
 * const model = new LinearRegression();
 * model.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * const version = await store.put({ name: "load", trainer: model.toJSON(), metrics: { rmse: 0 } });
 * await store.setAlias("load", "champion", version);
 * const record = await store.get("load", "champion"); // record.version === 1
 * ```
 */
export interface ModelStore {
  /** Stores a new immutable version and returns its number (1 + the highest so far). */
  put(record: ModelRecordInput): Promise<number>;
  /** A version by number, or the version an alias points to. */
  get(name: string, ref: number | string): Promise<ModelRecord>;
  /**
   * Versions newest first, a page at a time. A store may check only what a
   * summary needs (the file store checks each file's header, not its learned
   * state): {@link ModelStore.verify} reads every version in full.
   */
  list(name: string, options?: ListOptions): Promise<VersionPage>;
  /**
   * Reads every version of `name` in full, as `get` would, and reports those
   * that cannot be read (checksum, schema, size). Costs a full read of the
   * model's versions.
   */
  verify(name: string): Promise<VerifyReport>;
  /**
   * Points `alias` at `version` (which must exist: `not_found` otherwise, say
   * when a concurrent `prune` deleted it) and records the move.
   */
  setAlias(name: string, alias: string, version: number): Promise<void>;
  /**
   * Stores a new version and points `alias` at it in one step: no `prune`
   * can delete the version before the alias names it. Returns its number.
   * What a pipeline calls to promote.
   */
  putAndAlias(record: ModelRecordInput, alias: string): Promise<number>;
  /** The version an alias points to, or null if it is not set. */
  resolveAlias(name: string, alias: string): Promise<number | null>;
  /**
   * The alias's retained moves, oldest first: the newest
   * `aliasHistoryLimit` of them (1,000 by default). Each carries its `seq`.
   */
  aliasHistory(name: string, alias: string): Promise<AliasEvent[]>;
  /**
   * Moves `alias` one step back through its history (undoing the last `set`
   * that is not already undone) and returns the version it now points to.
   * Versions pruned since are skipped. `nothing_to_roll_back` when there is
   * no earlier version (it walks back at most the retention limit).
   */
  rollback(name: string, alias: string): Promise<number>;
  /**
   * Deletes all but the newest `keep` versions, never one an alias points to,
   * and cuts alias history to its retention (or `history`). Returns the
   * deleted version numbers.
   */
  prune(name: string, options: PruneOptions): Promise<number[]>;
  /**
   * Writes a pipeline's checkpoint for `name`, replacing the previous one
   * atomically (a reader sees the old or the new, never a mix).
   */
  putCheckpoint(checkpoint: CheckpointInput): Promise<void>;
  /** The newest checkpoint of `name`, or null if none was written. */
  getCheckpoint(name: string): Promise<CheckpointRecord | null>;
  /**
   * The store's run history: run summaries kept beside the versions, per
   * model name, through the {@link RunHistory} contract. Every call reads and
   * writes the same runs; `retention` overrides the store's `keepRuns`
   * option (default 100) for the history returned. A `Pipeline` records into
   * its store's history unless given another `history` (or `false`).
   * Optional: a store without it keeps no runs unless the pipeline is given
   * a history; when present, `storeChecks` holds it to `runHistoryChecks`.
   */
  runHistory?(retention?: RunRetention): RunHistory;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws `invalid_name` unless `name` is a safe model or alias name (no path separators, no `..`, no control characters, ≤ 128 characters). */
export function checkName(name: unknown, what = "model name"): string {
  if (typeof name !== "string" || !NAME.test(name) || name.includes("..")) {
    const shown = typeof name === "string" ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name) : typeof name;
    throw new FreshmlError(
      "invalid_name",
      `${what} ${shown} is not allowed: use 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'`,
      { observed: shown },
    );
  }
  return name;
}

/** Throws `invalid_params` unless `version` is a positive integer. */
export function checkVersion(version: unknown): number {
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    throw new FreshmlError("invalid_params", `a version is a positive integer, got ${String(version)}`, { observed: String(version) });
  }
  return version;
}

/** zod schema of a trainer envelope as stored (its state is opaque to the store). */
export const trainerEnvelopeSchema = z.object({
  format: z.literal("freshml.trainer"),
  formatVersion: z.literal(1),
  kind: z.string(),
  params: z.record(z.string(), z.unknown()),
  state: z.unknown(),
});

/** zod schema of a stored record (every read from a store is checked against it). */
export const modelRecordSchema = z.object({
  name: z.string(),
  version: z.number().int().positive(),
  createdAt: z.string(),
  parent: z.number().int().positive().nullable(),
  trainer: trainerEnvelopeSchema,
  metrics: z.record(z.string(), z.number()),
  data: z.object({ batches: z.number().int().nonnegative(), rows: z.number().int().nonnegative(), fingerprint: z.string() }),
  tags: z.record(z.string(), z.string()),
  libraryVersion: z.string(),
  preprocessing: z.unknown().optional(),
  learningState: z.unknown().optional(),
});

/** zod schema of a {@link CheckpointInput} (every checkpoint write is checked against it). */
export const checkpointInputSchema = z.object({
  name: z.string(),
  champion: z.number().int().positive().nullable(),
  trainer: trainerEnvelopeSchema,
  // `unknown` lets an explicit undefined through, which JSON would silently drop.
  state: z.unknown().refine((v) => v !== undefined, { message: "state is required (null when there is none)" }),
});

/** zod schema of a stored checkpoint (every read from a store is checked against it). */
export const checkpointRecordSchema = checkpointInputSchema.extend({
  createdAt: z.string(),
  sequence: z.number().int().positive(),
  libraryVersion: z.string(),
});

/** zod schema of an alias event. */
export const aliasEventSchema = z.object({
  alias: z.string(),
  version: z.number().int().positive(),
  previous: z.number().int().positive().nullable(),
  action: z.enum(["set", "rollback"]),
  at: z.string(),
  seq: z.number().int().positive(),
});

/** Fills a record's defaults and checks its input; the store adds version and time. */
export function completeRecord(input: ModelRecordInput, version: number, createdAt: string, libraryVersion: string): ModelRecord {
  checkName(input?.name);
  const record: ModelRecord = {
    name: input.name,
    version,
    createdAt,
    parent: input.parent ?? null,
    trainer: input.trainer,
    metrics: input.metrics ?? {},
    data: input.data ?? { batches: 0, rows: 0, fingerprint: "" },
    tags: input.tags ?? {},
    libraryVersion: input.libraryVersion ?? libraryVersion,
  };
  // Only when given: a record without them reads back without the keys.
  if (input.preprocessing !== undefined) record.preprocessing = input.preprocessing;
  if (input.learningState !== undefined) record.learningState = input.learningState;
  const parsed = modelRecordSchema.safeParse(record);
  if (!parsed.success) {
    throw new FreshmlError("invalid_params", `invalid model record: ${z.prettifyError(parsed.error)}`, { issues: parsed.error.issues });
  }
  // A deep copy: the stored version can never change with the caller's objects.
  return deepCopy(record, "model record");
}

/**
 * Checks a checkpoint's input (`invalid_name`, then `invalid_params`) and
 * returns a deep copy with the store's fields added.
 */
export function completeCheckpoint(input: CheckpointInput, sequence: number, createdAt: string, libraryVersion: string): CheckpointRecord {
  checkName(input?.name);
  const parsed = checkpointInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new FreshmlError("invalid_params", `invalid checkpoint: ${z.prettifyError(parsed.error)}`, { issues: parsed.error.issues });
  }
  // Built field by field, so extra keys of the input (say, a CheckpointRecord read back) are not stored.
  const record: CheckpointRecord = {
    name: input.name,
    champion: input.champion,
    trainer: input.trainer,
    state: input.state,
    createdAt,
    sequence,
    libraryVersion,
  };
  return deepCopy(record, "checkpoint");
}

/** structuredClone, with a FreshmlError for values that are not data (functions, symbols, …). */
function deepCopy<T>(value: T, what: string): T {
  try {
    return structuredClone(value);
  } catch (err) {
    throw new FreshmlError("invalid_params", `invalid ${what}: it holds a value that cannot be stored (${(err as Error).message})`);
  }
}

/** The summary of a record (no learned state, no preprocessing, no learning state). */
export function summarize(record: ModelRecord): ModelVersionSummary {
  const { trainer, preprocessing: _p, learningState: _l, ...rest } = record;
  return { ...rest, trainerKind: trainer.kind };
}

/**
 * Replays an alias history: `set` pushes a version, `rollback` pops the
 * undone top and then down to the version it landed on. The top of the
 * stack is where the alias points.
 */
export function aliasStack(history: readonly AliasEvent[]): number[] {
  const stack: number[] = [];
  for (const e of history) {
    if (e.action === "set") stack.push(e.version);
    else {
      stack.pop();
      while (stack.length > 0 && stack[stack.length - 1] !== e.version) stack.pop();
      if (stack.length === 0) stack.push(e.version);
    }
  }
  return stack;
}

/**
 * Where a rollback of an alias with this history lands, given which versions
 * still exist: the newest earlier entry of its stack that exists, or null.
 */
export function rollbackTarget(history: readonly AliasEvent[], exists: (v: number) => boolean): number | null {
  const stack = aliasStack(history);
  for (let i = stack.length - 2; i >= 0; i--) if (exists(stack[i]!)) return stack[i]!;
  return null;
}

/** Parses and checks a list cursor. */
export function readCursor(cursor: string | undefined): number {
  if (cursor === undefined) return Infinity;
  const v = Number(cursor);
  if (!Number.isInteger(v) || v < 1) throw new FreshmlError("invalid_params", `invalid list cursor ${JSON.stringify(cursor)}`);
  return v;
}

/** Checks a list limit (default 100, 1–10,000). */
export function readLimit(limit: number | undefined): number {
  const l = limit ?? 100;
  if (!Number.isInteger(l) || l < 1 || l > 10_000) throw new FreshmlError("invalid_params", `list limit must be an integer in [1, 10000], got ${l}`);
  return l;
}
