import type { ModelStore } from "./model-store.js";

/**
 * An alias move seen by a watcher.
 *
 * @example
 * ```ts
 * import { MemoryModelStore, MeanRegressor, type AliasChange } from "freshml";
 * const store = new MemoryModelStore();
 * const seen: AliasChange[] = [];
 * store.watch("demo", "champion", (change) => seen.push(change));
 * const m = new MeanRegressor();
 * m.update({ X: [[0]], y: [1] });
 * await store.setAlias("demo", "champion", await store.put({ name: "demo", trainer: m.toJSON() }));
 * // seen: [{ name: "demo", alias: "champion", version: 1, source: "notify" }]
 * ```
 */
export interface AliasChange {
  /** The model's name. */
  name: string;
  /** The alias, e.g. "champion". */
  alias: string;
  /** The version it points to now (null if it is not set). */
  version: number | null;
  /** `notify` when a notification brought it, `catch-up` when a read after (re)subscribing found it. */
  source: "notify" | "catch-up";
}

/**
 * Options of `watch`.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { PostgresModelStore } from "freshml/postgres";
 * const db = new PGlite();
 * const store = new PostgresModelStore(db);
 * const watcher = store.watch("demo", "champion", () => undefined, { onError: (err) => console.warn("watch reconnecting", err) });
 * await watcher.ready;
 * await watcher.close();
 * await db.close();
 * ```
 */
export interface WatchOptions {
  /** Called when the watcher's connection drops or a catch-up read fails; the watcher keeps retrying. */
  onError?: (error: unknown) => void;
}

/**
 * A running watch: `ready` resolves once the watcher listens and has read
 * the alias; `close` stops it.
 *
 * @example
 * ```ts
 * import { MemoryModelStore, MeanRegressor } from "freshml";
 * const store = new MemoryModelStore();
 * const watcher = store.watch("demo", "champion", (change) => console.log(change.version));
 * await watcher.ready;
 * await watcher.close();
 * ```
 */
export interface Watcher {
  /** Resolves when the watcher listens (and has done its first read). */
  ready: Promise<void>;
  /** Stops watching. */
  close(): Promise<void>;
}

/**
 * A {@link ModelStore} that reports alias moves as they happen: the memory
 * store (directly), `FileModelStore` (fs.watch, with polling) and
 * `PostgresModelStore` (LISTEN/NOTIFY). Tell one apart with
 * {@link supportsWatch}.
 *
 * @example
 * ```ts
 * import { MemoryModelStore, supportsWatch } from "freshml";
 * const store = new MemoryModelStore();
 * if (supportsWatch(store)) {
 *   const watcher = store.watch("demo", "champion", (change) => console.log("now", change.version));
 *   await watcher.close();
 * }
 * ```
 */
export interface WatchableModelStore extends ModelStore {
  /**
   * Calls `onChange` after each move of `alias` of `name`, in order (each
   * once); the position when the watch starts is not a change. `close()`
   * stops it and releases what it holds.
   */
  watch(name: string, alias: string, onChange: (change: AliasChange) => void, options?: WatchOptions): Watcher;
}

/**
 * Whether `store` has `watch` ({@link WatchableModelStore}); without it, a
 * follower polls `resolveAlias`.
 *
 * @example
 * ```ts
 * import { MemoryModelStore, supportsWatch } from "freshml";
 * supportsWatch(new MemoryModelStore()); // true
 * ```
 */
export function supportsWatch(store: ModelStore): store is WatchableModelStore {
  return typeof (store as Partial<WatchableModelStore> | null)?.watch === "function";
}
