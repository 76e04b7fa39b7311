import { describe, expect, it } from "vitest";
import { LinearRegression, MemoryModelStore, MemoryRunHistory, Pipeline, driftCheck, recordRun, renderReport, renderStoreReport, summarizeRun } from "../../src/index.js";
import { sampleReport } from "../../src/testing/index.js";

const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;

describe("renderReport", () => {
  it("marks every promotion and alarm, with text alternatives for every chart", () => {
    const report = sampleReport("m", 1000);
    const s = summarizeRun(report);
    const html = renderReport(s);
    expect(count(html, /data-mark="promotion"/g)).toBe(s.promotions.length);
    expect(s.promotions.length).toBe(39);
    expect(count(html, /data-mark="alarm"/g)).toBe(1);
    const figures = count(html, /<figure /g);
    expect(figures).toBeGreaterThanOrEqual(4);
    expect(count(html, /<svg viewBox[^>]*role="img" aria-labelledby=/g)).toBe(figures);
    expect(count(html, /<desc id=/g)).toBe(figures);
    expect(count(html, /<summary>Data table/g)).toBe(figures);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(count(html, /data-mark="quarantine"/g)).toBeGreaterThan(0);
  });

  it("stays small at 10,000 batches", () => {
    const html = renderReport(summarizeRun(sampleReport("m", 10_000)));
    expect(html.length).toBeLessThan(400_000);
    expect(count(html, /data-mark="promotion"/g)).toBe(399);
  });

  it("describes the champion's trend by medians, so one short last batch does not read as the model getting worse", () => {
    const report = sampleReport("m", 100);
    const last = [...report.records].reverse().find((r) => r.status === "accepted")!;
    if (last.status !== "accepted" || !last.decision) throw new Error("sampleReport changed: its last accepted record has no decision");
    last.prequential = 100;
    last.decision.champion = 100;
    report.series.rmse!.champion[last.batch] = 100;
    const html = renderReport(report);
    const m = /Champion from ([\d.]+) to ([\d.]+) \(medians of the first and last (\d+) points\) \(min [\d.]+, max 100\)/.exec(html);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(2);
    expect(Number(m![3])).toBeGreaterThanOrEqual(5);
  });

  it("escapes text from the data", () => {
    const report = sampleReport("m", 20);
    const q = report.records.find((r) => r.status === "quarantined")!;
    q.issues[0]!.message = `<img src=x onerror=alert(1)> & "quoted"`;
    const html = renderReport(report);
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;");
  });

  it("renders a real run with drift, and a store with versions and history", async () => {
    const store = new MemoryModelStore();
    const history = new MemoryRunHistory();
    const p = new Pipeline({ trainer: new LinearRegression(), store, name: "load", validators: [driftCheck({ test: "ks" })], gate: { minRows: 5, window: 2 } });
    const batches = Array.from({ length: 30 }, (_, k) => ({ X: Array.from({ length: 20 }, (_, i) => [k > 15 ? i + 50 : i]), y: Array.from({ length: 20 }, (_, i) => (k > 15 ? 3 : 2) * i + (i % 3)) }));
    const report = await p.runBatches(batches);
    await recordRun(history, report);
    const html = await renderStoreReport(store, history, "load");
    const versions = (await store.list("load")).versions.length;
    expect(versions).toBeGreaterThan(0);
    expect(count(html, /data-mark="version"/g)).toBe(versions);
    expect(count(html, /data-mark="drift-cell"/g)).toBeGreaterThan(0);
    expect(count(html, /data-mark="promotion"/g)).toBe(report.promotions.length);
  });

  it("marks a rollback between two runs", async () => {
    const store = new MemoryModelStore();
    const history = new MemoryRunHistory();
    const make = (): Pipeline => new Pipeline({ trainer: new LinearRegression(), store, name: "rb", gate: { minRows: 5, window: 1 } });
    const batches = (from: number): Array<{ X: number[][]; y: number[] }> =>
      Array.from({ length: 12 }, (_, k) => ({ X: Array.from({ length: 10 }, (_, i) => [i + k]), y: Array.from({ length: 10 }, (_, i) => (from + k) * 0.1 + 2 * (i + k) + (i % 2)) }));
    await recordRun(history, await make().runBatches(batches(0)));
    const versions = (await store.list("rb")).versions.length;
    expect(versions).toBeGreaterThanOrEqual(2);
    await store.rollback("rb", "champion");
    await recordRun(history, await make().runBatches(batches(12)));
    const html = await renderStoreReport(store, history, "rb");
    expect(count(html, /data-mark="rollback"/g)).toBe(1);
    expect(html).toContain('data-rollbacks="1"');
    const one = renderReport((await history.get("rb:1")));
    expect(count(one, /data-mark="rollback"/g)).toBe(0);
  });

  it("draws a reference line (the frozen first model) when asked", () => {
    const s = summarizeRun(sampleReport("m", 50));
    const html = renderReport(s, { reference: { label: "frozen <first>", batch: [1, 2, 3], values: [5, null, 7] } });
    expect(count(html, /data-series="reference"/g)).toBe(1);
    expect(html).toContain("frozen &lt;first&gt; from 5 to 7");
    expect(count(renderReport(s), /data-series="reference"/g)).toBe(0);
  });

  it("renders an empty history", () => {
    expect(renderReport([])).toContain("No runs recorded yet");
  });
});
