import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression } from "../../src/index.js";
import { PostgresModelStore } from "../../src/postgres/index.js";
import { storeChecks } from "../../src/testing/index.js";
import { serverSuitesEnabled, usePgServer } from "./pg-server.js";

let n = 0;

function trained(name: string, seed: number) {
  const m = new LinearRegression({ l2: 0.1 });
  m.update({ X: [[seed], [seed + 1], [seed + 3]], y: [1, 2 + seed, 4] });
  return { name, trainer: m.toJSON(), metrics: { rmse: seed } };
}

describe("PostgresModelStore on PGlite (conformance)", () => {
  const db = new PGlite();
  afterAll(() => db.close());
  for (const check of storeChecks({ make: () => new PostgresModelStore(db, { schema: `lite${n++}` }), label: "pglite", watch: true })) it(check.name, () => check.run());
});

describe.runIf(serverSuitesEnabled("PostgresModelStore on a PostgreSQL server"))("PostgresModelStore on a PostgreSQL server", () => {
  const srv = usePgServer();

  describe("conformance", () => {
    for (const check of storeChecks({ make: () => new PostgresModelStore(srv.pool, { schema: `srv${n++}` }), label: "postgres", watch: true })) it(check.name, () => check.run());
  });

  it("creates its tables idempotently, with a schema version, even when started concurrently", async () => {
    const schema = `mig${n++}`;
    const stores = Array.from({ length: 4 }, () => new PostgresModelStore(srv.pool, { schema }));
    await Promise.all(stores.map((s) => s.init()));
    await new PostgresModelStore(srv.pool, { schema }).init();
    const rows = (await srv.pool.query(`SELECT version FROM ${schema}.schema_version ORDER BY version`)).rows;
    expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
  });

  it("refuses a schema newer than the library (unsupported)", async () => {
    const schema = `mig${n++}`;
    await new PostgresModelStore(srv.pool, { schema }).init();
    await srv.pool.query(`INSERT INTO ${schema}.schema_version (version) VALUES (99)`);
    await expect(new PostgresModelStore(srv.pool, { schema }).put(trained("m", 1))).rejects.toMatchObject({ code: "unsupported" });
  });

  it("verifies checksums on read: a tampered body is checksum_mismatch, a tampered summary is listed as unreadable", async () => {
    const schema = `sum${n++}`;
    const store = new PostgresModelStore(srv.pool, { schema });
    await store.put(trained("m", 1));
    await store.put(trained("m", 2));
    // Change byte 60 to a different value whatever it was (overwriting it with a fixed byte was a no-op when the timestamp already had it there).
    await srv.pool.query(`UPDATE ${schema}.versions SET body = set_byte(body, 60, (get_byte(body, 60) + 1) % 256) WHERE version = 1`);
    await expect(store.get("m", 1)).rejects.toMatchObject({ code: "checksum_mismatch" });
    expect((await store.get("m", 2)).version).toBe(2);
    await srv.pool.query(`UPDATE ${schema}.versions SET summary = replace(summary, '"rmse":2', '"rmse":3') WHERE version = 2`);
    const page = await store.list("m");
    expect(page.versions.map((v) => v.version)).toEqual([1]);
    expect(page.unreadable).toEqual([expect.objectContaining({ version: 2, code: "checksum_mismatch" })]);
  });

  it("a tampered checkpoint is checksum_mismatch", async () => {
    const schema = `sum${n++}`;
    const store = new PostgresModelStore(srv.pool, { schema });
    await store.putCheckpoint({ name: "m", champion: null, trainer: trained("m", 1).trainer, state: { a: 1 } });
    await srv.pool.query(`UPDATE ${schema}.checkpoints SET body = convert_to(replace(convert_from(body, 'UTF8'), '"a":1', '"a":2'), 'UTF8')`);
    await expect(store.getCheckpoint("m")).rejects.toMatchObject({ code: "checksum_mismatch" });
  });

  it("a failed transaction leaves no version and no gap", async () => {
    const schema = `tx${n++}`;
    const store = new PostgresModelStore(srv.pool, { schema });
    await store.put(trained("m", 1));
    // A trigger that fails the version insert after the counter was raised.
    await srv.pool.query(`CREATE FUNCTION ${schema}.boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$`);
    await srv.pool.query(`CREATE TRIGGER boom BEFORE INSERT ON ${schema}.versions FOR EACH ROW EXECUTE FUNCTION ${schema}.boom()`);
    await expect(store.put(trained("m", 2))).rejects.toMatchObject({ code: "store_error" });
    await srv.pool.query(`DROP TRIGGER boom ON ${schema}.versions`);
    expect(await store.put(trained("m", 3))).toBe(2);
    expect((await store.list("m")).versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it("an unreachable server is store_unavailable (retriable), and the store works once it is back", async () => {
    const schema = `down${n++}`;
    const store = new PostgresModelStore(srv.pool, { schema });
    await store.put(trained("m", 1));
    srv.server.kill();
    try {
      const err = await store.put(trained("m", 2)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "store_unavailable", details: { retriable: true } });
    } finally {
      srv.server.start();
    }
    // Pooled connections died with the server; the srv.pool makes new ones.
    let v: number | null = null;
    for (let i = 0; i < 20 && v === null; i++) v = await store.put(trained("m", 2)).catch(() => null);
    expect(v).toBe(2);
    expect((await store.list("m")).versions.map((x) => x.version)).toEqual([2, 1]);
  });
});
