import * as z from "zod";
import type { CheckedBatch } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { restoreWith, type TrainerRegistry } from "../learners/restore.js";
import { isClassifier, type Trainer, type TrainerJSON } from "../learners/trainer.js";

/**
 * Options of the self-tuning policy `{ auto: {...} }` (`"auto"` takes the defaults).
 *
 * What the candidates cost per batch depends on the trainer:
 * - with `merge` (LinearRegression, GaussianNB, the Hoeffding trees, the
 *   baselines): the batch is learned once, and each window is kept exactly
 *   by merging batch states (amortised O(1) merges each);
 * - without `merge` (SGDRegressor, SGDClassifier, LogisticRegression,
 *   RecursiveLeastSquares, the full-refit learners, custom trainers):
 *   copies of the learner. "everything" is one copy that learns every batch;
 *   a window of W batches is two copies restarted from scratch every W
 *   batches, half a window apart, and the older one serves, so a copy window
 *   holds between ⌈W/2⌉ and W of the newest batches (all of them until W are
 *   learned). Per batch that is up to 2·|windows| + 1 updates (each on a
 *   `copy()` of the copy's state) and |windows| + 1 predictions: 13 and 7
 *   with the defaults, fewer while copies that hold the same batches share
 *   one state. Pass fewer `windows` to pay less.
 *
 * @example
 * ```ts
 * import { Pipeline, LinearRegression } from "freshml";
 * const pipeline = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), policy: { auto: { windows: [4, 16, 64], horizon: 8 } } });
 * ```
 *
 * @example A trainer without merge: copies, fewer windows to pay less
 * ```ts
 * import { Pipeline, SGDRegressor } from "freshml";
 * // Up to 2·2 + 1 = 5 SGD updates and 3 predictions per batch; "window 12" holds the newest 6 to 12 batches.
 * const pipeline = new Pipeline({ trainer: new SGDRegressor({ seed: 1 }), policy: { auto: { windows: [12, 48] } } });
 * const report = await pipeline.runBatches([{ X: [[0], [1], [2]], y: [1, 3, 5] }]);
 * report.records[0]; // its memory: { served: "everything", scores: { "window 12": null, "window 48": null, everything: null } }
 * ```
 */
export interface AutoOptions {
  /** Candidate windows, in batches (each a positive integer). Default [3, 6, 12, 24, 48, 96]. */
  windows?: readonly number[];
  /** Whether "everything learned so far" is a candidate too. Default true. */
  everything?: boolean;
  /**
   * Memory of the scores, in batches: each candidate's out-of-time losses are
   * discounted by e^(−1/horizon) per batch (by e^(−rows/minRows) for batches
   * of fewer than minRows/horizon rows), and no choice is made before this
   * many batches are scored. Default 12.
   */
  horizon?: number;
  /** Rows the scores' memory holds at least (small batches are discounted less), and rows scored before any choice. Default 50. */
  minRows?: number;
  /** Hysteresis: another candidate serves only when its mean loss is below the serving one's by this fraction. Default 0.005. */
  margin?: number;
  /**
   * A change: when every candidate's loss on the newest batch is this many
   * times its discounted mean over the batches before, the shortest window serves at
   * once (it is the only one that has seen the new regime). Judged only on
   * batches of 30 rows or more (smaller ones are too noisy). Default 4; Infinity: never.
   */
  shock?: number;
}

/** The self-tuning policy with options. */
export interface AutoPolicy {
  /** Its options. */
  auto: AutoOptions;
}

/** The resolved {@link AutoOptions}. */
export type AutoSettings = Required<AutoOptions>;

/** Which memory served after a batch, and why: the candidates' discounted mean out-of-time losses. */
export interface MemoryChoice {
  /** The candidate that serves ("window 12", "everything"). */
  served: string;
  /** Each candidate's discounted mean per-row loss (squared error, or log loss for classifiers); null until `horizon` batches and `minRows` rows are scored. */
  scores: Record<string, number | null>;
}

/** Resolves the policy's options; throws `invalid_params` on bad ones. */
export function autoSettings(options: AutoOptions | undefined): AutoSettings {
  if (options !== undefined && (options === null || typeof options !== "object" || Array.isArray(options))) {
    throw new FreshmlError("invalid_params", "policy.auto must be an object of AutoOptions", { param: "policy.auto" });
  }
  const s: AutoSettings = { windows: [3, 6, 12, 24, 48, 96], everything: true, horizon: 12, minRows: 50, margin: 0.005, shock: 4, ...(options ?? {}) };
  const ok = Array.isArray(s.windows) && s.windows.every((w) => Number.isInteger(w) && w >= 1) && new Set(s.windows).size === s.windows.length;
  if (!ok) throw new FreshmlError("invalid_params", "policy.auto.windows must be distinct positive integers", { param: "policy.auto.windows", observed: s.windows });
  if (s.windows.length + (s.everything ? 1 : 0) < 2) throw new FreshmlError("invalid_params", "policy.auto needs at least two candidates", { param: "policy.auto.windows" });
  if (!(Number.isInteger(s.horizon) && s.horizon >= 1)) throw new FreshmlError("invalid_params", "policy.auto.horizon must be a positive integer", { param: "policy.auto.horizon", observed: s.horizon });
  if (!(Number.isInteger(s.minRows) && s.minRows >= 1)) throw new FreshmlError("invalid_params", "policy.auto.minRows must be a positive integer", { param: "policy.auto.minRows", observed: s.minRows });
  if (!(typeof s.shock === "number" && s.shock > 1)) throw new FreshmlError("invalid_params", "policy.auto.shock must be a number > 1 (Infinity: never)", { param: "policy.auto.shock", observed: s.shock });
  if (!(typeof s.margin === "number" && s.margin >= 0 && s.margin < 1)) throw new FreshmlError("invalid_params", "policy.auto.margin must be in [0, 1)", { param: "policy.auto.margin", observed: s.margin });
  return { ...s, windows: [...s.windows].sort((a, b) => a - b) };
}

/**
 * The state learned on the newest `size` batches, kept exactly with `merge`
 * only (no inverse needed): the two-stack sliding-window aggregation. Batch
 * states are pushed at the back; when the oldest must leave and the front is
 * empty, the back is flipped into suffix aggregates. Amortised O(1) merges
 * per batch; every state it holds is immutable once made, so copies share them.
 */
class WindowState {
  /** Suffix aggregates: front[i] = batches i..end of the last flip, merged in order. */
  front: Trainer[] = [];
  /** Batch states since the last flip (shared, never written). */
  back: Trainer[] = [];
  /** The back's batches merged in order (owned). */
  backAll: Trainer | null = null;

  constructor(readonly size: number) {}

  get length(): number {
    return this.front.length + this.back.length;
  }

  /** Rows in the window. */
  get rows(): number {
    return (this.front[0]?.nSeen ?? 0) + (this.backAll?.nSeen ?? 0);
  }

  push(b: Trainer): void {
    this.back.push(b);
    if (this.backAll) this.backAll.merge!(b);
    else this.backAll = b.copy();
    if (this.length > this.size) this.popOldest();
  }

  private popOldest(): void {
    if (this.front.length === 0) this.flip();
    this.front.shift();
  }

  /** The back becomes suffix aggregates, newest first computed. */
  flip(): void {
    const n = this.back.length;
    const front: Trainer[] = new Array(n);
    for (let i = n - 1; i >= 0; i--) {
      const t = this.back[i]!.copy();
      if (i < n - 1) t.merge!(front[i + 1]!);
      front[i] = t;
    }
    this.front = front;
    this.back = [];
    this.backAll = null;
  }

  /** The state of the window's batches, merged oldest first; null when empty. */
  state(): Trainer | null {
    const f = this.front[0];
    if (!f) return this.backAll ? this.backAll.copy() : null;
    const t = f.copy();
    if (this.backAll) t.merge!(this.backAll);
    return t;
  }

  copy(): WindowState {
    const c = new WindowState(this.size);
    c.front = this.front.slice();
    c.back = this.back.slice();
    c.backAll = this.backAll ? this.backAll.copy() : null;
    return c;
  }
}

/**
 * The memory of a trainer without `merge`: whole copies of the learner.
 * Every copy holds the batches learned after its start; copies with the same
 * start hold the same batches, so they are one state (everything, windows
 * not yet restarted, and windows whose restarts coincide).
 */
interface Copies {
  /** Batches learned since the start (or the last reset). */
  learned: number;
  /** Each copy's state by its start, the batches learned before its first one; never written once made. */
  states: Map<number, Trainer>;
}

/** One candidate memory: a window, or everything. */
interface Candidate {
  readonly label: string;
  /** Its window in batches (Infinity for everything). */
  readonly size: number;
  readonly window: WindowState | null;
  /** The running state of everything (window null). */
  all: Trainer | null;
  /** Discounted sum of its out-of-time losses (each batch's summed per-row loss, scored before it was learned). */
  loss: number;
  /** Its summed loss on the newest scored batch (for the shock rule). */
  newest: number;
}

/** Below this many rows a batch is too noisy to call a shock. */
const SHOCK_MIN_ROWS = 30;

const autoSchema = z.object({
  format: z.literal("freshml.auto"),
  formatVersion: z.literal(1),
  batches: z.array(z.unknown()),
  candidates: z.array(
    z.object({ label: z.string(), front: z.number().int().nonnegative(), length: z.number().int().nonnegative(), all: z.unknown().nullable(), loss: z.number().nonnegative(), newest: z.number().nonnegative() }),
  ),
  weight: z.number().nonnegative(),
  scoredBatches: z.number().int().nonnegative(),
  scoredRows: z.number().int().nonnegative(),
  newestRows: z.number().int().nonnegative(),
  served: z.number().int().nonnegative(),
  copies: z.object({ learned: z.number().int().nonnegative(), states: z.array(z.object({ held: z.number().int().positive(), state: z.unknown() })) }).optional(),
});

/** JSON form of the self-tuning memory of policy "auto" (saved with the learning state). */
export interface AutoMemoryJSON {
  /** Always "freshml.auto". */
  format: "freshml.auto";
  /** Format version. */
  formatVersion: 1;
  /** The newest batch states (as many as the longest window), oldest first. */
  batches: TrainerJSON[];
  /** Per candidate: how its window splits into front and back, the running state of everything, its recent losses. */
  candidates: AutoCandidateJSON[];
  /** Discounted rows behind every candidate's discounted loss. */
  weight: number;
  /** Batches scored so far (a choice waits for `horizon` of them). */
  scoredBatches: number;
  /** Rows scored so far (a choice waits for `minRows` of them). */
  scoredRows: number;
  /** Rows of the newest scored batch. */
  newestRows: number;
  /** Index of the serving candidate. */
  served: number;
  /** Trainers without `merge` only: their copies (then `batches` is empty). */
  copies?: AutoCopiesJSON;
}

/**
 * The copies of {@link AutoMemoryJSON} (trainers without `merge`).
 *
 * @example Reading them from a checkpoint
 * ```ts
 * import { MemoryModelStore, Pipeline, SGDRegressor, type AutoMemoryJSON } from "freshml";
 * const store = new MemoryModelStore();
 * await new Pipeline({ trainer: new SGDRegressor({ seed: 1 }), policy: { auto: { windows: [2] } }, store }).runBatches([{ X: [[0], [1]], y: [1, 3] }]);
 * const checkpoint = await store.getCheckpoint("model");
 * const auto = (checkpoint!.state as { learning: { auto: AutoMemoryJSON } }).learning.auto;
 * auto.copies; // { learned: 1, states: [{ held: 1, state: { format: "freshml.trainer", kind: "SGDRegressor", … } }] }
 * ```
 */
export interface AutoCopiesJSON {
  /** Batches learned since the start or the last reset: where each copy restarted follows from it. */
  learned: number;
  /** Each distinct copy, the one holding the most batches first. */
  states: AutoCopyJSON[];
}

/** One copy of {@link AutoCopiesJSON}. */
export interface AutoCopyJSON {
  /** How many of the newest batches it holds (its age). */
  held: number;
  /** Its state. */
  state: TrainerJSON;
}

/** One candidate of {@link AutoMemoryJSON}. */
export interface AutoCandidateJSON {
  /** "window W" or "everything". */
  label: string;
  /** Batches in the front of its two-stack window. */
  front: number;
  /** Batches in its window. */
  length: number;
  /** The state of everything (that candidate only). */
  all: TrainerJSON | null;
  /** Discounted sum of its out-of-time losses. */
  loss: number;
  /** Its summed loss on the newest scored batch. */
  newest: number;
}

/**
 * The self-tuning memory of the policy `"auto"`: several candidate windows
 * learned at once, exactly, by merging per-batch states (a batch's state is
 * learned once; each window costs amortised O(1) merges, O(d²) for a linear
 * model); a trainer without `merge` keeps copies of the learner instead
 * ({@link AutoOptions}). Before a batch is learned every candidate predicts it; the one
 * whose exponentially discounted mean loss is lowest serves (follow the
 * discounted leader), switching only when it beats the serving one by
 * `margin`; after a shock (every candidate `shock`× worse on the newest
 * batch) the shortest window serves at once. A choice rests only on batches
 * scored before it was made.
 */
export class AutoMemory {
  private readonly candidates: Candidate[];
  /** Batch states, newest last, as many as the longest window. */
  private batches: Trainer[] = [];
  /** Discounted rows behind the candidates' discounted losses. */
  private weight = 0;
  /** Batches and rows scored so far, and the newest scored batch's rows. */
  private scoredBatches = 0;
  private scoredRows = 0;
  private newestRows = 0;
  private servedIndex: number;
  /** Feature count (from the batches). */
  private cols = 0;
  /** Candidates' states since the last batch, made once and shared read-only (the serving one is solved once to serve, be tested and scored). */
  private made = new Map<Candidate, Trainer | null>();
  /** Trainers without `merge`: the copies that learn whole batches (null: batch states are merged). */
  private copies: Copies | null;

  constructor(
    /** The trainer whose parameters every batch state starts from. */
    readonly template: Trainer,
    /** The options. */
    readonly settings: AutoSettings,
  ) {
    this.copies = typeof template.merge === "function" ? null : { learned: 0, states: new Map<number, Trainer>() };
    this.candidates = [
      ...settings.windows.map((w): Candidate => ({ label: `window ${w}`, size: w, window: this.copies ? null : new WindowState(w), all: null, loss: 0, newest: 0 })),
      ...(settings.everything ? [{ label: "everything", size: Infinity, window: null, all: null, loss: 0, newest: 0 } satisfies Candidate] : []),
    ];
    // Until there is evidence, everything serves (or the longest window).
    this.servedIndex = this.candidates.length - 1;
  }

  /** The serving candidate's label. */
  get served(): string {
    return this.candidates[this.servedIndex]!.label;
  }

  /** Scores every candidate on the batch (before learning it), learns it into each, and chooses what serves. */
  learn(batch: CheckedBatch): void {
    if (this.copies) return this.learnCopies(this.copies, batch);
    const scored = new Map<Trainer | null, number | null>();
    const losses = this.candidates.map((c) => {
      const t = this.stateOf(c);
      if (!scored.has(t)) scored.set(t, lossOf(t, batch));
      return scored.get(t)!;
    });
    const b = this.template.clone();
    b.update(batch);
    // Nothing above changed any state. Merging finite statistics of values within the
    // pipeline's sanity bound cannot overflow, so nothing below throws on the batch.
    this.made.clear();
    const shocked = this.score(losses, batch.rows);
    this.candidates.forEach((c) => {
      if (c.window) c.window.push(b);
      else if (c.all) c.all.merge!(b);
      else c.all = b.copy();
    });
    this.batches.push(b);
    const longest = this.settings.windows[this.settings.windows.length - 1]!;
    if (this.batches.length > longest) this.batches.shift();
    this.cols = batch.cols;
    const shortest = this.candidates.findIndex((c) => this.eligible(c));
    if (shocked && shortest >= 0) this.servedIndex = shortest;
    else this.choose();
  }

  /**
   * {@link AutoMemory.learn} for trainers without `merge`: every candidate
   * predicts the batch through its serving copy, then every copy learns it
   * (a copy restarting now from a fresh clone), each distinct copy once.
   * Copies are never written after they are made (each learns on a
   * `copy()`), so memories share them; if any copy refuses the batch,
   * nothing has changed.
   */
  private learnCopies(copies: Copies, batch: CheckedBatch): void {
    const scored = new Map<Trainer | null, number | null>();
    const losses = this.candidates.map((c) => {
      const t = this.stateOf(c);
      if (!scored.has(t)) scored.set(t, lossOf(t, batch));
      return scored.get(t)!;
    });
    const learned = copies.learned + 1;
    const next = new Map<number, Trainer>();
    for (const start of this.copyStarts(learned)) {
      if (next.has(start)) continue;
      // A copy restarting now begins from the template; the others learn on a copy of their state.
      const t = start === copies.learned ? this.template.clone() : copies.states.get(start)!.copy();
      t.update(batch);
      next.set(start, t);
    }
    const shocked = this.score(losses, batch.rows);
    copies.learned = learned;
    copies.states = next;
    this.cols = batch.cols;
    const shortest = this.candidates.findIndex((c) => this.eligible(c));
    if (shocked && shortest >= 0) this.servedIndex = shortest;
    else this.choose();
  }

  /** Where every candidate's copies start after `learned` batches, in candidate order (the function copyStarts). */
  private copyStarts(learned: number): number[] {
    return this.candidates.flatMap((c) => copyStarts(c.size, learned));
  }

  /** The start of a candidate's serving copy: its older one (it holds between ⌈W/2⌉ and W batches once W are learned). */
  private servingStart(c: Candidate, learned: number): number {
    return Math.min(...copyStarts(c.size, learned));
  }

  /**
   * Folds a batch's out-of-time losses into every candidate's discounted
   * loss; returns whether it was a shock. Older batches' weights decay by
   * e^(−min(1/horizon, rows/minRows)) per batch, so the scores' memory spans
   * about `horizon` batches and at least `minRows` rows. A candidate that
   * could not predict is charged the worst loss of those that could.
   */
  private score(losses: ReadonlyArray<number | null>, rows: number): boolean {
    let worst = -Infinity;
    for (const l of losses) if (l !== null && l > worst) worst = l;
    if (worst === -Infinity) return false;
    const { horizon, minRows, shock } = this.settings;
    // Shock: every candidate `shock`× worse per row on this batch than its discounted mean before.
    let shocked = this.ready() && rows >= SHOCK_MIN_ROWS;
    for (let k = 0; shocked && k < losses.length; k++) {
      const l = losses[k] ?? worst;
      shocked = l / rows >= shock * (this.candidates[k]!.loss / this.weight);
    }
    const decay = Math.exp(-Math.min(1 / horizon, rows / minRows));
    this.weight = this.weight * decay + rows;
    this.candidates.forEach((c, k) => {
      c.newest = losses[k] ?? worst;
      c.loss = c.loss * decay + c.newest;
    });
    this.scoredBatches++;
    this.scoredRows += rows;
    this.newestRows = rows;
    return shocked;
  }

  /** Whether the scores rest on `horizon` batches and `minRows` rows. */
  private ready(): boolean {
    return this.scoredBatches >= this.settings.horizon && this.scoredRows >= this.settings.minRows && this.weight > 0;
  }

  /**
   * Whether a candidate may serve: a window must hold 10 rows per parameter
   * (features + intercept) — fewer, and a fit extrapolates wildly on the first
   * unusual row (tiny batches make tiny windows).
   */
  private eligible(c: Candidate): boolean {
    if (this.copies) return c.size === Infinity || (this.stateOf(c)?.nSeen ?? 0) >= 10 * (this.cols + 1);
    return !c.window || c.window.rows >= 10 * (this.cols + 1);
  }

  /** A candidate's discounted mean per-row loss; null until the scores are {@link AutoMemory.ready}. */
  private meanLoss(c: Candidate): number | null {
    return this.ready() ? c.loss / this.weight : null;
  }

  /** The serving candidate's state (the template's clone before any batch); read it, never update it. */
  servedState(): Trainer {
    return this.stateOf(this.candidates[this.servedIndex]!) ?? this.template.clone();
  }

  /** Every candidate's current state, by label (null before it learned anything): what would serve if it were chosen. */
  states(): Record<string, Trainer | null> {
    const out: Record<string, Trainer | null> = {};
    for (const c of this.candidates) out[c.label] = this.stateOf(c);
    return out;
  }

  /** What served and every candidate's mean loss. */
  choice(): MemoryChoice {
    const scores: Record<string, number | null> = {};
    for (const c of this.candidates) scores[c.label] = this.meanLoss(c);
    return { served: this.served, scores };
  }

  /** Starts afresh (the drift reaction "reset"): every candidate forgets everything. */
  reset(): void {
    const fresh = new AutoMemory(this.template, this.settings);
    this.candidates.splice(0, this.candidates.length, ...fresh.candidates);
    this.batches = [];
    this.weight = 0;
    this.scoredBatches = 0;
    this.scoredRows = 0;
    this.newestRows = 0;
    this.made.clear();
    this.copies = fresh.copies;
    this.servedIndex = fresh.servedIndex;
  }

  /** An independent copy (immutable batch states and aggregates are shared). */
  copy(): AutoMemory {
    const c = new AutoMemory(this.template, this.settings);
    c.candidates.splice(
      0,
      c.candidates.length,
      ...this.candidates.map((x) => ({ label: x.label, size: x.size, window: x.window?.copy() ?? null, all: x.all?.copy() ?? null, loss: x.loss, newest: x.newest })),
    );
    c.batches = this.batches.slice();
    c.weight = this.weight;
    c.scoredBatches = this.scoredBatches;
    c.scoredRows = this.scoredRows;
    c.newestRows = this.newestRows;
    c.servedIndex = this.servedIndex;
    c.cols = this.cols;
    // Copies are never written once made: sharing them is safe.
    if (this.copies) c.copies = { learned: this.copies.learned, states: new Map(this.copies.states) };
    return c;
  }

  /** JSON-safe form: the newest batch states and how each window splits them, so a restore is bit-identical. */
  toJSON(): AutoMemoryJSON {
    return {
      format: "freshml.auto",
      formatVersion: 1,
      batches: this.batches.map((b) => b.toJSON()),
      candidates: this.candidates.map((c) => ({
        label: c.label,
        front: c.window?.front.length ?? 0,
        length: c.window?.length ?? (this.copies && c.size !== Infinity ? this.copies.learned - this.servingStart(c, this.copies.learned) : 0),
        all: c.all?.toJSON() ?? null,
        loss: c.loss,
        newest: c.newest,
      })),
      weight: this.weight,
      scoredBatches: this.scoredBatches,
      scoredRows: this.scoredRows,
      newestRows: this.newestRows,
      served: this.servedIndex,
      ...(this.copies ? { copies: this.copiesJSON(this.copies) } : {}),
    };
  }

  private copiesJSON(copies: Copies): AutoCopiesJSON {
    const starts = [...copies.states.keys()].sort((a, b) => a - b);
    return { learned: copies.learned, states: starts.map((s) => ({ held: copies.learned - s, state: copies.states.get(s)!.toJSON() })) };
  }

  /** Restores {@link AutoMemory.toJSON}'s output; `invalid_state` if it does not fit these options. */
  static restore(json: unknown, template: Trainer, settings: AutoSettings, registry: TrainerRegistry): AutoMemory {
    const parsed = autoSchema.safeParse(json);
    if (!parsed.success) throw new FreshmlError("invalid_state", `not a freshml auto memory: ${z.prettifyError(parsed.error)}`);
    const j = parsed.data;
    const m = new AutoMemory(template, settings);
    if (j.candidates.length !== m.candidates.length || j.candidates.some((c, k) => c.label !== m.candidates[k]!.label)) {
      throw new FreshmlError("invalid_state", `the stored auto memory has the candidates ${j.candidates.map((c) => c.label).join(", ")}; this pipeline's are ${m.candidates.map((c) => c.label).join(", ")}`);
    }
    if (j.served >= m.candidates.length) throw new FreshmlError("invalid_state", "the stored auto memory serves a candidate it does not have");
    if ((j.copies === undefined) !== (m.copies === null)) {
      const stored = j.copies ? "keeps copies of a learner (a trainer without merge)" : "merges batch states (a trainer with merge)";
      const here = m.copies ? `${template.kind} has no merge, so its auto memory keeps copies` : `${template.kind} has merge, so its auto memory merges batch states`;
      throw new FreshmlError("invalid_state", `the stored auto memory ${stored}; this pipeline's ${here}`);
    }
    if (j.copies && m.copies) {
      m.restoreCopies(j.copies, j.candidates, registry);
      m.weight = j.weight;
      m.scoredBatches = j.scoredBatches;
      m.scoredRows = j.scoredRows;
      m.newestRows = j.newestRows;
      j.candidates.forEach((cj, k) => {
        m.candidates[k]!.loss = cj.loss;
        m.candidates[k]!.newest = cj.newest;
      });
      m.servedIndex = j.served;
      return m;
    }
    m.batches = j.batches.map((b) => restoreWith(b, registry));
    m.weight = j.weight;
    m.scoredBatches = j.scoredBatches;
    m.scoredRows = j.scoredRows;
    m.newestRows = j.newestRows;
    j.candidates.forEach((cj, k) => {
      const c = m.candidates[k]!;
      c.loss = cj.loss;
      c.newest = cj.newest;
      if (!c.window) {
        c.all = cj.all === null ? null : restoreWith(cj.all, registry);
        return;
      }
      if (cj.length > m.batches.length || cj.front > cj.length || cj.length > c.window.size) throw new FreshmlError("invalid_state", `the stored ${c.label} holds more batches than were kept`);
      // Rebuild exactly as it was made: the front from its flip (suffix aggregates), the back merged in order.
      const items = m.batches.slice(m.batches.length - cj.length);
      c.window.back = items.slice(0, cj.front);
      c.window.flip();
      for (const b of items.slice(cj.front)) {
        c.window.back.push(b);
        if (c.window.backAll) c.window.backAll.merge!(b);
        else c.window.backAll = b.copy();
      }
    });
    m.servedIndex = j.served;
    m.cols = m.batches[m.batches.length - 1]?.nFeatures ?? 0;
    return m;
  }

  /** Restores the copies of {@link AutoMemory.toJSON}; `invalid_state` unless they are exactly the copies these candidates keep after that many batches. */
  private restoreCopies(json: { learned: number; states: Array<{ held: number; state: unknown }> }, candidates: ReadonlyArray<{ length: number }>, registry: TrainerRegistry): void {
    const { learned } = json;
    const want = learned === 0 ? [] : [...new Set(this.copyStarts(learned))].sort((a, b) => a - b);
    const got = json.states.map((c) => learned - c.held);
    if (want.length !== got.length || want.some((s, k) => s !== got[k])) {
      throw new FreshmlError("invalid_state", `the stored auto memory's copies hold ${json.states.map((c) => c.held).join(", ") || "nothing"} batches; after ${learned} batches these candidates keep copies holding ${want.map((s) => learned - s).join(", ") || "nothing"}`);
    }
    const states = new Map<number, Trainer>();
    json.states.forEach((c, k) => {
      const t = restoreWith(c.state, registry);
      if (t.kind !== this.template.kind) throw new FreshmlError("invalid_state", `the stored auto memory's copies are ${t.kind}; this pipeline's trainer is ${this.template.kind}`);
      states.set(got[k]!, t);
    });
    this.copies = { learned, states };
    this.candidates.forEach((c, k) => {
      if (c.size !== Infinity && candidates[k]!.length !== learned - this.servingStart(c, learned)) {
        throw new FreshmlError("invalid_state", `the stored ${c.label} holds ${candidates[k]!.length} batches; its copy holds ${learned - this.servingStart(c, learned)}`);
      }
    });
    let cols = 0;
    for (const t of states.values()) cols = Math.max(cols, t.nFeatures ?? 0);
    this.cols = cols;
  }

  /** A candidate's state, made once per batch; callers only read it (predict, copy, toJSON). */
  private stateOf(c: Candidate): Trainer | null {
    if (this.copies) return this.copies.states.get(this.servingStart(c, this.copies.learned)) ?? null;
    if (this.made.has(c)) return this.made.get(c)!;
    // Candidates that hold every batch learned (everything, and windows not yet full) have the same state: made and solved once.
    const twin = holdsAll(c) ? this.candidates.find(holdsAll) : undefined;
    const t = twin && twin !== c ? this.stateOf(twin) : c.window ? c.window.state() : (c.all?.copy() ?? null);
    this.made.set(c, t);
    return t;
  }

  /** The candidate with the lowest discounted mean loss serves, if it beats the serving one by the margin. */
  private choose(): void {
    let best = -1;
    let bestLoss = Infinity;
    this.candidates.forEach((c, k) => {
      if (!this.eligible(c)) return;
      const l = this.meanLoss(c);
      if (l !== null && l < bestLoss) {
        best = k;
        bestLoss = l;
      }
    });
    if (best < 0 || best === this.servedIndex) return;
    const current = this.meanLoss(this.candidates[this.servedIndex]!);
    if (current === null || bestLoss < current * (1 - this.settings.margin)) this.servedIndex = best;
  }
}

/**
 * Where a candidate's copies start after `learned` batches (a copy holds the
 * batches after its start): everything's one copy at 0; window W's two
 * copies restart every W batches, the second ⌈W/2⌉ batches after the first,
 * so the older holds between ⌈W/2⌉ and W of the newest batches.
 */
function copyStarts(size: number, learned: number): number[] {
  if (size === Infinity) return [0];
  const offset = Math.ceil(size / 2);
  return [learned === 0 ? 0 : size * Math.floor((learned - 1) / size), learned <= offset ? 0 : offset + size * Math.floor((learned - 1 - offset) / size)];
}

/** Whether a candidate holds every batch learned since the start (or the last reset): everything, or a window not yet full. */
function holdsAll(c: Candidate): boolean {
  return c.window === null || c.window.length < c.window.size;
}

/** Summed per-row loss of a state on a batch it has not learned: squared error, or log loss for classifiers; null if it cannot predict. */
function lossOf(t: Trainer | null, batch: CheckedBatch): number | null {
  if (!t || t.nSeen === 0) return null;
  try {
    const y = batch.y;
    let s = 0;
    if (isClassifier(t)) {
      const p = t.predictProba(batch);
      const k = t.classes.length;
      for (let i = 0; i < y.length; i++) {
        const c = t.classes.indexOf(y[i]!);
        s -= Math.log(Math.min(1, Math.max(1e-15, c < 0 ? 0 : p[i * k + c]!)));
      }
    } else {
      const p = t.predict(batch);
      for (let i = 0; i < y.length; i++) s += (p[i]! - y[i]!) ** 2;
    }
    return Number.isFinite(s) ? s : null;
  } catch (err) {
    if (err instanceof FreshmlError) return null;
    throw err;
  }
}

/** True for the policy value `"auto"` or `{ auto }`. */
export function isAutoPolicy(policy: unknown): policy is "auto" | AutoPolicy {
  return policy === "auto" || (typeof policy === "object" && policy !== null && "auto" in policy);
}
