/**
 * The report's chart of policy "auto" (issue 17): each candidate memory's
 * score over batches, the memory that served, and where it switched.
 */
import { describe, expect, it } from "vitest";
import { LinearRegression, MemoryModelStore, Pipeline, renderReport, renderStoreReport, summarizeRun, type AcceptedBatchRecord, type RunReport, type RunSummary } from "../../src/index.js";
import { abruptStream } from "./auto-stream.js";

const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;
/** The `<section id="memory">` of a page, or "" when there is none. */
const memorySection = (html: string): string => /<section id="memory">[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
const WINDOWS = ["window 3", "window 6", "window 12", "window 24", "window 48", "window 96", "everything"];

/** Straight from the report's records, not from the summary: the batches after which the served memory changed, and the batches each served. */
function choicesOf(report: RunReport): { switches: number[]; served: Map<string, number> } {
  const records = report.records.filter((r): r is AcceptedBatchRecord => r.status === "accepted" && r.memory !== undefined);
  const served = new Map<string, number>();
  for (const r of records) served.set(r.memory!.served, (served.get(r.memory!.served) ?? 0) + 1);
  return { switches: records.filter((r, i) => i > 0 && r.memory!.served !== records[i - 1]!.memory!.served).map((r) => r.batch), served };
}

const autoRun = (): Promise<RunReport> => new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy: "auto", detector: null }).runBatches(abruptStream(1));

describe('the report\'s chart of policy "auto"', () => {
  it("a real run on an abrupt change: one line per candidate, the switches marked, the served memory in a strip, a table and a sentence", async () => {
    const report = await autoRun();
    const { switches, served } = choicesOf(report);
    // Everything serves until the change at batch 60, then a short window: at least that switch.
    expect(switches.length).toBeGreaterThanOrEqual(1);
    expect(switches.some((b) => b >= 60 && b <= 64)).toBe(true);
    const html = renderReport(report);
    const section = memorySection(html);
    expect(section).toContain("<h2>How much past was trusted</h2>");
    expect(count(section, /data-mark="memory-line"/g)).toBe(WINDOWS.length);
    expect([...section.matchAll(/data-mark="memory-line" data-candidate="([^"]+)"/g)].map((m) => m[1])).toEqual(WINDOWS);
    expect([...section.matchAll(/data-mark="memory-switch" data-batch="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(switches);
    expect(count(section, /data-mark="memory-served"/g)).toBe(switches.length + 1);
    // Every line is drawn: the candidates are scored once enough batches are.
    for (const m of section.matchAll(/data-mark="memory-line" data-candidate="[^"]+" d="([^"]*)"/g)) expect(m[1]!.length).toBeGreaterThan(100);
    expect(count(section, /<figure /g)).toBe(1);
    expect(section).toMatch(/<svg viewBox[^>]*role="img" aria-labelledby=/);
    expect(section).toMatch(/<title id="fig\d+-t">How much past was trusted/);
    expect(section).toContain(`${switches.length} switches of it are marked`);
    // The data table: a row per batch (120 points fit), a column per candidate.
    expect(count(section, /<tr><td>/g)).toBe(120);
    expect(section).toContain(`<th scope="col">served</th>${WINDOWS.map((w) => `<th scope="col">${w}</th>`).join("")}`);
    const [most, n] = [...served].sort((a, b) => b[1] - a[1])[0]!;
    expect(section).toContain(`${most} served most (after ${n} of 120 batches); the served memory switched ${switches.length} time${switches.length === 1 ? "" : "s"}.`);
    expect(section).not.toMatch(/<script/);
  });

  it("a run without policy auto has no memory section", async () => {
    const report = await new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), detector: null }).runBatches(abruptStream(1, 20, 20));
    expect(summarizeRun(report).memory).toBeUndefined();
    const html = renderReport(report);
    expect(html).not.toContain('id="memory"');
    expect(html).not.toContain("memory-line");
    expect(html).toContain('<section id="drift">');
  });

  it("two runs resumed from the store chart as one: the same switches as a straight run, the one between runs too", async () => {
    const batches = abruptStream(1).map((b, k) => ({ ...b, id: `b${k}` }));
    const report = await autoRun();
    const straight = memorySection(renderReport(report));
    // Split where the served memory switches: the second run's first batch.
    const at = choicesOf(report).switches[0]!;
    const store = new MemoryModelStore();
    for (const [from, to] of [[0, at], [at, 120]] as const) {
      await new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy: "auto", detector: null, store }).runBatches(batches.slice(from, to));
    }
    // What `freshml report` renders: the store's runs and versions.
    const html = await renderStoreReport(store, store.runHistory(), "model");
    const section = memorySection(html);
    const marks = (s: string): string[] => [...s.matchAll(/data-mark="memory-(?:switch|served)"[^>]*>/g)].map((m) => m[0].replace(/ x="[^"]*"| width="[^"]*"/g, ""));
    expect(marks(section).length).toBeGreaterThanOrEqual(3);
    expect(marks(section)).toEqual(marks(straight));
    const sentence = (html: string): string => /<p class="memory-note">.*?<\/p>/.exec(html)![0];
    expect(sentence(section)).toBe(sentence(straight));
  });

  it("draws scores spanning orders of magnitude on a log scale, and escapes candidate names", () => {
    const memory = {
      batch: [0, 1, 2, 3, 4],
      served: ["everything", "everything", "<w2>", "<w2>", "everything"],
      scores: { "<w2>": [null, 100, 1, 0.5, 0.2], everything: [null, 50, 40, 30, 0.1] },
      points: 5,
      switches: 2,
      servedBatches: { everything: 3, "<w2>": 2 },
    };
    const s: RunSummary = { ...summarizeRun(emptyReport()), memory };
    const section = memorySection(renderReport(s));
    expect(section).toContain("loss per row (log scale)");
    // Ticks at powers of ten (1, 2 and 5 times them would be too many over 0.1–100).
    const yTicks = [...section.matchAll(/text-anchor="end">([^<]+)<\/text><\/g>/g)].map((m) => m[1]);
    expect(yTicks).toEqual(["0.1", "1", "10", "100"]);
    expect(section).not.toContain("<w2>");
    expect(section).toContain('data-candidate="&lt;w2&gt;"');
    expect(count(section, /data-mark="memory-switch"/g)).toBe(2);
    expect(section).toContain("everything served most (after 3 of 5 batches); the served memory switched 2 times.");
    // Linear when they do not.
    const flat: RunSummary = { ...s, memory: { ...memory, scores: { "<w2>": [null, 2, 1, 0.5, 0.2], everything: [null, 1, 1, 1, 1] } } };
    expect(memorySection(renderReport(flat))).not.toContain("log scale");
  });

  it("keeps every switch when drawing fewer points than the run has", () => {
    const n = 3000;
    const batch = Array.from({ length: n }, (_, i) => i);
    const switchAt = [7, 400, 401, 1234, 2999];
    const served = batch.map((b) => (switchAt.filter((s) => s <= b).length % 2 === 0 ? "everything" : "window 3"));
    const wave = (k: number): Array<number | null> => batch.map((b) => 1 + Math.sin(b / (37 + k)));
    const s: RunSummary = { ...summarizeRun(emptyReport()), memory: { batch, served, scores: { "window 3": wave(0), everything: wave(5) }, points: n, switches: switchAt.length, servedBatches: {} } };
    const section = memorySection(renderReport(s, { maxPoints: 50 }));
    expect([...section.matchAll(/data-mark="memory-switch" data-batch="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(switchAt);
    expect(count(section, /<tr><td>/g)).toBeLessThan(100);
  });
});

/** A report of no batches: the summary fields the tests above do not look at. */
function emptyReport(): RunReport {
  return {
    name: "m",
    status: "completed",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 0,
    batches: { total: 0, accepted: 0, quarantined: 0, skipped: 0 },
    rows: { seen: 0, learned: 0, dropped: 0, quarantined: 0 },
    stageMs: { validate: 0, featurize: 0, test: 0, gate: 0, learn: 0, save: 0 },
    prequential: { metric: "rmse", value: null },
    metrics: {},
    series: {},
    promotions: [],
    promotionsTotal: 0,
    driftAlarms: [],
    driftAlarmsTotal: 0,
    checkpoints: [],
    skipped: [],
    championVersion: null,
    records: [],
    recordsDropped: 0,
  };
}
