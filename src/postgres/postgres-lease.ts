import { checkLeaseArgs, leaseLost, type Lease, type LeaseAttempt, type LeaseGrant, type LeaseHolder, type LeaseOptions } from "../store/lease.js";
import { checkName } from "../store/model-store.js";
import { SchemaGate, checkSchemaName } from "./schema.js";
import { SqlAdapter, type PostgresClient, type SqlRow } from "./sql-client.js";

/**
 * Options of {@link PostgresLease}.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { PostgresLease, PostgresModelStore } from "freshml/postgres";
 * const db = new PGlite();
 * // The lease must live in the schema of the store whose writes it fences.
 * const store = new PostgresModelStore(db, { schema: "ml_registry" });
 * const lease = new PostgresLease(db, { schema: "ml_registry" });
 * await lease.acquire("model", "replica-a", { ttlMs: 30_000 });
 * await db.close();
 * ```
 */
export interface PostgresLeaseOptions {
  /** The schema of the store whose writes the lease fences. Default `freshml`. */
  schema?: string;
}

const EXPIRES = "(extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms";

/**
 * A {@link Lease} in PostgreSQL: one row per lease name in the store's
 * schema, its fencing token raised by an `INSERT … ON CONFLICT DO UPDATE …
 * RETURNING` on the database's clock (`clock_timestamp()`), so hosts'
 * clocks do not matter. {@link PostgresModelStore} checks a write's
 * `{ fence }` against this row in the write's own transaction.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { MeanRegressor } from "freshml";
 * import { PostgresLease, PostgresModelStore } from "freshml/postgres";
 * const db = new PGlite(); // or a pg.Pool
 * const lease = new PostgresLease(db);
 * const store = new PostgresModelStore(db);
 * const attempt = await lease.acquire("load", `host-a:${process.pid}`, { ttlMs: 30_000 });
 * if (attempt.acquired) {
 *   const m = new MeanRegressor();
 *   m.update({ X: [[0]], y: [1] });
 *   const v = await store.put({ name: "load", trainer: m.toJSON() }, { fence: attempt.grant });
 *   await store.setAlias("load", "champion", v, { fence: attempt.grant }); // lease_lost if the lease has passed on
 *   await lease.release(attempt.grant);
 * }
 * await db.close();
 * ```
 */
export class PostgresLease implements Lease {
  /** The schema holding the lease table. */
  readonly schema: string;
  private readonly sql: SqlAdapter;
  private readonly gate: SchemaGate;

  constructor(client: PostgresClient, options: PostgresLeaseOptions = {}) {
    this.sql = new SqlAdapter(client);
    this.schema = checkSchemaName(options.schema ?? "freshml");
    this.gate = new SchemaGate(this.sql, this.schema);
  }

  async acquire(name: string, holder: string, options: LeaseOptions): Promise<LeaseAttempt> {
    checkLeaseArgs(name, holder, options);
    const s = this.schema;
    return this.run("lease acquire", async () => {
      const rows = await this.sql.query(
        `INSERT INTO ${s}.leases AS l (name, holder, token, expires_at) VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET
           token = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > clock_timestamp() THEN l.token ELSE l.token + 1 END,
           holder = EXCLUDED.holder,
           expires_at = EXCLUDED.expires_at
         WHERE l.holder IS NULL OR l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()
         RETURNING holder, token, ${EXPIRES}`,
        [name, holder, options.ttlMs],
      );
      if (rows[0]) return { acquired: true, grant: { name, ...holderOf(rows[0]) } };
      const current = await this.current(name);
      // Released or expired between the two statements: report it as held by nobody in particular, the caller retries at its next tick.
      return { acquired: false, holder: current ?? { holder: "(changing hands)", token: 0, expiresAt: 0 } };
    });
  }

  async renew(grant: LeaseGrant, options: LeaseOptions): Promise<LeaseGrant> {
    checkLeaseArgs(grant?.name, grant?.holder, options);
    return this.run("lease renew", async () => {
      const rows = await this.sql.query(
        `UPDATE ${this.schema}.leases SET expires_at = clock_timestamp() + $4 * interval '1 millisecond'
         WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > clock_timestamp() RETURNING holder, token, ${EXPIRES}`,
        [grant.name, grant.holder, grant.token, options.ttlMs],
      );
      if (!rows[0]) throw leaseLost(grant, "it expired or another holder took it");
      return { name: grant.name, ...holderOf(rows[0]) };
    });
  }

  async release(grant: LeaseGrant): Promise<void> {
    checkName(grant?.name, "lease name");
    await this.run("lease release", () =>
      this.sql.query(`UPDATE ${this.schema}.leases SET holder = NULL, expires_at = clock_timestamp() WHERE name = $1 AND holder = $2 AND token = $3`, [
        grant.name,
        grant.holder,
        grant.token,
      ]),
    );
  }

  async current(name: string): Promise<LeaseHolder | null> {
    checkName(name, "lease name");
    return this.run("lease current", async () => {
      const rows = await this.sql.query(`SELECT holder, token, ${EXPIRES} FROM ${this.schema}.leases WHERE name = $1 AND holder IS NOT NULL AND expires_at > clock_timestamp()`, [
        name,
      ]);
      return rows[0] ? holderOf(rows[0]) : null;
    });
  }

  private run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.gate.run(what, fn);
  }
}

function holderOf(row: SqlRow): LeaseHolder {
  return { holder: String(row.holder), token: Number(row.token), expiresAt: Number(row.expires_ms) };
}
