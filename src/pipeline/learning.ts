import * as z from "zod";
import { checkBatch, type CheckedBatch } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { fingerprint } from "../core/fingerprint.js";
import { restoreWith, type TrainerRegistry } from "../learners/restore.js";
import type { Trainer, TrainerJSON } from "../learners/trainer.js";
import { Featurizer, type Featurized } from "../preprocessing/featurizer.js";
import { AutoMemory, autoSettings, isAutoPolicy, type AutoMemoryJSON, type AutoPolicy, type AutoSettings } from "./auto.js";
import { MagnitudeGuard, type BatchMagnitudes, type MagnitudesJSON, type SanityOptions } from "./sanity.js";

/**
 * How the learning state follows the stream:
 * - `"incremental"`: learn each batch on top of the last: O(batch) per batch;
 * - `{ window: W }`: the model reflects only the last W accepted batches —
 *   exact `forget` where the trainer has it, otherwise rebuilt from the window;
 * - `"full"`: refit from scratch on every accepted batch so far: O(n) per batch,
 *   O(n²) per run; the honest baseline, and the way for trainers that cannot learn incrementally;
 * - `"auto"` or `{ auto: {...} }`: self-tuning — several candidate windows
 *   (3 … 96 batches, and everything) learned at once by merging per-batch
 *   states; the one with the best recent out-of-time loss serves
 *   ({@link AutoOptions}). Trainers without `merge` keep copies of the
 *   learner instead: up to 2·|windows| + 1 updates per batch.
 */
export type RetrainPolicy = "incremental" | "full" | WindowPolicy | "auto" | AutoPolicy;

/** The sliding-window policy. */
export interface WindowPolicy {
  /** Accepted batches the model reflects. */
  window: number;
}

/** Batch ids a version's lineage lists at most. */
const MAX_LINEAGE_IDS = 1000;

/** A learned batch kept for a window (its features after imputation, as learned). */
interface Kept {
  readonly batch: CheckedBatch;
  /** Its JSON form, made once: the batch never changes, and every checkpoint and champion version writes it. */
  json?: { X: number[]; cols: number; y: number[] };
}

/** Batch ids learned, newest last, at most `limit`: recognises re-deliveries in bounded memory. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(readonly limit: number) {}

  /** Whether `id` was learned (among the newest `limit`). */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Remembers `id`, forgetting the oldest beyond the limit. */
  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.limit) this.ids.delete(this.ids.values().next().value!);
  }

  /** Oldest first. */
  toJSON(): string[] {
    return [...this.ids];
  }

  /** An independent copy. */
  copy(): RecentIds {
    const r = new RecentIds(this.limit);
    for (const id of this.ids) r.ids.add(id);
    return r;
  }

  /** Restores from {@link RecentIds.toJSON}. */
  static fromJSON(ids: readonly string[], limit: number): RecentIds {
    const r = new RecentIds(limit);
    for (const id of ids) r.add(id);
    return r;
  }
}

/** JSON form of a {@link LearningState} (the learner's own envelope travels beside it). */
export interface LearningStateJSON {
  /** Always "freshml.learning". */
  format: "freshml.learning";
  /** Format version. */
  formatVersion: 1;
  /** Batches of the stream consumed (accepted and quarantined). */
  position: number;
  /** Rows learned. */
  rowsLearned: number;
  /** Batches learned. */
  batchesLearned: number;
  /** What was learned since the last champion was taken from this state: the lineage of the next version. */
  sinceChampion: { batches: number; rows: number; ids: string[] };
  /** Fingerprint of every learned batch, chained. */
  fingerprint: string;
  /** Ids of learned batches, oldest first (bounded). */
  ids: string[];
  /** The featurizer with its imputation statistics, when batches are row objects. */
  featurizer: unknown;
  /** The window's batches (window and full policies), oldest first. */
  window: Array<{ X: number[]; cols: number; y: number[] }>;
  /** The gate's baseline, when one is configured. */
  baseline: TrainerJSON | null;
  /** Largest magnitudes learned per column (the sanity bound's scale); absent in states written before it existed. */
  magnitudes?: MagnitudesJSON | null;
  /** The self-tuning memory (policy "auto"). */
  auto?: AutoMemoryJSON | null;
}

const stateSchema = z.object({
  format: z.literal("freshml.learning"),
  formatVersion: z.literal(1),
  position: z.number().int().nonnegative(),
  rowsLearned: z.number().int().nonnegative(),
  batchesLearned: z.number().int().nonnegative(),
  sinceChampion: z.object({ batches: z.number().int().nonnegative(), rows: z.number().int().nonnegative(), ids: z.array(z.string()) }),
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
  ids: z.array(z.string()),
  featurizer: z.unknown(),
  window: z.array(z.object({ X: z.array(z.number()), cols: z.number().int().positive(), y: z.array(z.number()) })),
  baseline: z.unknown(),
  magnitudes: z.unknown().optional(),
  auto: z.unknown().optional(),
});

/**
 * Everything the pipeline has learned, apart from the champion: the learner,
 * the featurizer's statistics, the window of batches (window and full
 * policies), the baseline, and the stream's bookkeeping (position, rows,
 * fingerprint, recent batch ids). One `learn` call takes in one batch, per
 * the policy; `copy` is cheap (batches are shared, never written).
 */
export class LearningState {
  /** The trainer being trained. */
  trainer: Trainer;
  /** The featurizer (row-object batches), with its imputation statistics. */
  featurizer: Featurizer | null;
  /** The gate's baseline, learning the same rows. */
  baseline: Trainer | null;
  /** Batches consumed. */
  position = 0;
  /** Rows learned. */
  rowsLearned = 0;
  /** Batches learned. */
  batchesLearned = 0;
  /** What was learned since the last champion was taken from this state. */
  sinceChampion: { batches: number; rows: number; ids: string[] } = { batches: 0, rows: 0, ids: [] };
  /** Chained fingerprint of the learned data. */
  fingerprint = "0000000000000000";
  /** Ids of learned batches. */
  ids: RecentIds;
  /** The sanity bound with the magnitudes learned so far (null: no bound). */
  magnitudes: MagnitudeGuard | null = null;
  /** The candidate memories of the policy "auto" (null for other policies). */
  auto: AutoMemory | null;
  /** Set by {@link LearningState.restore} when a baseline is configured: the stored one continues, or the configured one starts afresh. */
  restoredBaseline?: "restored" | "fresh";
  private window: Kept[] = [];

  constructor(
    /** The trainer whose parameters every rebuild starts from (never trained). */
    readonly template: Trainer,
    /** The policy. */
    readonly policy: RetrainPolicy,
    featurizer: Featurizer | null,
    baseline: Trainer | null,
    idLimit: number,
  ) {
    this.trainer = template.clone();
    this.auto = isAutoPolicy(policy) ? new AutoMemory(template, autoSettingsOf(policy)) : null;
    this.featurizer = featurizer;
    this.baseline = baseline;
    this.ids = new RecentIds(idLimit);
  }

  /** Batches kept for the policy. */
  get windowLength(): number {
    return this.window.length;
  }

  /**
   * Learns one accepted batch, per the policy. `raw` (row-object batches) folds
   * its observed values into the featurizer's statistics first. Throws the
   * trainer's {@link FreshmlError} if it cannot learn the batch, and then
   * nothing has changed.
   */
  learn(batch: CheckedBatch, id: string | undefined, raw?: Featurized, magnitudes?: BatchMagnitudes): void {
    // The baseline learns on a copy first, so that if either refuses the batch nothing has changed.
    let nextBaseline: Trainer | null = null;
    if (this.baseline) {
      nextBaseline = this.baseline.copy();
      nextBaseline.update(batch);
    }
    const limit = windowLimit(this.policy);
    if (this.auto) {
      this.auto.learn(batch);
      this.trainer = this.auto.servedState();
    } else if (limit === 0) this.trainer.update(batch);
    else {
      const next = [...this.window, { batch }];
      const leaving = next.length > limit ? next.slice(0, next.length - limit) : [];
      const kept = leaving.length ? next.slice(leaving.length) : next;
      if (typeof this.trainer.forget === "function" && this.policy !== "full") {
        // Exact: learn the new batch, then un-learn what slid out. On a failure, start over from the window.
        const t = leaving.length ? this.trainer.copy() : this.trainer;
        t.update(batch);
        for (const old of leaving) t.forget!(old.batch);
        this.trainer = t;
      } else {
        const t = this.template.clone();
        for (const k of kept) t.update(k.batch);
        this.trainer = t;
      }
      this.window = kept;
    }
    if (nextBaseline) this.baseline = nextBaseline;
    if (raw && this.featurizer) this.featurizer.learn(raw);
    if (magnitudes && this.magnitudes) this.magnitudes.learn(magnitudes);
    this.rowsLearned += batch.rows;
    this.batchesLearned++;
    this.sinceChampion.batches++;
    this.sinceChampion.rows += batch.rows;
    if (id !== undefined && this.sinceChampion.ids.length < MAX_LINEAGE_IDS) this.sinceChampion.ids.push(id);
    this.fingerprint = fingerprint(batch.y, fingerprint(batch.X, this.fingerprint));
    if (id !== undefined) this.ids.add(id);
  }

  /** A champion was taken from this state: lineage counts start again. */
  markChampion(): void {
    this.sinceChampion = { batches: 0, rows: 0, ids: [] };
  }

  /** Starts learning afresh (the drift reaction "reset"): the trainer and the window; statistics and bookkeeping stay. */
  reset(): void {
    this.trainer = this.template.clone();
    this.window = [];
    this.auto?.reset();
  }

  /** Keeps only the newest `k` batches of the window and rebuilds the trainer from them. */
  shrinkWindow(k: number): void {
    if (this.auto) return this.reset();
    const kept = this.window.slice(-k);
    const t = this.template.clone();
    for (const w of kept) t.update(w.batch);
    this.trainer = t;
    this.window = kept;
  }

  /** An independent copy (the window's batches are shared: they are never written). */
  copy(): LearningState {
    const c = new LearningState(this.template, this.policy, this.featurizer?.copy() ?? null, this.baseline?.copy() ?? null, this.ids.limit);
    c.trainer = this.trainer.copy();
    c.position = this.position;
    c.rowsLearned = this.rowsLearned;
    c.batchesLearned = this.batchesLearned;
    c.sinceChampion = { ...this.sinceChampion, ids: this.sinceChampion.ids.slice() };
    c.fingerprint = this.fingerprint;
    c.ids = this.ids.copy();
    c.magnitudes = this.magnitudes?.copy() ?? null;
    c.auto = this.auto?.copy() ?? null;
    c.window = this.window.slice();
    return c;
  }

  /**
   * A throw-away copy to try a batch on (the holdout gate's candidate): the
   * trainer, featurizer and window, without the batch ids and the baseline.
   */
  candidate(): LearningState {
    const c = new LearningState(this.template, this.policy, this.featurizer?.copy() ?? null, null, 0);
    c.trainer = this.trainer.copy();
    c.auto = this.auto?.copy() ?? null;
    c.window = this.window.slice();
    return c;
  }

  /** JSON-safe form, without the trainer (which travels as its own envelope). */
  toJSON(): LearningStateJSON {
    return {
      format: "freshml.learning",
      formatVersion: 1,
      position: this.position,
      rowsLearned: this.rowsLearned,
      batchesLearned: this.batchesLearned,
      sinceChampion: { ...this.sinceChampion, ids: this.sinceChampion.ids.slice() },
      fingerprint: this.fingerprint,
      ids: this.ids.toJSON(),
      featurizer: this.featurizer?.toJSON() ?? null,
      window: this.window.map((k) => (k.json ??= { X: Array.from(k.batch.X), cols: k.batch.cols, y: Array.from(k.batch.y) })),
      baseline: this.baseline?.toJSON() ?? null,
      magnitudes: this.magnitudes?.toJSON() ?? null,
      auto: this.auto?.toJSON() ?? null,
    };
  }

  /**
   * Restores a state saved by {@link LearningState.toJSON} beside its trainer's
   * envelope. The template, policy and limits come from the pipeline's options;
   * anything malformed is `invalid_state`.
   */
  static restore(
    json: unknown,
    trainer: TrainerJSON,
    options: { template: Trainer; policy: RetrainPolicy; idLimit: number; registry: TrainerRegistry; featurizer: Featurizer | null; sanity: Required<SanityOptions> | null; baseline: Trainer | null },
  ): LearningState {
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) throw new FreshmlError("invalid_state", `not a freshml learning state: ${z.prettifyError(parsed.error)}`, { issues: parsed.error.issues });
    const j = parsed.data;
    const featurizer = j.featurizer === null ? null : Featurizer.fromJSON(j.featurizer);
    if ((featurizer === null) !== (options.featurizer === null)) {
      throw new FreshmlError("invalid_state", "the stored learning state and this pipeline disagree on whether batches are row objects (schema)");
    }
    if (featurizer && options.featurizer && JSON.stringify(featurizer.layout) !== JSON.stringify(options.featurizer.layout)) {
      throw new FreshmlError("invalid_state", `the stored model's features (${featurizer.layout.names.join(", ")}) differ from this pipeline's (${options.featurizer.layout.names.join(", ")})`);
    }
    // The configured baseline is the gate's: the stored one continues only if it is the same (kind and
    // parameters); one added, changed or removed since starts afresh (or is dropped), never silently ignored.
    const keep = j.baseline !== null && options.baseline !== null && sameConfiguration(j.baseline, options.baseline);
    const baseline = keep ? restoreWith(j.baseline, options.registry) : (options.baseline?.clone() ?? null);
    const s = new LearningState(options.template, options.policy, featurizer, baseline, options.idLimit);
    if (options.baseline) s.restoredBaseline = keep ? "restored" : "fresh";
    s.trainer = restoreWith(trainer, options.registry);
    s.position = j.position;
    s.rowsLearned = j.rowsLearned;
    s.batchesLearned = j.batchesLearned;
    s.sinceChampion = j.sinceChampion;
    s.fingerprint = j.fingerprint;
    s.ids = RecentIds.fromJSON(j.ids, options.idLimit);
    // The bound is the pipeline's option; the magnitudes are what was learned (none in older states).
    if (options.sanity) {
      s.magnitudes = j.magnitudes ? MagnitudeGuard.restore(j.magnitudes, options.sanity, options.template.task !== "classification") : new MagnitudeGuard(options.sanity, options.template.task !== "classification");
    }
    if (s.auto) {
      if (!j.auto) throw new FreshmlError("invalid_state", "the stored learning state was not learned with the policy \"auto\"; this pipeline's is");
      s.auto = AutoMemory.restore(j.auto, options.template, autoSettingsOf(options.policy as "auto" | AutoPolicy), options.registry);
    }
    const limit = windowLimit(options.policy);
    s.window = j.window.slice(Math.max(0, j.window.length - limit)).map((w) => ({ batch: checkBatch({ X: Float64Array.from(w.X), cols: w.cols, y: Float64Array.from(w.y) }) }));
    return s;
  }
}

/** Whether a stored trainer envelope has `trainer`'s kind and parameters. */
function sameConfiguration(stored: unknown, trainer: Trainer): boolean {
  const s = stored as { kind?: unknown; params?: unknown } | null;
  const mine = trainer.toJSON();
  return typeof s === "object" && s !== null && s.kind === mine.kind && JSON.stringify(s.params) === JSON.stringify(mine.params);
}

/** Batches a policy keeps: 0 (incremental, auto), Infinity (full) or the window. */
function windowLimit(policy: RetrainPolicy): number {
  if (policy === "incremental" || isAutoPolicy(policy)) return 0;
  if (policy === "full") return Infinity;
  return policy.window;
}

function autoSettingsOf(policy: "auto" | AutoPolicy): AutoSettings {
  return autoSettings(policy === "auto" ? undefined : policy.auto);
}
