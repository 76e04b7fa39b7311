import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { MemoryModelStore } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { storeChecks } from "../../src/testing/index.js";

const root = mkdtempSync(join(tmpdir(), "freshml-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describe("MemoryModelStore conformance", () => {
  for (const check of storeChecks({ make: () => new MemoryModelStore(), label: "memory", watch: true })) it(check.name, () => check.run());
});

describe("FileModelStore conformance", () => {
  for (const check of storeChecks({ make: () => new FileModelStore(join(root, `s${n++}`)), label: "file", watch: true })) it(check.name, () => check.run());
});
