import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const run = (file: string): string => execFileSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8" });

describe("examples run and say what they should", () => {
  it("store-rollback: three promotions, rollback to v2", () => {
    const out = run("examples/store-rollback.ts");
    expect(out).toMatch(/promoted v3 \(parent 2\)/);
    expect(out).toMatch(/rolled back to v2/);
    expect(out).toMatch(/champion history: set v1, set v2, set v3, rollback v2/);
  });

  it("custom-trainer: passes the conformance suite", () => {
    expect(run("examples/custom-trainer.ts")).toMatch(/conformance: passed/);
  });

  it("demo: the static model goes stale, the pipeline does not", () => {
    const out = run("examples/demo.ts");
    const mean = /mean\s+([\d.]+)\s+([\d.]+)/.exec(out);
    expect(mean).not.toBeNull();
    const [, staticErr, pipelineErr] = mean!.map(Number);
    expect(staticErr!).toBeGreaterThan(5 * pipelineErr!);
    expect(out).toMatch(/13 batches accepted, 0 quarantined/);
    expect(out).toMatch(/promoted → v1\b/);
  });
});

describe("validate-batches example", () => {
  it("quarantines the broken batch and warns about drift without rejecting", () => {
    const out = run("examples/validate-batches.ts");
    expect(out).toMatch(/batch 3: quarantined — row 17, temp: /);
    expect(out).toMatch(/batch 4: accepted · drift warning: temp/);
    expect(out).toMatch(/ADWIN: error stream changed/);
  });
});

describe("when-to-retrain example", () => {
  it("retraining after every batch is fresher than once at the end; a window is freshest", async () => {
    const { compare } = await import("../examples/when-to-retrain.js");
    const [inc, win, full, end] = await compare(40);
    expect(end!.meanPrequentialRmse).toBeGreaterThan(inc!.meanPrequentialRmse);
    expect(win!.meanPrequentialRmse).toBeLessThan(inc!.meanPrequentialRmse);
    expect(full!.meanPrequentialRmse).toBeCloseTo(inc!.meanPrequentialRmse, 6); // same data, same exact model
  });
});
