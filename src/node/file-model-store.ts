import { createHash } from "node:crypto";
import { mkdir, open, readFile, readdir, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { FreshmlError } from "../core/errors.js";
import { notFound } from "../store/memory-model-store.js";
import {
  aliasEventSchema,
  checkName,
  checkVersion,
  checkpointRecordSchema,
  completeCheckpoint,
  completeRecord,
  modelRecordSchema,
  readCursor,
  readLimit,
  rollbackTarget,
  summarize,
  type AliasEvent,
  type CheckpointInput,
  type CheckpointRecord,
  type ListOptions,
  type ModelRecord,
  type ModelRecordInput,
  type ModelStore,
  type ModelVersionSummary,
  type VersionPage,
} from "../store/model-store.js";
import { VERSION } from "../version.js";
import { processAlive, withFileLock, type FileLockOptions } from "./file-lock.js";
import { packArrays, unpackArrays } from "./f64-codec.js";
import { createFileExclusive, syncDir, writeFileAtomic } from "./fs-atomic.js";

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
const aliasFileSchema = z.object({
  format: z.literal("freshml.aliases"),
  formatVersion: z.literal(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  aliases: z.record(z.string(), z.number().int().positive()),
  history: z.array(aliasEventSchema),
});
type AliasState = { aliases: Record<string, number>; history: AliasEvent[] };
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
const VERSION_TEMP = /^\.v\d{8}\.json\.tmp-(\d+)-/;
const CHECKPOINT_FILE = "checkpoint.json";
const CHECKPOINT_TEMP = /^\.checkpoint\.json\.tmp-(\d+)-/;
const HIGHEST_FILE = "highest.json";
const HIGHEST_TEMP = /^\.highest\.json\.tmp-(\d+)-/;
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const versionFile = (v: number): string => `v${String(v).padStart(8, "0")}.json`;

/** Options of {@link FileModelStore}. */
export interface FileModelStoreOptions {
  /** The clock for `createdAt` and alias events (injectable for tests). */
  now?: () => Date;
  /** Lock timing (see `withFileLock`). */
  lock?: FileLockOptions;
}

/**
 * The embedded default {@link ModelStore}: a folder of files, safe with
 * several processes and against crashes at any instant.
 *
 * Layout: `<root>/<model>/versions/v00000001.json` (one immutable file per
 * version), `<root>/<model>/aliases.json` (current aliases and their whole
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
 * most a stray temp file, which readers ignore.
 *
 * Numbering: `put` allocates `max(highest.json, newest version file) + 1`
 * and writes that number to `highest.json` *before* it links the version file
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

  constructor(root: string, options: FileModelStoreOptions = {}) {
    if (typeof root !== "string" || root.length === 0) throw new FreshmlError("invalid_params", "FileModelStore needs a folder path");
    this.root = resolve(root);
    this.now = options.now ?? ((): Date => new Date());
    this.lockOptions = options.lock ?? {};
  }

  async put(input: ModelRecordInput): Promise<number> {
    const name = checkName(input?.name);
    // Check (and copy) the record once, before taking the lock: bad input never touches the disk.
    const record = completeRecord(input, 1, this.now().toISOString(), VERSION);
    const dir = this.versionsDir(name);
    await mkdir(dir, { recursive: true });
    return this.locked(name, async () => {
      await this.removeDeadTemps(dir, VERSION_TEMP);
      await this.removeDeadTemps(this.modelDir(name), HIGHEST_TEMP);
      // A corrupted highest.json throws here, before anything is written.
      let version = (await this.highWater(name)).allocated + 1;
      for (;;) {
        record.version = version;
        record.createdAt = this.now().toISOString();
        // The mark first, then the version file: a crash in between burns the number
        // (a gap), it never lets a later put take a number a version or an alias once had.
        await this.writeHighest(name, version);
        if (await createFileExclusive(join(dir, versionFile(version)), encodeVersion(record))) return version;
        version++; // taken (only possible if a lock was broken wrongly): never overwrite, take the next
      }
    });
  }

  async get(name: string, ref: number | string): Promise<ModelRecord> {
    checkName(name);
    let version: number;
    if (typeof ref === "string") {
      const target = (await this.readAliases(name)).aliases[checkName(ref, "alias")];
      if (target === undefined) throw new FreshmlError("not_found", `model ${name} has no alias ${ref}`, { name, alias: ref });
      version = target;
    } else version = checkVersion(ref);
    const path = join(this.versionsDir(name), versionFile(version));
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notFound(name, version);
      throw err;
    }
    return decodeVersion(text, path, name, version);
  }

  async list(name: string, options: ListOptions = {}): Promise<VersionPage> {
    checkName(name);
    const below = readCursor(options.cursor);
    const limit = readLimit(options.limit);
    const all = (await this.versionNumbers(name)).filter((v) => v < below).sort((a, b) => b - a);
    const page = all.slice(0, limit);
    const versions: ModelVersionSummary[] = [];
    const unreadable: VersionPage["unreadable"] = [];
    for (const v of page) {
      const path = join(this.versionsDir(name), versionFile(v));
      try {
        versions.push(await readSummary(path, name, v));
      } catch (err) {
        if (err instanceof FreshmlError) unreadable.push({ version: v, code: err.code, message: err.message });
        else if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // pruned meanwhile: skip
      }
    }
    return { versions, unreadable, ...(all.length > limit ? { nextCursor: String(page[page.length - 1]) } : {}) };
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    checkName(name);
    checkName(alias, "alias");
    checkVersion(version);
    await this.locked(name, async () => {
      if (!(await this.versionNumbers(name)).includes(version)) throw notFound(name, version);
      const state = await this.readAliases(name);
      const previous = state.aliases[alias] ?? null;
      state.aliases[alias] = version;
      state.history.push({ alias, version, previous, action: "set", at: this.now().toISOString() });
      await this.writeAliases(name, state);
    });
  }

  async resolveAlias(name: string, alias: string): Promise<number | null> {
    checkName(name);
    return (await this.readAliases(name)).aliases[checkName(alias, "alias")] ?? null;
  }

  async aliasHistory(name: string, alias: string): Promise<AliasEvent[]> {
    checkName(name);
    checkName(alias, "alias");
    return (await this.readAliases(name)).history.filter((e) => e.alias === alias);
  }

  async rollback(name: string, alias: string): Promise<number> {
    checkName(name);
    checkName(alias, "alias");
    return this.locked(name, async () => {
      const state = await this.readAliases(name);
      const existing = new Set(await this.versionNumbers(name));
      const target = rollbackTarget(state.history.filter((e) => e.alias === alias), (v) => existing.has(v));
      if (target === null) throw new FreshmlError("nothing_to_roll_back", `alias ${alias} of ${name} has no earlier version to roll back to`);
      const previous = state.aliases[alias] ?? null;
      state.aliases[alias] = target;
      state.history.push({ alias, version: target, previous, action: "rollback", at: this.now().toISOString() });
      await this.writeAliases(name, state);
      return target;
    });
  }

  async prune(name: string, options: { keep: number }): Promise<number[]> {
    checkName(name);
    const keep = options?.keep;
    if (!Number.isInteger(keep) || keep < 0) throw new FreshmlError("invalid_params", `prune needs keep ≥ 0, got ${String(keep)}`);
    return this.locked(name, async () => {
      const pinned = new Set(Object.values((await this.readAliases(name)).aliases));
      const newestFirst = (await this.versionNumbers(name)).sort((a, b) => b - a);
      const doomed = newestFirst.slice(keep).filter((v) => !pinned.has(v));
      if (doomed.length > 0) {
        // Before deleting the files the mark may rest on (a store from before highest.json,
        // or a crash between a put's two steps): raise the mark to cover them. A corrupted
        // highest.json throws here, and nothing is deleted.
        await this.removeDeadTemps(this.modelDir(name), HIGHEST_TEMP);
        const { stored, allocated } = await this.highWater(name);
        if (stored === null || stored < allocated) await this.writeHighest(name, allocated);
      }
      for (const v of doomed) await unlink(join(this.versionsDir(name), versionFile(v))).catch(() => undefined);
      if (doomed.length > 0) await syncDir(this.versionsDir(name));
      return doomed.sort((a, b) => a - b);
    });
  }

  async putCheckpoint(input: CheckpointInput): Promise<void> {
    const name = checkName(input?.name);
    // Check (and copy) before taking the lock: a bad write never touches the previous checkpoint.
    const checkpoint = completeCheckpoint(input, 1, this.now().toISOString(), VERSION);
    await this.locked(name, async () => {
      await this.removeDeadTemps(this.modelDir(name), CHECKPOINT_TEMP);
      // Under the lock, so the count is right across processes. A corrupted previous
      // checkpoint throws: the store does not guess how many writes came before.
      const previous = await readCheckpoint(this.checkpointPath(name), name);
      checkpoint.sequence = (previous?.sequence ?? 0) + 1;
      checkpoint.createdAt = this.now().toISOString();
      await writeFileAtomic(this.checkpointPath(name), encodeCheckpoint(checkpoint));
    });
  }

  async getCheckpoint(name: string): Promise<CheckpointRecord | null> {
    checkName(name);
    return readCheckpoint(this.checkpointPath(name), name);
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

  private async locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(this.modelDir(name), { recursive: true });
    return withFileLock(join(this.modelDir(name), "lock"), fn, this.lockOptions);
  }

  /** Deletes temp files left by writers that died mid-write (their process is gone). */
  private async removeDeadTemps(dir: string, temp: RegExp): Promise<void> {
    for (const n of await readdir(dir)) {
      const m = temp.exec(n);
      if (m && !processAlive(Number(m[1]))) await unlink(join(dir, n)).catch(() => undefined);
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
   * out: the max of `stored` and the version files — and, when the file is
   * absent (a store from before it existed), of every version in the alias
   * history. Throws `checksum_mismatch` for an unreadable highest.json (or,
   * when deriving, an unreadable aliases.json): the store does not guess.
   */
  private async highWater(name: string): Promise<{ stored: number | null; allocated: number }> {
    const stored = await this.readHighest(name);
    // reduce, not Math.max(...xs): a model may have more versions than a call has arguments.
    let allocated = (await this.versionNumbers(name)).reduce((a, b) => Math.max(a, b), stored ?? 0);
    if (stored === null) {
      const { aliases, history } = await this.readAliases(name);
      allocated = Object.values(aliases).reduce((a, b) => Math.max(a, b), allocated);
      allocated = history.reduce((a, e) => Math.max(a, e.version, e.previous ?? 0), allocated);
    }
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
      throw err;
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
    await writeFileAtomic(this.highestPath(name), `${JSON.stringify(file)}\n`);
  }

  private async readAliases(name: string): Promise<AliasState> {
    const path = join(this.modelDir(name), "aliases.json");
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { aliases: {}, history: [] };
      throw err;
    }
    let parsed: z.infer<typeof aliasFileSchema>;
    try {
      parsed = aliasFileSchema.parse(JSON.parse(text));
    } catch {
      throw mismatch(path, "is not a valid aliases file");
    }
    if (sha256(JSON.stringify({ aliases: parsed.aliases, history: parsed.history })) !== parsed.sha256) {
      throw mismatch(path, "does not match its checksum");
    }
    return { aliases: parsed.aliases, history: parsed.history };
  }

  private async writeAliases(name: string, state: AliasState): Promise<void> {
    const body = { aliases: state.aliases, history: state.history };
    const file = { format: "freshml.aliases", formatVersion: 1, sha256: sha256(JSON.stringify(body)), ...body };
    await writeFileAtomic(join(this.modelDir(name), "aliases.json"), `${JSON.stringify(file)}\n`);
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
  const header = {
    format: "freshml.model",
    formatVersion: 1,
    sha256: sha256(`${summaryText}\n${recordText}`),
    summarySha256: sha256(summaryText),
    summary: JSON.parse(summaryText) as unknown,
  };
  return `${JSON.stringify(header)}\n${recordText}\n`;
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

/** Reads only a version file's header line: its summary, checked against its own checksum. */
async function readSummary(path: string, name: string, version: number): Promise<ModelVersionSummary> {
  const fh = await open(path, "r");
  try {
    // Read until the first newline; decode only then, so no character is split across chunks.
    const chunks: Buffer[] = [];
    let nl = -1;
    for (let pos = 0; nl < 0; ) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const at = buf.subarray(0, bytesRead).indexOf(10);
      chunks.push(buf.subarray(0, at >= 0 ? at : bytesRead));
      if (at >= 0) nl = pos + at;
      pos += bytesRead;
    }
    if (nl < 0) throw mismatch(path, "is truncated");
    const text = Buffer.concat(chunks).toString("utf8");
    const { summary } = parseHeader(text, path);
    if (summary.name !== name || summary.version !== version) throw mismatch(path, `holds ${summary.name} v${summary.version}, not ${name} v${version}`);
    return summary as ModelVersionSummary;
  } finally {
    await fh.close();
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
    throw err;
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
