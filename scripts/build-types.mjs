#!/usr/bin/env node
// Declarations for the build: one tsc run into dist/esm (tsconfig.build.json), copied to dist/cjs,
// so each format's types are read in its own module kind. tsup (tsup.config.ts) writes the modules.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const files = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
for (const f of files(join(dist, "esm")).filter((f) => f.endsWith(".d.ts"))) {
  const to = join(dist, "cjs", relative(join(dist, "esm"), f));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(f, to);
}
console.log("declarations written to dist/esm and dist/cjs");
