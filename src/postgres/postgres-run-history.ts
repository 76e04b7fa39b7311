import { mismatch, sha256, toBuffer } from "./checksums.js";
import { FreshmlError } from "../core/errors.js";
import {
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
import { SchemaGate, checkSchemaName } from "./schema.js";
import { SqlAdapter, type PostgresClient, type SqlRow } from "./sql-client.js";


/**
 * Options of {@link PostgresRunHistory}.
 *
 * @example
 * ```ts
 * import type { PostgresRunHistoryOptions } from "freshml/postgres";
 * const options: PostgresRunHistoryOptions = { schema: "ml_registry", keepRuns: 365 };
 * ```
 */
export interface PostgresRunHistoryOptions extends RunRetention {
  /** The PostgreSQL schema holding the tables: the same as the store's. Default `freshml`. */
  schema?: string;
}

/**
 * A {@link RunHistory} in PostgreSQL, in the store's schema (tables `runs`
 * and `run_counters`, created and migrated like the store's): what
 * `PostgresModelStore.runHistory()` returns, so every replica and host
 * records runs in one place beside the versions.
 *
 * - Run numbers come from a per-model counter row, incremented and locked in
 *   the run's own transaction: no duplicates whatever the number of writers.
 * - Each run is a head (what `list` reads) and a body (the whole summary),
 *   each with a SHA-256 checksum verified on read (`checksum_mismatch`).
 * - Retention: each `put` deletes the model's runs beyond the newest
 *   `keepRuns`, in the same transaction.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { LinearRegression, Pipeline } from "freshml";
 * import { PostgresModelStore, PostgresRunHistory } from "freshml/postgres";
 * const db = new PGlite();
 * const store = new PostgresModelStore(db, { keepRuns: 365 });
 * // The pipeline records each run into store.runHistory() by default.
 * const report = await new Pipeline({ trainer: new LinearRegression(), store, name: "load" }).runBatches([{ X: [[0], [1]], y: [0, 1] }]);
 * const history = new PostgresRunHistory(db); // the same runs, from anywhere
 * const [latest] = await history.list("load", { limit: 1 }); // latest.id === report.historyId
 * await db.close();
 * ```
 */
export class PostgresRunHistory implements RunHistory {
  /** The schema holding the tables. */
  readonly schema: string;
  private readonly sql: SqlAdapter;
  private readonly gate: SchemaGate;
  private readonly keepRuns: number;

  /**
   * @param client A `pg.Pool` or a PGlite database (as for the store).
   * @param options The schema (the store's) and how many runs per model name to keep (default 100).
   */
  constructor(client: PostgresClient, options: PostgresRunHistoryOptions = {}) {
    this.keepRuns = keepRunsOf(options);
    this.sql = new SqlAdapter(client);
    this.schema = checkSchemaName(options.schema ?? "freshml");
    this.gate = new SchemaGate(this.sql, this.schema);
  }

  /** Stores a summary under the model's next run number and returns its id (`"<name>:<sequence>"`); deletes the runs beyond `keepRuns` in the same transaction. */
  async put(summary: RunSummary): Promise<string> {
    const s = checkSummary(summary);
    const name = s.name;
    return this.run("run history put", () =>
      this.sql.transaction(async (q) => {
        const rows = await q(
          `INSERT INTO ${this.schema}.run_counters AS c (name, highest) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET highest = c.highest + 1 RETURNING highest`,
          [name],
        );
        const sequence = Number(rows[0]!.highest);
        const id = `${name}:${sequence}`;
        const stored: RunSummary = { ...s, id };
        const head = JSON.stringify(headOf(stored));
        const body = Buffer.from(JSON.stringify(stored), "utf8");
        await q(`INSERT INTO ${this.schema}.runs (name, sequence, head, head_sha256, body, sha256) VALUES ($1, $2, $3, $4, $5, $6)`, [name, sequence, head, sha256(head), body, sha256(body)]);
        await q(`DELETE FROM ${this.schema}.runs WHERE name = $1 AND sequence <= $2`, [name, sequence - this.keepRuns]);
        return id;
      }),
    );
  }

  /** Heads of the runs of `name`, newest first (`limit`, `before`); a head that fails its checksum is `checksum_mismatch`. */
  async list(name: string, options?: RunListOptions): Promise<RunHead[]> {
    checkName(name);
    const { limit, before } = listBounds(name, options);
    return this.run("run history list", async () => {
      const rows = await this.sql.query(
        `SELECT sequence, head, head_sha256 FROM ${this.schema}.runs WHERE name = $1 AND ($2::int IS NULL OR sequence < $2::int) ORDER BY sequence DESC LIMIT $3`,
        [name, Number.isFinite(before) ? before : null, limit],
      );
      return rows.map((row) => this.decodeHead(row, name));
    });
  }

  /** A run's summary by id: `not_found` if it does not exist (or was dropped by retention), `checksum_mismatch` if its row was altered. */
  async get(id: string): Promise<RunSummary> {
    const { name, sequence } = parseRunId(id);
    return this.run("run history get", async () => {
      const rows = await this.sql.query(`SELECT body, sha256 FROM ${this.schema}.runs WHERE name = $1 AND sequence = $2`, [name, sequence]);
      const row = rows[0];
      if (!row) {
        const counter = await this.sql.query(`SELECT highest FROM ${this.schema}.run_counters WHERE name = $1`, [name]);
        const dropped = counter[0] !== undefined && sequence <= Number(counter[0].highest);
        throw new FreshmlError("not_found", `no run ${id}${dropped ? " (dropped by retention)" : ""}`, { observed: id });
      }
      const where = `${this.schema}.runs (run ${id})`;
      const body = toBuffer(row.body);
      if (sha256(body) !== row.sha256) throw mismatch(where, "does not match its checksum");
      let summary: RunSummary;
      try {
        summary = checkSummary(JSON.parse(body.toString("utf8")));
      } catch {
        throw mismatch(where, "does not hold a valid run summary");
      }
      if (summary.id !== id) throw mismatch(where, `holds run ${summary.id}`);
      return summary;
    });
  }

  private decodeHead(row: SqlRow, name: string): RunHead {
    const id = `${name}:${Number(row.sequence)}`;
    const head = String(row.head);
    if (sha256(head) !== row.head_sha256) throw mismatch(`${this.schema}.runs (run ${id})`, "has a head that does not match its checksum");
    const parsed = JSON.parse(head) as RunHead;
    if (parsed.id !== id) throw mismatch(`${this.schema}.runs (run ${id})`, `holds the head of ${String(parsed.id)}`);
    return parsed;
  }

  private run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.gate.run(what, fn);
  }
}


