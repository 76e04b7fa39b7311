import * as z from "zod";
import { mismatch, sha256, toBuffer } from "./checksums.js";
import { FreshmlError } from "../core/errors.js";
import { packArrays, unpackArrays } from "../node/f64-codec.js";
import { leaseLost, type FenceOptions, type LeaseGrant } from "../store/lease.js";
import { notFound } from "../store/memory-model-store.js";
import { checkHistoryLimit, DEFAULT_ALIAS_HISTORY_LIMIT } from "../store/alias-book.js";
import {
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
  type PruneOptions,
  type VerifyReport,
  type VersionPage,
} from "../store/model-store.js";
import type { AliasChange, WatchOptions, Watcher } from "../store/watch.js";
import { VERSION } from "../version.js";
import { keepRunsOf, type RunHistory, type RunRetention } from "../history/run-history.js";
import { PostgresRunHistory } from "./postgres-run-history.js";
import { SchemaGate, checkSchemaName } from "./schema.js";
import { SqlAdapter, toStoreError, type PostgresClient, type SqlRow, type Subscription } from "./sql-client.js";

const summarySchema = modelRecordSchema.omit({ trainer: true, preprocessing: true, learningState: true }).extend({ trainerKind: z.string() });

type Query = (text: string, params?: unknown[]) => Promise<SqlRow[]>;

/**
 * Options of {@link PostgresModelStore}.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { PostgresModelStore, type PostgresModelStoreOptions } from "freshml/postgres";
 * const options: PostgresModelStoreOptions = { schema: "ml_registry", reconnectDelayMs: 100 };
 * const db = new PGlite();
 * await new PostgresModelStore(db, options).init(); // creates ml_registry.versions, …
 * await db.close();
 * ```
 */
export interface PostgresModelStoreOptions {
  /**
   * The PostgreSQL schema that holds the store's tables (created if
   * missing). Default `freshml`. One schema per registry: tests use a fresh
   * one per store.
   */
  schema?: string;
  /** The clock for `createdAt` and alias events (injectable for tests). Default the system time. */
  now?: () => Date;
  /** Watchers wait this long before re-subscribing after a dropped connection, doubling up to 2 s. Default 50 ms. */
  reconnectDelayMs?: number;
  /** Events kept per alias (and how far `rollback` can walk back). Default 1,000. */
  aliasHistoryLimit?: number;
  /** Runs kept per model name by {@link PostgresModelStore.runHistory}. Default 100. */
  keepRuns?: number;
}

/**
 * A {@link ModelStore} in PostgreSQL, shared by any number of processes and
 * hosts: one registry for every replica. Pass a `pg.Pool` (node-postgres, a
 * peer dependency) or a PGlite database; the same SQL runs on both.
 *
 * - Versions are numbered by a per-model counter row, incremented and locked
 *   in the version's own transaction: no gaps, no duplicates, whatever the
 *   number of writers (a failed transaction rolls its number back).
 * - An alias move and its history row commit in one transaction, with a
 *   `NOTIFY` that {@link PostgresModelStore.watch} listens for.
 * - Each version is stored as a summary (for `list`) and a body of bytes
 *   (trainer state, preprocessing, learning state; number arrays as exact
 *   float64 bytes), with SHA-256 checksums verified on every read
 *   (`checksum_mismatch`).
 * - Tables are created and migrated on first use, idempotently, under an
 *   advisory lock, with a `schema_version` table.
 * - A dropped or refused connection is `store_unavailable` (retriable); a
 *   write is then committed whole or not at all.
 * - Run summaries are kept beside the versions ({@link PostgresModelStore.runHistory}).
 * - `put`, `putAndAlias`, `setAlias`, `rollback` and `putCheckpoint` take `{ fence }`: a lease grant from
 *   {@link PostgresLease} on the same schema, checked in the write's
 *   transaction (`lease_lost` when stale).
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { LinearRegression } from "freshml";
 * import { PostgresModelStore } from "freshml/postgres";
 * // In production: new PostgresModelStore(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 * const db = new PGlite();
 * const store = new PostgresModelStore(db);
 * const watcher = store.watch("load", "champion", (change) => console.log("new champion", change.version));
 * await watcher.ready;
 * const model = new LinearRegression();
 * model.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
 * const v = await store.put({ name: "load", trainer: model.toJSON(), metrics: { rmse: 0 } });
 * await store.setAlias("load", "champion", v); // the watcher logs "new champion 1"
 * await watcher.close();
 * await db.close();
 * ```
 */
export class PostgresModelStore implements ModelStore {
  /** The schema holding the tables. */
  readonly schema: string;
  private readonly sql: SqlAdapter;
  private readonly gate: SchemaGate;
  private readonly now: () => Date;
  private readonly reconnectDelayMs: number;
  private readonly historyLimit: number;
  private readonly keepRuns: number;
  /** True: `put`, `putAndAlias`, `setAlias`, `rollback` and `putCheckpoint` take `{ fence }`. */
  readonly fencing = true as const;

  constructor(client: PostgresClient, options: PostgresModelStoreOptions = {}) {
    this.historyLimit = checkHistoryLimit(options.aliasHistoryLimit ?? DEFAULT_ALIAS_HISTORY_LIMIT);
    this.sql = new SqlAdapter(client);
    this.schema = checkSchemaName(options.schema ?? "freshml");
    this.gate = new SchemaGate(this.sql, this.schema);
    this.now = options.now ?? ((): Date => new Date());
    this.reconnectDelayMs = options.reconnectDelayMs ?? 50;
    this.keepRuns = keepRunsOf(options.keepRuns === undefined ? {} : { keepRuns: options.keepRuns });
  }

  /**
   * The store's run history: a {@link PostgresRunHistory} on the same
   * client and schema, keeping `keepRuns` per model unless `retention` says
   * otherwise. See {@link ModelStore.runHistory}.
   */
  runHistory(retention?: RunRetention): RunHistory {
    return new PostgresRunHistory(this.sql.client, { schema: this.schema, keepRuns: retention?.keepRuns ?? this.keepRuns });
  }

  /** The NOTIFY channel of this store's alias moves. */
  get channel(): string {
    return `${this.schema}_alias`;
  }

  /** Creates or migrates the tables now (otherwise done by the first call). */
  async init(): Promise<void> {
    await this.run("init", async () => undefined);
  }

  async put(input: ModelRecordInput, options: FenceOptions = {}): Promise<number> {
    checkName(input?.name);
    // Checked and copied before any SQL: bad input never reaches the database.
    const record = completeRecord(input, 1, this.now().toISOString(), VERSION);
    return this.run("put", () =>
      this.sql.transaction(async (q) => {
        if (options.fence) await this.checkFence(q, options.fence);
        return this.insertVersion(q, record);
      }),
    );
  }

  /** Stores a version and points `alias` at it in one transaction: nothing (a prune, a reader) sees one without the other. */
  async putAndAlias(input: ModelRecordInput, alias: string, options: FenceOptions = {}): Promise<number> {
    checkName(input?.name);
    checkName(alias, "alias");
    const record = completeRecord(input, 1, this.now().toISOString(), VERSION);
    return this.run("putAndAlias", () =>
      this.sql.transaction(async (q) => {
        if (options.fence) await this.checkFence(q, options.fence);
        const version = await this.insertVersion(q, record);
        await this.lockModel(q, record.name);
        await this.moveAlias(q, record.name, alias, version, "set");
        return version;
      }),
    );
  }

  /** Reads every version of `name` in full (checksums, schema): what `list`, reading summaries only, does not promise. */
  async verify(name: string): Promise<VerifyReport> {
    checkName(name);
    const s = this.schema;
    return this.run("verify", async () => {
      const rows = await this.sql.query(`SELECT version, summary, body, sha256 FROM ${s}.versions WHERE name = $1 ORDER BY version`, [name]);
      let ok = 0;
      const unreadable: VerifyReport["unreadable"] = [];
      for (const row of rows) {
        const version = Number(row.version);
        try {
          decodeVersion(row, s, name, version);
          ok++;
        } catch (err) {
          if (!(err instanceof FreshmlError)) throw err;
          unreadable.push({ version, code: err.code, message: err.message });
        }
      }
      return { ok, unreadable };
    });
  }

  /** Inserts a version under the next number of its model (the counter row stays locked until commit). */
  private async insertVersion(q: Query, record: ModelRecord): Promise<number> {
    const s = this.schema;
    // The counter row is locked until commit: concurrent puts of a name take turns, and a rollback returns the number.
    const rows = await q(
      `INSERT INTO ${s}.models AS m (name, highest) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET highest = m.highest + 1 RETURNING highest`,
      [record.name],
    );
    record.version = Number(rows[0]!.highest);
    record.createdAt = this.now().toISOString();
    const encoded = encodeVersion(record);
    await q(`INSERT INTO ${s}.versions (name, version, summary, summary_sha256, body, sha256) VALUES ($1, $2, $3, $4, $5, $6)`, [
      record.name,
      record.version,
      encoded.summary,
      encoded.summarySha256,
      encoded.body,
      encoded.sha256,
    ]);
    return record.version;
  }

  async get(name: string, ref: number | string): Promise<ModelRecord> {
    checkName(name);
    const s = this.schema;
    if (typeof ref === "string") {
      const alias = checkName(ref, "alias");
      return this.run("get", async () => {
        const rows = await this.sql.query(
          `SELECT a.version AS target, v.summary, v.body, v.sha256 FROM ${s}.aliases a LEFT JOIN ${s}.versions v ON v.name = a.name AND v.version = a.version WHERE a.name = $1 AND a.alias = $2`,
          [name, alias],
        );
        const row = rows[0];
        if (!row) throw new FreshmlError("not_found", `model ${name} has no alias ${alias}`, { name, alias });
        const version = Number(row.target);
        if (row.body === null || row.body === undefined) throw notFound(name, version);
        return decodeVersion(row, s, name, version);
      });
    }
    const version = checkVersion(ref);
    return this.run("get", async () => {
      const rows = await this.sql.query(`SELECT summary, body, sha256 FROM ${s}.versions WHERE name = $1 AND version = $2`, [name, version]);
      if (!rows[0]) throw notFound(name, version);
      return decodeVersion(rows[0], s, name, version);
    });
  }

  async list(name: string, options: ListOptions = {}): Promise<VersionPage> {
    checkName(name);
    const below = readCursor(options.cursor);
    const limit = readLimit(options.limit);
    const s = this.schema;
    return this.run("list", async () => {
      const rows = await this.sql.query(
        `SELECT version, summary, summary_sha256 FROM ${s}.versions WHERE name = $1 AND ($2::int IS NULL OR version < $2::int) ORDER BY version DESC LIMIT $3`,
        [name, Number.isFinite(below) ? below : null, limit + 1],
      );
      const page = rows.slice(0, limit);
      const versions: ModelVersionSummary[] = [];
      const unreadable: VersionPage["unreadable"] = [];
      for (const row of page) {
        const version = Number(row.version);
        try {
          versions.push(decodeSummary(row, s, name, version));
        } catch (err) {
          if (!(err instanceof FreshmlError)) throw err;
          unreadable.push({ version, code: err.code, message: err.message });
        }
      }
      return { versions, unreadable, ...(rows.length > limit ? { nextCursor: String(page[page.length - 1]!.version) } : {}) };
    });
  }

  async setAlias(name: string, alias: string, version: number, options: FenceOptions = {}): Promise<void> {
    checkName(name);
    checkName(alias, "alias");
    checkVersion(version);
    await this.run("setAlias", () =>
      this.sql.transaction(async (q) => {
        if (options.fence) await this.checkFence(q, options.fence);
        await this.lockModel(q, name);
        const exists = await q(`SELECT 1 FROM ${this.schema}.versions WHERE name = $1 AND version = $2`, [name, version]);
        if (exists.length === 0) throw notFound(name, version);
        await this.moveAlias(q, name, alias, version, "set");
      }),
    );
  }

  async resolveAlias(name: string, alias: string): Promise<number | null> {
    checkName(name);
    checkName(alias, "alias");
    return this.run("resolveAlias", async () => {
      const rows = await this.sql.query(`SELECT version FROM ${this.schema}.aliases WHERE name = $1 AND alias = $2`, [name, alias]);
      return rows[0] ? Number(rows[0].version) : null;
    });
  }

  async aliasHistory(name: string, alias: string): Promise<AliasEvent[]> {
    checkName(name);
    checkName(alias, "alias");
    return this.run("aliasHistory", async () => this.history(this.sql.query.bind(this.sql), name, alias));
  }

  async rollback(name: string, alias: string, options: FenceOptions = {}): Promise<number> {
    checkName(name);
    checkName(alias, "alias");
    return this.run("rollback", () =>
      this.sql.transaction(async (q) => {
        if (options.fence) await this.checkFence(q, options.fence);
        await this.lockModel(q, name);
        const history = await this.history(q, name, alias);
        const existing = new Set((await q(`SELECT version FROM ${this.schema}.versions WHERE name = $1`, [name])).map((r) => Number(r.version)));
        const target = rollbackTarget(history, (v) => existing.has(v));
        if (target === null) throw new FreshmlError("nothing_to_roll_back", `alias ${alias} of ${name} has no earlier version to roll back to`);
        await this.moveAlias(q, name, alias, target, "rollback");
        return target;
      }),
    );
  }

  async prune(name: string, options: PruneOptions): Promise<number[]> {
    const keep = options?.keep;
    if (!Number.isInteger(keep) || keep < 0) throw new FreshmlError("invalid_params", `prune needs keep ≥ 0, got ${String(keep)}`);
    const keepHistory = options.history === undefined ? this.historyLimit : checkHistoryLimit(options.history, "prune history");
    checkName(name);
    const s = this.schema;
    return this.run("prune", () =>
      this.sql.transaction(async (q) => {
        await this.lockModel(q, name);
        const rows = await q(
          `DELETE FROM ${s}.versions v WHERE v.name = $1
             AND v.version NOT IN (SELECT version FROM ${s}.versions WHERE name = $1 ORDER BY version DESC LIMIT $2)
             AND v.version NOT IN (SELECT version FROM ${s}.aliases WHERE name = $1)
           RETURNING v.version`,
          [name, keep],
        );
        // Each alias keeps its newest `keepHistory` events.
        await q(
          `DELETE FROM ${s}.alias_history h USING ${s}.aliases a WHERE h.name = $1 AND a.name = h.name AND a.alias = h.alias AND h.alias_seq <= a.seq - $2`,
          [name, keepHistory],
        );
        return rows.map((r) => Number(r.version)).sort((a, b) => a - b);
      }),
    );
  }

  async putCheckpoint(input: CheckpointInput, options: FenceOptions = {}): Promise<void> {
    checkName(input?.name);
    // Checked and copied first: a bad checkpoint never replaces the stored one, nor counts.
    const checkpoint = completeCheckpoint(input, 1, this.now().toISOString(), VERSION);
    const body = Buffer.from(
      JSON.stringify({
        name: checkpoint.name,
        champion: checkpoint.champion,
        trainer: { ...checkpoint.trainer, state: packArrays(checkpoint.trainer.state) },
        state: packArrays(checkpoint.state),
        createdAt: checkpoint.createdAt,
        libraryVersion: checkpoint.libraryVersion,
      }),
      "utf8",
    );
    const s = this.schema;
    const write = async (q: Query): Promise<void> => {
      await q(
        `INSERT INTO ${s}.checkpoints AS c (name, sequence, body, sha256) VALUES ($1, 1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET sequence = c.sequence + 1, body = EXCLUDED.body, sha256 = EXCLUDED.sha256`,
        [checkpoint.name, body, sha256(body)],
      );
    };
    const fence = options.fence;
    await this.run("putCheckpoint", () =>
      fence
        ? this.sql.transaction(async (q) => {
            await this.checkFence(q, fence);
            await write(q);
          })
        : write(this.sql.query.bind(this.sql)),
    );
  }

  async getCheckpoint(name: string): Promise<CheckpointRecord | null> {
    checkName(name);
    return this.run("getCheckpoint", async () => {
      const rows = await this.sql.query(`SELECT sequence, body, sha256 FROM ${this.schema}.checkpoints WHERE name = $1`, [name]);
      const row = rows[0];
      if (!row) return null;
      const where = `${this.schema}.checkpoints (name ${name})`;
      const body = toBuffer(row.body);
      if (sha256(body) !== row.sha256) throw mismatch(where, "does not match its checksum");
      let parsed: CheckpointRecord;
      try {
        const raw = JSON.parse(body.toString("utf8")) as Record<string, unknown> & { trainer: Record<string, unknown> };
        parsed = checkpointRecordSchema.parse({
          ...raw,
          trainer: { ...raw.trainer, state: unpackArrays(raw.trainer.state) },
          state: unpackArrays(raw.state),
          sequence: Number(row.sequence),
        }) as CheckpointRecord;
      } catch {
        throw mismatch(where, "does not hold a valid checkpoint");
      }
      if (parsed.name !== name) throw mismatch(where, `holds the checkpoint of ${parsed.name}`);
      return parsed;
    });
  }

  /**
   * Calls `onChange` each time `alias` of `name` moves, in any process. It
   * LISTENs (a dedicated pooled connection, or PGlite's `listen`), then reads
   * the alias, so no move between the two is missed; after a dropped
   * connection it subscribes again (with backoff) and reads again
   * (`source: "catch-up"`). Moves are delivered in commit order, each once;
   * a catch-up read replays the moves missed meanwhile that the alias
   * history still retains.
   */
  watch(name: string, alias: string, onChange: (change: AliasChange) => void, options: WatchOptions = {}): Watcher {
    checkName(name);
    checkName(alias, "alias");
    let lastSeq = -1;
    let closed = false;
    let sub: Subscription | null = null;
    const firstDelay = this.reconnectDelayMs;
    /** A timer for `run` whose delay doubles (to 2 s) each time it is armed, until reset. */
    const backoff = (run: () => void): { arm(): void; reset(): void; cancel(): void } => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      let wait = firstDelay;
      return {
        arm: () => {
          if (closed || timer) return;
          timer = setTimeout(() => {
            timer = null;
            run();
          }, wait);
          wait = Math.min(wait * 2, 2000);
        },
        reset: () => {
          wait = firstDelay;
        },
        cancel: () => {
          if (timer) clearTimeout(timer);
          timer = null;
        },
      };
    };
    // The application's handler: one that throws must not end a turn early (an unhandled
    // rejection, and a resync or reconnect never scheduled). After close() it hears nothing more.
    const report = (err: unknown): void => {
      if (closed) return;
      try {
        options.onError?.(err);
      } catch {
        // its own failure is the application's to log
      }
    };
    const deliver = (seq: number, version: number | null, source: AliasChange["source"]): void => {
      if (closed || seq <= lastSeq) return;
      const first = lastSeq < 0 && source === "catch-up";
      lastSeq = seq;
      if (first) return; // the starting position is not a change
      try {
        onChange({ name, alias, version, source });
      } catch (err) {
        report(err);
      }
    };
    // Notifications and catch-up reads take turns: a notification that arrives while a
    // catch-up read is in flight waits for it, so a move it skipped cannot be jumped over.
    let turn: Promise<void> = Promise.resolve();
    const inTurn = (task: () => Promise<void>): Promise<void> => {
      // A turn still waiting at close() reads nothing: its query could only fail into onError (a pool ended after close).
      const next = turn.then(() => (closed ? undefined : task()));
      turn = next.catch(() => undefined);
      return next;
    };
    /** Delivers, in order, the retained moves after `lastSeq` and before `before` (all of them when omitted). */
    const replayMissed = async (before?: number): Promise<void> => {
      const bound = before === undefined ? "" : " AND alias_seq < $4";
      const params: unknown[] = [name, alias, lastSeq];
      if (before !== undefined) params.push(before);
      const missed = await this.sql.query(
        `SELECT alias_seq, version FROM ${this.schema}.alias_history WHERE name = $1 AND alias = $2 AND alias_seq > $3${bound} ORDER BY alias_seq`,
        params,
      );
      for (const m of missed) deliver(Number(m.alias_seq), Number(m.version), "catch-up");
    };
    /** Reads the alias and replays, in order, the retained moves after `lastSeq` up to it. */
    const catchUp = async (): Promise<void> => {
      const rows = await this.sql.query(`SELECT version, seq FROM ${this.schema}.aliases WHERE name = $1 AND alias = $2`, [name, alias]);
      if (closed) return; // closed during the read: no replay
      const row = rows[0];
      if (row && lastSeq >= 0 && Number(row.seq) > lastSeq + 1) await replayMissed();
      if (row) deliver(Number(row.seq), Number(row.version), "catch-up");
      else if (lastSeq < 0) lastSeq = 0;
    };
    /**
     * A read after a notification failed while the connection stays up: read again later (with
     * backoff), or the notified move would wait for the next move or reconnect, maybe for good.
     */
    const resync = backoff(() => {
      void inTurn(catchUp).then(
        () => resync.reset(),
        (err: unknown) => {
          report(toStoreError(err, "watch"));
          resync.arm();
        },
      );
    });
    const onNotify = (payload: string): void => {
      let p: { n: string; a: string; v: number; s: number };
      try {
        p = JSON.parse(payload) as typeof p;
      } catch {
        return; // not ours
      }
      // Not ours either (`null`, a number): node-postgres emits synchronously, so a throw here would escape into its socket handler.
      if (typeof p !== "object" || p === null || p.n !== name || p.a !== alias) return;
      const seq = Number(p.s);
      void inTurn(async () => {
        if (lastSeq >= 0 && seq > lastSeq + 1) {
          // A gap: moves committed before this connection's LISTEN took effect. Replay them first;
          // if that read fails, deliver nothing now (order first) and read the alias again shortly.
          try {
            await replayMissed(seq);
          } catch (err) {
            report(toStoreError(err, "watch"));
            resync.arm();
            return;
          }
        }
        deliver(seq, Number(p.v), "notify");
      });
    };
    const subscribe = async (): Promise<void> => {
      await this.gate.ready();
      const next = await this.sql.listen(this.channel, onNotify, (err) => {
        sub = null;
        if (closed) return;
        report(toStoreError(err, "watch"));
        reconnect.arm();
      });
      if (closed) {
        await next.close();
        return;
      }
      sub = next;
      // LISTEN is in effect: now read, so a move committed before it is not missed (and moves made
      // while the connection was down are replayed from the history, in order).
      await inTurn(catchUp);
      reconnect.reset();
    };
    const reconnect = backoff(() => void attempt());
    /** Closes a subscription whose first read failed: the retry LISTENs anew, and close() sees only the newest. */
    const dropSubscription = async (): Promise<void> => {
      const s = sub as Subscription | null;
      sub = null;
      await s?.close().catch(() => undefined);
    };
    const attempt = (): Promise<void> =>
      subscribe().catch(async (err: unknown) => {
        report(toStoreError(err, "watch"));
        await dropSubscription();
        reconnect.arm();
      });
    const ready = subscribe().catch(async (err: unknown) => {
      await dropSubscription();
      reconnect.arm();
      throw toStoreError(err, "watch");
    });
    ready.catch(() => undefined);
    return {
      ready,
      close: async () => {
        closed = true;
        reconnect.cancel();
        resync.cancel();
        const s = sub as Subscription | null;
        sub = null;
        await s?.close();
      },
    };
  }

  private run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.gate.run(what, fn);
  }

  /** Locks the model's counter row (creating it), so alias moves and prunes of a name take turns. */
  private async lockModel(q: Query, name: string): Promise<void> {
    await q(`INSERT INTO ${this.schema}.models (name, highest) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [name]);
    await q(`SELECT highest FROM ${this.schema}.models WHERE name = $1 FOR UPDATE`, [name]);
  }

  private async history(q: Query, name: string, alias: string): Promise<(AliasEvent & { seq: number })[]> {
    const rows = await q(`SELECT alias_seq AS seq, version, previous, action, at FROM ${this.schema}.alias_history WHERE name = $1 AND alias = $2 ORDER BY alias_seq`, [name, alias]);
    return rows.map((r) => ({
      alias,
      version: Number(r.version),
      previous: r.previous === null ? null : Number(r.previous),
      action: r.action as AliasEvent["action"],
      at: String(r.at),
      seq: Number(r.seq),
    }));
  }

  /** Moves the alias, writes its history row and notifies watchers: all in the caller's transaction. */
  private async moveAlias(q: Query, name: string, alias: string, version: number, action: AliasEvent["action"]): Promise<void> {
    const s = this.schema;
    const prev = await q(`SELECT version, seq FROM ${s}.aliases WHERE name = $1 AND alias = $2`, [name, alias]);
    const previous = prev[0] ? Number(prev[0].version) : null;
    // seq counts this alias's moves ever made; the history keeps the newest historyLimit of them.
    const seq = (prev[0] ? Number(prev[0].seq) : 0) + 1;
    await q(`INSERT INTO ${s}.alias_history (name, alias, version, previous, action, at, alias_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      name,
      alias,
      version,
      previous,
      action,
      this.now().toISOString(),
      seq,
    ]);
    await q(`DELETE FROM ${s}.alias_history WHERE name = $1 AND alias = $2 AND alias_seq <= $3`, [name, alias, seq - this.historyLimit]);
    await q(
      `INSERT INTO ${s}.aliases (name, alias, version, seq) VALUES ($1, $2, $3, $4) ON CONFLICT (name, alias) DO UPDATE SET version = EXCLUDED.version, seq = EXCLUDED.seq`,
      [name, alias, version, seq],
    );
    await q("SELECT pg_notify($1, $2)", [this.channel, JSON.stringify({ n: name, a: alias, v: version, s: seq })]);
  }

  /** Refuses the write (`lease_lost`) unless `fence` is the lease's current, unexpired grant; holds the lease row until commit. */
  private async checkFence(q: Query, fence: LeaseGrant): Promise<void> {
    checkName(fence?.name, "lease name");
    const rows = await q(`SELECT holder, token, expires_at > clock_timestamp() AS live FROM ${this.schema}.leases WHERE name = $1 FOR SHARE`, [fence.name]);
    const row = rows[0];
    if (!row || row.holder !== fence.holder || Number(row.token) !== fence.token) {
      throw leaseLost(fence, row ? `the lease is now token ${String(row.token)} (${String(row.holder ?? "released")})` : "no such lease");
    }
    if (row.live !== true) throw leaseLost(fence, "it expired");
  }
}

interface EncodedVersion {
  summary: string;
  summarySha256: string;
  body: Buffer;
  sha256: string;
}

function encodeVersion(record: ModelRecord): EncodedVersion {
  const summary = JSON.stringify(summarize(record));
  const packed: Record<string, unknown> = { ...record, trainer: { ...record.trainer, state: packArrays(record.trainer.state) } };
  if (record.preprocessing !== undefined) packed.preprocessing = packArrays(record.preprocessing);
  if (record.learningState !== undefined) packed.learningState = packArrays(record.learningState);
  const body = Buffer.from(JSON.stringify(packed), "utf8");
  return { summary, summarySha256: sha256(summary), body, sha256: sha256(Buffer.concat([Buffer.from(`${summary}\n`, "utf8"), body])) };
}



function decodeVersion(row: SqlRow, schema: string, name: string, version: number): ModelRecord {
  const where = `${schema}.versions (name ${name}, version ${version})`;
  const summary = String(row.summary);
  const body = toBuffer(row.body);
  if (sha256(Buffer.concat([Buffer.from(`${summary}\n`, "utf8"), body])) !== row.sha256) throw mismatch(where, "does not match its checksum");
  let record: ModelRecord;
  try {
    const raw = JSON.parse(body.toString("utf8")) as Record<string, unknown> & { trainer: Record<string, unknown> };
    const unpacked: Record<string, unknown> = { ...raw, trainer: { ...raw.trainer, state: unpackArrays(raw.trainer.state) } };
    if (raw.preprocessing !== undefined) unpacked.preprocessing = unpackArrays(raw.preprocessing);
    if (raw.learningState !== undefined) unpacked.learningState = unpackArrays(raw.learningState);
    record = modelRecordSchema.parse(unpacked) as ModelRecord;
  } catch {
    throw mismatch(where, "does not hold a valid model record");
  }
  if (record.name !== name || record.version !== version) throw mismatch(where, `holds ${record.name} version ${record.version}`);
  return record;
}

function decodeSummary(row: SqlRow, schema: string, name: string, version: number): ModelVersionSummary {
  const where = `${schema}.versions (name ${name}, version ${version})`;
  const summary = String(row.summary);
  if (sha256(summary) !== row.summary_sha256) throw mismatch(where, "has a summary that does not match its checksum");
  try {
    return summarySchema.parse(JSON.parse(summary)) as ModelVersionSummary;
  } catch {
    throw mismatch(where, "has an invalid summary");
  }
}
