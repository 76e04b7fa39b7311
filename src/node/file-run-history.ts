import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { FreshmlError } from "../core/errors.js";
import {
  RUN_SUMMARY_FORMAT,
  checkSummary,
  headOf,
  keepRunsOf,
  listBounds,
  parseRunId,
  type RunHead,
  type RunHistory,
  type RunListOptions,
  type RunRetention,
  type RunSummary,
} from "../history/run-history.js";
import { checkName } from "../store/model-store.js";
import { createFileExclusive } from "./fs-atomic.js";

const RUN_FILE = /^r(\d{8,15})\.json$/;
const runFile = (seq: number): string => `r${String(seq).padStart(8, "0")}.json`;
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * Options of {@link FileRunHistory}: retention, and fsync like the store's.
 *
 * @example
 * ```ts
 * import type { FileRunHistoryOptions } from "freshml/node";
 * const options: FileRunHistoryOptions = { keepRuns: 30, fsync: false };
 * ```
 */
export interface FileRunHistoryOptions extends RunRetention {
  /** fsync each run file and its folder (default true); `false` for tests and throwaway stores. */
  fsync?: boolean;
}

/**
 * A {@link RunHistory} in files, beside a `FileModelStore`'s versions:
 * `<root>/<model>/runs/r00000001.json`, one immutable file per run (a header
 * line with the body's SHA-256, then the summary line). Each file is created
 * atomically and exclusively (temp file → fsync → hard link), so concurrent
 * writers never overwrite each other and a crash leaves at most a stray temp
 * file. Retention deletes the oldest files beyond `keepRuns` after each put.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { LinearRegression, Pipeline } from "freshml";
 * import { FileModelStore, FileRunHistory } from "freshml/node";
 * const dir = mkdtempSync(join(tmpdir(), "freshml-"));
 * const store = new FileModelStore(dir, { keepRuns: 30 });
 * // The pipeline records each run into store.runHistory(): a FileRunHistory on the same folder.
 * const report = await new Pipeline({ trainer: new LinearRegression(), store, name: "load" }).runBatches([{ X: [[0], [1]], y: [0, 1] }]);
 * const history = new FileRunHistory(dir, { keepRuns: 30 });
 * const summary = await history.get(report.historyId!); // "load:1", in <dir>/load/runs/r00000001.json
 * ```
 */
export class FileRunHistory implements RunHistory {
  private readonly root: string;
  private readonly keepRuns: number;
  private readonly sync: boolean;

  /**
   * @param root The store's folder (the same as the `FileModelStore`'s).
   * @param options How many runs per model name to keep (default 100), and whether to fsync.
   */
  constructor(root: string, options: FileRunHistoryOptions = {}) {
    this.root = resolve(root);
    this.keepRuns = keepRunsOf(options);
    this.sync = options.fsync ?? true;
  }

  private dir(name: string): string {
    return join(this.root, checkName(name), "runs");
  }

  private async sequences(name: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const out: number[] = [];
    for (const n of names) {
      const m = RUN_FILE.exec(n);
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /** Stores a summary, assigns and returns its id (`"<name>:<sequence>"`), then deletes the oldest runs beyond `keepRuns`. */
  async put(summary: RunSummary): Promise<string> {
    const s = checkSummary(summary);
    const dir = this.dir(s.name);
    await mkdir(dir, { recursive: true });
    for (let attempt = 0; ; attempt++) {
      const seqs = await this.sequences(s.name);
      const seq = (seqs[seqs.length - 1] ?? 0) + 1;
      const id = `${s.name}:${seq}`;
      const body = JSON.stringify({ ...s, id });
      const header = JSON.stringify({ format: RUN_SUMMARY_FORMAT, formatVersion: 1, sha256: sha256(body) });
      if (await createFileExclusive(join(dir, runFile(seq)), `${header}\n${body}\n`, this.sync)) {
        const all = [...seqs, seq];
        for (const old of all.slice(0, Math.max(0, all.length - this.keepRuns))) await unlink(join(dir, runFile(old))).catch(() => undefined);
        return id;
      }
      if (attempt > 100) throw new FreshmlError("lock_timeout", `could not allocate a run number in ${dir}: too many concurrent writers`, { dir });
    }
  }

  private async read(name: string, seq: number): Promise<RunSummary> {
    const path = join(this.dir(name), runFile(seq));
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new FreshmlError("not_found", `no run ${name}:${seq} (never written, or dropped by retention)`, { observed: `${name}:${seq}` });
      throw err;
    }
    const nl = text.indexOf("\n");
    const body = text.slice(nl + 1).replace(/\n$/, "");
    let header: { sha256?: unknown };
    try {
      header = JSON.parse(text.slice(0, nl)) as { sha256?: unknown };
    } catch {
      header = {};
    }
    if (nl < 0 || header.sha256 !== sha256(body)) throw new FreshmlError("checksum_mismatch", `run file ${path} does not match its checksum`, { file: path });
    return checkSummary(JSON.parse(body));
  }

  /** Heads of the runs of `name`, newest first (`limit`, `before`). */
  async list(name: string, options?: RunListOptions): Promise<RunHead[]> {
    checkName(name);
    const { limit, before } = listBounds(name, options);
    const seqs = (await this.sequences(name)).filter((s) => s < before).reverse();
    const out: RunHead[] = [];
    for (const seq of seqs) {
      if (out.length >= limit) break;
      try {
        out.push(headOf(await this.read(name, seq)));
      } catch (err) {
        // Deleted by retention between readdir and read: not an error.
        if (err instanceof FreshmlError && err.code === "not_found") continue;
        throw err;
      }
    }
    return out;
  }

  /** A run's summary by id; `not_found` if it does not exist, `checksum_mismatch` if its file was altered. */
  async get(id: string): Promise<RunSummary> {
    const { name, sequence } = parseRunId(id);
    return this.read(name, sequence);
  }
}
