#!/usr/bin/env node
// Bundle size per import: esbuild (platform browser, minified, ES2022), then gzip.
// Each case bundles `export { ... } from "freshml"` resolved to the built ESM
// entry (dist/esm/index.js) — what an application's bundler sees — with zod and the
// other dependencies included, as an application would ship them.
//
//   node scripts/bundle-size.mjs            # table (markdown)
//   node scripts/bundle-size.mjs --json     # JSON, for the budget test
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The imports measured (budgets: test/package/bundle-size.test.ts). */
export const cases = [
  { name: "{ RMSE }", imports: ["RMSE"] },
  { name: "{ LinearRegression }", imports: ["LinearRegression"] },
  { name: "{ Pipeline, LinearRegression, MemoryModelStore }", imports: ["Pipeline", "LinearRegression", "MemoryModelStore"] },
  { name: "everything (import * as freshml)", imports: "*" },
];

/**
 * Bundles one case and returns its minified and gzip sizes in bytes. `entry` is
 * what the import names (default the built dist/esm/index.js; the package
 * suite passes "freshml" and `resolveDir` of a project with the tarball installed).
 */
export async function measure(imports, { entry = join(root, "dist/esm/index.js"), resolveDir = root, external = [] } = {}) {
  const contents =
    imports === "*"
      ? `import * as f from ${JSON.stringify(entry)}; globalThis.__f = f;`
      : `import { ${imports.join(", ")} } from ${JSON.stringify(entry)}; globalThis.__f = [${imports.join(", ")}];`;
  const out = await build({
    stdin: { contents, resolveDir, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    external,
    logLevel: "silent",
  });
  const code = out.outputFiles[0].contents;
  const inputs = {};
  for (const [file, info] of Object.entries(Object.values(out.metafile.outputs)[0].inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(file)?.[1] ?? "freshml";
    inputs[pkg] = (inputs[pkg] ?? 0) + info.bytesInOutput;
  }
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, byPackage: inputs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = [];
  for (const c of cases) rows.push({ ...c, ...(await measure(c.imports)), zodExternalGzip: (await measure(c.imports, { external: ["zod"] })).gzip });
  if (process.argv.includes("--json")) console.log(JSON.stringify(rows, null, 2));
  else {
    const kb = (b) => (b / 1024).toFixed(1);
    console.log("| import | minified KB | gzip KB | gzip KB, zod external | minified KB by package |\n|---|---:|---:|---:|---|");
    for (const r of rows) {
      const parts = Object.entries(r.byPackage).sort((a, b) => b[1] - a[1]).map(([p, b]) => `${p} ${kb(b)}`).join(", ");
      console.log(`| \`${r.name}\` | ${kb(r.minified)} | ${kb(r.gzip)} | ${kb(r.zodExternalGzip)} | ${parts} |`);
    }
  }
}
