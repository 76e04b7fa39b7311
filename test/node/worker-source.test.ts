import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadModel, type RunReport } from "../../src/index.js";
import { FileModelStore, WorkerPipeline, runInWorker, type WorkerSource } from "../../src/node/index.js";
import { createPipeline, idBatches } from "./fixtures/worker-pipeline-module.js";

const MODULE = fileURLToPath(new URL("./fixtures/worker-pipeline-module.ts", import.meta.url));
const dir = (): string => mkdtempSync(join(tmpdir(), "freshml-worker-source-"));
const source = (args: { n: number; from?: number; throwAt?: number }, exportName?: string): WorkerSource => ({ module: MODULE, args, ...(exportName ? { export: exportName } : {}) });

function outcome(r: RunReport): unknown {
  return { status: r.status, batches: r.batches, rows: r.rows, prequential: r.prequential, series: r.series, promotions: r.promotions, championVersion: r.championVersion, records: r.records };
}
const championJSON = async (store: FileModelStore): Promise<string> => JSON.stringify((await loadModel(store, "model", "champion")).trainer.toJSON());

describe("WorkerSource: batches read inside the worker (issue 13)", () => {
  it("gives the report and champion of the same batches sent from the main thread, and sends the worker no batch", async () => {
    const local = new FileModelStore(dir());
    const expected = await createPipeline({ store: local }).runBatches(idBatches(16));
    const store = new FileModelStore(dir());
    const w = new WorkerPipeline({ module: MODULE, store });
    try {
      const posted: unknown[] = [];
      const report = await w.runBatches(source({ n: 16 }), { onProgress: () => posted.push(w.worker) });
      expect(outcome(report)).toEqual(outcome(expected));
      expect(await championJSON(store)).toBe(await championJSON(local));
      expect(w.serving?.version).toBe(report.championVersion);
      expect(posted).toHaveLength(16);
      // A second run continues the state; re-read batches are recognised by id.
      const again = await w.runBatches({ module: pathToFileURL(MODULE), export: "createSource", args: { n: 20 } });
      expect(again.batches.skipped).toBe(16);
      expect(again.batches.accepted).toBe(4);
    } finally {
      await w.close();
    }
  });

  it("takes an async factory returning an AsyncIterable, and runInWorker takes a WorkerSource too", async () => {
    const store = new FileModelStore(dir());
    const report = await runInWorker({ module: MODULE, store }, source({ n: 6 }, "createAsyncSource"));
    expect(report.batches.accepted).toBe(6);
    expect(report.status).toBe("completed");
  });

  it("aborts through the caller's signal: the source sees it, and the next run learns only the rest", async () => {
    const store = new FileModelStore(dir());
    const w = new WorkerPipeline({ module: MODULE, store });
    try {
      const controller = new AbortController();
      let saved = 0;
      const report = await w.runBatches(source({ n: 400 }), {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "checkpoint_saved" && e.kind === "checkpoint" && ++saved === 4) controller.abort();
        },
      });
      expect(report.status).toBe("aborted");
      expect(report.batches.total).toBeGreaterThanOrEqual(4);
      expect(report.batches.total).toBeLessThan(400);
      const rest = await w.runBatches(source({ n: 30 }));
      expect(rest.batches.skipped).toBe(report.batches.total);
      expect(rest.batches.accepted).toBe(30 - report.batches.total);
    } finally {
      await w.close();
    }
  });

  it("a source that throws fails the run with its error; batches learned before it stay learned", async () => {
    const store = new FileModelStore(dir());
    const w = new WorkerPipeline({ module: MODULE, store });
    try {
      await expect(w.runBatches(source({ n: 10, throwAt: 5 }))).rejects.toMatchObject({ name: "FreshmlError", message: expect.stringMatching(/the source broke at batch 5/) });
      const rest = await w.runBatches(source({ n: 10 }));
      expect(rest.batches.skipped).toBe(5);
      expect(rest.batches.accepted).toBe(5);
    } finally {
      await w.close();
    }
  });

  it("a missing export, or one that returns no batches, is invalid_params; a source that is neither batches nor a WorkerSource too", async () => {
    const store = new FileModelStore(dir());
    const w = new WorkerPipeline({ module: MODULE, store });
    try {
      await expect(w.runBatches(source({ n: 1 }, "nope"))).rejects.toMatchObject({ code: "invalid_params", details: { param: "source.export" }, message: expect.stringMatching(/no exported function nope/) });
      await expect(w.runBatches(source({ n: 1 }, "createNotASource"))).rejects.toMatchObject({ code: "invalid_params", message: expect.stringMatching(/Iterable or AsyncIterable/) });
      await expect(w.runBatches({ modul: MODULE } as never)).rejects.toMatchObject({ code: "invalid_params", details: { param: "source" } });
      // A relative path would be resolved against freshml's files in the worker: refused, with the fix in the message.
      await expect(w.runBatches({ module: "./worker-pipeline-module.ts" })).rejects.toMatchObject({ code: "invalid_params", details: { param: "source.module" }, message: expect.stringMatching(/import\.meta\.url/) });
      expect(() => new WorkerPipeline({ module: "../fixtures/worker-pipeline-module.ts", store })).toThrow(expect.objectContaining({ code: "invalid_params", details: { param: "module" } }));
      // The worker is still usable.
      expect((await w.runBatches(source({ n: 2 }))).batches.accepted).toBe(2);
    } finally {
      await w.close();
    }
  });
});
