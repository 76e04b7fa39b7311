import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, MemoryModelStore, MemoryRunHistory, Pipeline, RunSummaryBuilder, recordRun, summarizeRun, type AcceptedBatchRecord, type RunReport, type RunSummary } from "../../src/index.js";
import { FileModelStore, FileRunHistory } from "../../src/node/index.js";
import { runHistoryChecks, sampleReport, storeChecks } from "../../src/testing/index.js";
import { accepted } from "../pipeline/helpers.js";
import { abruptStream } from "../report/auto-stream.js";

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
    expect(s.drift.batch.length).toBeLessThanOrEqual(300);
    expect(s.drift.batch.length).toBeGreaterThan(150);
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

describe("the summary is built as the run goes", () => {
  it("a 10,000-batch run with maxBatchRecords 1,000 keeps its whole series in history, downsampled, extremes and events kept", async () => {
    const store = new MemoryModelStore();
    const p = new Pipeline({ trainer: new LinearRegression(), store, name: "long", maxBatchRecords: 1000, yieldEveryMs: Infinity });
    // A level shift at batch 5,000 makes the early and late errors differ: the early ones must survive.
    const batches = Array.from({ length: 10_000 }, (_, k) => {
      const shift = k < 5000 ? 0 : 50;
      return { X: [[k % 7], [(k + 3) % 7]], y: [2 * (k % 7) + shift + Math.sin(k), 2 * ((k + 3) % 7) + shift] };
    });
    const report = await p.runBatches(batches);
    expect(report.records.length).toBe(1000);
    expect(report.recordsDropped).toBe(9000);
    const s = await store.runHistory().get(report.historyId!);
    const series = s.series.rmse!;
    expect(series.points).toBe(10_000);
    expect(series.batch[0]).toBe(0);
    expect(series.batch[series.batch.length - 1]).toBe(9999);
    expect(series.batch.length).toBeLessThanOrEqual(600 + 500);
    expect(series.batch.filter((b) => b < 1000).length).toBeGreaterThan(10);
    expect(s.span).toEqual({ first: 0, last: 9999 });
    expect(s.recordsDropped).toBe(0);
    // The run's extremes over all 10,000 batches (the report's series holds only the newest 1,000).
    const old = summarizeRun(report);
    expect(old.series.rmse!.points).toBe(1000);
    expect(old.span!.first).toBe(9000);
    const promoted = s.decisions.filter((d) => d.promoted).map((d) => d.batch);
    expect(promoted.length).toBe(Math.min(500, report.promotionsTotal));
    for (const b of promoted.slice(-50)) expect(series.batch).toContain(b);
    // The level shift at batch 5,000 (long dropped from the report) is the run's worst error: kept as an extreme.
    const worst = Math.max(...series.champion.filter((v): v is number => v !== null));
    const at = series.batch[series.champion.indexOf(worst)]!;
    expect(at).toBeGreaterThanOrEqual(5000);
    expect(at).toBeLessThan(5010);
    expect(worst).toBeGreaterThan(20);
    expect(Math.max(...(report.series.rmse!.champion.filter((v) => v !== null) as number[]))).toBeLessThan(worst);
    expect(s.decisions.length).toBeLessThanOrEqual(1000);
  });

  it("the builder fed a report's records matches summarizeRun on a short run", async () => {
    const p = new Pipeline({ trainer: new LinearRegression(), metrics: ["mae"], history: false });
    const batches = Array.from({ length: 40 }, (_, k) => ({ X: [[k], [k + 0.5]], y: [2 * k, 2 * k + 1.1] }));
    const report = await p.runBatches(batches);
    const b = new RunSummaryBuilder(Object.keys(report.series));
    for (const r of report.records) b.add(r);
    expect(b.finish(report)).toEqual(summarizeRun(report));
  });
});

describe("the pipeline records into its store's history by default", () => {
  it("memory store (also the default store): each run is kept; history: false keeps none", async () => {
    const store = new MemoryModelStore({ keepRuns: 2 });
    const batch = { X: [[0], [1], [2]], y: [0, 1, 2] };
    const p = new Pipeline({ trainer: new LinearRegression(), store, name: "m" });
    const ids = [];
    for (let k = 0; k < 3; k++) ids.push((await p.runBatches([batch])).historyId);
    expect(ids).toEqual(["m:1", "m:2", "m:3"]);
    expect((await store.runHistory().list("m")).map((r) => r.id)).toEqual(["m:3", "m:2"]);
    const off = await new Pipeline({ trainer: new LinearRegression(), store, name: "m", history: false }).runBatches([batch]);
    expect(off.historyId).toBeUndefined();
    expect((await store.runHistory().list("m")).length).toBe(2);
    expect((await new Pipeline({ trainer: new LinearRegression() }).runBatches([batch])).historyId).toBe("model:1");
  });

  it("file store: runs go to <root>/<model>/runs beside the versions, with the store's keepRuns", async () => {
    const dir = tmp();
    const store = new FileModelStore(dir, { keepRuns: 3, fsync: false });
    const p = new Pipeline({ trainer: new LinearRegression(), store, name: "m" });
    for (let k = 0; k < 5; k++) await p.runBatches([{ X: [[k], [k + 1], [k + 2]], y: [k, k + 1, k + 2] }]);
    expect(readdirSync(join(dir, "m", "runs")).sort()).toEqual(["r00000003.json", "r00000004.json", "r00000005.json"]);
    expect((await new FileRunHistory(dir).get("m:5")).name).toBe("m");
    expect(() => new FileModelStore(dir, { keepRuns: 0 })).toThrow(expect.objectContaining({ code: "invalid_params" }));
  });
});

describe("storeChecks holds a store's history", () => {
  it("a store whose history ignores retention fails a check", async () => {
    const base = new MemoryRunHistory();
    const make = (): MemoryModelStore => Object.assign(new MemoryModelStore(), { runHistory: () => new MemoryRunHistory({ keepRuns: 1000 }, base) });
    const results = await Promise.allSettled(storeChecks({ make }).filter((c) => c.name.includes("run history")).map((c) => c.run()));
    expect(results.filter((r) => r.status === "rejected").length).toBeGreaterThan(0);
  });
});

describe('policy "auto": the summary keeps which memory served and the candidates\' scores', () => {
  const autoReport = (maxBatchRecords?: number): Promise<RunReport> =>
    new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy: "auto", detector: null, history: false, ...(maxBatchRecords ? { maxBatchRecords } : {}) }).runBatches(abruptStream(1));

  it("summarizeRun and the builder fed the records agree, whole and downsampled; the series holds every batch's choice", async () => {
    const report = await autoReport();
    for (const options of [{}, { maxPoints: 20 }]) {
      const b = new RunSummaryBuilder(Object.keys(report.series), options);
      for (const r of report.records) b.add(r);
      expect(b.finish(report)).toEqual(summarizeRun(report, options));
    }
    const memory = summarizeRun(report).memory!;
    const records = report.records.map((r) => accepted(r));
    expect(memory.batch).toEqual(records.map((r) => r.batch));
    expect(memory.served).toEqual(records.map((r) => r.memory!.served));
    expect(memory.scores["window 3"]).toEqual(records.map((r) => r.memory!.scores["window 3"]));
    expect(Object.keys(memory.scores)).toEqual(["window 3", "window 6", "window 12", "window 24", "window 48", "window 96", "everything"]);
    expect(memory.switches).toBe(records.filter((r, i) => i > 0 && r.memory!.served !== records[i - 1]!.memory!.served).length);
    expect(memory.switches).toBeGreaterThanOrEqual(1);
    expect(Object.values(memory.servedBatches).reduce((n, k) => n + k, 0)).toBe(120);
  });

  it("the pipeline's summary, built as the run goes, keeps the early batches a short report dropped", async () => {
    const store = new MemoryModelStore();
    const report = await new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy: "auto", detector: null, store, maxBatchRecords: 30 }).runBatches(abruptStream(1));
    const kept = (await store.runHistory().get(report.historyId!)).memory!;
    expect(kept.points).toBe(120);
    expect(kept.batch[0]).toBe(0);
    expect(summarizeRun(report).memory!.points).toBe(30);
    const whole = summarizeRun(await autoReport()).memory!;
    expect(kept).toEqual(whole);
  });

  it("downsampling keeps every switch, the extremes and exact counts, in bounded size", () => {
    const n = 5000;
    const switchAt = new Set([1, 2, 700, 701, 702, 2500, 4998, 4999]);
    let served = "everything";
    const truth: string[] = [];
    const b = new RunSummaryBuilder(["rmse"], { maxPoints: 60 });
    for (let t = 0; t < n; t++) {
      if (switchAt.has(t)) served = served === "everything" ? "window 3" : "everything";
      truth.push(served);
      const wobble = 1 + 0.5 * Math.sin(t / 50);
      const scores = { "window 3": t < 10 ? null : wobble * (t === 3333 ? 9 : 1), everything: t < 10 ? null : 2 * wobble * (t === 1234 ? 0.01 : 1) };
      const record: AcceptedBatchRecord = { batch: t, status: "accepted", rows: 10, learned: 10, prequential: null, memory: { served, scores }, issues: [] };
      b.add(record);
    }
    const m = b.finish(sampleReport("m", 1)).memory!;
    for (const t of switchAt) expect(m.batch).toContain(t);
    expect(m.batch.length).toBeLessThanOrEqual(60 + switchAt.size);
    expect(m.batch).toContain(3333);
    expect(m.batch).toContain(1234);
    expect(m.batch[0]).toBe(0);
    expect(m.batch[m.batch.length - 1]).toBe(n - 1);
    m.batch.forEach((t, i) => expect(m.served[i]).toBe(truth[t]));
    expect(m.points).toBe(n);
    expect(m.switches).toBe(switchAt.size);
    expect(m.servedBatches).toEqual({ everything: truth.filter((s) => s === "everything").length, "window 3": truth.filter((s) => s === "window 3").length });
  });

  it("round-trips through MemoryRunHistory and FileRunHistory; a malformed memory is refused on put and on read", async () => {
    const s = summarizeRun(await autoReport());
    for (const h of [new MemoryRunHistory(), new FileRunHistory(tmp())]) {
      const id = await h.put(s);
      expect(await h.get(id)).toEqual({ ...s, id });
    }
    const m = s.memory!;
    const bad: Array<[unknown, string]> = [
      ["window 3", "memory"],
      [{ ...m, served: m.served.slice(1) }, "memory.served"],
      [{ ...m, served: m.served.map((x, i) => (i === 5 ? "window 5" : x)) }, "memory.served[5]"],
      [{ ...m, served: m.served.map((x, i) => (i === 5 ? 3 : x)) }, "memory.served[5]"],
      [{ ...m, scores: { ...m.scores, "window 3": m.scores["window 3"]!.map((x, i) => (i === 7 ? "0.1" : x)) } }, "memory.scores.window 3[7]"],
      [{ ...m, scores: { ...m.scores, everything: m.scores.everything!.slice(2) } }, 'memory.scores["everything"]'],
      [{ ...m, batch: m.batch.map((x, i) => (i === 4 ? 2 : x)) }, "memory.batch[4]"],
      [{ ...m, switches: -1 }, "memory.switches"],
      [{ ...m, points: 3 }, "memory.points"],
    ];
    for (const [memory, field] of bad) {
      await expect(new MemoryRunHistory().put({ ...s, memory } as RunSummary), field).rejects.toMatchObject({ code: "invalid_state", details: { field } });
    }
    // A file whose checksum holds but whose memory is malformed (written by another tool) is refused on read.
    const dir = tmp();
    const h = new FileRunHistory(dir);
    const id = await h.put(s);
    const body = JSON.stringify({ ...s, id, memory: { ...m, served: m.served.slice(1) } });
    const header = JSON.stringify({ format: "freshml.run", formatVersion: 1, sha256: createHash("sha256").update(body).digest("hex") });
    writeFileSync(join(dir, s.name, "runs", "r00000001.json"), `${header}\n${body}\n`);
    await expect(h.get(id)).rejects.toMatchObject({ code: "invalid_state", details: { field: "memory.served" } });
  });
});
