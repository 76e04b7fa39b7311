import { writeFileSync } from "node:fs";
import { defineConfig, type Options } from "tsup";

/**
 * One module per source file, in two formats — dist/esm (ES modules) and
 * dist/cjs (CommonJS; dist/cjs/package.json says so) — rather than bundled
 * entry points: every entry point (freshml, freshml/node, freshml/testing)
 * then imports the same core modules, so there is one FreshmlError class per
 * format, and an application's bundler drops what it does not import
 * ("sideEffects": false). Declarations come from tsc (scripts/build-types.mjs),
 * the same in both trees. See docs/packaging.md.
 */
const common: Options = {
  entry: ["src/**/*.ts", "!src/**/*.d.ts"],
  bundle: false,
  platform: "neutral",
  target: "es2022",
  sourcemap: true,
  dts: false,
  splitting: false,
  treeshake: false,
};

export default defineConfig([
  { ...common, format: ["esm"], outDir: "dist/esm", clean: true },
  {
    ...common,
    format: ["cjs"],
    outDir: "dist/cjs",
    clean: true,
    // .js files under a package.json that says "commonjs": the same import paths work in both trees.
    outExtension: () => ({ js: ".js" }),
    onSuccess: async () => {
      writeFileSync("dist/cjs/package.json", `${JSON.stringify({ type: "commonjs" })}\n`);
    },
  },
]);
