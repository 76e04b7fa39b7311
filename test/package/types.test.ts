import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const app = inject("freshmlApp");
const tsc = join(root, "node_modules/typescript/bin/tsc");

/** Compiles `files` in the consumer project with `options` (strict); returns exit code and output. */
async function compile(name: string, options: Record<string, unknown>, files: string[]): Promise<{ code: number; out: string }> {
  const config = join(app, `tsconfig.${name}.json`);
  writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, target: "es2022", lib: ["es2022"], types: [], ...options }, files }, null, 2));
  try {
    const { stdout } = await run(process.execPath, [tsc, "-p", config, "--pretty", "false"], { cwd: app, maxBuffer: 1 << 24 });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

// Started together; each test awaits its own. No @types/node and no DOM library:
// nothing the consumers import needs them.
const node = {};
const runs = {
  node16: compile("node16", { ...node, module: "node16", moduleResolution: "node16" }, ["ts/use.ts", "ts/use-cjs.cts"]),
  nodenext: compile("nodenext", { ...node, module: "nodenext", moduleResolution: "nodenext" }, ["ts/use.ts", "ts/use-cjs.cts"]),
  bundler: compile("bundler", { ...node, module: "esnext", moduleResolution: "bundler" }, ["ts/use.ts"]),
  node10: compile("node10", { ...node, module: "commonjs", moduleResolution: "node10", esModuleInterop: true }, ["ts/use.ts"]),
  misuse: compile("misuse", { ...node, module: "esnext", moduleResolution: "bundler" }, ["ts/misuse.ts"]),
  // skipLibCheck off: the package's own declarations are checked, in a program without DOM or Node globals.
  coreOnly: compile("core-only", { module: "esnext", moduleResolution: "bundler", skipLibCheck: false }, ["ts/core-only.ts"]),
};

/**
 * Declarations of the core that still name a DOM/Node global, by file, until
 * their owners switch to the package's own types (src/core/abort.ts):
 * RunOptions.signal in src/pipeline/pipeline.ts is `AbortSignal`; it should be
 * `HostAbortSignal`.
 */
const knownLeaks = [/freshml\/dist\/esm\/pipeline\/pipeline\.d\.ts\(\d+,\d+\): error TS2304: Cannot find name 'AbortSignal'/];

describe("TypeScript consumers of the packed tarball (strict)", () => {
  for (const name of ["node16", "nodenext", "bundler", "node10"] as const) {
    it(`compile under ${name} resolution, every entry point${name.startsWith("node1") || name === "nodenext" ? ", from ESM and from CJS" : ""}`, async () => {
      const r = await runs[name];
      expect(r.out).toBe("");
      expect(r.code).toBe(0);
    });
  }

  it("a deliberate misuse fails to compile, at each misused line", async () => {
    const r = await runs.misuse;
    expect(r.code).not.toBe(0);
    for (const line of [5, 7, 8]) expect(r.out).toMatch(new RegExp(`ts/misuse\\.ts\\(${line},\\d+\\): error TS2322`));
    expect(r.out.trim().split("\n")).toHaveLength(3);
  });

  it("the core's typings need neither the DOM library nor @types/node (lib es2022 only)", async () => {
    const r = await runs.coreOnly;
    // freshml's declarations and the consumer are judged here, not other packages' (zod's own name URL, for one).
    const errors = r.out
      .trim()
      .split("\n")
      .filter((e) => e !== "" && (!e.startsWith("node_modules/") || e.startsWith("node_modules/freshml/")));
    expect(errors.filter((e) => !knownLeaks.some((k) => k.test(e)))).toEqual([]);
  });
});
