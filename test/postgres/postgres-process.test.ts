import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresModelStore } from "../../src/postgres/index.js";
import { serverSuitesEnabled, startPgServer, type PgServer } from "./pg-server.js";
import type pg from "pg";

const child = fileURLToPath(new URL("./pg-child.ts", import.meta.url));

export function startChild(server: PgServer, args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...server.env } });
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode);
    else p.once("exit", (code) => resolve(code));
  });
}

describe.runIf(serverSuitesEnabled("PostgresModelStore with real processes"))("PostgresModelStore with real processes", () => {
  let server: PgServer;
  let pool: pg.Pool;
  beforeAll(() => {
    server = startPgServer();
    pool = server.pool();
  });
  afterAll(async () => {
    await pool?.end();
    server?.stop();
  });

  it("4 processes × 100 puts → 400 distinct versions with no gaps; champion history complete and in order", async () => {
    const schema = "proc4x100";
    await new PostgresModelStore(pool, { schema }).init();
    const children = ["w0", "w1", "w2", "w3"].map((w) => startChild(server, ["puts", schema, w, "100"]));
    const errors: string[] = [];
    for (const c of children) c.stderr!.on("data", (d) => errors.push(String(d)));
    const codes = await Promise.all(children.map(exited));
    expect(errors.join("")).toBe("");
    expect(codes).toEqual([0, 0, 0, 0]);

    const store = new PostgresModelStore(pool, { schema });
    const seen: { version: number; writer: string; seq: number }[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list("model", { limit: 150, ...(cursor ? { cursor } : {}) });
      expect(page.unreadable).toEqual([]);
      seen.push(...page.versions.map((v) => ({ version: v.version, writer: v.tags.writer!, seq: Number(v.tags.seq) })));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((s) => s.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    // Each writer's puts got increasing numbers, 100 each.
    for (const w of ["w0", "w1", "w2", "w3"]) {
      const mine = seen.filter((s) => s.writer === w).sort((x, y) => x.version - y.version);
      expect(mine.map((s) => s.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    }
    const history = await store.aliasHistory("model", "champion");
    expect(history).toHaveLength(400);
    expect(new Set(history.map((e) => e.version)).size).toBe(400);
    // In order: each move's `previous` is the move before it.
    history.forEach((e, i) => expect(e.previous).toBe(i === 0 ? null : history[i - 1]!.version));
    expect(await store.resolveAlias("model", "champion")).toBe(history[399]!.version);
    // Every version reads back whole (checksums verified).
    for (const v of [1, 137, 400]) expect((await store.get("model", v)).version).toBe(v);
  });
});
