import { constants as bufferConstants } from "node:buffer";
import { createHash } from "node:crypto";
import { mkdir, open, readFile, readdir, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as z from "zod";
import { FreshmlError } from "../core/errors.js";
import { keepRunsOf, type RunHistory, type RunRetention } from "../history/run-history.js";
import { checkHistoryLimit, DEFAULT_ALIAS_HISTORY_LIMIT } from "../store/alias-book.js";
import { notFound, readPruneOptions } from "../store/memory-model-store.js";
import {
  checkName,
  checkVersion,
  checkpointRecordSchema,
  completeCheckpoint,
  completeRecord,
  modelRecordSchema,
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
  type ModelVersionSummary,
  type PruneOptions,
  type UnreadableVersion,
  type VerifyReport,
  type VersionPage,
} from "../store/model-store.js";
import { VERSION } from "../version.js";
import type { FenceOptions, LeaseGrant } from "../store/lease.js";
import { AliasFiles } from "./alias-files.js";
import { FileRunHistory } from "./file-run-history.js";
import { FileLease } from "./file-lease.js";
import { watchAliasFiles, type FileWatchOptions } from "./file-watch.js";
import type { AliasChange, Watcher } from "../store/watch.js";
import { processAlive, withFileLock, type FileLockOptions } from "./file-lock.js";
import { packArrays, unpackArrays } from "./f64-codec.js";
import { createFileExclusive, syncDir, TEMP_NAME, writeFileAtomic } from "./fs-atomic.js";
import { guarded, rethrowAt, storeFault } from "./store-errors.js";

const summarySchema = modelRecordSchema.omit({ trainer: true, preprocessing: true, learningState: true }).extend({ trainerKind: z.string() });
const headerSchema = z.object({
  format: z.literal("freshml.model"),
  formatVersion: z.literal(1),
  /** SHA-256 of the summary's JSON, a newline, and the record line. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** SHA-256 of the summary's JSON alone, so list() can check it without reading the state. */
  summarySha256: z.string().regex(/^[0-9a-f]{64}$/),
  summary: summarySchema,
});
/**
 * `highest.json`: the highest version number ever allocated for the model
 * (never lowered, whatever `prune` deletes). The SHA-256 covers the JSON of
 * `{ name, highest }`.
 */
const highestFileSchema = z.object({
  format: z.literal("freshml.highest"),
  formatVersion: z.literal(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string(),
  highest: z.number().int().positive(),
});
const checkpointHeaderSchema = z.object({
  format: z.literal("freshml.checkpoint"),
  formatVersion: z.literal(1),
  /** SHA-256 of the body line. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const VERSION_FILE = /^v(\d{8})\.json$/;
const CHECKPOINT_FILE = "checkpoint.json";
const HIGHEST_FILE = "highest.json";
/** Temp files older than this are removed even if their writer's process id is alive (10 minutes). */
const DEFAULT_STALE_TEMP_MS = 600_000;
/** The longest string Node can make: a file longer than this cannot be read as one. */
const MAX_FILE_CHARS = bufferConstants.MAX_STRING_LENGTH;
/** A version file's header line (its summary) is at most this long: `list` reads no further (16 MiB). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const versionFile = (v: number): string => `v${String(v).padStart(8, "0")}.json`;

/** Options of {@link FileModelStore}. */
export interface FileModelStoreOptions {
  /** The clock for `createdAt`, alias events and the age of temp files (injectable for tests). */
  now?: () => Date;
  /** Lock timing (see `withFileLock`). */
  lock?: FileLockOptions;
  /**
   * Events each alias keeps in its history, and how many earlier versions
   * `rollback` can walk back through. Default 1,000
   * (`DEFAULT_ALIAS_HISTORY_LIMIT`). Every alias also counts all its moves in
   * `seq`.
   */
  aliasHistoryLimit?: number;
  /**
   * A writer holding a model's lock deletes the model's temp files whose
   * process is gone, and those older than this (ms), which no live writer
   * can still be finishing. Default 600,000 (10 minutes).
   */
  staleTempMs?: number;
  /**
   * fsync every write and its folder (default true). `false` is for tests
   * and throwaway stores: writes stay atomic for readers and whole after a
   * crash of the process, but a power cut may lose the newest of them.
   */
  fsync?: boolean;
  /** Runs kept per model name by {@link FileModelStore.runHistory} (in `<root>/<model>/runs/`). Default 100. */
  keepRuns?: number;
  /**
   * The folder of the {@link FileLease} whose grants fence this store's
   * writes (`{ fence }`). Default: the store's own folder, so
   * `new FileLease(store.root)` is the lease to use.
   */
  leaseDir?: string;
}

/**
 * The embedded default {@link ModelStore}: a folder of files, safe with
 * several processes and against crashes at any instant.
 *
 * Layout: `<root>/<model>/versions/v00000001.json` (one immutable file per
 * version), `<root>/<model>/aliases.json` and `aliases.log` (a snapshot of
 * every alias with its retained history, and the moves since, one
 * checksummed line each: a move appends a line, and every 100 moves the log
 * is folded into a new snapshot, so a move costs the same however long the
 * history), `<root>/<model>/highest.json` (the highest version number ever
 * allocated, with its SHA-256: the high-water mark that keeps numbers from
 * being reused after `prune` deletes the newest versions) and
 * `<root>/<model>/checkpoint.json` (the checkpoint slot: a
 * header line with its SHA-256, then the body line). Number arrays of 16 or
 * more in a learner's state, in a version's preprocessing and learning state,
 * and in a checkpoint's state are written as base64 of their little-endian
 * bytes (`{ "$f64": "…" }`): exact to the bit and half the size of decimal
 * text. A version file is a header line — format, SHA-256 checksums, and
 * a summary for `list` — then the record line; a read that does not match its
 * checksum is `checksum_mismatch` naming the file, and every other version
 * still loads. Every read is checked with zod.
 *
 * Writes: temp file → fsync → hard link (a version never overwrites another)
 * or rename (aliases.json, highest.json, checkpoint.json) → fsync of the folder. Writers take a per-model lock
 * (a directory whose owner's process id is checked, so a crashed writer's lock
 * is broken at once); readers take none. A `kill -9` at any instant leaves at
 * most a stray temp file, which readers ignore and the next writer removes,
 * or a torn last log line, which readers skip and the next writer cuts off.
 * Disk faults are typed `FreshmlError`s: `store_full`, `store_read_only`,
 * `store_corrupt` (naming the path), `store_io`, `too_large`.
 *
 * `list` checks each version's header and summary only; `get` and `verify`
 * check the whole file.
 *
 * Fencing: `put`, `putAndAlias`, `setAlias`, `rollback` and `putCheckpoint`
 * take `{ fence }`, a grant of a {@link FileLease} on the store's folder (or
 * `leaseDir`); the write holds the model's lock and the lease's lock while it
 * checks the grant and writes, so a stale holder gets `lease_lost` and
 * nothing is written. `watch` reports alias moves made by any process (see
 * {@link FileModelStore.watch}).
 *
 * Numbering: `put` allocates `highest.json + 1` (stepping over a number
 * whose file exists; it never lists the versions folder) and writes that number to `highest.json` *before* it links the version file
 * in, so a crash between the two leaves an unused number (a gap), never a
 * number that a later put hands out again. `prune` raises `highest.json` to
 * the newest version file before deleting anything. A store written before
 * `highest.json` existed derives the mark from its version files and the
 * numbers in its alias history. A `highest.json` that fails its checksum or
 * schema check makes `put`, and a `prune` that would delete something, fail
 * with `checksum_mismatch` naming the file, writing and deleting nothing
 * (reads are unaffected); delete it to derive the mark again (a deleted,
 * never-aliased number above the remaining files may then be given again).
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { LinearRegression } from "freshml";
 * import { FileModelStore } from "freshml/node";
 * const store = new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-")));
 * const model = new LinearRegression();
 * model.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * const v = await store.put({ name: "load", trainer: model.toJSON(), metrics: { rmse: 0 } });
 * await store.setAlias("load", "champion", v);
 * (await store.get("load", "champion")).version; // 1
 * ```
 */
export class FileModelStore implements ModelStore {
  /** The store's root folder (absolute). */
  readonly root: string;
  private readonly now: () => Date;
  private readonly lockOptions: FileLockOptions;
  private readonly historyLimit: number;
  private readonly staleTempMs: number;
  private readonly sync: boolean;
  private readonly keepRuns: number;
  /** Per model: its alias files (with their parsed-snapshot cache). */
  private readonly aliasFiles = new Map<string, AliasFiles>();
  /** Models whose versions folder this object has swept of dead writers' temp files. */
  private readonly sweptVersions = new Set<string>();
  /** The lease fenced writes are checked against (see `leaseDir`). */
  private readonly lease: FileLease;
  /** True: `put`, `putAndAlias`, `setAlias`, `rollback` and `putCheckpoint` take `{ fence }`. */
  readonly fencing = true as const;

  constructor(root: string, options: FileModelStoreOptions = {}) {
    if (typeof root !== "string" || root.length === 0) throw new FreshmlError("invalid_params", "FileModelStore needs a folder path");
    this.root = resolve(root);
    this.now = options.now ?? ((): Date => new Date());
    this.lockOptions = options.lock ?? {};
    this.historyLimit = checkHistoryLimit(options.aliasHistoryLimit ?? DEFAULT_ALIAS_HISTORY_LIMIT);
    const stale = options.staleTempMs ?? DEFAULT_STALE_TEMP_MS;
    if (typeof stale !== "number" || !(stale >= 0)) throw new FreshmlError("invalid_params", `staleTempMs must be a number ≥ 0, got ${String(stale)}`, { param: "staleTempMs" });
    this.staleTempMs = stale;
    this.sync = options.fsync ?? true;
    this.lease = new FileLease(options.leaseDir ?? this.root, { now: () => this.now().getTime(), lock: this.lockOptions });
    this.keepRuns = keepRunsOf(options.keepRuns === undefined ? {} : { keepRuns: options.keepRuns });
  }

  /**
   * The store's run history: one checksummed file per run in
   * `<root>/<model>/runs/` ({@link FileRunHistory}), `keepRuns` per model
   * unless `retention` says otherwise. See {@link ModelStore.runHistory}.
   */
  runHistory(retention?: RunRetention): RunHistory {
    return new FileRunHistory(this.root, { keepRuns: retention?.keepRuns ?? this.keepRuns, fsync: this.sync });
  }

  async put(input: ModelRecordInput, options: FenceOptions = {}): Promise<number> {
    const name = checkName(input?.name);
    // Check (and copy) the record once, before taking the lock: bad input never touches the disk.
    const record = completeRecord(input, 1, this.now().toISOString(), VERSION);
    return guarded(true, () => this.locked(name, () => this.putLocked(name, record), options.fence));
  }

  async putAndAlias(input: ModelRecordInput, alias: string, options: FenceOptions = {}): Promise<number> {
    const name = checkName(input?.name);
    checkName(alias, "alias");
    const record = completeRecord(input, 1, this.now().toISOString(), VERSION);
    return guarded(true, () =>
      this.locked(name, async () => {
        // Read the aliases first: an unreadable alias file fails the call before a version is written.
        const files = this.aliases(name);
        const state = await files.read();
        const version = await this.putLocked(name, record);
        await files.append(state, state.book.setEvent(alias, version, this.now().toISOString()));
        return version;
      }, options.fence),
    );
  }

  async get(name: string, ref: number | string): Promise<ModelRecord> {
    checkName(name);
    if (typeof ref === "string") checkName(ref, "alias");
    else checkVersion(ref);
    return guarded(false, async () => {
      let version: number;
      if (typeof ref === "string") {
        const target = (await this.aliases(name).read()).book.target(ref);
        if (target === null) throw new FreshmlError("not_found", `model ${name} has no alias ${ref}`, { name, alias: ref });
        version = target;
      } else version = ref;
      const path = join(this.versionsDir(name), versionFile(version));
      const text = await readWhole(path);
      if (text === null) throw notFound(name, version);
      return decodeVersion(text, path, name, version);
    });
  }

  async list(name: string, options: ListOptions = {}): Promise<VersionPage> {
    checkName(name);
    const below = readCursor(options.cursor);
    const limit = readLimit(options.limit);
    return guarded(false, async () => {
      const all = (await this.versionNumbers(name)).filter((v) => v < below).sort((a, b) => b - a);
      const page = all.slice(0, limit);
      const versions: ModelVersionSummary[] = [];
      const unreadable: UnreadableVersion[] = [];
      for (const v of page) {
        const path = join(this.versionsDir(name), versionFile(v));
        try {
          versions.push(await readSummary(path, name, v));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // pruned meanwhile: skip
          const typed = storeFault(err, false);
          if (typed instanceof FreshmlError) unreadable.push({ version: v, code: typed.code, message: typed.message });
          else throw typed;
        }
      }
      return { versions, unreadable, ...(all.length > limit ? { nextCursor: String(page[page.length - 1]) } : {}) };
    });
  }

  async verify(name: string): Promise<VerifyReport> {
    checkName(name);
    return guarded(false, async () => {
      let ok = 0;
      const unreadable: UnreadableVersion[] = [];
      for (const v of (await this.versionNumbers(name)).sort((a, b) => a - b)) {
        const path = join(this.versionsDir(name), versionFile(v));
        try {
          const text = await readWhole(path);
          if (text === null) continue; // pruned meanwhile
          decodeVersion(text, path, name, v);
          ok++;
        } catch (err) {
          const typed = storeFault(err, false);
          if (typed instanceof FreshmlError) unreadable.push({ version: v, code: typed.code, message: typed.message });
          else throw typed;
        }
      }
      return { ok, unreadable };
    });
  }

  async setAlias(name: string, alias: string, version: number, options: FenceOptions = {}): Promise<void> {
    checkName(name);
    checkName(alias, "alias");
    checkVersion(version);
    await guarded(true, () =>
      this.locked(name, async () => {
        if (!(await this.versionExists(name, version))) throw notFound(name, version);
        const files = this.aliases(name);
        const state = await files.read();
        await files.append(state, state.book.setEvent(alias, version, this.now().toISOString()));
      }, options.fence),
    );
  }

  async resolveAlias(name: string, alias: string): Promise<number | null> {
    checkName(name);
    checkName(alias, "alias");
    return guarded(false, async () => (await this.aliases(name).read()).book.target(alias));
  }

  async aliasHistory(name: string, alias: string): Promise<AliasEvent[]> {
    checkName(name);
    checkName(alias, "alias");
    return guarded(false, async () => (await this.aliases(name).read()).book.history(alias));
  }

  async rollback(name: string, alias: string, options: FenceOptions = {}): Promise<number> {
    checkName(name);
    checkName(alias, "alias");
    return guarded(true, () =>
      this.locked(name, async () => {
        const files = this.aliases(name);
        const state = await files.read();
        const stack = state.book.tracks.get(alias)?.stack ?? [];
        const existing = new Set<number>();
        for (let i = stack.length - 2; i >= 0; i--) {
          if (await this.versionExists(name, stack[i]!)) {
            existing.add(stack[i]!);
            break;
          }
        }
        const target = state.book.rollbackTarget(alias, (v) => existing.has(v));
        if (target === null) throw new FreshmlError("nothing_to_roll_back", `alias ${alias} of ${name} has no earlier version to roll back to`);
        await files.append(state, state.book.rollbackEvent(alias, target, this.now().toISOString()));
        return target;
      }, options.fence),
    );
  }

  async prune(name: string, options: PruneOptions): Promise<number[]> {
    checkName(name);
    const { keep, history } = readPruneOptions(options, this.historyLimit);
    return guarded(true, () =>
      this.locked(name, async () => {
        await this.removeDeadTemps(this.versionsDir(name));
        const files = this.aliases(name);
        const state = await files.read();
        const pinned = state.book.pinned();
        const newestFirst = (await this.versionNumbers(name)).sort((a, b) => b - a);
        const doomed = newestFirst.slice(keep).filter((v) => !pinned.has(v));
        if (doomed.length > 0) {
          // Before deleting the files the mark may rest on (a store from before highest.json,
          // or a crash between a put's two steps): raise the mark to cover them. A corrupted
          // highest.json throws here, and nothing is deleted.
          const { stored, allocated } = await this.highWater(name, true);
          if (stored === null || stored < allocated) await this.writeHighest(name, allocated);
        }
        for (const v of doomed) {
          await unlink(join(this.versionsDir(name), versionFile(v))).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "ENOENT") throw err;
          });
        }
        if (doomed.length > 0 && this.sync) await syncDir(this.versionsDir(name));
        // Cut the alias history to its retention, and forget deleted versions in the rollback stacks.
        const left = new Set(newestFirst);
        for (const v of doomed) left.delete(v);
        state.book.trim(history, (v) => left.has(v));
        if (state.logged > 0 || state.book.tracks.size > 0) await files.compact(state);
        return doomed.sort((a, b) => a - b);
      }),
    );
  }

  async putCheckpoint(input: CheckpointInput, options: FenceOptions = {}): Promise<void> {
    const name = checkName(input?.name);
    // Check (and copy) before taking the lock: a bad write never touches the previous checkpoint.
    const checkpoint = completeCheckpoint(input, 1, this.now().toISOString(), VERSION);
    await guarded(true, () =>
      this.locked(name, async () => {
        // Under the lock, so the count is right across processes. A corrupted previous
        // checkpoint throws: the store does not guess how many writes came before.
        const previous = await readCheckpoint(this.checkpointPath(name), name);
        checkpoint.sequence = (previous?.sequence ?? 0) + 1;
        checkpoint.createdAt = this.now().toISOString();
        await writeFileAtomic(this.checkpointPath(name), encodeCheckpoint(checkpoint), this.sync);
      }, options.fence),
    );
  }

  async getCheckpoint(name: string): Promise<CheckpointRecord | null> {
    checkName(name);
    return guarded(false, () => readCheckpoint(this.checkpointPath(name), name));
  }

  /**
   * Calls `onChange` after each move of `alias` of `name` — by any process
   * or host writing this folder — each once and in order (by the alias's
   * `seq`), a rollback included. The position when the watch starts is not a
   * change.
   *
   * It watches the model's folder with fs.watch (latency: a few ms) and
   * reads the alias files again every `pollIntervalMs` (500 by default) as a
   * safety net; `{ poll: true }` polls only, for network file systems where
   * fs.watch does not see other hosts' writes. Each read reports every
   * retained move since the last one reported (`source: "notify"`); moves
   * older than the alias's history retention (`aliasHistoryLimit`) cannot be
   * replayed, and then the newest position comes as `source: "catch-up"`.
   * A failed read goes to `onError` and the watch goes on. `close()` stops
   * the watcher and its timer (nothing is left to keep the process alive).
   *
   * @example
   * ```ts
   * import { mkdtempSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { LinearRegression } from "freshml";
   * import { FileModelStore } from "freshml/node";
   * const store = new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-")));
   * const watcher = store.watch("load", "champion", (change) => console.log("champion is now", change.version));
   * await watcher.ready;
   * const m = new LinearRegression();
   * m.update({ X: [[0], [1]], y: [1, 3] });
   * await store.putAndAlias({ name: "load", trainer: m.toJSON() }, "champion"); // logs "champion is now 1" (from any process)
   * await watcher.close();
   * ```
   */
  watch(name: string, alias: string, onChange: (change: AliasChange) => void, options: FileWatchOptions = {}): Watcher {
    checkName(name);
    checkName(alias, "alias");
    if (typeof onChange !== "function") throw new FreshmlError("invalid_params", "watch needs an onChange function", { param: "onChange" });
    const dir = this.modelDir(name);
    return watchAliasFiles(dir, new AliasFiles(dir, this.historyLimit, this.sync), name, alias, onChange, options);
  }

  /** put's work under the lock: allocate the number, write the mark, link the version in. */
  private async putLocked(name: string, record: ModelRecord): Promise<number> {
    const dir = this.versionsDir(name);
    await mkdir(dir, { recursive: true });
    if (!this.sweptVersions.has(name)) {
      await this.removeDeadTemps(dir);
      this.sweptVersions.add(name);
    }
    // A corrupted highest.json throws here, before anything is written.
    let version = (await this.highWater(name, false)).allocated + 1;
    for (;;) {
      record.version = version;
      record.createdAt = this.now().toISOString();
      const text = encodeVersion(record);
      // The mark first, then the version file: a crash in between burns the number
      // (a gap), it never lets a later put take a number a version or an alias once had.
      await this.writeHighest(name, version);
      if (await createFileExclusive(join(dir, versionFile(version)), text, this.sync)) return version;
      version++; // taken (a mark below the files, or a lock broken wrongly): never overwrite, take the next
    }
  }

  private aliases(name: string): AliasFiles {
    let files = this.aliasFiles.get(name);
    if (!files) {
      files = new AliasFiles(this.modelDir(name), this.historyLimit, this.sync);
      this.aliasFiles.set(name, files);
    }
    return files;
  }

  private modelDir(name: string): string {
    return join(this.root, name);
  }

  private versionsDir(name: string): string {
    return join(this.modelDir(name), "versions");
  }

  private checkpointPath(name: string): string {
    return join(this.modelDir(name), CHECKPOINT_FILE);
  }

  /**
   * Runs `fn` holding the model's lock, after sweeping the model's folder of
   * dead writers' temp files. With a `fence`, also holding the lease's lock,
   * once the grant is checked current (`lease_lost` otherwise): no one can
   * take the lease over until the write is done. Always model lock, then
   * lease lock; a lease operation takes the lease lock alone, so the two
   * never wait for each other in a cycle.
   */
  private async locked<T>(name: string, fn: () => Promise<T>, fence?: LeaseGrant): Promise<T> {
    const dir = this.modelDir(name);
    return withFileLock(
      join(dir, "lock"),
      async () => {
        await this.removeDeadTemps(dir);
        return fence === undefined ? fn() : this.lease.whileHeld(fence, fn);
      },
      this.lockOptions,
    );
  }

  /**
   * Deletes temp files (`.<file>.tmp-<pid>-<random>`) that no write will
   * finish: their writer's process is gone, or they are older than
   * `staleTempMs`. Called holding the model's lock, so no writer of the
   * model is between its temp file and its rename.
   */
  private async removeDeadTemps(dir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    const now = this.now().getTime();
    for (const n of names) {
      const m = TEMP_NAME.exec(n);
      if (!m) continue;
      const path = join(dir, n);
      let dead = !processAlive(Number(m[1]));
      if (!dead) {
        const st = await stat(path).catch(() => null);
        dead = st !== null && st.isFile() && now - st.mtimeMs > this.staleTempMs;
      }
      if (dead) await unlink(path).catch(() => undefined);
    }
  }

  private async versionExists(name: string, version: number): Promise<boolean> {
    try {
      return (await stat(join(this.versionsDir(name), versionFile(version)))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  private async versionNumbers(name: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.versionsDir(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const out: number[] = [];
    for (const n of names) {
      const m = VERSION_FILE.exec(n);
      if (m) out.push(Number(m[1]));
    }
    return out;
  }

  /**
   * The model's high-water mark. `stored` is what highest.json holds (null
   * when absent); `allocated` is the highest number that may have been handed
   * out. With a mark, `put` takes it as it is (no listing of the versions
   * folder: a put costs the same with 10 versions or 100,000) and steps over
   * a taken number; `prune` (`scan`) also takes the max with the version
   * files. Without a mark (a store from before it existed), it is derived
   * from the version files and every version the aliases name. Throws
   * `checksum_mismatch` for an unreadable highest.json (or, when deriving, an
   * unreadable alias file): the store does not guess.
   */
  private async highWater(name: string, scan: boolean): Promise<{ stored: number | null; allocated: number }> {
    const stored = await this.readHighest(name);
    if (stored !== null && !scan) return { stored, allocated: stored };
    // reduce, not Math.max(...xs): a model may have more versions than a call has arguments.
    let allocated = (await this.versionNumbers(name)).reduce((a, b) => Math.max(a, b), stored ?? 0);
    if (stored === null) allocated = Math.max(allocated, (await this.aliases(name).read()).book.highestNamed());
    return { stored, allocated };
  }

  private highestPath(name: string): string {
    return join(this.modelDir(name), HIGHEST_FILE);
  }

  /** The number in highest.json, verified (checksum, zod, name), or null if there is none. */
  private async readHighest(name: string): Promise<number | null> {
    const path = this.highestPath(name);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      return rethrowAt(path)(err);
    }
    let parsed: z.infer<typeof highestFileSchema>;
    try {
      parsed = highestFileSchema.parse(JSON.parse(text));
    } catch {
      throw mismatch(path, "is not a valid high-water file");
    }
    if (sha256(JSON.stringify({ name: parsed.name, highest: parsed.highest })) !== parsed.sha256) throw mismatch(path, "does not match its checksum");
    if (parsed.name !== name) throw mismatch(path, `holds the high-water mark of ${parsed.name}, not ${name}`);
    return parsed.highest;
  }

  /** Replaces highest.json atomically (temp → fsync → rename → fsync of the folder). */
  private async writeHighest(name: string, highest: number): Promise<void> {
    const body = { name, highest };
    const file = { format: "freshml.highest", formatVersion: 1, sha256: sha256(JSON.stringify(body)), ...body };
    await writeFileAtomic(this.highestPath(name), `${JSON.stringify(file)}\n`, this.sync);
  }
}

/**
 * The whole text of a version file, or null if it does not exist. A file too
 * large for one string is `too_large` (checked from its size, before reading).
 */
async function readWhole(path: string): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    if (size > MAX_FILE_CHARS && !(await fh.stat()).isDirectory()) {
      throw new FreshmlError("too_large", `${path} is ${size.toLocaleString("en-US")} bytes, more than the ${MAX_FILE_CHARS.toLocaleString("en-US")} one string can hold; it was not written by this store`, {
        file: path,
        size,
        limit: MAX_FILE_CHARS,
      });
    }
    return await fh.readFile("utf8").catch(rethrowAt(path));
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function mismatch(path: string, why: string): FreshmlError {
  return new FreshmlError("checksum_mismatch", `${path} ${why}; it may be corrupted or tampered with`, { file: path });
}

/** Header line (format, checksums, summary) + record line. */
function encodeVersion(record: ModelRecord): string {
  const summaryText = JSON.stringify(summarize(record));
  // Number arrays in the learned state are stored as base64 of their bytes (see f64-codec).
  const packed: Record<string, unknown> = { ...record, trainer: { ...record.trainer, state: packArrays(record.trainer.state) } };
  if (record.preprocessing !== undefined) packed.preprocessing = packArrays(record.preprocessing);
  if (record.learningState !== undefined) packed.learningState = packArrays(record.learningState);
  const recordText = JSON.stringify(packed);
  if (Buffer.byteLength(summaryText) > MAX_HEADER_BYTES - 1024) {
    throw new FreshmlError("too_large", `the summary of ${record.name} (metrics and tags) is ${Buffer.byteLength(summaryText).toLocaleString("en-US")} bytes as JSON; the file store keeps at most ${MAX_HEADER_BYTES - 1024} for list to read`, {
      name: record.name,
      size: Buffer.byteLength(summaryText),
    });
  }
  const header = {
    format: "freshml.model",
    formatVersion: 1,
    sha256: sha256(`${summaryText}\n${recordText}`),
    summarySha256: sha256(summaryText),
    summary: JSON.parse(summaryText) as unknown,
  };
  const text = `${JSON.stringify(header)}\n${recordText}\n`;
  if (text.length > MAX_FILE_CHARS - 1) throw new FreshmlError("too_large", `version ${record.version} of ${record.name} is ${text.length.toLocaleString("en-US")} characters as JSON; a file store version is at most ${MAX_FILE_CHARS.toLocaleString("en-US")}`, { name: record.name });
  return text;
}

function parseHeader(line: string, path: string): z.infer<typeof headerSchema> {
  let header: z.infer<typeof headerSchema>;
  try {
    header = headerSchema.parse(JSON.parse(line));
  } catch {
    throw mismatch(path, "has an invalid header");
  }
  if (sha256(JSON.stringify(header.summary)) !== header.summarySha256) throw mismatch(path, "has a summary that does not match its checksum");
  return header;
}

function decodeVersion(text: string, path: string, name: string, version: number): ModelRecord {
  const nl = text.indexOf("\n");
  if (nl < 0 || !text.endsWith("\n")) throw mismatch(path, "is truncated");
  const header = parseHeader(text.slice(0, nl), path);
  const recordText = text.slice(nl + 1, text.length - 1);
  if (sha256(`${JSON.stringify(header.summary)}\n${recordText}`) !== header.sha256) throw mismatch(path, "does not match its checksum");
  let record: ModelRecord;
  try {
    record = modelRecordSchema.parse(JSON.parse(recordText)) as ModelRecord;
    record.trainer = { ...record.trainer, state: unpackArrays(record.trainer.state) };
    if (record.preprocessing !== undefined) record.preprocessing = unpackArrays(record.preprocessing);
    if (record.learningState !== undefined) record.learningState = unpackArrays(record.learningState);
  } catch {
    throw mismatch(path, "holds an invalid record");
  }
  if (record.name !== name || record.version !== version) throw mismatch(path, `holds ${record.name} v${record.version}, not ${name} v${version}`);
  return record;
}

/**
 * Reads only a version file's header line — at most {@link MAX_HEADER_BYTES},
 * through a file handle, whatever the file's size — and checks the summary
 * against its own checksum (not the learned state: see `verify`).
 */
async function readSummary(path: string, name: string, version: number): Promise<ModelVersionSummary> {
  const fh = await open(path, "r");
  try {
    // Read until the first newline; decode only then, so no character is split across chunks.
    const chunks: Buffer[] = [];
    let nl = -1;
    let size = 64 * 1024;
    for (let pos = 0; nl < 0 && pos < MAX_HEADER_BYTES; ) {
      const buf = Buffer.alloc(Math.min(size, MAX_HEADER_BYTES - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos).catch(rethrowAt(path));
      if (bytesRead === 0) break;
      const at = buf.subarray(0, bytesRead).indexOf(10);
      chunks.push(buf.subarray(0, at >= 0 ? at : bytesRead));
      if (at >= 0) nl = pos + at;
      pos += bytesRead;
      size = 1024 * 1024;
    }
    if (nl < 0) {
      const { size: bytes } = await fh.stat();
      throw mismatch(path, bytes > MAX_HEADER_BYTES ? `has no header line in its first ${MAX_HEADER_BYTES / 1024 / 1024} MiB` : "is truncated");
    }
    const text = Buffer.concat(chunks).toString("utf8");
    const { summary } = parseHeader(text, path);
    if (summary.name !== name || summary.version !== version) throw mismatch(path, `holds ${summary.name} v${summary.version}, not ${name} v${version}`);
    return summary as ModelVersionSummary;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Header line (format, SHA-256 of the body) + body line, number arrays packed as in versions. */
function encodeCheckpoint(checkpoint: CheckpointRecord): string {
  const body = JSON.stringify({
    ...checkpoint,
    trainer: { ...checkpoint.trainer, state: packArrays(checkpoint.trainer.state) },
    state: packArrays(checkpoint.state),
  });
  return `${JSON.stringify({ format: "freshml.checkpoint", formatVersion: 1, sha256: sha256(body) })}\n${body}\n`;
}

/** The checkpoint at `path`, verified (checksum, zod, name), or null if there is none. */
async function readCheckpoint(path: string, name: string): Promise<CheckpointRecord | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    return rethrowAt(path)(err);
  }
  const nl = text.indexOf("\n");
  if (nl < 0 || !text.endsWith("\n")) throw mismatch(path, "is truncated");
  let header: z.infer<typeof checkpointHeaderSchema>;
  try {
    header = checkpointHeaderSchema.parse(JSON.parse(text.slice(0, nl)));
  } catch {
    throw mismatch(path, "has an invalid header");
  }
  const body = text.slice(nl + 1, text.length - 1);
  if (sha256(body) !== header.sha256) throw mismatch(path, "does not match its checksum");
  let checkpoint: CheckpointRecord;
  try {
    checkpoint = checkpointRecordSchema.parse(JSON.parse(body)) as CheckpointRecord;
    checkpoint.trainer = { ...checkpoint.trainer, state: unpackArrays(checkpoint.trainer.state) };
    checkpoint.state = unpackArrays(checkpoint.state);
  } catch {
    throw mismatch(path, "holds an invalid checkpoint");
  }
  if (checkpoint.name !== name) throw mismatch(path, `holds a checkpoint of ${checkpoint.name}, not ${name}`);
  return checkpoint;
}
