import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliIn, repo, zod, type CliResult } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "freshml-cli-"));
const store = join(dir, "models");

type Result = CliResult;
const cli = cliIn(dir);
const json = (r: Result): any => JSON.parse(r.stdout);
const snapshot = (): string =>
  existsSync(store)
    ? readdirSync(store, { recursive: true })
        .map(String)
        .sort()
        .map((f) => {
          try {
            return `${f}:${readFileSync(join(store, f), "utf8").length}`;
          } catch {
            return f;
          }
        })
        .join("\n")
    : "(none)";

beforeAll(() => {
  writeFileSync(
    join(dir, "pipeline.config.ts"),
    `import { LinearRegression } from ${JSON.stringify(pathToFileURL(join(repo, "src/index.ts")).href)};
import { z } from ${JSON.stringify(zod)};
export default {
  name: "demo",
  schema: z.object({ x: z.number(), y: z.number() }),
  target: "y",
  trainer: new LinearRegression(),
  gate: { minRows: 10, window: 2 },
  batchSize: 40,
};
`,
  );
  let nd = "";
  let csv = "x,y\n";
  for (let i = 0; i < 400; i++) {
    const x = i / 10;
    const y = (i < 200 ? 2 : 3) * x + ((i * 7919) % 13) / 13;
    nd += `${JSON.stringify({ x, y })}\n`;
    csv += `${x},${y}\n`;
  }
  writeFileSync(join(dir, "rows.ndjson"), nd);
  writeFileSync(join(dir, "rows.csv"), csv);
  writeFileSync(join(dir, "bad.ndjson"), `${nd.split("\n").slice(0, 5).join("\n")}\n{"x": 1, "y":\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("freshml CLI, end to end in a child process on a file store", { timeout: 180_000 }, () => {
  it("run: trains from NDJSON into the store, --json parsed back, then from CSV with a progress line", async () => {
    const r = await cli("run", "--config", "pipeline.config.ts", "--data", "rows.ndjson", "--store", `file:${store}`, "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out.batches.total).toBe(10);
    expect(out.runId).toBe("demo:1");
    expect(out.championVersion).toBeGreaterThanOrEqual(1);
    const t = await cli("run", "--config", "pipeline.config.ts", "--data", "rows.csv", "--store", store, "--batch-size", "100");
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/batches\s+4 \(4 accepted/);
    expect(t.stdout).toContain("run recorded as demo:2");
    expect(t.stderr).toMatch(/batch 4\/4 .* rows\/s {2}ETA/);
    // The same file again: its batches carry ids from the file's content, so nothing is learned twice.
    const again = json(await cli("run", "--config", "pipeline.config.ts", "--data", "rows.csv", "--store", store, "--batch-size", "100", "--json"));
    expect(again.batches.skipped).toBe(4);
    expect(again.batches.accepted).toBe(0);
    expect(again.rows.learned).toBe(0);
    expect(again.championVersion).toBe(json(await cli("versions", "--store", store, "--name", "demo", "--json")).champion);
  });

  it("versions, show, diff, report, prune, rollback", async () => {
    const vs = json(await cli("versions", "--store", store, "--name", "demo", "--json"));
    expect(vs.versions.length).toBeGreaterThanOrEqual(2);
    const newest = vs.versions[0].version as number;
    expect(vs.champion).toBe(newest);
    // Read-only commands, in parallel to keep the test fast.
    // A mistyped name is not an error (a model may have been pruned to nothing), but the message says what to check.
    expect((await cli("versions", "--store", store, "--name", "demoo")).stdout).toContain('no versions of demoo (check --name: without it the name is "model")');
    const [text, showR, diffR, repR] = await Promise.all([
      cli("versions", "--store", store, "--name", "demo"),
      cli("show", "champion", "--store", store, "--name", "demo", "--json"),
      cli("diff", "1", String(newest), "--store", store, "--name", "demo", "--json"),
      cli("report", "-o", "report.html", "--store", store, "--name", "demo", "--json"),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`v${newest} *`);
    const show = json(showR);
    expect(show.version).toBe(newest);
    expect(show.trainer.kind).toBe("LinearRegression");
    const diff = json(diffR);
    expect(diff.a).toBe(1);
    expect(diff.weights.length).toBeGreaterThan(0);
    expect(diff.data.b.rows).toBeGreaterThan(0);
    const rep = json(repR);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(rep.bytes).toBe(Buffer.byteLength(html));
    expect(html).toContain("3 run(s)");
    expect((html.match(/data-mark="version"/g) ?? []).length).toBe(vs.versions.length);

    const rb = await cli("rollback", "--store", store, "--name", "demo", "--json");
    expect(rb.code).toBe(0);
    expect(json(rb)).toMatchObject({ from: newest });
    expect(json(await cli("versions", "--store", store, "--name", "demo", "--json")).champion).toBe(json(rb).to);

    const pr = json(await cli("prune", "--keep", "1", "--store", store, "--name", "demo", "--json"));
    expect(pr.deleted.length).toBe(vs.versions.length - 2); // the newest, and the champion, stay
  });

  it("bad input gives a clear message, the right exit code, and changes nothing", async () => {
    const before = snapshot();
    const [missing, unknown, bad, usage, opt, noKeep, pg, help] = await Promise.all([
      cli("versions", "--store", join(dir, "nowhere")),
      cli("show", "999", "--store", store, "--name", "demo", "--json"),
      cli("run", "--config", "pipeline.config.ts", "--data", "bad.ndjson", "--store", store),
      cli("frobnicate", "--store", store),
      cli("versions", "--store", store, "--bogus", "--json"),
      cli("prune", "--store", store, "--name", "demo"),
      cli("versions", "--store", "mysql://localhost/db"),
      cli("--help"),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no store at .*nowhere/);
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
    expect(unknown.code).toBe(1);
    expect(json(unknown).error.code).toBe("not_found");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("bad.ndjson:6: not valid JSON");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown command");
    expect(opt.code).toBe(2);
    expect(json(opt).error.code).toBe("invalid_usage");
    expect(noKeep.code).toBe(2);
    expect(pg.code).toBe(2);
    expect(pg.stderr).toContain("use file:./models or postgres://");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: freshml");
    expect(snapshot()).toBe(before);
  });
});

describe("postgres:// stores in the CLI", () => {
  it("pg is loaded only for a postgres:// store; without it, a clear unsupported error", async () => {
    const { openPostgres } = await import("../../src/node/cli/main.js");
    const missing = openPostgres("postgres://me:secret@db.example/ml", true, () => Promise.reject(new Error("Cannot find package 'pg'")));
    await expect(missing).rejects.toMatchObject({ code: "unsupported", message: expect.stringContaining("npm install pg") });
    await expect(missing).rejects.not.toMatchObject({ message: expect.stringContaining("secret") });
  });

  it("the schema comes from ?schema= and is taken off the URL; passwords never reach a message", async () => {
    const { postgresTarget, redactUrl } = await import("../../src/node/cli/main.js");
    expect(postgresTarget("postgres://u@/db?host=/tmp/s&schema=ml&port=5432")).toEqual({ connectionString: "postgres://u@/db?host=%2Ftmp%2Fs&port=5432", schema: "ml" });
    expect(postgresTarget("postgresql://u@h/db")).toEqual({ connectionString: "postgresql://u@h/db", schema: "freshml" });
    expect(redactUrl("postgres://me:secret@db.example:5432/ml")).toBe("postgres://me:***@db.example:5432/ml");
  });
});

describe('freshml report of a model retrained with policy "auto"', () => {
  it("shows how much past was trusted, from the runs in the store's history", async () => {
    const { FileModelStore } = await import("../../src/node/index.js");
    const { LinearRegression, Pipeline } = await import("../../src/index.js");
    const { abruptStream } = await import("../report/auto-stream.js");
    const autoStore = join(dir, "auto-models");
    await new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy: "auto", detector: null, name: "auto", store: new FileModelStore(autoStore, { fsync: false }) }).runBatches(abruptStream(1, 80, 30));
    const r = await cli("report", "-o", "auto.html", "--store", autoStore, "--name", "auto");
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, "auto.html"), "utf8");
    expect(html).toContain('<section id="memory"><h2>How much past was trusted</h2>');
    expect((html.match(/data-mark="memory-line"/g) ?? []).length).toBe(7);
    expect(html).toMatch(/served most \(after \d+ of 80 batches\); the served memory switched \d+ times?\./);
  });
});
