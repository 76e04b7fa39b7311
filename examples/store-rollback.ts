/**
 * Versions, the champion alias and a one-step rollback with the file store.
 *
 *   npx tsx examples/store-rollback.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LinearRegression, RMSE, restoreTrainer } from "freshml";
import { FileModelStore } from "freshml/node";

const dir = mkdtempSync(join(tmpdir(), "freshml-example-"));
const store = new FileModelStore(dir);
const model = new LinearRegression();
const holdout = { X: [[10], [11]], y: [21, 23] };

try {
  // Three promotions, each a new immutable version with its lineage.
  let parent: number | null = null;
  for (const [k, slope] of [[0, 2], [1, 2], [2, -5]] as const) {
    const X = [[k * 3], [k * 3 + 1], [k * 3 + 2]];
    model.update({ X, y: X.map(([x]) => slope * x! + 1) });
    const rmse = new RMSE();
    rmse.update(holdout.y, model.predict(holdout.X));
    const version: number = await store.put({
      name: "demand",
      parent,
      trainer: model.toJSON(),
      metrics: { rmse: rmse.get() },
      data: { batches: 1, rows: 3, fingerprint: `batch-${k}` },
    });
    await store.setAlias("demand", "champion", version);
    console.log(`promoted v${version} (parent ${parent ?? "none"}), holdout rmse ${rmse.get().toFixed(3)}`);
    parent = version;
  }

  // The last batch was bad: roll the champion back one step.
  const back = await store.rollback("demand", "champion");
  const champion = await store.get("demand", "champion");
  console.log(`rolled back to v${back}; champion predicts x=12 →`, restoreTrainer(champion.trainer).predict([[12]])[0]!.toFixed(2));
  console.log("champion history:", (await store.aliasHistory("demand", "champion")).map((e) => `${e.action} v${e.version}`).join(", "));
  console.log("versions:", (await store.list("demand")).versions.map((v) => `v${v.version} rmse=${v.metrics.rmse!.toFixed(2)}`).join(", "));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
