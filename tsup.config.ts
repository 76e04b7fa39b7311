import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "node/index": "src/node/index.ts",
    "testing/index": "src/testing/index.ts",
    "postgres/index": "src/postgres/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  treeshake: true,
  // Optional peer dependency: never bundled.
  external: ["pg", "@electric-sql/pglite"],
});
