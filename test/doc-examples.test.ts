import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every ```ts example in the TSDoc of src/ runs (River's doctests, for us):
 * each block is written to test/.doc-examples/ and imported. Blocks that
 * register tests themselves (they import vitest) are left to the test files.
 */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const outDir = join("test", ".doc-examples");
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const examples: Array<[string, string]> = [];
for (const file of files("src")) {
  const text = readFileSync(file, "utf8");
  const blocks = text.matchAll(/^\s*\* ```ts\n([\s\S]*?)^\s*\* ```/gm);
  let n = 0;
  for (const m of blocks) {
    const code = m[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n");
    if (/from "vitest"/.test(code)) continue;
    const name = `${relative("src", file).replace(/[\\/.]/g, "_")}_${n++}.ts`;
    writeFileSync(join(outDir, name), `${code}\nexport {};\n`);
    examples.push([`${relative("src", file)} #${n}`, name]);
  }
}

describe("TSDoc examples run", () => {
  it("found the examples", () => {
    expect(examples.length).toBeGreaterThan(25);
  });
  it.each(examples)("%s", async (_label, name) => {
    const log = console.log;
    console.log = () => {};
    try {
      await import(/* @vite-ignore */ `./.doc-examples/${name}`);
    } finally {
      console.log = log;
    }
  });
});
