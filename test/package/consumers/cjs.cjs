// CommonJS consumer of the installed tarball: the same checks as esm.mjs, through require().
const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const f = require("freshml");
const { FileModelStore } = require("freshml/node");
const { learnerChecks, storeChecks } = require("freshml/testing");
const { z } = require("zod");

async function failures(checks) {
  const out = [];
  for (const c of checks) {
    try {
      await c.run();
    } catch (err) {
      out.push(`${c.name}: ${err && err.message ? err.message : err}`);
    }
  }
  return out;
}

async function main() {
  f.setSimdEnabled(process.argv[2] !== "js");
  const { scenario } = await import("./scenario.mjs");
  let nodeError;
  try {
    await new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-cjs-"))).get("../escape", "champion");
  } catch (err) {
    nodeError = err;
  }
  console.log(
    JSON.stringify({
      format: "cjs",
      kernels: f.kernelInfo(),
      result: await scenario(f, z),
      errors: {
        code: nodeError && nodeError.code,
        instanceOf: nodeError instanceof f.FreshmlError,
        isFreshmlError: f.isFreshmlError(nodeError),
        isFreshmlErrorWithCode: f.isFreshmlError(nodeError, nodeError && nodeError.code),
        plainErrorIsNot: !f.isFreshmlError(new Error("x")) && !(new Error("x") instanceof f.FreshmlError),
      },
      conformance: {
        learner: await failures(learnerChecks({ make: () => new f.LinearRegression(), exact: true })),
        fileStore: await failures(storeChecks({ make: () => new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-cjs-store-"))) })),
        memoryStore: await failures(storeChecks({ make: () => new f.MemoryModelStore() })),
      },
    }),
  );
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
