import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, MemoryRunHistory, Pipeline, recordRun, summarizeRun } from "../../src/index.js";
import { FileModelStore, FileRunHistory } from "../../src/node/index.js";
import { runHistoryChecks, sampleReport } from "../../src/testing/index.js";

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "freshml-history-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("runHistoryChecks", () => {
  const memory = runHistoryChecks({ make: (keepRuns) => new MemoryRunHistory({ keepRuns }), label: "memory" });
  const file = runHistoryChecks({ make: (keepRuns) => new FileRunHistory(tmp(), { keepRuns }), label: "file" });
  it.each([...memory, ...file].map((c) => [c.name, c] as const))("%s", async (_n, c) => {
    await c.run();
  });
  it("the checks can fail: a history that forgets retention fails one", async () => {
    const leaky = runHistoryChecks({ make: () => new MemoryRunHistory({ keepRuns: 1000 }) });
    const results = await Promise.allSettled(leaky.map((c) => c.run()));
    expect(results.filter((r) => r.status === "rejected").length).toBe(1);
  });
});

describe("summarizeRun", () => {
  it("bounds long series, keeping each bucket's extremes and every event", () => {
    const report = sampleReport("m", 10_000);
    const s = summarizeRun(report, { maxPoints: 300 });
    const series = s.series.rmse!;
    expect(series.points).toBe(10_000);
    expect(series.batch.length).toBeLessThanOrEqual(300 + report.promotions.length + 1);
    expect(series.batch.length).toBeGreaterThan(100);
    // Global extremes survive.
    const ch = report.series.rmse!.challenger as number[];
    expect(Math.max(...(series.challenger as number[]))).toBe(Math.max(...ch));
    expect(Math.min(...(series.challenger as number[]))).toBe(Math.min(...ch));
    // Every promotion and alarm batch is a point.
    for (const p of report.promotions) expect(series.batch).toContain(p.batch);
    expect(series.batch).toContain(5);
    // Ascending.
    expect([...series.batch].sort((a, b) => a - b)).toEqual(series.batch);
    // Decisions: every promotion kept, others bounded.
    expect(s.decisions.filter((d) => d.promoted).length).toBe(report.promotionsTotal);
    expect(s.decisions.length).toBeLessThanOrEqual(report.promotionsTotal + 500 + 1);
    // Drift matrix bounded and keeps drifted buckets.
    expect(s.drift.columns).toEqual(["x"]);
    expect(s.drift.batch.length).toBe(300);
    expect(s.drift.drifted[0]!.some(Boolean)).toBe(true);
    expect(s.quarantines.byReason).toEqual({ missing_rate: 1000 });
    expect(s.quarantines.events.length).toBe(500);
    expect(JSON.stringify(s).length).toBeLessThan(300_000);
  });

  it("keeps a short run whole and JSON-safe", () => {
    const report = sampleReport("m", 20);
    report.series.rmse!.champion[3] = Number.NaN;
    const s = summarizeRun(report);
    expect(s.series.rmse!.batch).toEqual(report.series.rmse!.batch);
    expect(s.series.rmse!.champion[3]).toBeNull();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it("summarises a real pipeline run", async () => {
    const p = new Pipeline({ trainer: new LinearRegression(), metrics: ["mae"] });
    const batches = Array.from({ length: 30 }, (_, k) => ({ X: [[k], [k + 0.5], [k + 0.2]], y: [2 * k, 2 * k + 1, 2 * k + 0.4] }));
    const report = await p.runBatches(batches);
    const s = summarizeRun(report);
    expect(Object.keys(s.series).sort()).toEqual(["mae", "rmse"]);
    expect(s.batches.total).toBe(30);
    expect(s.span).toEqual({ first: 0, last: 29 });
  });
});

describe("retention over 1,000 runs", () => {
  const report = sampleReport("m", 200);
  it("memory: holds keepRuns summaries", async () => {
    const h = new MemoryRunHistory({ keepRuns: 20 });
    for (let k = 0; k < 1000; k++) await recordRun(h, report);
    expect(h.size).toBe(20);
    expect((await h.list("m", { limit: 1000 })).map((r) => r.id)[0]).toBe("m:1000");
  });
  it("file: holds keepRuns files, disk bounded, beside a working model store", async () => {
    const dir = tmp();
    const store = new FileModelStore(dir);
    const v = await store.put({ name: "m", trainer: (() => { const l = new LinearRegression(); l.update({ X: [[0], [1]], y: [0, 1] }); return l.toJSON(); })() });
    const h = new FileRunHistory(dir, { keepRuns: 20 });
    let size20 = 0;
    for (let k = 0; k < 1000; k++) {
      await recordRun(h, report);
      if (k === 19) size20 = readdirSync(join(dir, "m", "runs")).reduce((n, f) => n + statSync(join(dir, "m", "runs", f)).size, 0);
    }
    const files = readdirSync(join(dir, "m", "runs"));
    expect(files.length).toBe(20);
    const size = files.reduce((n, f) => n + statSync(join(dir, "m", "runs", f)).size, 0);
    expect(size).toBeLessThanOrEqual(size20 * 1.01);
    expect((await h.list("m", { limit: 1 }))[0]!.id).toBe("m:1000");
    expect((await store.list("m")).versions.map((x) => x.version)).toEqual([v]);
    expect((await store.get("m", v)).version).toBe(v);
  });
});
