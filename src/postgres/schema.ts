import { FreshmlError } from "../core/errors.js";
import { toStoreError, type SqlAdapter, type SqlRow } from "./sql-client.js";

/**
 * The newest schema version this library writes.
 *
 * @example
 * ```ts
 * import { SCHEMA_VERSION } from "freshml/postgres";
 * console.log(`freshml's PostgreSQL tables are at schema version ${SCHEMA_VERSION}`);
 * ```
 */
export const SCHEMA_VERSION = 3;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** Checks a PostgreSQL schema name (lower-case letters, digits and `_`; at most 48). */
export function checkSchemaName(schema: unknown): string {
  if (typeof schema !== "string" || !SCHEMA_NAME.test(schema)) {
    throw new FreshmlError("invalid_params", `schema must be 1–48 lower-case letters, digits or '_', starting with a letter or '_', got ${JSON.stringify(schema)}`, {
      param: "schema",
      observed: String(schema),
    });
  }
  return schema;
}

/** Each migration takes the schema from version i to i + 1. */
const MIGRATIONS: ((s: string) => string[])[] = [
  (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}.models (
      name text PRIMARY KEY,
      highest integer NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.versions (
      name text NOT NULL,
      version integer NOT NULL,
      summary text NOT NULL,
      summary_sha256 text NOT NULL,
      body bytea NOT NULL,
      sha256 text NOT NULL,
      PRIMARY KEY (name, version)
    )`,
    // Bodies are mostly base64 float64 bytes, which pglz barely shrinks: skip compression (puts of a
    // 5 MB state are about twice as fast).
    `ALTER TABLE ${s}.versions ALTER COLUMN body SET STORAGE EXTERNAL`,
    `CREATE TABLE IF NOT EXISTS ${s}.aliases (
      name text NOT NULL,
      alias text NOT NULL,
      version integer NOT NULL,
      seq bigint NOT NULL,
      PRIMARY KEY (name, alias)
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.alias_history (
      seq bigserial PRIMARY KEY,
      name text NOT NULL,
      alias text NOT NULL,
      version integer NOT NULL,
      previous integer,
      action text NOT NULL CHECK (action IN ('set', 'rollback')),
      at text NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS alias_history_name_alias ON ${s}.alias_history (name, alias, seq)`,
    `CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
      name text PRIMARY KEY,
      sequence integer NOT NULL,
      body bytea NOT NULL,
      sha256 text NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.leases (
      name text PRIMARY KEY,
      holder text,
      token bigint NOT NULL,
      expires_at timestamptz NOT NULL
    )`,
  ],
  // 2: alias events numbered per alias (seq counts an alias's moves ever made, whatever history is retained).
  (s) => [
    `ALTER TABLE ${s}.alias_history ADD COLUMN IF NOT EXISTS alias_seq integer`,
    `UPDATE ${s}.alias_history h SET alias_seq = n.k FROM (SELECT seq, row_number() OVER (PARTITION BY name, alias ORDER BY seq) AS k FROM ${s}.alias_history) n WHERE h.seq = n.seq`,
    `ALTER TABLE ${s}.alias_history ALTER COLUMN alias_seq SET NOT NULL`,
    `UPDATE ${s}.aliases a SET seq = coalesce((SELECT max(alias_seq) FROM ${s}.alias_history h WHERE h.name = a.name AND h.alias = a.alias), 0)`,
    `CREATE INDEX IF NOT EXISTS alias_history_alias_seq ON ${s}.alias_history (name, alias, alias_seq)`,
  ],
  // 3: run history (PostgresRunHistory): a run counter per model name, and one row per run (head for list, body for get, each checksummed).
  (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}.run_counters (
      name text PRIMARY KEY,
      highest integer NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.runs (
      name text NOT NULL,
      sequence integer NOT NULL,
      head text NOT NULL,
      head_sha256 text NOT NULL,
      body bytea NOT NULL,
      sha256 text NOT NULL,
      PRIMARY KEY (name, sequence)
    )`,
  ],
];

/**
 * Creates or migrates the store's tables in `schema`, idempotently: under a
 * transaction-scoped advisory lock (so concurrent starters take turns), it
 * reads `schema_version` and applies the missing migrations. A database
 * whose schema is newer than this library is `unsupported`.
 */
export async function migrate(sql: SqlAdapter, schema: string): Promise<void> {
  await sql.transaction(async (q) => {
    await q("SELECT pg_advisory_xact_lock(hashtext($1))", [`freshml.migrate.${schema}`]);
    await q(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await q(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows: SqlRow[] = await q(`SELECT coalesce(max(version), 0)::int AS v FROM ${schema}.schema_version`);
    const current = Number(rows[0]?.v ?? 0);
    if (current > SCHEMA_VERSION) {
      throw new FreshmlError("unsupported", `schema ${schema} is at version ${current}, newer than this freshml (${SCHEMA_VERSION}): upgrade freshml`, {
        schema,
        observed: current,
        expected: SCHEMA_VERSION,
      });
    }
    for (let v = current; v < SCHEMA_VERSION; v++) {
      for (const statement of MIGRATIONS[v]!(schema)) await q(statement);
      await q(`INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [v + 1]);
    }
  });
}

/** Runs `migrate` once per adapter and schema (again after a failure). */
export class SchemaGate {
  private done: Promise<void> | null = null;
  constructor(
    private readonly sql: SqlAdapter,
    private readonly schema: string,
  ) {}

  ready(): Promise<void> {
    if (!this.done) {
      this.done = migrate(this.sql, this.schema).catch((err: unknown) => {
        this.done = null;
        throw err;
      });
    }
    return this.done;
  }

  /** Runs `fn` once the schema is ready; any failure comes out as a typed store error naming `what`. */
  async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      await this.ready();
      return await fn();
    } catch (err) {
      throw toStoreError(err, what);
    }
  }
}
