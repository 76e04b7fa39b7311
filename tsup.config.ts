import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "node/index": "src/node/index.ts",
    // Worker scripts, loaded by file (beside node/index.js), never imported.
    "node/worker-entry": "src/node/worker-entry.ts",
    "node/shard-worker": "src/node/shard-worker.ts",
    "testing/index": "src/testing/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  treeshake: true,
});
