#!/usr/bin/env node
// Builds dist/ as one module per source file, in two formats:
//   dist/esm/**.js   ES modules (package "type": "module")
//   dist/cjs/**.js   CommonJS (dist/cjs/package.json says "type": "commonjs")
// with .d.ts beside each (tsc), the same declarations in both trees so each
// format's types are read in its own module kind.
//
// Why per file and not bundled entry points: every entry point (freshml,
// freshml/node, freshml/testing) imports the same core modules, so there is one
// FreshmlError class per format, and a bundler drops the modules an application
// does not import (package.json "sideEffects": false) — whatever a module
// builds at its top level. See docs/packaging.md.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const entries = files(src).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
rmSync(dist, { recursive: true, force: true });

const common = { entryPoints: entries, outbase: src, bundle: false, platform: "neutral", target: "es2022", sourcemap: true, logLevel: "warning" };
await Promise.all([
  build({ ...common, format: "esm", outdir: join(dist, "esm") }),
  build({ ...common, format: "cjs", outdir: join(dist, "cjs") }),
]);
writeFileSync(join(dist, "cjs", "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);

// Declarations: one tsc run into dist/esm, copied to dist/cjs.
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
for (const f of files(join(dist, "esm")).filter((f) => f.endsWith(".d.ts"))) {
  const to = join(dist, "cjs", relative(join(dist, "esm"), f));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(f, to);
}
console.log(`built ${entries.length} modules into dist/esm and dist/cjs`);
