import { FreshmlError } from "../core/errors.js";
import { summarizeRun, type RunHistory, type RunSummary } from "../history/run-history.js";
import type { RunReport } from "../pipeline/report.js";
import type { AsyncConformanceCheck } from "./store-checks.js";

/** Options of {@link runHistoryChecks}. */
export interface RunHistoryCheckOptions {
  /** Makes a fresh, empty history with the given retention. */
  make: (keepRuns: number) => RunHistory | Promise<RunHistory>;
  /** Label for the check names. Default "history". */
  label?: string;
}

function fail(msg: string): never {
  throw new Error(msg);
}

/** The report with policy "auto"'s memory choice on each accepted batch: two candidates, a switch at batch 20 (the optional field a history must keep too). */
function withMemoryChoices(report: RunReport): RunReport {
  const records = report.records.map((r) => {
    if (r.status !== "accepted") return r;
    const scores = { "window 3": r.batch < 5 ? null : 1 + 1 / r.batch, everything: r.batch < 5 ? null : r.batch / 20 };
    return { ...r, memory: { served: r.batch < 20 ? "everything" : "window 3", scores } };
  });
  return { ...report, records };
}

/**
 * A small, valid synthetic report of `batches` batches for model `name` (what
 * the checks store): a quarantine every 10th batch, a promotion every 25th, one alarm.
 *
 * @example
 * ```ts
 * import { summarizeRun } from "freshml";
 * import { sampleReport } from "freshml/testing";
 * const summary = summarizeRun(sampleReport("load", 10_000), { maxPoints: 500 });
 * console.log(summary.series.rmse!.batch.length <= 1000); // true
 * ```
 */
export function sampleReport(name: string, batches: number, seed = 1): RunReport {
  const series = { batch: [] as number[], champion: [] as Array<number | null>, challenger: [] as Array<number | null> };
  const records: RunReport["records"] = [];
  for (let b = 0; b < batches; b++) {
    const v = 1 + Math.sin(b / 7 + seed) / 2;
    series.batch.push(b);
    series.champion.push(b === 0 ? null : v);
    series.challenger.push(v * 0.9);
    if (b % 10 === 9) records.push({ batch: b, status: "quarantined", rows: 10, issues: [{ code: "missing_rate", severity: "error", message: `column x is ${b}% missing` }] });
    else
      records.push({
        batch: b,
        status: "accepted",
        rows: 10,
        learned: 10,
        prequential: b === 0 ? null : v,
        issues: [],
        drift: [{ column: "x", test: "ks", status: b % 13 === 12 ? "drifted" : "stable", score: (b % 13) / 13, pValue: 0.5, threshold: 0.05, drifted: b % 13 === 12, rows: 10, referenceRows: 100, nonFinite: 0 }],
        ...(b > 0 ? { decision: { metric: "rmse" as const, mode: "prequential" as const, promoted: b % 25 === 0, challenger: v * 0.9, champion: v, baseline: null, statistic: 1, rows: 50, batches: 5, reasons: b % 25 === 0 ? [] : ["not better"] } } : {}),
      });
  }
  const promotions = records.filter((r) => r.status === "accepted" && r.decision?.promoted).map((r) => ({ batch: r.batch, version: null, score: 0.5 }));
  return {
    name,
    status: "completed",
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, seed)).toISOString(),
    durationMs: 10,
    batches: { total: batches, accepted: records.filter((r) => r.status === "accepted").length, quarantined: records.filter((r) => r.status === "quarantined").length, skipped: 0 },
    rows: { seen: 0, learned: 0, dropped: 0, quarantined: 0 },
    stageMs: { validate: 1, featurize: 1, test: 1, gate: 1, learn: 1, save: 1 },
    prequential: { metric: "rmse", value: 1 },
    metrics: { rmse: { champion: 1, challenger: 0.9 } },
    series: { rmse: series },
    promotions,
    promotionsTotal: promotions.length,
    driftAlarms: [5],
    driftAlarmsTotal: 1,
    checkpoints: [],
    skipped: [],
    championVersion: null,
    records,
    recordsDropped: 0,
  };
}

async function rejectsWith(p: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FreshmlError && err.code === code) return;
    fail(`${what}: rejected with ${String(err)}, expected FreshmlError ${code}`);
  }
  fail(`${what}: did not reject (expected ${code})`);
}

/**
 * The checks a {@link RunHistory} must pass: round trip, ids, listing newest
 * first with `limit` and `before`, names kept apart, retention, and clear
 * errors. Each check makes its own fresh history.
 *
 * @example
 * ```ts
 * import { MemoryRunHistory } from "freshml";
 * import { runHistoryChecks } from "freshml/testing";
 * for (const check of runHistoryChecks({ make: (keepRuns) => new MemoryRunHistory({ keepRuns }) })) await check.run();
 * ```
 */
export function runHistoryChecks(options: RunHistoryCheckOptions): AsyncConformanceCheck[] {
  const label = options.label ?? "history";
  const check = (name: string, run: () => Promise<void>): AsyncConformanceCheck => ({ name: `${label}: ${name}`, run });
  return [
    check("a summary round-trips exactly, with its id", async () => {
      const h = await options.make(10);
      const s = summarizeRun(withMemoryChoices(sampleReport("m", 50)));
      if (!s.memory) fail("summarizeRun kept no memory");
      const id = await h.put(s);
      if (id !== "m:1") fail(`first id: got ${id}, expected m:1`);
      const back = await h.get(id);
      const want = JSON.stringify({ ...s, id });
      if (JSON.stringify(back) !== want) fail("get(id) differs from what was put");
      if (s.id !== "") fail("put mutated the caller's summary");
    }),
    check("list is newest first, with limit and before", async () => {
      const h = await options.make(10);
      for (let k = 1; k <= 5; k++) await h.put(summarizeRun(sampleReport("m", 5, k)));
      const all = await h.list("m");
      if (all.map((r) => r.id).join() !== "m:5,m:4,m:3,m:2,m:1") fail(`list: got ${all.map((r) => r.id).join()}`);
      const page = await h.list("m", { limit: 2, before: "m:4" });
      if (page.map((r) => r.id).join() !== "m:3,m:2") fail(`list before m:4 limit 2: got ${page.map((r) => r.id).join()}`);
      if (all[0]!.startedAt !== sampleReport("m", 5, 5).startedAt) fail("list heads carry the run's startedAt");
    }),
    check("names are kept apart", async () => {
      const h = await options.make(10);
      await h.put(summarizeRun(sampleReport("a", 3)));
      await h.put(summarizeRun(sampleReport("b", 3)));
      if ((await h.list("a")).length !== 1 || (await h.list("b")).length !== 1) fail("each name lists its own runs");
      if ((await h.list("c")).length !== 0) fail("an unknown name lists nothing");
    }),
    check("retention keeps the newest keepRuns, numbers never reused", async () => {
      const h = await options.make(3);
      for (let k = 1; k <= 7; k++) await h.put(summarizeRun(sampleReport("m", 3, k)));
      const ids = (await h.list("m")).map((r) => r.id).join();
      if (ids !== "m:7,m:6,m:5") fail(`after 7 puts with keepRuns 3: got ${ids}`);
      await rejectsWith(h.get("m:1"), "not_found", "get of a run dropped by retention");
    }),
    check("errors: unknown id, bad name, not a summary", async () => {
      const h = await options.make(3);
      await rejectsWith(h.get("m:99"), "not_found", "get of an unknown run");
      await rejectsWith(h.get("nonsense"), "not_found", "get of a malformed id");
      await rejectsWith(h.list("../etc"), "invalid_name", "list of an unsafe name");
      await rejectsWith(h.put({ format: "nope" } as unknown as RunSummary), "invalid_state", "put of a non-summary");
    }),
  ];
}
