import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const tarball = inject("freshmlTarball");
const bin = (pkg: string, path: string): string => join(root, "node_modules", pkg, path);

async function exitOf(file: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [file, ...args], { cwd: root, maxBuffer: 1 << 24 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("package linters on the packed tarball", () => {
  it("publint --strict is clean", async () => {
    const r = await exitOf(bin("publint", "src/cli.js"), ["run", tarball, "--strict"]);
    expect(r.out).not.toMatch(/warning|error|suggestion/i);
    expect(r.code, r.out).toBe(0);
  });

  it("attw (are the types wrong) is clean for every entry point and resolution (node10, node16 CJS/ESM, bundler)", async () => {
    const r = await exitOf(bin("@arethetypeswrong/cli", "dist/index.js"), [tarball, "--format", "table-flipped"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/No problems found/);
  });
});
