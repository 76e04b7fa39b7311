import { describe, expect, it } from "vitest";
import { LinearRegression, Pipeline } from "../../src/index.js";
import { numericBatch } from "./helpers.js";

/** Counts macrotask turns (setImmediate) while `work` runs. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let on = true;
  const tick = (): void => {
    if (!on) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  // A synchronous source: nothing in it hands the event loop back.
  await work();
  on = false;
  return turns;
}

function* batches(n: number): Generator<ReturnType<typeof numericBatch>> {
  for (let k = 0; k < n; k++) yield numericBatch(k, 200);
}

describe("a run hands the event loop back (issue 13)", () => {
  it("yieldEveryMs: 0 lets timers and I/O run between batches and stages, even from a synchronous source", async () => {
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), yieldEveryMs: 0 });
    const turns = await turnsDuring(() => p.runBatches(batches(20)));
    // One turn per check at least: 20 batches × (between batches + 4 stages).
    expect(turns).toBeGreaterThanOrEqual(100);
  });

  it("yieldEveryMs: Infinity holds the loop for the whole run (what the default avoids)", async () => {
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), yieldEveryMs: Infinity, checkpoint: "end" });
    const turns = await turnsDuring(() => p.runBatches(batches(20)));
    expect(turns).toBeLessThanOrEqual(1);
  });

  it("yielding changes nothing that was learned", async () => {
    const a = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), yieldEveryMs: 0 });
    const b = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), yieldEveryMs: Infinity });
    const ra = await a.runBatches(batches(12));
    const rb = await b.runBatches(batches(12));
    expect(ra.records.map((r) => r.status === "accepted" && r.decision?.promoted)).toEqual(rb.records.map((r) => r.status === "accepted" && r.decision?.promoted));
    const probe = [[0.1, 0.2, 0.3]];
    expect(Array.from(a.championModel!.predict(probe))).toEqual(Array.from(b.championModel!.predict(probe)));
  });

  it("an abort from a timer stops a run fed by a synchronous source", async () => {
    const controller = new AbortController();
    const p = new Pipeline({ trainer: new LinearRegression({ l2: 1e-3 }), yieldEveryMs: 0 });
    setImmediate(() => controller.abort());
    const r = await p.runBatches(batches(1000), { signal: controller.signal });
    expect(r.status).toBe("aborted");
    expect(r.batches.total).toBeLessThan(1000);
  });

  it("rejects a negative yieldEveryMs", () => {
    expect(() => new Pipeline({ trainer: new LinearRegression(), yieldEveryMs: -1 })).toThrow(expect.objectContaining({ code: "invalid_params" }));
  });
});
