import { FreshmlError } from "../core/errors.js";

/**
 * One row of a query result: column name → value, as the client decoded it.
 *
 * @example
 * ```ts
 * import type { SqlRow } from "freshml/postgres";
 * const row: SqlRow = { version: 3, alias: "champion" };
 * ```
 */
export type SqlRow = Record<string, unknown>;

/**
 * What a query resolves to: the rows (other fields of the client's result are ignored).
 *
 * @example
 * ```ts
 * import type { SqlResult } from "freshml/postgres";
 * const result: SqlResult = { rows: [{ version: 1 }] };
 * ```
 */
export interface SqlResult {
  /** The rows, in order. */
  rows: SqlRow[];
}

/**
 * Anything with a parameterised `query(text, params)`: a `pg.Pool`, a
 * `pg.Client`, a PGlite database, or a PGlite transaction.
 *
 * @example
 * ```ts
 * import type { SqlQueryable } from "freshml/postgres";
 * const fake: SqlQueryable = { query: async () => ({ rows: [] }) };
 * ```
 */
export interface SqlQueryable {
  /** Runs one statement with `$1, $2, …` parameters. */
  query(text: string, params?: unknown[]): Promise<SqlResult>;
}

/**
 * A client checked out of a pool (`pg.PoolClient`): the store runs a
 * transaction on one, and the watcher listens on one that it keeps.
 *
 * @example
 * ```ts
 * import type pg from "pg";
 * import type { PgPoolClientLike } from "freshml/postgres";
 * const fits = (client: pg.PoolClient): PgPoolClientLike => client;
 * ```
 */
export interface PgPoolClientLike extends SqlQueryable {
  /** Gives the client back; with an error (or `true`) the pool destroys it. */
  release(err?: Error | boolean): void;
  /** Subscribes to `notification` and `error` events (node-postgres' `Client` is an EventEmitter). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- node-postgres' EventEmitter signature
  on(event: string, listener: (...args: any[]) => void): unknown;
  /** Unsubscribes. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- node-postgres' EventEmitter signature
  off?(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * The part of `pg.Pool` the store uses: `query`, and `connect` for
 * transactions and LISTEN.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import type { PgPoolLike } from "freshml/postgres";
 * const pool: PgPoolLike = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgPoolLike extends SqlQueryable {
  /** Checks a client out of the pool. */
  connect(): Promise<PgPoolClientLike>;
}

/**
 * The part of a PGlite database (`@electric-sql/pglite`) the store uses:
 * `query`, `transaction` (which holds PGlite's one connection for its
 * duration) and, for `watch`, `listen`.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import type { PGliteLike } from "freshml/postgres";
 * const db: PGliteLike = new PGlite();
 * await db.query("SELECT 1");
 * ```
 */
export interface PGliteLike extends SqlQueryable {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** LISTENs on a channel; resolves to a function that UNLISTENs. */
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

/**
 * What {@link PostgresModelStore} and {@link PostgresLease} accept: a
 * `pg.Pool` (node-postgres) or a PGlite database. The same SQL runs on both.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import type { PostgresClient } from "freshml/postgres";
 * const client: PostgresClient = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export type PostgresClient = PgPoolLike | PGliteLike;

/** A live LISTEN: stop it with `close`; `lost` fires once when the connection under it ends. */
export interface Subscription {
  close(): Promise<void>;
}

const RETRIABLE_SQLSTATE = new Set(["57P01", "57P02", "57P03", "53300", "53400", "58030"]);
const RETRIABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOENT", "ECONNABORTED"]);
const CONNECTION_MESSAGE = /connection terminated|connection error|terminating connection|not queryable|timeout exceeded when trying to connect|server closed the connection|Client was closed|PGlite is closed|cannot use a pool after calling end/i;
/** Transaction conflicts the store retries itself. */
const CONFLICT_SQLSTATE = new Set(["40001", "40P01"]);

/** Whether a database error is a transaction conflict worth retrying at once. */
export function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONFLICT_SQLSTATE.has(code);
}

/**
 * Turns whatever the client threw into a {@link FreshmlError}: `store_unavailable`
 * (retriable: the server is down, restarting, refusing connections, or the
 * connection dropped) or `store_error` (the database refused the statement;
 * `details.sqlstate` says why). A FreshmlError passes through unchanged.
 */
export function toStoreError(err: unknown, what: string): FreshmlError {
  if (err instanceof FreshmlError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const message = typeof e?.message === "string" ? e.message : String(err);
  const unavailable =
    (code !== undefined && (code.startsWith("08") || RETRIABLE_SQLSTATE.has(code) || RETRIABLE_ERRNO.has(code))) || CONNECTION_MESSAGE.test(message);
  if (unavailable) {
    return new FreshmlError("store_unavailable", `PostgreSQL unavailable during ${what}: ${message}`, { retriable: true, ...(code ? { sqlstate: code } : {}) });
  }
  return new FreshmlError("store_error", `PostgreSQL refused ${what}: ${message}`, { retriable: false, ...(code ? { sqlstate: code } : {}) });
}

function isPool(client: PostgresClient): client is PgPoolLike {
  return typeof (client as PgPoolLike).connect === "function" && typeof (client as PGliteLike).transaction !== "function";
}

/**
 * The small layer that lets the same SQL run on node-postgres and PGlite:
 * plain queries, transactions (BEGIN/COMMIT on a checked-out client, or
 * PGlite's `transaction`), and LISTEN.
 */
export class SqlAdapter {
  constructor(readonly client: PostgresClient) {
    if (!client || typeof client.query !== "function") {
      throw new FreshmlError("invalid_params", "a PostgreSQL store needs a pg.Pool or a PGlite database (something with query())");
    }
    // An idle pooled client whose server goes away emits 'error' on the pool;
    // unhandled, that would end the process. The next query reports store_unavailable instead.
    const emitter = client as unknown as { on?: (e: string, f: () => void) => void; listenerCount?: (e: string) => number };
    if (isPool(client) && typeof emitter.on === "function" && typeof emitter.listenerCount === "function" && emitter.listenerCount("error") === 0) {
      emitter.on("error", () => undefined);
    }
  }

  /** One statement outside a transaction. */
  async query(text: string, params: unknown[] = []): Promise<SqlRow[]> {
    return (await this.client.query(text, params)).rows;
  }

  /** Runs `fn` in a transaction, retrying it on serialization failures and deadlocks. */
  async transaction<T>(fn: (q: (text: string, params?: unknown[]) => Promise<SqlRow[]>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(fn);
      } catch (err) {
        if (attempt < 5 && isConflict(err)) continue;
        throw err;
      }
    }
  }

  private async once<T>(fn: (q: (text: string, params?: unknown[]) => Promise<SqlRow[]>) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!isPool(client)) {
      return client.transaction(async (tx) => fn(async (text, params = []) => (await tx.query(text, params)).rows));
    }
    const c = await client.connect();
    let broken: Error | undefined;
    // A checked-out client has no 'error' listener: without one, a dropped connection would end the process.
    const onError = (err: Error): void => {
      broken = err;
    };
    c.on("error", onError as never);
    try {
      await c.query("BEGIN");
      const result = await fn(async (text, params = []) => (await c.query(text, params)).rows);
      await c.query("COMMIT");
      return result;
    } catch (err) {
      try {
        await c.query("ROLLBACK");
      } catch (rollbackErr) {
        broken = rollbackErr as Error; // the connection is gone: the server rolls back on its own
      }
      throw err;
    } finally {
      c.off?.("error", onError as never);
      c.release(broken ?? false);
    }
  }

  /**
   * LISTENs on `channel`. `onNotify` gets each payload; `onLost` fires once if
   * the connection under the subscription ends (then subscribe again).
   */
  async listen(channel: string, onNotify: (payload: string) => void, onLost: (err: unknown) => void): Promise<Subscription> {
    const client = this.client;
    const quoted = `"${channel.replace(/"/g, '""')}"`;
    if (!isPool(client)) {
      if (typeof client.listen !== "function") throw new FreshmlError("unsupported", "this PostgreSQL client has no listen(): watch needs a pg.Pool or PGlite");
      const unlisten = await client.listen(channel, onNotify);
      return { close: async () => unlisten().catch(() => undefined) };
    }
    const c = await client.connect();
    let done = false;
    const notification = (msg: { channel: string; payload?: string }): void => {
      if (msg.channel === channel) onNotify(msg.payload ?? "");
    };
    const lost = (err: unknown): void => {
      if (done) return;
      done = true;
      c.off?.("notification", notification as never);
      try {
        c.release(err instanceof Error ? err : true);
      } catch {
        // already released
      }
      onLost(err);
    };
    c.on("notification", notification as never);
    c.on("error", lost as never);
    c.on("end", (() => lost(new Error("connection ended"))) as never);
    try {
      await c.query(`LISTEN ${quoted}`);
    } catch (err) {
      done = true;
      c.release(true);
      throw err;
    }
    return {
      close: async () => {
        if (done) return;
        done = true;
        c.off?.("notification", notification as never);
        try {
          await c.query(`UNLISTEN ${quoted}`);
          c.release();
        } catch {
          c.release(true);
        }
      },
    };
  }
}
