import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectSameAnswers, type ScenarioResult } from "./compare.js";

const run = promisify(execFile);
const app = inject("freshmlApp");

/** Debian's chromium (.ci/run installs it). Missing, the suite fails: it never skips. */
const executablePath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p): p is string => !!p && existsSync(p));

interface Run {
  kernels: { webAssembly: boolean; simdEnabled: boolean; kernels: Record<string, string> };
  result: ScenarioResult;
}

const nodeRun = async (...args: string[]): Promise<Run> =>
  JSON.parse((await run(process.execPath, [join(app, "scenario-node.mjs"), ...args], { cwd: app, maxBuffer: 1 << 24 })).stdout) as Run;
const node = { simd: nodeRun(), js: nodeRun("js") };

let browser: Browser | undefined;
let bundle = "";

beforeAll(async () => {
  if (!executablePath) throw new Error("headless Chromium is required: apt-get install -y chromium (or set CHROMIUM_PATH)");
  const out = await build({
    entryPoints: [join(app, "browser-entry.mjs")],
    absWorkingDir: app,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  bundle = out.outputFiles[0]!.text;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

afterAll(async () => {
  await browser?.close();
});

/** Loads the bundle in a fresh page served with `csp` (if any) and runs the scenario. */
async function inBrowser(csp?: string): Promise<Run> {
  const page = await browser!.newPage();
  try {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.route("http://freshml.test/**", (route) =>
      route.fulfill({
        status: 200,
        headers: { "content-type": "text/html", ...(csp ? { "content-security-policy": csp } : {}) },
        body: `<!doctype html><html><body><script>${bundle}</script></body></html>`,
      }),
    );
    await page.goto("http://freshml.test/");
    expect(errors).toEqual([]);
    return (await page.evaluate("runScenario()")) as Run;
  } finally {
    await page.close();
  }
}

describe("headless Chromium runs the bundled package", () => {
  it("trains a LinearRegression and runs a Pipeline with a MemoryModelStore on the WebAssembly SIMD kernels, equal to Node's to the bit", async () => {
    const [b, n] = await Promise.all([inBrowser(), node.simd]);
    expect(b.kernels.webAssembly).toBe(true);
    expect(b.kernels.kernels).toEqual({ gemv: "wasm-simd", syrk: "wasm-simd", sgd: "wasm-simd", moments: "wasm-simd", adwin: "wasm-simd", fingerprint: "wasm-simd" });
    expect(b.result.pipeline.batches).toMatchObject({ total: 6, accepted: 6 });
    expect(b.result).toEqual(n.result);
  });

  it("under a CSP that blocks WebAssembly, the JS fallback runs and gives Node's JS answers to the bit, and the SIMD answers", async () => {
    const [b, nJs, nSimd] = await Promise.all([inBrowser("default-src 'none'; script-src 'unsafe-inline'"), node.js, node.simd]);
    expect(b.kernels.simdEnabled).toBe(true); // the switch is on; the host refuses
    for (const path of Object.values(b.kernels.kernels)) expect(path).toBe("js");
    expect(b.result).toEqual(nJs.result);
    expectSameAnswers(nSimd.result, b.result);
  });
});
