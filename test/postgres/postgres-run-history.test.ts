import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, Pipeline, summarizeRun } from "../../src/index.js";
import { PostgresModelStore, PostgresRunHistory, SCHEMA_VERSION, type PostgresClient } from "../../src/postgres/index.js";
import { runHistoryChecks, sampleReport } from "../../src/testing/index.js";
import { serverSuitesEnabled, usePgServer } from "./pg-server.js";
import { abruptStream } from "../report/auto-stream.js";

let n = 0;

/** What both PGlite and a real server must show; `client` is called inside the tests (the server starts in beforeAll). */
function historySuite(client: () => PostgresClient, label: string): void {
  describe("runHistoryChecks on a standalone PostgresRunHistory", () => {
    for (const check of runHistoryChecks({ make: (keepRuns) => new PostgresRunHistory(client(), { schema: `${label}_rh${n++}`, keepRuns }), label })) it(check.name, () => check.run());
  });

  it("checksums are verified on read: a tampered body is checksum_mismatch on get, a tampered head on list", async () => {
    const schema = `${label}_sum${n++}`;
    const h = new PostgresRunHistory(client(), { schema });
    await h.put(summarizeRun(sampleReport("m", 30)));
    await h.put(summarizeRun(sampleReport("m", 30, 2)));
    await client().query(`UPDATE ${schema}.runs SET body = set_byte(body, 40, (get_byte(body, 40) + 1) % 256) WHERE sequence = 1`);
    await expect(h.get("m:1")).rejects.toMatchObject({ code: "checksum_mismatch" });
    expect((await h.get("m:2")).id).toBe("m:2");
    expect((await h.list("m")).map((r) => r.id)).toEqual(["m:2", "m:1"]);
    await client().query(`UPDATE ${schema}.runs SET head = replace(head, '"completed"', '"aborted"') WHERE sequence = 2`);
    await expect(h.list("m")).rejects.toMatchObject({ code: "checksum_mismatch" });
    // A body moved to another run's row is caught by its id.
    await client().query(`UPDATE ${schema}.runs SET body = (SELECT body FROM ${schema}.runs WHERE sequence = 2), sha256 = (SELECT sha256 FROM ${schema}.runs WHERE sequence = 2) WHERE sequence = 1`);
    await expect(h.get("m:1")).rejects.toMatchObject({ code: "checksum_mismatch" });
  });

  it("a schema at version 2 (before run history) migrates to 3 with its versions intact; re-running the migration is harmless", async () => {
    const schema = `${label}_up${n++}`;
    const store = new PostgresModelStore(client(), { schema });
    const m = new LinearRegression();
    m.update({ X: [[0], [1]], y: [0, 1] });
    await store.putAndAlias({ name: "m", trainer: m.toJSON() }, "champion");
    // Back to what freshml 0.1 (schema version 2) left: no run tables.
    await client().query(`DROP TABLE ${schema}.runs, ${schema}.run_counters`);
    await client().query(`DELETE FROM ${schema}.schema_version WHERE version = 3`);
    const upgraded = new PostgresModelStore(client(), { schema });
    expect(await upgraded.runHistory().put(summarizeRun(sampleReport("m", 5)))).toBe("m:1");
    expect((await upgraded.get("m", "champion")).version).toBe(1);
    // The version row lost, the tables kept: the migration runs again without error.
    await client().query(`DELETE FROM ${schema}.schema_version WHERE version = 3`);
    await new PostgresModelStore(client(), { schema }).init();
    const rows = (await client().query(`SELECT version FROM ${schema}.schema_version ORDER BY version`)).rows.map((r) => Number(r.version));
    expect(rows).toEqual([1, 2, 3]);
    expect(SCHEMA_VERSION).toBe(3);
    expect((await new PostgresRunHistory(client(), { schema }).list("m")).map((r) => r.id)).toEqual(["m:1"]);
  });

  it("a pipeline on the store records each run into the store's history, with the store's keepRuns; history: false records none", async () => {
    const schema = `${label}_pipe${n++}`;
    const store = new PostgresModelStore(client(), { schema, keepRuns: 2 });
    const p = new Pipeline({ trainer: new LinearRegression(), store, name: "load" });
    const ids: Array<string | undefined> = [];
    for (let k = 0; k < 3; k++) ids.push((await p.runBatches([{ X: [[k], [k + 1], [k + 2]], y: [k, k + 2, k + 4] }])).historyId);
    expect(ids).toEqual(["load:1", "load:2", "load:3"]);
    const h = new PostgresRunHistory(client(), { schema });
    expect((await h.list("load")).map((r) => r.id)).toEqual(["load:3", "load:2"]);
    await expect(h.get("load:1")).rejects.toMatchObject({ code: "not_found", message: expect.stringContaining("dropped by retention") });
    expect((await h.get("load:3")).batches.total).toBe(1);
    const off = await new Pipeline({ trainer: new LinearRegression(), store, name: "load", history: false }).runBatches([{ X: [[0], [1]], y: [0, 1] }]);
    expect(off.historyId).toBeUndefined();
    expect((await h.list("load")).length).toBe(2);
  });

  it('a summary with policy "auto"\'s memory round-trips as JSON (no schema change); a malformed memory under a valid checksum is refused', async () => {
    const schema = `${label}_mem${n++}`;
    const h = new PostgresRunHistory(client(), { schema });
    const s = summarizeRun(await new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy: "auto", detector: null, history: false }).runBatches(abruptStream(1, 40, 30)));
    expect(s.memory!.points).toBe(40);
    const id = await h.put(s);
    expect(await h.get(id)).toEqual({ ...s, id });
    const body = Buffer.from(JSON.stringify({ ...s, id, memory: { ...s.memory!, served: s.memory!.served.slice(1) } }), "utf8");
    await client().query(`UPDATE ${schema}.runs SET body = $1, sha256 = $2 WHERE sequence = 1`, [body, createHash("sha256").update(body).digest("hex")]);
    await expect(h.get(id)).rejects.toMatchObject({ code: "checksum_mismatch", message: expect.stringContaining("does not hold a valid run summary") });
  });

  it("concurrent puts get distinct run numbers", async () => {
    const h = new PostgresRunHistory(client(), { schema: `${label}_conc${n++}`, keepRuns: 50 });
    const ids = await Promise.all(Array.from({ length: 12 }, (_, k) => h.put(summarizeRun(sampleReport("m", 3, k)))));
    expect(new Set(ids).size).toBe(12);
    expect((await h.list("m")).length).toBe(12);
  });
}

describe("PostgresRunHistory on PGlite", () => {
  const db = new PGlite();
  afterAll(() => db.close());
  historySuite(() => db, "lite");
});

describe.runIf(serverSuitesEnabled("PostgresRunHistory on a PostgreSQL server"))("PostgresRunHistory on a PostgreSQL server", () => {
  const srv = usePgServer();
  historySuite(() => srv.pool, "srv");
});
