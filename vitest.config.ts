import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string): string => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import the package by name; tests run them against the source.
    alias: [
      { find: /^freshml$/, replacement: src("index.ts") },
      { find: /^freshml\/node$/, replacement: src("node/index.ts") },
      { find: /^freshml\/testing$/, replacement: src("testing/index.ts") },
      { find: /^freshml\/postgres$/, replacement: src("postgres/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // CI sets FRESHML_TEST_REPORT to collect pass/fail counts from the JSON reporter
    // while running exactly `npm test`.
    ...(process.env.FRESHML_TEST_REPORT
      ? { reporters: ["default", "json"], outputFile: { json: process.env.FRESHML_TEST_REPORT } }
      : {}),
  },
});
