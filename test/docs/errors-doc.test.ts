import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (p: string): string => readFileSync(new URL(`../../${p}`, import.meta.url), "utf8");

/** The string literals of the `FreshmlErrorCode` union, read from its source (whoever appends to it). */
function codesInSource(): string[] {
  const src = read("src/core/errors.ts");
  const m = /export type FreshmlErrorCode\s*=([^;]*);/.exec(src);
  if (!m) throw new Error("FreshmlErrorCode not found in src/core/errors.ts");
  return [...m[1]!.matchAll(/"([a-z0-9_]+)"/g)].map((x) => x[1]!);
}

/** The codes in the first column of docs/errors.md's table (a row may name several). */
function codesInDocs(): string[] {
  const lines = read("docs/errors.md").split("\n");
  const header = lines.findIndex((l) => l.startsWith("| code |"));
  if (header === -1) throw new Error("no '| code |' table in docs/errors.md");
  const rows: string[] = [];
  for (let i = header + 2; i < lines.length && lines[i]!.startsWith("|"); i++) rows.push(lines[i]!); // past the separator
  return rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([a-z0-9_]+)`/g)].map((x) => x[1]!));
}

describe("docs/errors.md", () => {
  it("lists every FreshmlErrorCode, and no code that does not exist", () => {
    const source = codesInSource();
    const docs = codesInDocs();
    expect(source.length).toBeGreaterThan(20);
    expect(new Set(docs).size).toBe(docs.length);
    expect([...docs].sort()).toEqual([...source].sort());
  });
});
