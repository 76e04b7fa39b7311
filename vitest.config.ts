import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const src = (p: string): string => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import the package by name; tests run them against the source.
    alias: [
      { find: /^freshml$/, replacement: src("index.ts") },
      { find: /^freshml\/node$/, replacement: src("node/index.ts") },
      { find: /^freshml\/testing$/, replacement: src("testing/index.ts") },
      { find: /^freshml\/postgres$/, replacement: src("postgres/index.ts") },
      { find: /^freshml\/redis$/, replacement: src("redis/index.ts") },
    ],
  },
  test: {
    testTimeout: 60_000,
    // CI sets FRESHML_TEST_REPORT to collect pass/fail counts from the JSON reporter
    // while running exactly `npm test`.
    ...(process.env.FRESHML_TEST_REPORT
      ? { reporters: ["default", "json"], outputFile: { json: process.env.FRESHML_TEST_REPORT } }
      : {}),
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, "test/package/**"] },
      },
      {
        // The packed tarball in throwaway projects (Node ESM/CJS, TypeScript, publint,
        // attw, bundle sizes) and in headless Chromium. test/package/setup.ts builds
        // dist/ if it is missing or older than src/, packs and installs once.
        extends: true,
        test: {
          name: "package",
          include: ["test/package/**/*.test.ts"],
          globalSetup: ["test/package/setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
