/**
 * Child-process scripts for the process tests, bundled once per test worker with
 * esbuild so that a child starts in plain Node. A bundled child starts in about
 * 0.2 s where `node --import tsx` takes about 1.6 s (2-core machine under load),
 * and the crash-injection tests start dozens of children.
 *
 * Packages stay external: the bundle sits under the repository's
 * node_modules/.cache, so `pg`, `zod`, … resolve from node_modules as they do for
 * the source, and a dynamic `import("pg")` still happens only when reached.
 * Not for children that start worker threads: freshml finds its worker entry
 * beside its own module, which a bundle moves.
 */
import { buildSync } from "esbuild";
import { mkdirSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));
// One folder per test worker process: workers bundling the same entry never write the same file.
const outDir = join(repo, "node_modules", ".cache", "freshml-test-children", String(process.pid));
const built = new Map<string, string>();
let cleanupRegistered = false;

/** The path of a plain-Node ESM bundle of the TypeScript file `entry` (absolute path or file: URL); built on first use. */
export function bundledChild(entry: string | URL): string {
  const file = entry instanceof URL ? fileURLToPath(entry) : entry;
  const known = built.get(file);
  if (known) return known;
  mkdirSync(outDir, { recursive: true });
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.on("exit", () => rmSync(outDir, { recursive: true, force: true }));
  }
  const outfile = join(outDir, `${built.size}-${basename(file).replace(/\.ts$/, "")}.mjs`);
  buildSync({
    entryPoints: [file],
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "error",
  });
  built.set(file, outfile);
  return outfile;
}
