/**
 * Reports opened in a real browser: headless Debian Chromium driven by
 * playwright-core. With CI=true a missing browser fails the test; elsewhere
 * the test is skipped with a note (set CHROMIUM_PATH to point at another binary).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinearRegression, MemoryModelStore, Pipeline, renderReport, renderStoreReport, summarizeRun, type RunSummary } from "../../src/index.js";
import { sampleReport } from "../../src/testing/index.js";
import { co2Report } from "../../scripts/report-fixtures.js";
import { abruptStream } from "./auto-stream.js";

const executable = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const ci = process.env.CI === "true";
const artifacts = resolve(__dirname, "../.artifacts");
const dir = mkdtempSync(join(tmpdir(), "freshml-browser-"));
let browser: Browser | undefined;

beforeAll(async () => {
  if (!executable) return;
  browser = await chromium.launch({ executablePath: executable, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function check(html: string, summary: RunSummary, shot: string): Promise<void> {
  const file = join(dir, `${shot}.html`);
  writeFileSync(file, html);
  const page = await browser!.newPage({ viewport: { width: 1040, height: 1400 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => !r.url().startsWith("file:") && requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  expect(errors).toEqual([]);
  expect(requests).toEqual([]);
  expect(await page.locator('[data-mark="promotion"]').count()).toBe(summary.promotions.length);
  expect(await page.locator('[data-mark="alarm"]').count()).toBe(summary.driftAlarms.length);
  expect(await page.locator('[data-mark="rollback"]').count()).toBe(summary.restoredFrom?.from === "champion" ? 1 : 0);
  expect(await page.locator('[data-chart="metric"]').getAttribute("data-promotions")).toBe(String(summary.promotions.length));
  // Every chart has a title, a description and a data table.
  const charts = await page.locator("figure.chart").evaluateAll((figs) =>
    figs.map((f) => {
      const svg = f.querySelector("svg")!;
      const ids = (svg.getAttribute("aria-labelledby") ?? "").split(" ");
      return {
        role: svg.getAttribute("role"),
        labelled: ids.every((id: string) => (svg.ownerDocument.getElementById(id)?.textContent ?? "").trim().length > 0),
        title: svg.querySelector("title")?.textContent ?? "",
        desc: svg.querySelector("desc")?.textContent ?? "",
        rows: f.querySelectorAll("details table tr").length,
        width: svg.getBoundingClientRect().width,
      };
    }),
  );
  expect(charts.length).toBeGreaterThanOrEqual(4);
  for (const c of charts) {
    expect(c.role).toBe("img");
    expect(c.labelled).toBe(true);
    expect(c.title.length).toBeGreaterThan(5);
    expect(c.desc.length).toBeGreaterThan(20);
    expect(c.rows).toBeGreaterThan(1);
    expect(c.width).toBeGreaterThan(500);
  }
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${shot}.png`), fullPage: true });
  await page.close();
}

describe("reports in headless Chromium", { timeout: 180_000 }, () => {
  it("finds a browser (required with CI=true)", () => {
    if (ci) expect(executable, "CI=true but no Chromium: install Debian chromium or set CHROMIUM_PATH").toBeDefined();
    else if (!executable) console.warn("browser tests skipped: no Chromium (set CHROMIUM_PATH)");
  });
  it.skipIf(!executable && !ci)("a real run: Mauna Loa CO₂ on a file store, with history and versions", async () => {
    const { html, summary } = await co2Report(join(dir, "store"));
    expect(summary.promotionsTotal).toBeGreaterThan(0);
    await check(html, summary, "co2-report");
  });
  it.skipIf(!executable && !ci)('policy "auto": every candidate\'s line is drawn, and the served strip spans the plot', async () => {
    const store = new MemoryModelStore();
    const report = await new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), policy: "auto", detector: null, store }).runBatches(abruptStream(1));
    const summary = await store.runHistory().get(report.historyId!);
    const html = await renderStoreReport(store, store.runHistory(), "model");
    const file = join(dir, "auto-report.html");
    writeFileSync(file, html);
    const page = await browser!.newPage({ viewport: { width: 1040, height: 1400 } });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const lines = await page.locator('[data-mark="memory-line"]').evaluateAll((ps) => ps.map((p) => { const b = (p as unknown as { getBBox(): { x: number; width: number } }).getBBox(); return { x: b.x, width: b.width }; }));
    expect(lines.length).toBe(7);
    for (const b of lines) expect(b.width).toBeGreaterThan(500);
    const strip = await page.locator('[data-mark="memory-served"]').evaluateAll((rs) => rs.map((r) => { const b = (r as unknown as { getBBox(): { x: number; width: number } }).getBBox(); return { x: b.x, width: b.width }; }));
    expect(strip.length).toBe(summary.memory!.switches + 1);
    const span = strip[strip.length - 1]!.x + strip[strip.length - 1]!.width - strip[0]!.x;
    expect(span).toBeGreaterThan(850);
    await page.close();
    await check(html, summary, "auto-report");
  });
  it.skipIf(!executable && !ci)("a long synthetic run of 10,000 batches", async () => {
    const summary = summarizeRun(sampleReport("long", 10_000));
    const html = renderReport(summary);
    expect(html.length).toBeLessThan(400_000);
    await check(html, summary, "long-report");
  });
});
