/**
 * freshml on PostgreSQL: one model registry for many replicas and hosts
 * ({@link PostgresModelStore}), leases with fencing tokens so one retraining
 * runs at a time ({@link PostgresLease}), and champion change notifications
 * (`store.watch`, LISTEN/NOTIFY) and the run history beside the versions
 * ({@link PostgresRunHistory}, `store.runHistory()`). Takes a `pg.Pool` (the `pg` package is an
 * optional peer dependency) or a PGlite database.
 *
 * @packageDocumentation
 */
export { PostgresModelStore, type PostgresModelStoreOptions } from "./postgres-model-store.js";
export { PostgresLease, type PostgresLeaseOptions } from "./postgres-lease.js";
export { PostgresRunHistory, type PostgresRunHistoryOptions } from "./postgres-run-history.js";
export { SCHEMA_VERSION } from "./schema.js";
export type { PGliteLike, PgPoolClientLike, PgPoolLike, PostgresClient, SqlQueryable, SqlResult, SqlRow } from "./sql-client.js";
