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

  it("demo: the static model goes stale, the retrained ones do not", () => {
    const out = run("examples/demo.ts");
    const overall = /overall\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(out);
    expect(overall).not.toBeNull();
    const [, staticErr, linErr, rlsErr] = overall!.map(Number);
    expect(staticErr!).toBeGreaterThan(3 * linErr!);
    expect(rlsErr!).toBeLessThan(linErr!);
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
