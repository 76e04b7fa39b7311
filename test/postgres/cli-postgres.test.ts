/**
 * The freshml CLI against a real PostgreSQL server, end to end in child
 * processes: run into a postgres:// store, then versions, show, diff,
 * report, rollback and prune; a missing schema and a server that is down
 * are clear errors that change nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliIn, repo, zod, type CliResult } from "../cli/run-cli.js";
import { serverSuitesEnabled, usePgServer } from "./pg-server.js";

const dir = mkdtempSync(join(tmpdir(), "freshml-cli-pg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Result = CliResult;
const cli = cliIn(dir);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI output
const json = (r: Result): any => JSON.parse(r.stdout);

beforeAll(() => {
  writeFileSync(
    join(dir, "pipeline.config.ts"),
    `import { LinearRegression } from ${JSON.stringify(pathToFileURL(join(repo, "src/index.ts")).href)};
import { z } from ${JSON.stringify(zod)};
export default { name: "demo", schema: z.object({ x: z.number(), y: z.number() }), target: "y", trainer: new LinearRegression(), gate: { minRows: 10, window: 2 }, batchSize: 40 };
`,
  );
  let nd = "";
  for (let i = 0; i < 400; i++) {
    const x = i / 10;
    nd += `${JSON.stringify({ x, y: (i < 200 ? 2 : 3) * x + ((i * 7919) % 13) / 13 })}\n`;
  }
  writeFileSync(join(dir, "rows.ndjson"), nd);
});

describe.runIf(serverSuitesEnabled("the CLI on a PostgreSQL server"))("freshml CLI on a PostgreSQL server, in child processes", { timeout: 180_000 }, () => {
  const srv = usePgServer(2);
  const url = (schema: string): string => `postgres://${srv.server.user}@/${srv.server.database}?host=${encodeURIComponent(srv.server.host)}&port=${srv.server.port}&schema=${schema}`;

  it("run, versions, show, diff, report, rollback, prune: the same commands as on a file store, runs kept in the store", async () => {
    const store = url("cli_e2e");
    const r1 = await cli("run", "--config", "pipeline.config.ts", "--data", "rows.ndjson", "--store", store, "--json");
    expect(r1.stderr).toBe("");
    expect(r1.code).toBe(0);
    expect(json(r1).runId).toBe("demo:1");
    const r2 = await cli("run", "--config", "pipeline.config.ts", "--data", "rows.ndjson", "--store", store, "--batch-size", "100");
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain("run recorded as demo:2");
    // The hint quotes the URL: its ? and & would otherwise be read by the shell.
    expect(r2.stdout).toContain(`freshml report -o report.html --store '${store}' --name demo`);
    // What the CLI wrote is in the database.
    expect((await srv.pool.query("SELECT count(*)::int AS n FROM cli_e2e.runs WHERE name = 'demo'")).rows[0].n).toBe(2);

    const vs = json(await cli("versions", "--store", store, "--name", "demo", "--json"));
    expect(vs.versions.length).toBeGreaterThanOrEqual(2);
    const newest = vs.versions[0].version as number;
    expect(vs.champion).toBe(newest);
    const [text, showR, diffR, repR] = await Promise.all([
      cli("versions", "--store", store, "--name", "demo"),
      cli("show", "champion", "--store", store, "--name", "demo", "--json"),
      cli("diff", "1", String(newest), "--store", store, "--name", "demo", "--json"),
      cli("report", "-o", "report.html", "--store", store, "--name", "demo", "--json"),
    ]);
    expect(text.stdout).toContain(`v${newest} *`);
    expect(json(showR)).toMatchObject({ version: newest, trainer: { kind: "LinearRegression" } });
    expect(json(diffR).weights.length).toBeGreaterThan(0);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(json(repR).bytes).toBe(Buffer.byteLength(html));
    expect(html).toContain("2 run(s)");
    expect((html.match(/data-mark="version"/g) ?? []).length).toBe(vs.versions.length);

    const rb = json(await cli("rollback", "--store", store, "--name", "demo", "--json"));
    expect(rb.from).toBe(newest);
    expect((await srv.pool.query("SELECT version FROM cli_e2e.aliases WHERE name = 'demo' AND alias = 'champion'")).rows[0].version).toBe(rb.to);
    const pr = json(await cli("prune", "--keep", "1", "--store", store, "--name", "demo", "--json"));
    expect(pr.deleted.length).toBe(vs.versions.length - 2);
  });

  it("a schema with no store, an unknown version and a server that is down: clear errors, exit 1, nothing created", async () => {
    const [missing, unknown, down] = await Promise.all([
      cli("versions", "--store", url("nothing_here"), "--json"),
      cli("show", "999", "--store", url("cli_e2e"), "--name", "demo", "--json"),
      cli("versions", "--store", `postgres://nobody:hunter2@/postgres?host=${encodeURIComponent(join(dir, "no-socket"))}&port=5432`),
    ]);
    expect(missing.code).toBe(1);
    expect(json(missing).error).toMatchObject({ code: "not_found", message: expect.stringContaining("schema nothing_here") });
    expect((await srv.pool.query("SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'nothing_here'")).rows[0].n).toBe(0);
    expect(unknown.code).toBe(1);
    expect(json(unknown).error.code).toBe("not_found");
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("PostgreSQL unavailable");
    expect(down.stderr).not.toContain("hunter2");
  });
});
