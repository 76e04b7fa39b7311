import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MemoryModelStore, loadModel, type PipelineEvent, type RunReport } from "../../src/index.js";
import { FileModelStore, WorkerPipeline, runInWorker } from "../../src/node/index.js";
import { numericBatch } from "../pipeline/helpers.js";
import { createPipeline } from "./fixtures/worker-pipeline-module.js";

const MODULE = fileURLToPath(new URL("./fixtures/worker-pipeline-module.ts", import.meta.url));
const dir = (): string => mkdtempSync(join(tmpdir(), "freshml-worker-"));

/** A stream with ids whose slope drifts, so the gate promotes now and then. */
function batches(n: number, rows = 200): Array<{ id: string; X: Float64Array; cols: number; y: Float64Array }> {
  return Array.from({ length: n }, (_, k) => ({ id: `b${k}`, ...numericBatch(k, rows, k < n / 2 ? -2 : 1) }));
}

/** What must be the same whichever thread ran the pipeline (not timings). */
function outcome(r: RunReport): unknown {
  return {
    status: r.status,
    batches: r.batches,
    rows: r.rows,
    prequential: r.prequential,
    metrics: r.metrics,
    series: r.series,
    promotions: r.promotions,
    championVersion: r.championVersion,
    records: r.records,
    skipped: r.skipped,
    checkpoints: r.checkpoints,
  };
}

async function championJSON(store: FileModelStore, name = "model"): Promise<string> {
  return JSON.stringify((await loadModel(store, name, "champion")).trainer.toJSON());
}

describe("WorkerPipeline (issue 13)", () => {
  it("gives the in-thread report, events and champion bit for bit; batches are transferred, or copied when asked", async () => {
    const data = batches(24);
    const copy = batches(24);
    const inThreadStore = new FileModelStore(dir());
    const events: PipelineEvent["type"][] = [];
    const local = await createPipeline({ store: inThreadStore }).runBatches(copy, { onEvent: (e) => events.push(e.type) });

    const store = new FileModelStore(dir());
    const w = new WorkerPipeline({ module: MODULE, store });
    try {
      const workerEvents: PipelineEvent[] = [];
      const progress: number[] = [];
      const report = await w.runBatches(data, { onEvent: (e) => workerEvents.push(e), onProgress: (p) => progress.push(p.batches), trigger: "test" });
      expect(outcome(report)).toEqual(outcome(local));
      expect(report.promotionsTotal).toBeGreaterThan(1);
      expect(report.trigger).toBe("test");
      expect(workerEvents.map((e) => e.type)).toEqual(events);
      const finished = workerEvents.at(-1);
      expect(finished?.type === "run_finished" && outcome(finished.report)).toEqual(outcome(local));
      expect(progress).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      expect(await championJSON(store)).toBe(await championJSON(inThreadStore));
      // Transferred: the caller's arrays are detached.
      expect(data.every((b) => b.X.length === 0 && b.y.length === 0)).toBe(true);
      // The champion serves in this thread, loaded from the store.
      expect(w.serving?.version).toBe(report.championVersion);
      expect(JSON.stringify(w.serving!.trainer.toJSON())).toBe(await championJSON(store));

      // A second run in the same worker continues the state; transfer: false leaves the arrays alone.
      const more = batches(28).slice(24);
      const again = await w.runBatches(more, { transfer: false });
      expect(again.batches.accepted).toBe(4);
      expect(more.every((b) => b.X.length === 600)).toBe(true);
      const localAgain = await createPipeline({ store: inThreadStore }).runBatches(batches(28).slice(24));
      expect(outcome(again)).toEqual(outcome(localAgain));
    } finally {
      await w.close();
    }
  });

  it("keeps the main thread's timers firing while the worker runs a pipeline that never yields", async () => {
    const w = new WorkerPipeline({ module: MODULE, store: new FileModelStore(dir()), args: { yieldEveryMs: Infinity, checkpoint: "end" } });
    try {
      // Start the worker first, so the measure covers the run alone.
      await w.runBatches([]);
      const data = batches(150, 2000);
      let last = performance.now();
      let maxGap = 0;
      let fires = 0;
      const timer = setInterval(() => {
        const t = performance.now();
        maxGap = Math.max(maxGap, t - last);
        last = t;
        fires++;
      }, 5);
      const t0 = performance.now();
      const report = await w.runBatches(data);
      const runMs = performance.now() - t0;
      clearInterval(timer);
      expect(report.batches.accepted).toBe(150);
      // In this thread the same run would hold the loop for all of runMs; here the timer kept firing.
      expect(runMs).toBeGreaterThan(100);
      expect(fires).toBeGreaterThan(runMs / 50);
      expect(maxGap).toBeLessThan(Math.max(150, runMs / 4));
    } finally {
      await w.close();
    }
  });

  it("keeps the main thread's share small: news comes coalesced, the report once, and serving reloads are paced", async () => {
    const store = new FileModelStore(dir());
    const w = new WorkerPipeline({ module: MODULE, store, servingReloadMs: 1e9 });
    try {
      await w.runBatches([]);
      const messages: number[] = []; // news items in each message
      w.worker!.on("message", (m: { type: string; items?: unknown[] }) => messages.push(m.type === "news" ? m.items!.length : 1));
      const seen = new Set<number | null>();
      const events: PipelineEvent[] = [];
      const report = await w.runBatches(batches(24), { onProgress: () => seen.add(w.serving?.version ?? null), onEvent: (e) => events.push(e) });
      expect(report.promotionsTotal).toBeGreaterThan(2);
      // Per batch: several events, a progress and a credit, but they come a few to a message.
      expect(events.length).toBeGreaterThan(2 * 24);
      const items = messages.reduce((a, n) => a + n, 0);
      expect(items).toBeGreaterThanOrEqual(events.length - 1 + 24 + 24); // all of it arrived (run_finished comes with "done")
      expect(messages.length).toBeLessThan(items);
      expect(Math.max(...messages)).toBeGreaterThanOrEqual(3);
      // run_finished arrives last, with the report that "done" carried (sent once).
      const last = events.at(-1)!;
      expect(last.type === "run_finished" && last.report).toBe(report);
      // Paced: the first promotion is loaded at once, the next ones wait for servingReloadMs (here: never during the run)…
      expect([...seen].filter((v) => v !== null).length).toBeLessThanOrEqual(1);
      // …and the run's end loads the newest champion whatever the pace.
      expect(w.serving?.version).toBe(report.championVersion);
    } finally {
      await w.close();
    }
  });

  it("aborts a run in the worker through the caller's AbortSignal; the next run continues from where it stopped", async () => {
    const store = new FileModelStore(dir());
    const w = new WorkerPipeline({ module: MODULE, store });
    try {
      const controller = new AbortController();
      let saved = 0;
      const report = await w.runBatches(batches(400), {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "checkpoint_saved" && e.kind === "checkpoint" && ++saved === 5) controller.abort();
        },
      });
      expect(report.status).toBe("aborted");
      expect(report.stoppedAt).toBeDefined();
      expect(report.batches.total).toBeGreaterThanOrEqual(5);
      expect(report.batches.total).toBeLessThan(400);
      // Re-delivered ids are recognised: only the rest is learned.
      const rest = await w.runBatches(batches(400).slice(0, 20));
      expect(rest.batches.skipped).toBe(report.batches.total);
      expect(rest.batches.accepted).toBe(20 - report.batches.total);
      // An already aborted signal: nothing is learned.
      const none = await w.runBatches(batches(3), { signal: AbortSignal.abort() });
      expect(none.status).toBe("aborted");
      expect(none.batches.total).toBe(0);
    } finally {
      await w.close();
    }
  });

  it("a worker terminated mid-run fails the run with worker_failed; the store stays readable and the resumed run ends with the uninterrupted champion", async () => {
    const N = 30;
    const reference = new FileModelStore(dir());
    const uninterrupted = await createPipeline({ store: reference }).runBatches(batches(N));
    expect(uninterrupted.batches.accepted).toBe(N);

    for (const killAfter of [9]) {
      const store = new FileModelStore(dir());
      const w = new WorkerPipeline({ module: MODULE, store });
      try {
        let saved = 0;
        const run = w.runBatches(batches(N), {
          onEvent: (e) => {
            if (e.type === "checkpoint_saved" && ++saved === killAfter) void w.worker!.terminate();
          },
        });
        await expect(run).rejects.toMatchObject({ name: "FreshmlError", code: "worker_failed", details: { reason: "exited" } });
        expect(w.worker).toBeNull();
        // Readable: versions and checkpoint load.
        const page = await store.list("model");
        expect(page.unreadable).toEqual([]);
        const cp = await store.getCheckpoint("model");
        expect(cp).not.toBeNull();
        // A new worker restores from the last checkpoint; re-sent batches with learned ids are skipped.
        const resumed = await w.runBatches(batches(N));
        expect(resumed.status).toBe("completed");
        expect(resumed.restoredFrom).toBeDefined();
        expect(resumed.batches.skipped).toBeGreaterThan(0);
        expect(await championJSON(store)).toBe(await championJSON(reference));
      } finally {
        await w.close();
      }
    }
  });

  it("refuses memory stores, in this thread and in the worker", async () => {
    expect(() => new WorkerPipeline({ module: MODULE, store: new MemoryModelStore() as never })).toThrow(expect.objectContaining({ code: "unsupported" }));
    const w = new WorkerPipeline({ module: MODULE, export: "createMemoryPipeline", store: new FileModelStore(dir()) });
    try {
      await expect(w.runBatches(batches(2))).rejects.toMatchObject({ code: "unsupported", message: expect.stringMatching(/MemoryModelStore/) });
    } finally {
      await w.close();
    }
  });

  it("a factory that throws, or a missing export, is a typed error", async () => {
    const store = new FileModelStore(dir());
    await expect(runInWorker({ module: MODULE, export: "createBroken", store }, batches(1))).rejects.toMatchObject({
      code: "worker_failed",
      details: { reason: "threw", name: "TypeError" },
      message: expect.stringMatching(/the factory is broken/),
    });
    await expect(runInWorker({ module: MODULE, export: "nope", store }, batches(1))).rejects.toMatchObject({ code: "invalid_params" });
  });

  it("a worker that runs out of memory is worker_failed (out_of_memory)", async () => {
    const store = new FileModelStore(dir());
    const run = runInWorker({ module: MODULE, export: "createHog", store, resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } }, batches(3));
    await expect(run).rejects.toMatchObject({ code: "worker_failed", details: { reason: "out_of_memory" } });
    // Nothing was saved, and the store still reads.
    expect((await store.list("hog")).versions).toEqual([]);
  });
});
