import { existsSync, mkdtempSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LinearRegression, isFreshmlError, loadModel, type RunReport } from "../../src/index.js";
import { FileModelStore, ShardPool, WorkerPipeline, learnSharded, type ThreadPriority } from "../../src/node/index.js";
import { lowerThisThreadPriority } from "../../src/node/thread-priority.js";
import { numericBatch } from "../pipeline/helpers.js";

const MODULE = fileURLToPath(new URL("./fixtures/worker-pipeline-module.ts", import.meta.url));
const dir = (): string => mkdtempSync(join(tmpdir(), "freshml-nice-"));
const linux = process.platform === "linux" && existsSync("/proc/thread-self");
const batches = (n: number): Array<{ id: string; X: Float64Array; cols: number; y: Float64Array }> =>
  Array.from({ length: n }, (_, k) => ({ id: `b${k}`, ...numericBatch(k, 150, k < n / 2 ? -2 : 1) }));

/** The worker's nice value is the main thread's + increment, read back here by its thread id (while it lives); the main thread's is unchanged. */
function expectLowered(p: ThreadPriority | null, increment: number, mainBefore: number): void {
  expect(getPriority(process.pid)).toBe(mainBefore);
  if (!linux) {
    expect(p).toMatchObject({ applied: false, niceIncrement: increment });
    return;
  }
  expect(p).toMatchObject({ applied: true, niceIncrement: increment, nice: Math.min(19, mainBefore + increment) });
  expect(p!.tid).not.toBe(process.pid);
  expect(getPriority(p!.tid!)).toBe(Math.min(19, mainBefore + increment));
}

async function runIn(niceIncrement: number, mainBefore: number): Promise<{ report: RunReport; champion: string; priority: ThreadPriority | null }> {
  const store = new FileModelStore(dir());
  const w = new WorkerPipeline({ module: MODULE, store, niceIncrement });
  try {
    const report = await w.runBatches(batches(12));
    const priority = w.priority;
    if (niceIncrement > 0) expectLowered(priority, niceIncrement, mainBefore);
    return { report, champion: JSON.stringify((await loadModel(store, "model", "champion")).trainer.toJSON()), priority };
  } finally {
    await w.close();
  }
}

describe("niceIncrement: worker threads yield the cores to the host's thread (issue 13)", () => {
  it("WorkerPipeline lowers only its worker thread, and learns the same champion", async () => {
    const mainBefore = getPriority(process.pid);
    const lowered = await runIn(5, mainBefore);
    expect(lowered.priority?.applied).toBe(linux);
    const plain = await runIn(0, mainBefore);
    expect(plain.priority).toMatchObject({ applied: false, niceIncrement: 0, reason: "zero" });
    expect(lowered.champion).toBe(plain.champion);
    expect(lowered.report.prequential).toEqual(plain.report.prequential);
    expect(lowered.report.promotions).toEqual(plain.report.promotions);
  });

  it("WorkerPipeline's default is 19, the lowest priority", async () => {
    const w = new WorkerPipeline({ module: MODULE, store: new FileModelStore(dir()) });
    try {
      expect(w.priority).toBeNull();
      await w.runBatches(batches(1));
      expect(w.priority?.niceIncrement).toBe(19);
      expect(w.priority?.applied).toBe(linux && getPriority(process.pid) < 19);
    } finally {
      await w.close();
    }
  });

  it("ShardPool lowers only its workers, and learnSharded gives the same trainer", async () => {
    const mainBefore = getPriority(process.pid);
    const { X, cols, y } = numericBatch(3, 400, 1.5);
    const results: string[] = [];
    for (const niceIncrement of [5, 0]) {
      const pool = new ShardPool({ threads: 2, niceIncrement });
      try {
        expect(pool.priority).toBeNull();
        const { trainer } = await learnSharded(new LinearRegression({ l2: 1e-6 }), { X, cols, y }, { pool, shards: 2 });
        results.push(JSON.stringify(trainer.toJSON()));
        if (niceIncrement > 0) expectLowered(pool.priority, 5, mainBefore);
        else expect(pool.priority).toMatchObject({ applied: false, reason: "zero" });
      } finally {
        await pool.close();
      }
    }
    expect(results[0]).toBe(results[1]);
  });

  it("refuses increments outside 0..19 with invalid_params; never lowers the main thread", async () => {
    for (const bad of [-1, 20, 1.5, Number.NaN, "5"]) {
      for (const make of [() => new WorkerPipeline({ module: MODULE, store: { type: "file", root: dir() }, niceIncrement: bad as number }), () => new ShardPool({ threads: 1, niceIncrement: bad as number })]) {
        let err: unknown;
        try {
          make();
        } catch (e) {
          err = e;
        }
        expect(isFreshmlError(err) && err.code === "invalid_params" && err.details.param === "niceIncrement").toBe(true);
      }
    }
    const pool = new ShardPool({ threads: 1 });
    expect(pool.niceIncrement).toBe(0); // the pool's default: its caller waits for the shards anyway
    await pool.close();
    const before = getPriority(process.pid);
    expect(lowerThisThreadPriority(5)).toMatchObject({ applied: false, reason: linux ? "main_thread" : "no_thread_id" });
    expect(lowerThisThreadPriority(0)).toMatchObject({ applied: false, reason: "zero" });
    expect(getPriority(process.pid)).toBe(before);
  });
});
