import { createHash } from "node:crypto";
import { open, readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as yieldTurn } from "node:timers/promises";
import { z } from "zod";
import { FreshmlError } from "../core/errors.js";
import { AliasBook, type NamedAliasTrack } from "../store/alias-book.js";
import { aliasEventSchema, aliasStack, type AliasEvent } from "../store/model-store.js";
import { writeFileAtomic } from "./fs-atomic.js";
import { rethrowAt } from "./store-errors.js";

/** File names of a model's aliases: the snapshot and the append-only log after it. */
export const ALIAS_SNAPSHOT = "aliases.json";
/** See {@link ALIAS_SNAPSHOT}. */
export const ALIAS_LOG = "aliases.log";
/** The log is folded into a new snapshot once it holds this many events: the cost of a move stays bounded. */
export const COMPACT_EVERY = 100;

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const positive = z.number().int().positive();
const trackSchema = z.object({ alias: z.string(), version: positive, seq: positive, stack: z.array(positive), history: z.array(aliasEventSchema) });
const snapshotHeaderSchema = z.object({ format: z.literal("freshml.aliases"), formatVersion: z.literal(2), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const snapshotBodySchema = z.object({ covers: z.number().int().nonnegative(), aliases: z.array(trackSchema) });
/** aliases.json as freshml wrote it before the log (formatVersion 1): every event, never trimmed. */
const legacySchema = z.object({
  format: z.literal("freshml.aliases"),
  formatVersion: z.literal(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  aliases: z.record(z.string(), z.unknown()),
  // Lenient about `previous`: a version that took an alias named after an Object.prototype key
  // ("constructor", "__proto__") wrote a function (dropped by JSON) or {} there.
  history: z.array(z.object({ alias: z.string(), version: positive, previous: z.unknown().optional(), action: z.enum(["set", "rollback"]), at: z.string() })),
});
const logHeaderSchema = z.object({
  format: z.literal("freshml.aliaslog"),
  formatVersion: z.literal(1),
  base: z.number().int().nonnegative(),
  /** SHA-256 of the body of the snapshot this log continues ("" when there was none). */
  snapshot: z.string(),
});
const logEntrySchema = z.object({ n: positive, event: aliasEventSchema });

/** A model's aliases as read from disk, with where the log stands. */
export interface AliasFilesState {
  /** Every alias, with the log replayed. */
  book: AliasBook;
  /** Events the snapshot covers. */
  covers: number;
  /** SHA-256 of the snapshot's body ("" when there is none). */
  snapshot: string;
  /** The log's base (the events of the snapshot it was started after). */
  base: number;
  /** Number of the newest event (0 when none): the next appended is `last + 1`. */
  last: number;
  /** Events in the log after the snapshot (what compaction would fold in). */
  logged: number;
  /** The log's whole lines as read; null when there is no log file. */
  text: string | null;
  /** The log ends in a torn line (a writer died mid-append); the next writer cuts it off. */
  torn: boolean;
}

function mismatch(path: string, why: string): FreshmlError {
  return new FreshmlError("checksum_mismatch", `${path} ${why}; it may be corrupted or tampered with`, { file: path });
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    return rethrowAt(path)(err);
  }
}

/** A parsed snapshot, cached by the SHA-256 of its body (a new snapshot is a new file, and a new checksum). */
interface Snapshot {
  sha: string;
  covers: number;
  tracks: NamedAliasTrack[];
}

/**
 * A model's aliases on disk: `aliases.json`, a snapshot (every alias: where
 * it points, its `seq`, its rollback stack and its newest events), and
 * `aliases.log`, the events after it, one checksummed line each. A move
 * appends one line (fsynced); every {@link COMPACT_EVERY} events the log is
 * folded into a new snapshot (history cut to the retention) and started
 * over. So a move costs the same after ten events or ten million.
 *
 * The log's first line names the snapshot it continues (`base`: how many
 * events that snapshot covers, and the SHA-256 of its body); each event line
 * carries its number `n`. A reader takes no lock: it reads the log, then the
 * snapshot (unless it parsed the one the log names before), and tries again
 * if a compaction came between (the snapshot covers events the log it read
 * does not hold). A line
 * cut short by a crash (no newline) was never acknowledged: readers ignore
 * it and the next writer cuts it off.
 */
export class AliasFiles {
  private cache: Snapshot | null = null;
  /** The state as of the last read or write by this object, with the log text it was built from. */
  private memo: AliasFilesState | null = null;

  constructor(
    private readonly dir: string,
    private readonly limit: number,
    private readonly sync = true,
  ) {}

  /** Path of the snapshot. */
  get snapshotPath(): string {
    return join(this.dir, ALIAS_SNAPSHOT);
  }

  /** Path of the log. */
  get logPath(): string {
    return join(this.dir, ALIAS_LOG);
  }

  /**
   * Reads snapshot and log into one consistent state (retrying while a
   * compaction is under way). When the log only grew since the last read by
   * this object, only its new lines are parsed.
   */
  async read(): Promise<AliasFilesState> {
    for (let attempt = 0; ; attempt++) {
      // The log first: when it names the snapshot we parsed last time, the snapshot need not be read.
      const raw = await readOptional(this.logPath);
      const memo = this.memo;
      if (raw !== null && memo !== null && memo.text !== null && raw.startsWith(memo.text)) {
        const end = raw.lastIndexOf("\n") + 1; // whole lines only: a torn last line was never acknowledged
        // Parse every new line before applying any, so a bad line leaves the memo as it was.
        const entries = parseEntries(raw.slice(memo.text.length, end), this.logPath, memo.base, memo.last);
        for (const { n, event } of entries) if (n > memo.covers) memo.book.apply(event);
        memo.last += entries.length;
        memo.logged = Math.max(0, memo.last - memo.covers);
        memo.text = raw.slice(0, end);
        memo.torn = end < raw.length;
        return memo;
      }
      const log = raw === null ? null : parseLog(raw, this.logPath);
      const snap = log !== null && this.cache !== null && log.snapshot === this.cache.sha ? this.cache : await this.readSnapshot();
      const covers = snap?.covers ?? 0;
      const snapshot = snap?.sha ?? "";
      if (log === null) {
        const state = { book: AliasBook.fromJSON(snap?.tracks ?? [], this.limit), covers, snapshot, base: covers, last: covers, logged: 0, text: null, torn: false };
        this.memo = state;
        return state;
      }
      const last = log.base + log.entries.length;
      if (log.base <= covers && covers <= last) {
        const book = AliasBook.fromJSON(snap?.tracks ?? [], this.limit);
        for (const { n, event } of log.entries) if (n > covers) book.apply(event);
        const state = { book, covers, snapshot, base: log.base, last, logged: last - covers, text: log.text, torn: log.torn };
        this.memo = state;
        return state;
      }
      // A compaction replaced the log between our two reads: read both again.
      if (attempt >= 20) {
        throw new FreshmlError("store_corrupt", `${this.logPath} (after event ${log.base}) does not continue ${this.snapshotPath} (${covers} events): restored from different backups?`, {
          path: this.logPath,
          snapshot: this.snapshotPath,
        });
      }
      await yieldTurn();
    }
  }

  /**
   * Appends `event` as number `state.last + 1` (under the model's lock), and
   * folds the log into a new snapshot when it has grown long enough.
   */
  async append(state: AliasFilesState, event: AliasEvent): Promise<void> {
    try {
      if (state.text === null) {
        // The first move since this folder was made (or since a store of the old format): start a log after the snapshot.
        const header = line({ format: "freshml.aliaslog", formatVersion: 1, base: state.last, snapshot: state.snapshot });
        await writeFileAtomic(this.logPath, header, this.sync);
        state.text = header;
        state.base = state.last;
      } else if (state.torn) {
        await truncate(this.logPath, Buffer.byteLength(state.text));
        state.torn = false;
      }
      const text = line({ n: state.last + 1, event });
      const fh = await open(this.logPath, "a");
      try {
        await fh.write(text);
        if (this.sync) await fh.datasync();
      } catch (err) {
        // A full disk may have taken part of the line: cut it off again (a reader ignores a torn line anyway).
        await fh.truncate(Buffer.byteLength(state.text)).catch(() => undefined);
        throw err;
      } finally {
        await fh.close().catch(() => undefined);
      }
      state.text += text;
      state.last++;
      state.logged++;
      state.book.apply(event);
    } catch (err) {
      this.memo = null;
      throw err;
    }
    if (state.logged >= COMPACT_EVERY) await this.compact(state);
  }

  /**
   * Writes `state.book` as the new snapshot and starts the log over after it.
   * A crash between the two leaves the old log, whose events up to the
   * snapshot are skipped.
   */
  async compact(state: AliasFilesState): Promise<void> {
    try {
      const tracks = state.book.toJSON();
      const body = JSON.stringify({ covers: state.last, aliases: tracks });
      const sha = sha256(body);
      await writeFileAtomic(this.snapshotPath, `${JSON.stringify({ format: "freshml.aliases", formatVersion: 2, sha256: sha })}\n${body}\n`, this.sync);
      this.cache = { sha, covers: state.last, tracks };
      const header = line({ format: "freshml.aliaslog", formatVersion: 1, base: state.last, snapshot: sha });
      await writeFileAtomic(this.logPath, header, this.sync);
      state.snapshot = sha;
      state.covers = state.last;
      state.base = state.last;
      state.text = header;
      state.logged = 0;
      state.torn = false;
    } catch (err) {
      this.memo = null;
      throw err;
    }
  }

  private async readSnapshot(): Promise<Snapshot | null> {
    const path = this.snapshotPath;
    const text = await readOptional(path);
    if (text === null) return null;
    const nl = text.indexOf("\n");
    let first: unknown;
    try {
      first = JSON.parse(nl < 0 ? text : text.slice(0, nl));
    } catch {
      throw mismatch(path, "is not a valid aliases file");
    }
    if ((first as { formatVersion?: unknown } | null)?.formatVersion === 1) return this.readLegacy(first, path);
    const header = snapshotHeaderSchema.safeParse(first);
    if (!header.success) throw mismatch(path, "has an invalid header");
    if (nl < 0 || !text.endsWith("\n")) throw mismatch(path, "is truncated");
    const bodyText = text.slice(nl + 1, text.length - 1);
    if (sha256(bodyText) !== header.data.sha256) throw mismatch(path, "does not match its checksum");
    if (this.cache?.sha === header.data.sha256) return this.cache; // checked, and parsed before
    let body: z.infer<typeof snapshotBodySchema>;
    try {
      body = snapshotBodySchema.parse(JSON.parse(bodyText));
    } catch {
      throw mismatch(path, "holds an invalid aliases snapshot");
    }
    this.cache = { sha: header.data.sha256, covers: body.covers, tracks: body.aliases as NamedAliasTrack[] };
    return this.cache;
  }

  /**
   * aliases.json of formatVersion 1 (the whole history, rewritten on each
   * move), read as a snapshot that covers 0 log events. Its checksum is
   * checked over the JSON as written, so a file that a version with the
   * `Object.prototype` alias bug wrote (a `previous` that JSON dropped or
   * turned into `{}`) reads, with those `previous` values as null.
   */
  private readLegacy(raw: unknown, path: string): Snapshot {
    const parsed = legacySchema.safeParse(raw);
    if (!parsed.success) throw mismatch(path, "is not a valid aliases file");
    const r = raw as { sha256: string; aliases: unknown; history: unknown };
    if (sha256(JSON.stringify({ aliases: r.aliases, history: r.history })) !== r.sha256) throw mismatch(path, "does not match its checksum");
    const byAlias = new Map<string, AliasEvent[]>();
    for (const e of parsed.data.history) {
      const list = byAlias.get(e.alias) ?? [];
      const previous = typeof e.previous === "number" && Number.isInteger(e.previous) && e.previous > 0 ? e.previous : null;
      list.push({ alias: e.alias, version: e.version, previous, action: e.action, at: e.at, seq: list.length + 1 });
      byAlias.set(e.alias, list);
    }
    const tracks: NamedAliasTrack[] = [];
    const aliases = parsed.data.aliases;
    for (const [alias, history] of byAlias) {
      const own = Object.prototype.hasOwnProperty.call(aliases, alias) ? aliases[alias] : undefined;
      // An alias the old version could not store (say "__proto__") points where its last event says.
      const version = typeof own === "number" && Number.isInteger(own) && own > 0 ? own : history[history.length - 1]!.version;
      tracks.push({ alias, version, seq: history.length, stack: aliasStack(history), history });
    }
    for (const [alias, v] of Object.entries(aliases)) {
      if (!byAlias.has(alias) && typeof v === "number" && Number.isInteger(v) && v > 0) tracks.push({ alias, version: v, seq: 1, stack: [v], history: [] });
    }
    return { sha: `legacy:${r.sha256}`, covers: 0, tracks };
  }

}

/** A log's text parsed: header and event lines, checked. */
function parseLog(raw: string, path: string): { base: number; snapshot: string; entries: LogEntry[]; text: string; torn: boolean } {
  const end = raw.lastIndexOf("\n") + 1; // whole lines only: a torn last line was never acknowledged
  const nl = raw.indexOf("\n");
  // The log is created whole, header first (temp file and rename): it always has its header line.
  if (nl < 0) throw mismatch(path, "has no header line");
  const header = logHeaderSchema.safeParse(parseLine(raw.slice(0, nl), path, 1));
  if (!header.success) throw mismatch(path, "has an invalid header line");
  const base = header.data.base;
  const entries = parseEntries(raw.slice(nl + 1, end), path, base, base);
  return { base, snapshot: header.data.snapshot, entries, text: raw.slice(0, end), torn: end < raw.length };
}

interface LogEntry {
  n: number;
  event: AliasEvent;
}

/** Event lines (whole lines) of a log whose base is `base`, the first of them numbered `after + 1`. */
function parseEntries(text: string, path: string, base: number, after: number): LogEntry[] {
  const out: LogEntry[] = [];
  if (text.length === 0) return out;
  const lines = text.split("\n");
  lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const expected = after + i + 1;
    const at = expected - base + 1;
    const entry = logEntrySchema.safeParse(parseLine(lines[i]!, path, at));
    if (!entry.success) throw mismatch(path, `has an invalid event on line ${at}`);
    if (entry.data.n !== expected) throw mismatch(path, `has event ${entry.data.n} on line ${at}, expected ${expected}`);
    out.push(entry.data as LogEntry);
  }
  return out;
}

/** `<sha256 of the JSON> <JSON>\n`. */
function line(value: unknown): string {
  const json = JSON.stringify(value);
  return `${sha256(json)} ${json}\n`;
}

function parseLine(text: string, path: string, at: number): unknown {
  const json = text.slice(65);
  if (text[64] !== " " || sha256(json) !== text.slice(0, 64)) throw mismatch(path, `does not match its checksum on line ${at}`);
  try {
    return JSON.parse(json);
  } catch {
    throw mismatch(path, `has invalid JSON on line ${at}`);
  }
}
