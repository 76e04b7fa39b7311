import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const run = (file: string, ...args: string[]): string => execFileSync(process.execPath, ["--import", "tsx", file, ...args], { encoding: "utf8" });

describe("nightly-job example: each run a fresh process on a file store", () => {
  it("learns only what is new, never twice, and rolls back champion and learning state together", () => {
    const dir = mkdtempSync(join(tmpdir(), "freshml-nightly-"));
    try {
      expect(run("examples/nightly-job.ts", dir, "2012-12")).toMatch(/learned 12 new month\(s\) \(2012-01 … 2012-12\), 366 rows; skipped 0/);
      expect(run("examples/nightly-job.ts", dir, "2013-03")).toMatch(/learned 3 new month\(s\) \(2013-01 … 2013-03\), 90 rows; skipped 12/);
      expect(run("examples/nightly-job.ts", dir, "2013-03")).toMatch(/learned 0 new month\(s\), 0 rows; skipped 15/);
      const rolled = run("examples/nightly-job.ts", dir, "--rollback");
      const dropped = Number(/(\d+) rows learned since are dropped/.exec(rolled)![1]);
      expect(dropped).toBeGreaterThan(0);
      // The months learned after the rolled-back version are learned again when re-sent.
      expect(run("examples/nightly-job.ts", dir, "2013-03")).toMatch(new RegExp(`, ${dropped} rows; skipped`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

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
    const dir = mkdtempSync(join(tmpdir(), "freshml-demo-report-"));
    const reportPath = join(dir, "report.html");
    let out: string;
    try {
      out = execFileSync(process.execPath, ["--import", "tsx", "examples/demo.ts"], { encoding: "utf8", env: { ...process.env, FRESHML_REPORT: reportPath } });
      expect(out).toContain(`HTML report (charts, versions, gate decisions; opens from disk): ${reportPath}`);
      expect(readFileSync(reportPath, "utf8")).toMatch(/^<!doctype html>[\s\S]*data-mark="promotion"[\s\S]*data-series="reference"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
