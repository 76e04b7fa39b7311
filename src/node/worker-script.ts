/**
 * Where the worker scripts are: beside this module in the built package
 * (`dist/node/worker-entry.js`), or, run from source (vitest, tsx), the `.ts`
 * file, which a worker loads through tsx's loader. Internal.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FreshmlError } from "../core/errors.js";

/** How to start a worker on one of freshml's scripts. */
export interface WorkerScript {
  /** The script's file URL. */
  readonly url: URL;
  /** True for the TypeScript source (needs tsx in the worker). */
  readonly typescript: boolean;
}

/** This module's URL, in the ESM build, the CJS build (where `import.meta` is empty) and from source. */
function here(): string {
  const url = (import.meta as { url?: unknown }).url;
  if (typeof url === "string") return url;
  return pathToFileURL(typeof __filename === "string" ? __filename : join(process.cwd(), "index.cjs")).href;
}

/** Finds `name` (without extension): `./name.js` or `./node/name.js` (a shared chunk) in the build, `./name.ts` in the source. */
export function workerScript(name: "worker-entry" | "shard-worker"): WorkerScript {
  const base = here();
  const candidates: Array<[string, boolean]> = [
    [`./${name}.js`, false],
    [`./node/${name}.js`, false],
    [`./${name}.ts`, true],
  ];
  for (const [rel, typescript] of candidates) {
    const url = new URL(rel, base);
    if (existsSync(fileURLToPath(url))) return { url, typescript };
  }
  throw new FreshmlError("worker_failed", `freshml's worker script ${name} was not found beside ${fileURLToPath(base)}`, { reason: "missing_script", expected: candidates.map(([r]) => r) });
}

/** tsx's ESM registration API, for a worker that runs TypeScript source. */
export function tsxApiURL(): string {
  const req = createRequire(here());
  try {
    const pkg = req.resolve("tsx/package.json");
    return pathToFileURL(join(dirname(pkg), "dist/esm/api/index.mjs")).href;
  } catch {
    throw new FreshmlError("worker_failed", "running freshml's worker from TypeScript source needs the tsx package", { reason: "missing_script" });
  }
}

/** tsx's loader, for `--import` in a worker's execArgv (piscina loads its task through it). */
export function tsxLoaderURL(): string {
  const req = createRequire(here());
  try {
    return pathToFileURL(join(dirname(req.resolve("tsx/package.json")), "dist/loader.mjs")).href;
  } catch {
    throw new FreshmlError("worker_failed", "running freshml's worker from TypeScript source needs the tsx package", { reason: "missing_script" });
  }
}

/** Code for an `eval` worker that loads `target` (through tsx when `typescript`). */
export function bootstrapCode(script: WorkerScript): string {
  if (!script.typescript) return `import(${JSON.stringify(script.url.href)});`;
  return `import(${JSON.stringify(tsxApiURL())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.url.href)}); });`;
}
