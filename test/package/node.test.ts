import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { expectSameAnswers, type ScenarioResult } from "./compare.js";

const run = promisify(execFile);
const app = inject("freshmlApp");

interface ConsumerOutput {
  format: string;
  kernels: { kernels: Record<string, string> };
  result: ScenarioResult;
  errors: Record<string, unknown>;
  conformance: Record<string, string[]>;
}

async function consumer(file: string, ...args: string[]): Promise<ConsumerOutput> {
  const { stdout } = await run(process.execPath, [join(app, file), ...args], { cwd: app, maxBuffer: 1 << 24 });
  return JSON.parse(stdout) as ConsumerOutput;
}

// The four runs start at once: two cores do them in about the time of two.
const runs = {
  esm: consumer("esm.mjs"),
  cjs: consumer("cjs.cjs"),
  esmJs: consumer("esm.mjs", "js"),
  cjsJs: consumer("cjs.cjs", "js"),
};

describe("the packed tarball in Node", () => {
  for (const format of ["esm", "cjs"] as const) {
    it(`${format}: a Pipeline runs end to end on the WebAssembly kernels`, async () => {
      const out = await runs[format];
      expect(out.format).toBe(format);
      expect(Object.values(out.kernels.kernels).every((p) => p === "wasm-simd")).toBe(true);
      const { pipeline } = out.result;
      expect(pipeline.batches).toMatchObject({ total: 6, accepted: 6 });
      expect(pipeline.championVersion).toBeGreaterThanOrEqual(1);
      expect(pipeline.served).toHaveLength(50);
    });

    it(`${format}: an error thrown by freshml/node is a FreshmlError of freshml`, async () => {
      const { errors } = await runs[format];
      expect(errors).toMatchObject({ code: "invalid_name", instanceOf: true, isFreshmlError: true, isFreshmlErrorWithCode: true, plainErrorIsNot: true });
    });

    it(`${format}: learnerChecks(LinearRegression) and storeChecks(FileModelStore, MemoryModelStore) pass`, async () => {
      const { conformance } = await runs[format];
      expect(conformance).toEqual({ learner: [], fileStore: [], memoryStore: [] });
    });
  }

  it("an error from the CommonJS copy is recognised by the ES module copy (registered brand)", async () => {
    const { errors } = await runs.esm;
    expect(errors).toMatchObject({ cjsCopyInstanceOf: true, cjsCopyIsFreshmlError: true });
  });

  it("ESM and CJS give the same results to the bit, on each kernel path; the JS fallback the same answers", async () => {
    const [esm, cjs, esmJs, cjsJs] = await Promise.all([runs.esm, runs.cjs, runs.esmJs, runs.cjsJs]);
    expect(Object.values(esmJs.kernels.kernels).every((p) => p === "js")).toBe(true);
    expect(cjs.result).toEqual(esm.result);
    expect(cjsJs.result).toEqual(esmJs.result);
    expectSameAnswers(esm.result, esmJs.result);
  });
});
