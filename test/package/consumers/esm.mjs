// ESM consumer of the installed tarball: a Pipeline end to end, errors across entry
// points (and across the ESM and CJS copies), conformance suites. Prints JSON.
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as f from "freshml";
import { FileModelStore } from "freshml/node";
import { learnerChecks, storeChecks } from "freshml/testing";
import { z } from "zod";
import { scenario } from "./scenario.mjs";

const simd = process.argv[2] !== "js";
f.setSimdEnabled(simd);

async function errorFromNode(store) {
  try {
    await store.get("../escape", "champion");
  } catch (err) {
    return err;
  }
  throw new Error("FileModelStore.get accepted an invalid name");
}

const nodeError = await errorFromNode(new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-esm-"))));
// The CommonJS copy of freshml/node in the same process (the dual-package case).
const cjsNode = createRequire(import.meta.url)("freshml/node");
const cjsError = await errorFromNode(new cjsNode.FileModelStore(mkdtempSync(join(tmpdir(), "freshml-esm-cjs-"))));

async function failures(checks) {
  const out = [];
  for (const c of checks) {
    try {
      await c.run();
    } catch (err) {
      out.push(`${c.name}: ${err?.message ?? err}`);
    }
  }
  return out;
}

console.log(
  JSON.stringify({
    format: "esm",
    kernels: f.kernelInfo(),
    result: await scenario(f, z),
    errors: {
      code: nodeError.code,
      instanceOf: nodeError instanceof f.FreshmlError,
      isFreshmlError: f.isFreshmlError(nodeError),
      isFreshmlErrorWithCode: f.isFreshmlError(nodeError, nodeError.code),
      cjsCopyInstanceOf: cjsError instanceof f.FreshmlError,
      cjsCopyIsFreshmlError: f.isFreshmlError(cjsError),
      plainErrorIsNot: !f.isFreshmlError(new Error("x")) && !(new Error("x") instanceof f.FreshmlError),
    },
    conformance: {
      learner: await failures(learnerChecks({ make: () => new f.LinearRegression(), exact: true })),
      fileStore: await failures(storeChecks({ make: () => new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-esm-store-"))) })),
      memoryStore: await failures(storeChecks({ make: () => new f.MemoryModelStore() })),
    },
  }),
);
