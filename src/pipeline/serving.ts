import type { FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { builtinTrainers, type TrainerRegistry } from "../learners/registry.js";
import { ServingModelBase, servingModelParts } from "./serving-model.js";
import { checkName, type ModelRecord, type ModelStore } from "../store/model-store.js";
import { supportsWatch, type WatchOptions, type Watcher } from "../store/watch.js";
import { systemClock, type Clock, type TimerHandle } from "../schedule/clock.js";

/**
 * A model ready to serve: a trainer and, for models trained on row objects,
 * the featurizer it was trained with (fields, enum level order and one-hot
 * encoding, missing-value strategies and their statistics, unseen-level
 * policies). `predictRows` takes raw row objects and needs no featurisation
 * code in the host; it gives exactly the pipeline's predictions, including for
 * rows with missing values or enum levels the schema did not declare.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { Pipeline, LinearRegression, MemoryModelStore, loadModel } from "freshml";
 * const Row = z.object({ temp: z.number().optional(), day: z.enum(["wk", "we"]), load: z.number() });
 * const store = new MemoryModelStore();
 * const pipeline = new Pipeline({ schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-6 }), store });
 * const batch = Array.from({ length: 40 }, (_, i) => ({ temp: i, day: i % 3 ? "wk" : "we", load: 2 * i + (i % 3 ? 0 : 5) } as const));
 * await pipeline.runBatches([batch]);
 * const model = await loadModel(store, "model", "champion");
 * model.predictRows([{ temp: 10, day: "we" }, { day: "wk" }]); // ≈ [25, 39]: a missing temp is imputed with its mean (19.5)
 * model.featurizeRows([{ temp: 1, day: "holiday" }]).counts;  // [{ field: "day", missing: 0, unseen: 1, unseenLevels: ["holiday"] }]
 * ```
 */
export class ServingModel extends ServingModelBase {
  /** A serving model from a stored version. */
  static fromRecord(record: ModelRecord, registry: TrainerRegistry = builtinTrainers): ServingModel {
    return new ServingModel(...servingModelParts(record, registry));
  }

  /**
   * True of every serving model, including those a Pipeline makes (with the
   * base class, which leaves out this class's `fromRecord` and the learners it
   * reaches); a subclass of ServingModel keeps the usual `instanceof`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return this === ServingModel ? value instanceof ServingModelBase : Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

export type { ServedRows } from "./serving-model.js";

/**
 * Loads a stored version (by number or alias, e.g. `"champion"`) as a
 * {@link ServingModel}. Custom trainers need a registry that knows their kind.
 *
 * @example
 * ```ts
 * import { loadModel, MemoryModelStore, LinearRegression } from "freshml";
 * const store = new MemoryModelStore();
 * const m = new LinearRegression();
 * m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * await store.setAlias("m", "champion", await store.put({ name: "m", trainer: m.toJSON() }));
 * (await loadModel(store, "m", "champion")).predict([[3]]); // Float64Array [7]
 * ```
 */
export async function loadModel(store: ModelStore, name: string, ref: number | string = "champion", options: { registry?: TrainerRegistry } = {}): Promise<ServingModel> {
  return ServingModel.fromRecord(await store.get(name, ref), options.registry);
}

/**
 * Options of {@link followChampion}.
 *
 * @example
 * ```ts
 * import { MemoryModelStore, followChampion, type FollowOptions } from "freshml";
 * const options: FollowOptions = {
 *   alias: "champion",
 *   onSwap: (model, previous) => console.log(`serving version ${model.version} (was ${previous?.version ?? "none"})`),
 *   onError: (err) => console.warn("could not load the new champion; still serving the old one", err),
 * };
 * const follower = await followChampion(new MemoryModelStore(), "load", options);
 * await follower.close();
 * ```
 */
export interface FollowOptions {
  /** The alias to follow. Default "champion". */
  alias?: string;
  /** Restores custom trainer kinds. Default: the built-in ones. */
  registry?: TrainerRegistry;
  /** Called after each swap, with the model now served and the one before (null at the first). */
  onSwap?: (model: ServingModel, previous: ServingModel | null) => void;
  /**
   * Called when a new version cannot be loaded (the previous model keeps
   * serving, and the load is tried again after `pollIntervalMs`), or when
   * the watch or a poll fails. Errors never escape into the void: without
   * `onError` they are dropped here, and the follower goes on.
   */
  onError?: (error: unknown) => void;
  /**
   * For a store without `watch`: how often `resolveAlias` is polled, in ms.
   * Also the wait before a failed load is tried again. Default 1,000.
   */
  pollIntervalMs?: number;
  /** Passed to `store.watch` (say `{ poll: true }` for a `FileModelStore` on a network file system); its `onError` is this one's. */
  watch?: WatchOptions & Record<string, unknown>;
  /** The clock of the poll and retry timers (injectable for tests). Default the system's. */
  clock?: Clock;
}

/**
 * A serving model that follows an alias: it swaps to each version the alias
 * moves to, in the background. Made by {@link followChampion}.
 *
 * A new version is loaded whole (read, checked, trainer and featurizer
 * restored) before one assignment swaps it in, and every predict call reads
 * the model once: a prediction never sees half of one version and half of
 * another. A version that fails to load leaves the previous model serving.
 *
 * @example
 * ```ts
 * import { LinearRegression, MemoryModelStore, followChampion } from "freshml";
 * const store = new MemoryModelStore();
 * const follower = await followChampion(store, "m");
 * follower.model; // null: no champion yet
 * const m = new LinearRegression();
 * m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * await store.putAndAlias({ name: "m", trainer: m.toJSON() }, "champion");
 * follower.version; // 1 once swapped (the memory store notifies at once; the load takes a moment)
 * await follower.close();
 * ```
 */
export class ChampionFollower {
  private current: ServingModel | null = null;
  /** The version the alias last moved to, and how many moves were seen (so a slow load never undoes a newer move). */
  private wanted: number | null = null;
  private moves = 0;
  private loading: Promise<void> | null = null;
  /** A move came while a load was finishing: look again once it is done. */
  private rerun = false;
  private closed = false;
  private watcher: Watcher | null = null;
  private timer: TimerHandle | null = null;
  private readonly alias: string;
  private readonly interval: number;
  private readonly clock: Clock;

  /**
   * Use {@link followChampion}, which also loads the current version.
   * @param store - where the versions are
   * @param name - the model's name
   * @param options - see {@link FollowOptions}
   */
  constructor(
    private readonly store: ModelStore,
    /** The model's name. */
    readonly name: string,
    private readonly options: FollowOptions = {},
  ) {
    checkName(name);
    this.alias = checkName(options.alias ?? "champion", "alias");
    this.interval = options.pollIntervalMs ?? 1000;
    checkParam(typeof this.interval === "number" && Number.isFinite(this.interval) && this.interval >= 1, "pollIntervalMs", "a finite number ≥ 1", this.interval);
    this.clock = options.clock ?? systemClock;
  }

  /** The model served now, or null before the alias names a version. Read it once per request: it may be swapped between two reads. */
  get model(): ServingModel | null {
    return this.current;
  }

  /** The version served now, or null. */
  get version(): number | null {
    return this.current?.version ?? null;
  }

  /** {@link ServingModel.predictRows} of the model served now; `not_found` before there is one. */
  predictRows(rows: readonly unknown[]): Float64Array {
    return this.served().predictRows(rows);
  }

  /** {@link ServingModel.predictProbaRows} of the model served now; `not_found` before there is one. */
  predictProbaRows(rows: readonly unknown[]): Float64Array {
    return this.served().predictProbaRows(rows);
  }

  /** {@link ServingModel.predict} of the model served now; `not_found` before there is one. */
  predict(X: FeatureInput): Float64Array {
    return this.served().predict(X);
  }

  /** Stops following (the watch, the timers) and waits for a load in flight; the model served stays as it is. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const w = this.watcher;
    this.watcher = null;
    await w?.close().catch((err: unknown) => this.report(err));
    await this.loading;
  }

  /** Subscribes (watch, or the poll), then loads the version the alias names now. Rejects (and closes) if that first load fails. */
  async start(): Promise<void> {
    try {
      if (supportsWatch(this.store)) {
        this.watcher = this.store.watch(this.name, this.alias, (change) => this.want(change.version), { ...this.options.watch, onError: (err) => this.report(err) });
        await this.watcher.ready;
      } else this.poll();
      // After subscribing, so a move between this read and the subscription is not missed.
      const version = await this.store.resolveAlias(this.name, this.alias);
      if (version !== null && this.moves === 0) {
        const model = await this.load(version);
        if (this.moves === 0) this.swap(model);
      }
      this.kick();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private served(): ServingModel {
    const m = this.current;
    if (!m) throw new FreshmlError("not_found", `model ${this.name} has no ${this.alias} yet`, { name: this.name, alias: this.alias });
    return m;
  }

  private want(version: number | null): void {
    if (version === null || this.closed) return;
    this.wanted = version;
    this.moves++;
    this.kick();
  }

  /** Loads the wanted version unless it is served already; one load at a time, the newest move last. */
  private kick(): void {
    if (this.closed) return;
    if (this.loading) {
      this.rerun = true;
      return;
    }
    this.rerun = false;
    this.loading = (async () => {
      while (!this.closed && this.wanted !== null && this.wanted !== this.current?.version) {
        const target = this.wanted;
        try {
          const model = await this.load(target);
          if (this.closed) return;
          this.swap(model);
        } catch (err) {
          this.report(err);
          this.retryLater();
          return;
        }
      }
    })().finally(() => {
      this.loading = null;
      if (this.rerun) this.kick();
    });
  }

  private async load(version: number): Promise<ServingModel> {
    return ServingModel.fromRecord(await this.store.get(this.name, version), this.options.registry);
  }

  private swap(model: ServingModel): void {
    const previous = this.current;
    this.current = model; // one assignment: a predict sees the old model or the new, whole
    try {
      this.options.onSwap?.(model, previous);
    } catch (err) {
      this.report(err);
    }
  }

  private retryLater(): void {
    if (this.closed || this.timer !== null || !supportsWatch(this.store)) return; // polling retries at its next tick
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.kick();
    }, this.interval);
  }

  private poll(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.store.resolveAlias(this.name, this.alias).then(
        (version) => {
          if (version !== null && version !== this.wanted) this.want(version);
          else this.kick(); // retries a failed load
          this.poll();
        },
        (err: unknown) => {
          this.report(err);
          this.poll();
        },
      );
    }, this.interval);
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // A failing error handler must not stop the follower.
    }
  }
}

/**
 * Serves the version an alias (`champion` by default) names, and swaps to
 * each new one as the alias moves — in this process or any other sharing the
 * store. It uses `store.watch` where the store has it (memory: at once; file
 * store: fs.watch; PostgreSQL: LISTEN/NOTIFY) and otherwise polls
 * `resolveAlias` every `pollIntervalMs`. Resolves once the current version
 * is loaded (or at once, with `model` null, when the alias is not set yet);
 * rejects if that first load fails. Later failures go to `onError`, and the
 * previous model keeps serving. Call `close()` when done.
 *
 * @example
 * ```ts
 * import { LinearRegression, MemoryModelStore, followChampion } from "freshml";
 * const store = new MemoryModelStore();
 * const m = new LinearRegression();
 * m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * await store.putAndAlias({ name: "load", trainer: m.toJSON() }, "champion");
 * const serving = await followChampion(store, "load", { onError: (err) => console.warn(err) });
 * serving.predict([[3]]); // Float64Array [7], from version 1
 * // … another replica promotes version 2: `serving` swaps to it by itself.
 * await serving.close();
 * ```
 */
export async function followChampion(store: ModelStore, name: string, options: FollowOptions = {}): Promise<ChampionFollower> {
  const follower = new ChampionFollower(store, name, options);
  await follower.start();
  return follower;
}
