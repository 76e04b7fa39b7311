import { FreshmlError } from "../core/errors.js";
import { MemoryRunHistory, type RunHistory, type RunRetention } from "../history/run-history.js";
import { VERSION } from "../version.js";
import { AliasBook, checkHistoryLimit, DEFAULT_ALIAS_HISTORY_LIMIT } from "./alias-book.js";
import {
  checkName,
  checkVersion,
  completeCheckpoint,
  completeRecord,
  readCursor,
  readLimit,
  summarize,
  type AliasEvent,
  type CheckpointInput,
  type CheckpointRecord,
  type ListOptions,
  type ModelRecord,
  type ModelRecordInput,
  type ModelStore,
  type PruneOptions,
  type VerifyReport,
  type VersionPage,
} from "./model-store.js";
import type { AliasChange, Watcher } from "./watch.js";
import type { FenceOptions, LeaseGrant, MemoryLease } from "./lease.js";

interface ModelEntry {
  versions: Map<number, ModelRecord>;
  highest: number;
  aliases: AliasBook;
}

/** Options of {@link MemoryModelStore}. */
export interface MemoryModelStoreOptions {
  /** The clock for `createdAt` and alias events (injectable for tests); defaults to the system time. */
  now?: () => Date;
  /**
   * Events each alias keeps in its history, and how many earlier versions
   * `rollback` can walk back through. Default 1,000
   * ({@link DEFAULT_ALIAS_HISTORY_LIMIT}).
   */
  aliasHistoryLimit?: number;
  /** Runs kept per model name by {@link MemoryModelStore.runHistory}. Default 100. */
  keepRuns?: number;
  /**
   * The lease that `{ fence }` on a write is checked against (the same
   * {@link MemoryLease} the writers acquire). Without it the store does not
   * fence, and a write given a fence is refused with `invalid_params`.
   */
  lease?: MemoryLease;
}

/**
 * A {@link ModelStore} in memory: no Node built-ins, for tests, browsers and
 * short-lived processes. Records and checkpoints are deep-copied in and out,
 * so a stored version never changes, whatever the caller does with its objects.
 *
 * @example
 * ```ts
 * import { MemoryModelStore, MeanRegressor } from "freshml";
 * const store = new MemoryModelStore();
 * const m = new MeanRegressor();
 * m.update({ X: [[0]], y: [2] });
 * const v1 = await store.put({ name: "demo", trainer: m.toJSON() });
 * const v2 = await store.put({ name: "demo", trainer: m.toJSON(), parent: v1 });
 * await store.setAlias("demo", "champion", v1);
 * await store.setAlias("demo", "champion", v2);
 * await store.rollback("demo", "champion"); // 1
 * ```
 */
export class MemoryModelStore implements ModelStore {
  private readonly models = new Map<string, ModelEntry>();
  // Apart from the versions: list, numbering and prune never see checkpoints.
  private readonly checkpoints = new Map<string, CheckpointRecord>();
  private readonly now: () => Date;
  private readonly historyLimit: number;
  private readonly watchers = new Set<{ name: string; alias: string; onChange: (change: AliasChange) => void }>();
  private readonly lease: MemoryLease | null;
  /** Whether writes check `{ fence }`: true when built with a `lease`. */
  readonly fencing: boolean;

  private readonly runs: MemoryRunHistory;

  constructor(options: MemoryModelStoreOptions = {}) {
    this.now = options.now ?? ((): Date => new Date());
    this.historyLimit = checkHistoryLimit(options.aliasHistoryLimit ?? DEFAULT_ALIAS_HISTORY_LIMIT);
    if (options.lease !== undefined && typeof options.lease?.check !== "function") throw new FreshmlError("invalid_params", "lease must be a MemoryLease", { param: "lease" });
    this.lease = options.lease ?? null;
    this.fencing = this.lease !== null;
    this.runs = new MemoryRunHistory(options.keepRuns === undefined ? {} : { keepRuns: options.keepRuns });
  }

  /** The store's run history, in memory beside its versions (see {@link ModelStore.runHistory}). */
  runHistory(retention?: RunRetention): RunHistory {
    return retention === undefined ? this.runs : new MemoryRunHistory(retention, this.runs);
  }

  async put(input: ModelRecordInput, options: FenceOptions = {}): Promise<number> {
    const name = checkName(input?.name);
    const record = completeRecord(input, 1, this.now().toISOString(), VERSION);
    this.checkFence(options.fence);
    const entry = this.entry(name, true)!;
    const version = entry.highest + 1;
    record.version = version;
    entry.versions.set(version, record);
    entry.highest = version;
    return version;
  }

  async putAndAlias(input: ModelRecordInput, alias: string, options: FenceOptions = {}): Promise<number> {
    const name = checkName(input?.name);
    checkName(alias, "alias");
    // Checked before anything is stored: a bad record neither takes a number nor moves the alias.
    const record = completeRecord(input, 1, this.now().toISOString(), VERSION);
    this.checkFence(options.fence);
    const entry = this.entry(name, true)!;
    const version = entry.highest + 1;
    record.version = version;
    entry.versions.set(version, record);
    entry.highest = version;
    entry.aliases.apply(entry.aliases.setEvent(alias, version, this.now().toISOString()));
    this.notify(name, alias, version);
    return version;
  }

  async get(name: string, ref: number | string): Promise<ModelRecord> {
    const entry = this.entry(checkName(name));
    const version = typeof ref === "string" ? this.aliasTarget(name, entry, checkName(ref, "alias")) : checkVersion(ref);
    const record = entry?.versions.get(version);
    if (!record) throw notFound(name, version);
    return structuredClone(record);
  }

  async list(name: string, options: ListOptions = {}): Promise<VersionPage> {
    const entry = this.entry(checkName(name));
    const below = readCursor(options.cursor);
    const limit = readLimit(options.limit);
    const all = entry ? [...entry.versions.keys()].filter((v) => v < below).sort((a, b) => b - a) : [];
    const page = all.slice(0, limit);
    const versions = page.map((v) => structuredClone(summarize(entry!.versions.get(v)!)));
    return { versions, unreadable: [], ...(all.length > limit ? { nextCursor: String(page[page.length - 1]) } : {}) };
  }

  async verify(name: string): Promise<VerifyReport> {
    const entry = this.entry(checkName(name));
    // Kept as structured clones: nothing can have changed them.
    return { ok: entry?.versions.size ?? 0, unreadable: [] };
  }

  async setAlias(name: string, alias: string, version: number, options: FenceOptions = {}): Promise<void> {
    const entry = this.entry(checkName(name));
    checkName(alias, "alias");
    checkVersion(version);
    this.checkFence(options.fence);
    if (!entry?.versions.has(version)) throw notFound(name, version);
    entry.aliases.apply(entry.aliases.setEvent(alias, version, this.now().toISOString()));
    this.notify(name, alias, version);
  }

  async resolveAlias(name: string, alias: string): Promise<number | null> {
    const entry = this.entry(checkName(name));
    return entry?.aliases.target(checkName(alias, "alias")) ?? null;
  }

  async aliasHistory(name: string, alias: string): Promise<AliasEvent[]> {
    const entry = this.entry(checkName(name));
    checkName(alias, "alias");
    return entry ? entry.aliases.history(alias) : [];
  }

  async rollback(name: string, alias: string, options: FenceOptions = {}): Promise<number> {
    const entry = this.entry(checkName(name));
    checkName(alias, "alias");
    this.checkFence(options.fence);
    const target = entry ? entry.aliases.rollbackTarget(alias, (v) => entry.versions.has(v)) : null;
    if (target === null || !entry) {
      throw new FreshmlError("nothing_to_roll_back", `alias ${alias} of ${name} has no earlier version to roll back to`);
    }
    entry.aliases.apply(entry.aliases.rollbackEvent(alias, target, this.now().toISOString()));
    this.notify(name, alias, target);
    return target;
  }

  async prune(name: string, options: PruneOptions): Promise<number[]> {
    const { keep, history } = readPruneOptions(options, this.historyLimit);
    const entry = this.entry(checkName(name));
    if (!entry) return [];
    const pinned = entry.aliases.pinned();
    const newestFirst = [...entry.versions.keys()].sort((a, b) => b - a);
    const doomed = newestFirst.slice(keep).filter((v) => !pinned.has(v));
    for (const v of doomed) entry.versions.delete(v);
    entry.aliases.trim(history, (v) => entry.versions.has(v));
    return doomed.sort((a, b) => a - b);
  }

  async putCheckpoint(input: CheckpointInput, options: FenceOptions = {}): Promise<void> {
    const name = checkName(input?.name);
    const sequence = (this.checkpoints.get(name)?.sequence ?? 0) + 1;
    // Checked (and copied) before anything changes: a bad write keeps the previous checkpoint.
    const checkpoint = completeCheckpoint(input, sequence, this.now().toISOString(), VERSION);
    this.checkFence(options.fence);
    this.checkpoints.set(name, checkpoint);
  }

  async getCheckpoint(name: string): Promise<CheckpointRecord | null> {
    const checkpoint = this.checkpoints.get(checkName(name));
    return checkpoint ? structuredClone(checkpoint) : null;
  }

  /**
   * Calls `onChange` after each move of `alias` (a `setAlias` or `rollback`
   * of this store), synchronously, before the move's promise resolves.
   */
  watch(name: string, alias: string, onChange: (change: AliasChange) => void): Watcher {
    const w = { name: checkName(name), alias: checkName(alias, "alias"), onChange };
    this.watchers.add(w);
    return { ready: Promise.resolve(), close: async () => void this.watchers.delete(w) };
  }

  /** `lease_lost` unless `fence` (when given) is the lease's current grant; synchronous, so nothing runs between the check and the write. */
  private checkFence(fence: LeaseGrant | undefined): void {
    if (fence === undefined) return;
    if (!this.lease) throw new FreshmlError("invalid_params", "this MemoryModelStore has no lease to check a fence against: build it with { lease }", { param: "fence" });
    checkName(fence?.name, "lease name");
    this.lease.check(fence);
  }

  private notify(name: string, alias: string, version: number): void {
    for (const w of [...this.watchers]) {
      if (w.name !== name || w.alias !== alias) continue;
      try {
        w.onChange({ name, alias, version, source: "notify" });
      } catch {
        // A watcher's failure must not fail the move.
      }
    }
  }

  private entry(name: string, create = false): ModelEntry | undefined {
    let e = this.models.get(name);
    if (!e && create) {
      e = { versions: new Map(), highest: 0, aliases: new AliasBook(this.historyLimit) };
      this.models.set(name, e);
    }
    return e;
  }

  private aliasTarget(name: string, entry: ModelEntry | undefined, alias: string): number {
    const v = entry?.aliases.target(alias) ?? null;
    if (v === null) throw new FreshmlError("not_found", `model ${name} has no alias ${alias}`, { name, alias });
    return v;
  }
}

/** The `not_found` error for a missing version. */
export function notFound(name: string, version: number): FreshmlError {
  return new FreshmlError("not_found", `model ${name} has no version ${version}`, { name, version });
}

/** Checks prune's options: `keep` an integer ≥ 0, `history` (default `limit`) an integer ≥ 1. */
export function readPruneOptions(options: PruneOptions, limit: number): { keep: number; history: number } {
  const keep = options?.keep;
  if (!Number.isInteger(keep) || keep < 0) throw new FreshmlError("invalid_params", `prune needs keep ≥ 0, got ${String(keep)}`, { param: "keep" });
  const history = options.history === undefined ? limit : checkHistoryLimit(options.history, "prune's history");
  return { keep, history: Math.min(history, limit) };
}
