/**
 * Regenerates docs/report.png, the README's picture of the HTML report: the
 * CO₂ stream through a pipeline on a file store (scripts/report-fixtures.ts),
 * rendered and photographed in headless Chromium.
 *
 *   npx tsx scripts/readme-screenshot.ts      (CHROMIUM_PATH to override /usr/bin/chromium)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { co2Report } from "./report-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "freshml-shot-"));
try {
  const { html } = await co2Report(join(dir, "store"));
  const file = join(dir, "report.html");
  writeFileSync(file, html);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const page = await browser.newPage({ viewport: { width: 1040, height: 1100 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(file).href);
  const out = fileURLToPath(new URL("../docs/report.png", import.meta.url));
  await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1040, height: 1100 } });
  await browser.close();
  console.log(`wrote ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
