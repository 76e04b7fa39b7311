import { PGlite } from "@electric-sql/pglite";
import type { ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, type Lease } from "../../src/index.js";
import { PostgresLease, PostgresModelStore } from "../../src/postgres/index.js";
import { leaseContract } from "../store/lease-contract.js";
import { serverSuitesEnabled, startPgChild, startPgServer, usePgServer, type PgServer } from "./pg-server.js";
import { fencingContract } from "../store/fencing-contract.js";
import { childLines, endPausedChild, wokenLeaderIsRefused } from "../child-lines.js";
import type pg from "pg";

let n = 0;

/** Waits (polling the database, never a fixed sleep) until the lease has no live holder. */
async function untilExpired(lease: Lease, name: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while ((await lease.current(name)) !== null) {
    if (Date.now() - start > timeoutMs) throw new Error(`lease ${name} still held after ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

function trained(seed: number) {
  const m = new LinearRegression();
  m.update({ X: [[seed], [seed + 1]], y: [1, seed] });
  return { name: "model", trainer: m.toJSON() };
}

/** Fenced writes: the store checks the grant in the write's transaction. */
function fencingChecks(client: () => PGlite | pg.Pool): void {
  it("a write with the current grant commits; after expiry or a takeover it is lease_lost and nothing is written", async () => {
    const schema = `fence${n++}`;
    const store = new PostgresModelStore(client(), { schema });
    const lease = new PostgresLease(client(), { schema });
    await store.init();
    // The writes that must commit get a long grant (on a loaded machine they can outlast 150 ms);
    // then the holder renews it to 150 ms, and that runs out on the database's clock.
    const a = await lease.acquire("model", "a", { ttlMs: 60_000 });
    if (!a.acquired) throw new Error("not acquired");
    const v1 = await store.put(trained(1), { fence: a.grant });
    await store.setAlias("model", "champion", v1, { fence: a.grant });
    expect((await lease.renew(a.grant, { ttlMs: 150 })).token).toBe(1);
    await untilExpired(lease, "model");
    // Expired, nobody took it: still refused.
    await expect(store.put(trained(2), { fence: a.grant })).rejects.toMatchObject({ code: "lease_lost" });
    await expect(store.setAlias("model", "champion", v1, { fence: a.grant })).rejects.toMatchObject({ code: "lease_lost" });
    const b = await lease.acquire("model", "b", { ttlMs: 60_000 });
    if (!b.acquired) throw new Error("not acquired");
    expect(b.grant.token).toBe(2);
    const v2 = await store.put(trained(3), { fence: b.grant });
    await store.setAlias("model", "champion", v2, { fence: b.grant });
    await expect(store.setAlias("model", "champion", v1, { fence: a.grant })).rejects.toMatchObject({ code: "lease_lost" });
    await expect(store.rollback("model", "champion", { fence: a.grant })).rejects.toMatchObject({ code: "lease_lost" });
    expect(await store.resolveAlias("model", "champion")).toBe(v2);
    expect((await store.list("model")).versions.map((v) => v.version)).toEqual([2, 1]);
    expect((await store.aliasHistory("model", "champion")).map((e) => e.version)).toEqual([1, 2]);
  });
}

describe("PostgresLease on PGlite", () => {
  const db = new PGlite();
  afterAll(() => db.close());
  leaseContract(async () => {
    const lease = new PostgresLease(db, { schema: `lite_lease${n++}` });
    return { lease, ttlMs: 100, expire: (name) => untilExpired(lease, name) };
  });
  fencingChecks(() => db);
  fencingContract(async () => {
    const schema = `lite_fc${n++}`;
    const lease = new PostgresLease(db, { schema });
    return { store: new PostgresModelStore(db, { schema }), lease, ttlMs: 150, expire: (name) => untilExpired(lease, name) };
  });
});


describe.runIf(serverSuitesEnabled("PostgresLease on a PostgreSQL server"))("PostgresLease on a PostgreSQL server", () => {
  const srv = usePgServer();

  leaseContract(async () => {
    const lease = new PostgresLease(srv.pool, { schema: `srv_lease${n++}` });
    return { lease, ttlMs: 100, expire: (name) => untilExpired(lease, name) };
  });
  fencingChecks(() => srv.pool);

  it("SIGSTOP the holder past its TTL, SIGCONT it: its writes are refused with lease_lost; the new holder's go through", async () => {
    const schema = `sigstop${n++}`;
    const store = new PostgresModelStore(srv.pool, { schema });
    const lease = new PostgresLease(srv.pool, { schema });
    await store.init();
    const holder = startPgChild(srv.server, ["fenced", schema, "paused-holder", "1500"]);
    const next = childLines(holder);
    try {
      expect(await next()).toBe("granted 1");
      holder.stdin!.write("write\n");
      expect(await next()).toBe("ok 1");
      // Only now the short TTL: the write above had a minute, however slow the machine.
      holder.stdin!.write("renew\n");
      expect(await next()).toBe("renewed 1");
      holder.kill("SIGSTOP");
      await untilExpired(lease, "model");
      const b = await lease.acquire("model", "new-leader", { ttlMs: 60_000 });
      if (!b.acquired) throw new Error("not acquired");
      expect(b.grant.token).toBe(2);
      const v = await store.put(trained(9), { fence: b.grant });
      await store.setAlias("model", "champion", v, { fence: b.grant });
      await wokenLeaderIsRefused(holder, next, store, v);
    } finally {
      endPausedChild(holder);
    }
  });
});
